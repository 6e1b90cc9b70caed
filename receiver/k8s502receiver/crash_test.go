package k8s502receiver

import (
	"context"
	"errors"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/pdata/plog"

	"github.com/k8s502/otelcol-k8s502/internal/testing/teststorage"
	"github.com/k8s502/otelcol-k8s502/receiver/k8s502receiver/internal/metadata"
)

// The checkpoint rule: the offset may pass a line whose record is not
// delivered only if the line is written with it. Failed access lines that
// wait in the join (for a late error line) when the process dies come out
// after the restart, once.
func TestKilledWhileLinesWaitInTheJoin(t *testing.T) {
	root := t.TempDir()
	path := podLog(t, root)
	storageDir := t.TempDir()
	const n = 40
	appendLines(t, path, 0, n, time.Second) // 40 s of log time: all within join.hold

	cfg := testConfig(path)
	cfg.StorageID = &storageID
	cfg.Join.Hold = time.Hour
	set := nopSettings()
	set.ID = component.NewIDWithName(metadata.Type, "killed")

	host, stopStorage := startFileStorage(t, storageDir)
	first := newIDCounter()
	r1 := startReceiver(t, set, cfg, first, host)
	require.Eventually(t, func() bool {
		return r1.(*k8s502Receiver).heldLines.Load() == n
	}, waitFor, 5*time.Millisecond, "a checkpoint carrying the held lines")
	killed := teststorage.KilledCopy(t, storageDir)
	assert.Empty(t, first.snapshot(), "nothing was delivered before the kill")
	shutdownWithin(t, r1, context.Background())
	stopStorage()

	cfg.Join.Hold = 50 * time.Millisecond
	host, stopStorage = startFileStorage(t, killed)
	defer stopStorage()
	second := newIDCounter()
	r2 := startReceiver(t, set, cfg, second, host)
	require.Eventually(t, func() bool { return len(second.snapshot()) >= n }, waitFor, 10*time.Millisecond)
	time.Sleep(100 * time.Millisecond) // a repeat would come in the next polls
	shutdownWithin(t, r2, context.Background())
	assertOnce(t, n, second.snapshot())
}

// Killed while the next consumer holds a batch: everything accepted before
// the kill is not sent again after the restart (it was accepted after the
// last checkpoint, and its lines are read again), everything else is sent
// once.
func TestKilledMidStream(t *testing.T) {
	for _, stallAfter := range []int64{1, 4, 9} {
		root := t.TempDir()
		path := podLog(t, root)
		storageDir := t.TempDir()
		const n = 3000
		appendLines(t, path, 0, n, time.Second)

		cfg := testConfig(path)
		cfg.StorageID = &storageID
		cfg.sendBatch = 50 // a send per fileconsumer callback or so: stalls mid-file
		cfg.Join.Hold = 200 * time.Millisecond
		set := nopSettings()
		set.ID = component.NewIDWithName(metadata.Type, "killed")

		host, stopStorage := startFileStorage(t, storageDir)
		first := &stallingConsumer{idCounter: newIDCounter(), stallAfter: stallAfter, stalled: make(chan struct{})}
		r1 := startReceiver(t, set, cfg, first, host)
		select {
		case <-first.stalled:
		case <-time.After(waitFor):
			t.Fatal("the receiver never stalled")
		}
		// The stalled batch is not accepted: the kill happens now.
		killed := teststorage.KilledCopy(t, storageDir)
		before := first.snapshot()
		require.NotEmpty(t, before)
		require.Less(t, len(before), n)
		shutdownWithin(t, r1, context.WithValue(context.Background(), finalFlush{}, true))
		stopStorage()

		host, stopStorage = startFileStorage(t, killed)
		second := newIDCounter()
		r2 := startReceiver(t, set, cfg, second, host)
		union := func() map[string]int {
			all := map[string]int{}
			for id, c := range before {
				all[id] += c
			}
			for id, c := range second.snapshot() {
				all[id] += c
			}
			return all
		}
		require.Eventually(t, func() bool { return len(union()) >= n }, waitFor, 10*time.Millisecond, "stall after %d", stallAfter)
		time.Sleep(100 * time.Millisecond)
		shutdownWithin(t, r2, context.Background())
		stopStorage()
		assertOnce(t, n, union())
	}
}

// takingRefuser takes the records out of what it is given and refuses, the
// first few times: the receiver must still deliver every record, once.
type takingRefuser struct {
	*idCounter
	refuse atomic.Int64
}

func (c *takingRefuser) ConsumeLogs(_ context.Context, ld plog.Logs) error {
	if c.refuse.Add(-1) >= 0 {
		ld.ResourceLogs().RemoveIf(func(plog.ResourceLogs) bool { return true })
		return errors.New("storage full")
	}
	c.add(ld)
	return nil
}

func TestRefusalAfterTakingRecords(t *testing.T) {
	path := podLog(t, t.TempDir())
	const n = 200
	appendLines(t, path, 0, n, time.Second)
	next := &takingRefuser{idCounter: newIDCounter()}
	next.refuse.Store(5)
	r := startReceiver(t, nopSettings(), testConfig(path), next, nil)
	require.Eventually(t, func() bool { return len(next.snapshot()) >= n }, waitFor, 10*time.Millisecond)
	shutdownWithin(t, r, context.Background())
	assertOnce(t, n, next.snapshot())
}

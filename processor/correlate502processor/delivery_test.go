package correlate502processor

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/component/componenttest"
	"go.opentelemetry.io/collector/consumer"
	"go.opentelemetry.io/collector/consumer/consumertest"
	"go.opentelemetry.io/collector/pdata/plog"

	"github.com/k8s502/otelcol-k8s502/internal/schema"
	"github.com/k8s502/otelcol-k8s502/internal/testing/teststorage"
)

// refusing refuses every batch while refuse is set, and counts what it
// accepted by record identity.
type refusing struct {
	refuse atomic.Bool
	mu     sync.Mutex
	got    map[string]int
	calls  atomic.Int64
}

func (r *refusing) Capabilities() consumer.Capabilities { return consumer.Capabilities{} }

func (r *refusing) ConsumeLogs(_ context.Context, ld plog.Logs) error {
	r.calls.Add(1)
	if r.refuse.Load() {
		return errors.New("sending queue is full")
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, id := range recordIDs(ld) {
		r.got[id]++
	}
	return nil
}

func (r *refusing) counts() map[string]int {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := map[string]int{}
	for k, v := range r.got {
		out[k] = v
	}
	return out
}

func recordIDs(ld plog.Logs) []string {
	var ids []string
	for i := 0; i < ld.ResourceLogs().Len(); i++ {
		sls := ld.ResourceLogs().At(i).ScopeLogs()
		for j := 0; j < sls.Len(); j++ {
			lrs := sls.At(j).LogRecords()
			for k := 0; k < lrs.Len(); k++ {
				if isIncident(lrs.At(k)) {
					continue
				}
				ids = append(ids, str(lrs.At(k).Attributes(), schema.RecordID))
			}
		}
	}
	return ids
}

// requestRecords counts the records that are not incident records.
func requestRecords(lds []plog.Logs) int {
	n := 0
	for _, ld := range lds {
		for i := 0; i < ld.ResourceLogs().Len(); i++ {
			sls := ld.ResourceLogs().At(i).ScopeLogs()
			for j := 0; j < sls.Len(); j++ {
				lrs := sls.At(j).LogRecords()
				for k := 0; k < lrs.Len(); k++ {
					if !isIncident(lrs.At(k)) {
						n++
					}
				}
			}
		}
	}
	return n
}

func isIncident(lr plog.LogRecord) bool {
	return str(lr.Attributes(), schema.EventName) == schema.EventNameIncident
}

func failedWithID(ts time.Time, ids ...string) plog.Logs {
	ld := plog.NewLogs()
	for _, id := range ids {
		appendFailed(ld, ts, sceneIPA+":8080")
		rl := ld.ResourceLogs().At(ld.ResourceLogs().Len() - 1)
		rl.ScopeLogs().At(0).LogRecords().At(0).Attributes().PutStr(schema.RecordID, id)
	}
	return ld
}

func startStorage(t *testing.T, dir string) (teststorage.Host, component.ID, func()) {
	t.Helper()
	id := component.MustNewID("file_storage")
	host, stop := teststorage.Start(t, id, dir)
	return host, id, stop
}

// A next consumer that refuses (full queue, memory_limiter) keeps records
// held, not lost: they go out, once, when it accepts again.
func TestRefusedReleaseIsRetried(t *testing.T) {
	cfg := noCluster()
	cfg.DecisionWait = 50 * time.Millisecond
	next := &refusing{got: map[string]int{}}
	next.refuse.Store(true)
	p, err := NewFactory().CreateLogs(context.Background(), nopSettings(), cfg, next)
	require.NoError(t, err)
	require.NoError(t, p.Start(context.Background(), componenttest.NewNopHost()))
	require.NoError(t, p.ConsumeLogs(context.Background(), failedWithID(time.Now(), "r1", "r2")))
	require.Eventually(t, func() bool { return next.calls.Load() >= 3 }, 5*time.Second, 10*time.Millisecond, "release retried")
	assert.Empty(t, next.counts())
	next.refuse.Store(false)
	require.Eventually(t, func() bool { return len(next.counts()) == 2 }, 5*time.Second, 10*time.Millisecond)
	require.NoError(t, p.Shutdown(context.Background()))
	assert.Equal(t, map[string]int{"r1": 1, "r2": 1}, next.counts())
}

// Shutdown returns within its context even when the next consumer blocks
// forever: the release loop's context ends with the processor.
func TestShutdownWithBlockedConsumer(t *testing.T) {
	cfg := noCluster()
	cfg.DecisionWait = 20 * time.Millisecond
	block := make(chan struct{})
	defer close(block)
	entered := make(chan struct{}, 1)
	next, err := consumer.NewLogs(func(ctx context.Context, _ plog.Logs) error {
		select {
		case entered <- struct{}{}:
		default:
		}
		select {
		case <-block:
		case <-ctx.Done():
		}
		return errors.New("blocked")
	})
	require.NoError(t, err)
	p, err := NewFactory().CreateLogs(context.Background(), nopSettings(), cfg, next)
	require.NoError(t, err)
	require.NoError(t, p.Start(context.Background(), componenttest.NewNopHost()))
	require.NoError(t, p.ConsumeLogs(context.Background(), failedWithID(time.Now(), "r1")))
	<-entered
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	done := make(chan error, 1)
	go func() { done <- p.Shutdown(ctx) }()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("Shutdown hung on a blocked next consumer")
	}
}

// With storage, a processor that stops (or is killed) while records wait
// judges and sends them after its restart, and a batch the sender repeats
// (it never saw the answer) is not sent twice.
func TestStorageKeepsRecordsAcrossRestart(t *testing.T) {
	dir := t.TempDir()
	cfg := noCluster()
	cfg.DecisionWait = time.Second // nothing is due before the stop
	host, id, stopStorage := startStorage(t, dir)
	cfg.StorageID = &id
	first := new(consumertest.LogsSink)
	p, err := NewFactory().CreateLogs(context.Background(), nopSettings(), cfg, first)
	require.NoError(t, err)
	require.NoError(t, p.Start(context.Background(), host))
	require.NoError(t, p.ConsumeLogs(context.Background(), failedWithID(time.Now(), "r1", "r2")))
	require.NoError(t, p.Shutdown(context.Background()))
	stopStorage()
	assert.Zero(t, first.LogRecordCount(), "not due: kept in storage, not released early")

	host, id, stopStorage = startStorage(t, dir)
	defer stopStorage()
	cfg.StorageID = &id
	second := &refusing{got: map[string]int{}}
	p, err = NewFactory().CreateLogs(context.Background(), nopSettings(), cfg, second)
	require.NoError(t, err)
	require.NoError(t, p.Start(context.Background(), host))
	require.NoError(t, p.ConsumeLogs(context.Background(), failedWithID(time.Now(), "r2", "r3")), "r2 repeated by the sender")
	require.Eventually(t, func() bool { return len(second.counts()) == 3 }, 5*time.Second, 10*time.Millisecond)
	require.NoError(t, p.ConsumeLogs(context.Background(), failedWithID(time.Now(), "r1")), "r1 repeated after its release")
	require.NoError(t, p.Shutdown(context.Background()))
	assert.Equal(t, map[string]int{"r1": 1, "r2": 1, "r3": 1}, second.counts())
}

// A refused batch is given back whole: the sender retries with the same
// Logs (the k8s502 receiver does), so the records must still be in it.
func TestRefusedAddGivesRecordsBack(t *testing.T) {
	cfg := noCluster()
	cfg.MaxPending = 1
	p, err := NewFactory().CreateLogs(context.Background(), nopSettings(), cfg, consumertest.NewNop())
	require.NoError(t, err)
	require.NoError(t, p.Start(context.Background(), componenttest.NewNopHost()))
	defer func() { require.NoError(t, p.Shutdown(context.Background())) }()
	require.NoError(t, p.ConsumeLogs(context.Background(), failedWithID(time.Now(), "r1")))
	ld := failedWithID(time.Now(), "r2", "r3")
	require.Error(t, p.ConsumeLogs(context.Background(), ld), "max_pending reached")
	assert.ElementsMatch(t, []string{"r2", "r3"}, recordIDs(ld))
}

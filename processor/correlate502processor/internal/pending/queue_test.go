package pending

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/extension/xextension/storage"
	"go.opentelemetry.io/collector/pdata/plog"

	"github.com/k8s502/otelcol-k8s502/internal/schema"
	"github.com/k8s502/otelcol-k8s502/internal/testing/teststorage"
)

// records makes a Logs with one k8s502 record per id.
func records(ids ...string) plog.Logs {
	ld := plog.NewLogs()
	lrs := ld.ResourceLogs().AppendEmpty().ScopeLogs().AppendEmpty().LogRecords()
	for _, id := range ids {
		lr := lrs.AppendEmpty()
		lr.Attributes().PutStr(schema.RecordID, id)
		lr.Attributes().PutStr(schema.Outcome, schema.OutcomeFailed)
	}
	return ld
}

func idsIn(ld plog.Logs) []string { return idsOf(ld) }

// openStorage runs the real file_storage extension on dir and returns the
// processor's client; close stops both.
func openStorage(t *testing.T, dir string) (storage.Client, func()) {
	t.Helper()
	return teststorage.Client(t, dir, component.KindProcessor, component.MustNewID("correlate502"), "logs")
}

// next is the oldest due batch (any batch when all is set), or nil.
func next(q *Queue, now time.Time, all bool) *Batch {
	if due := q.Due(now, all, 1); len(due) > 0 {
		return due[0]
	}
	return nil
}

func TestMemoryQueueFIFOAndDue(t *testing.T) {
	ctx := context.Background()
	q := New(Config{Wait: time.Second, MaxRecords: 10, MaxIDs: 10})
	t0 := time.Now()
	require.NoError(t, q.Add(ctx, records("a", "b"), t0))
	require.NoError(t, q.Add(ctx, records("c"), t0.Add(500*time.Millisecond)))
	assert.Equal(t, 3, q.Len())
	assert.Nil(t, next(q, t0.Add(999*time.Millisecond), false), "not due yet")
	b := next(q, t0.Add(time.Second), false)
	require.NotNil(t, b)
	ld, err := q.Records(ctx, b)
	require.NoError(t, err)
	assert.Equal(t, []string{"a", "b"}, idsIn(ld))
	assert.Same(t, b, next(q, t0.Add(time.Second), false), "a batch stays first until Done")
	require.NoError(t, q.Done(ctx, b))
	assert.Nil(t, next(q, t0.Add(time.Second), false))
	assert.NotNil(t, next(q, t0, true), "all: due or not")
	assert.Equal(t, 1, q.Len())
}

// A batch sent twice (held or already released) is dropped; repeats within
// one batch too.
func TestDuplicatesDropped(t *testing.T) {
	ctx := context.Background()
	q := New(Config{Wait: time.Second, MaxRecords: 10, MaxIDs: 10})
	t0 := time.Now()
	require.NoError(t, q.Add(ctx, records("a", "b", "a"), t0))
	require.NoError(t, q.Add(ctx, records("a", "c"), t0), "held a is dropped, c kept")
	b := next(q, t0.Add(time.Second), false)
	require.NoError(t, q.Done(ctx, b))
	require.NoError(t, q.Add(ctx, records("b"), t0), "released b is dropped")
	assert.Equal(t, 1, q.Len(), "only c waits")
	assert.Equal(t, int64(3), q.Stats().Duplicates)
}

func TestFullRefusesRetryably(t *testing.T) {
	ctx := context.Background()
	q := New(Config{Wait: time.Second, MaxRecords: 2, MaxIDs: 10})
	require.NoError(t, q.Add(ctx, records("a", "b", "c"), time.Now()), "an empty queue takes a batch larger than the bound, or nothing could ever pass")
	assert.ErrorIs(t, q.Add(ctx, records("d"), time.Now()), ErrFull)
	assert.Equal(t, 3, q.Len(), "the refused batch was not taken")
	assert.Equal(t, int64(1), q.Stats().Refused)
}

// Killed between any two steps, a durable queue restarts with exactly what
// it had accepted and not released, and still drops repeats of what it had
// released.
func TestDurableRestoreAfterKill(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	client, closeStorage := openStorage(t, dir)
	q := New(Config{Wait: 5 * time.Second, MaxRecords: 100, MaxIDs: 100, Client: client})
	require.NoError(t, q.Restore(ctx, time.Now()))
	t0 := time.Now()
	require.NoError(t, q.Add(ctx, records("a", "b"), t0))
	require.NoError(t, q.Add(ctx, records("c"), t0))
	require.NoError(t, q.Add(ctx, records("d", "e"), t0))
	b := next(q, t0.Add(time.Hour), false)
	require.NoError(t, q.Done(ctx, b)) // a, b released
	killed := teststorage.KilledCopy(t, dir)
	closeStorage()

	client2, closeStorage2 := openStorage(t, killed)
	defer closeStorage2()
	q2 := New(Config{Wait: 5 * time.Second, MaxRecords: 100, MaxIDs: 100, Client: client2})
	restart := time.Now()
	require.NoError(t, q2.Restore(ctx, restart))
	assert.Equal(t, 3, q2.Len(), "c, d and e were held")
	assert.Equal(t, 3, q2.Stats().Restored)
	assert.Nil(t, next(q2, restart.Add(4*time.Second), false), "judged a full decision_wait after the restart")
	require.NoError(t, q2.Add(ctx, records("a", "c", "f"), restart), "a was released, c is held: only f is new")
	assert.Equal(t, 4, q2.Len())
	var got []string
	for b := next(q2, restart, true); b != nil; b = next(q2, restart, true) {
		ld, err := q2.Records(ctx, b)
		require.NoError(t, err)
		got = append(got, idsIn(ld)...)
		require.NoError(t, q2.Done(ctx, b))
	}
	assert.Equal(t, []string{"c", "d", "e", "f"}, got, "in order, once")
}

// The released window is bounded by MaxIDs: the oldest batches' identities
// are forgotten in memory and in storage.
func TestReleasedWindowBounded(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	client, closeStorage := openStorage(t, dir)
	defer closeStorage()
	q := New(Config{Wait: 0, MaxRecords: 1000, MaxIDs: 4, Client: client})
	now := time.Now()
	for i := range 5 {
		require.NoError(t, q.Add(ctx, records(fmt.Sprintf("%d-a", i), fmt.Sprintf("%d-b", i)), now))
		require.NoError(t, q.Done(ctx, next(q, now, true)))
	}
	assert.LessOrEqual(t, q.ids.count, 4)
	require.NoError(t, q.Add(ctx, records("0-a"), now), "forgotten, so taken again")
	assert.Equal(t, 1, q.Len())
	require.NoError(t, q.Add(ctx, records("4-a"), now), "remembered, so dropped")
	assert.Equal(t, 1, q.Len())
	raw, err := client.Get(ctx, releasedKey(0))
	require.NoError(t, err)
	assert.Nil(t, raw, "evicted identities are deleted from storage too")
}

package series

import (
	"testing"
	"unsafe"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestIncKeepsOrderAndOverflows(t *testing.T) {
	tb := New(2)
	a := Key{Namespace: "shop", Service: "checkout", Cause: "pod_crash", Gateway: "ingress-nginx", Outcome: "failed"}
	b := Key{Outcome: "failed"}
	c := Key{Outcome: "truncated"}
	assert.True(t, tb.Inc(b))
	assert.True(t, tb.Inc(a))
	assert.True(t, tb.Inc(b))
	assert.False(t, tb.Inc(c), "table full: c goes to the overflow")
	assert.False(t, tb.Inc(c))
	assert.True(t, tb.Inc(a), "a known set keeps counting when full")

	s := tb.Snapshot()
	assert.Equal(t, []Key{b, a}, s.Keys, "in the order first seen")
	assert.Equal(t, []int64{2, 2}, s.Counts)
	assert.Equal(t, int64(2), s.Overflow)
	assert.False(t, s.Empty())
}

func TestSnapshotIsACopy(t *testing.T) {
	tb := New(10)
	k := Key{Outcome: "failed"}
	tb.Inc(k)
	s := tb.Snapshot()
	tb.Inc(k)
	tb.Inc(Key{Outcome: "recovered"})
	assert.Equal(t, []int64{1}, s.Counts, "later counts do not change a snapshot")
	assert.Len(t, s.Keys, 1)
	assert.Equal(t, []int64{2, 1}, tb.Snapshot().Counts)
	assert.True(t, New(1).Snapshot().Empty())
}

func TestKeptKeyDoesNotShareTheRecordsBytes(t *testing.T) {
	// A string that aliases a buffer, as a value decoded without copying can.
	buf := []byte("shop")
	aliased := unsafe.String(&buf[0], len(buf))
	tb := New(1)
	tb.Inc(Key{Namespace: aliased})
	copy(buf, "gone")
	assert.Equal(t, "shop", tb.Snapshot().Keys[0].Namespace)
	require.True(t, tb.Inc(Key{Namespace: "shop"}), "found again by value")
}

func TestIncDoesNotAllocateForKnownSets(t *testing.T) {
	tb := New(10)
	k := Key{Namespace: "shop", Service: "checkout", Cause: "pod_crash", Gateway: "ingress-nginx", Outcome: "failed"}
	tb.Inc(k)
	assert.Zero(t, testing.AllocsPerRun(1000, func() { tb.Inc(k) }))
	full := New(1)
	full.Inc(k)
	assert.Zero(t, testing.AllocsPerRun(1000, func() { full.Inc(Key{Outcome: "other"}) }), "overflow does not allocate either")
}

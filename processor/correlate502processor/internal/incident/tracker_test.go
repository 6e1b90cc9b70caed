package incident

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

var t0 = time.Date(2026, 11, 25, 8, 46, 52, 0, time.UTC)

func req(cause, pod string, at time.Time, outcome, id string) Request {
	return Request{Cause: cause, Target: Target{Namespace: "shop", Service: "inventory", Pod: pod}, Time: at, Status: 502, Outcome: outcome, RequestID: id}
}

// A storm is one incident; its counts add up; only the first request opens it.
func TestStormIsOneIncident(t *testing.T) {
	tr := New(time.Minute, 10)
	var first string
	var openedFirst *Incident
	for i := range 1000 {
		id, opened, closed := tr.Observe(req("pod_crash", "inventory-a", t0.Add(time.Duration(i)*time.Millisecond), "failed", "r"), t0)
		assert.Empty(t, closed)
		if i == 0 {
			require.NotNil(t, opened)
			assert.Equal(t, 1, opened.Count, "the opening record counts what was seen then")
			openedFirst = opened
			first = id
		} else {
			assert.Nil(t, opened)
			assert.Equal(t, first, id)
		}
	}
	incs := tr.Expired(t0, true)
	require.Len(t, incs, 1)
	inc := incs[0]
	assert.Equal(t, 1000, inc.Count)
	assert.Equal(t, Outcomes{Failed: 1000}, inc.Outcomes)
	assert.Equal(t, Outcomes{Failed: 1}, openedFirst.Outcomes, "the opening record keeps what was seen then")
	assert.Equal(t, []int{502}, inc.Statuses)
	assert.Len(t, inc.Samples, maxSamples)
	assert.Equal(t, t0, inc.First)
	assert.Equal(t, t0.Add(999*time.Millisecond), inc.Last)
	assert.True(t, inc.Closed)
}

// A change of state inside a storm (another pod, another cause) is another
// incident; a gap longer than idle closes the first and opens a new one.
func TestStateChangeAndGapSplit(t *testing.T) {
	tr := New(time.Minute, 10)
	a, _, _ := tr.Observe(req("pod_crash", "inventory-a", t0, "failed", "r1"), t0)
	b, opened, _ := tr.Observe(req("readiness_probe", "inventory-a", t0.Add(time.Second), "failed", "r2"), t0)
	require.NotNil(t, opened)
	assert.NotEqual(t, a, b)
	c, opened, closed := tr.Observe(req("pod_crash", "inventory-a", t0.Add(2*time.Minute), "failed", "r3"), t0)
	require.NotNil(t, opened)
	require.Len(t, closed, 1)
	assert.Equal(t, a, closed[0].ID)
	assert.NotEqual(t, a, c)
	assert.Equal(t, 2, tr.Open())
}

// Memory is bounded: beyond max open incidents the idlest one closes.
func TestMaxOpen(t *testing.T) {
	tr := New(time.Minute, 2)
	tr.Observe(req("pod_crash", "a", t0, "failed", ""), t0)
	tr.Observe(req("pod_crash", "b", t0, "failed", ""), t0.Add(time.Second))
	_, _, closed := tr.Observe(req("pod_crash", "c", t0, "failed", ""), t0.Add(2*time.Second))
	require.Len(t, closed, 1)
	assert.Equal(t, "a", closed[0].Target.Pod)
	assert.Equal(t, 2, tr.Open())
	assert.Len(t, tr.Expired(t0.Add(62*time.Second), false), 1, "b idle for a minute by the wall clock")
}

// Idlest means last seen longest ago, not opened first: a request moves its
// incident behind the others.
func TestMaxOpenClosesTheIdlest(t *testing.T) {
	tr := New(time.Minute, 2)
	tr.Observe(req("pod_crash", "a", t0, "failed", ""), t0)
	tr.Observe(req("pod_crash", "b", t0, "failed", ""), t0.Add(time.Second))
	tr.Observe(req("pod_crash", "a", t0, "failed", ""), t0.Add(2*time.Second))
	_, _, closed := tr.Observe(req("pod_crash", "c", t0, "failed", ""), t0.Add(3*time.Second))
	require.Len(t, closed, 1)
	assert.Equal(t, "b", closed[0].Target.Pod)
	exp := tr.Expired(t0.Add(62500*time.Millisecond), false)
	require.Len(t, exp, 1, "a idle for over a minute, c not yet")
	assert.Equal(t, "a", exp[0].Target.Pod)
	assert.Equal(t, 1, tr.Open())
	assert.Len(t, tr.Expired(t0, true), 1)
	assert.Zero(t, tr.Open())
}

// The same storm replayed (after a restart) names the same incident.
func TestIDStable(t *testing.T) {
	a, _, _ := New(time.Minute, 10).Observe(req("pod_crash", "a", t0, "failed", ""), t0)
	b, _, _ := New(time.Minute, 10).Observe(req("pod_crash", "a", t0.Add(100*time.Millisecond), "failed", ""), t0.Add(time.Hour))
	assert.Equal(t, a, b)
}

// Ids are stable across releases (a replayed storm keeps its id): these are
// the ids the first implementation gave.
func TestNewIDStable(t *testing.T) {
	assert.Equal(t, "bd453428e3eec6188320329c", newID("pod_crash\x00shop\x00inventory\x00inventory-a\x00", t0))
	assert.Equal(t, "07d00f07b497be9016c807f5", newID("", time.Unix(-5, 0)))
}

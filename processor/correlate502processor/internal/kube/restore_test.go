package kube

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/component"
	corev1 "k8s.io/api/core/v1"

	"github.com/k8s502/otelcol-k8s502/internal/testing/teststorage"
	"github.com/k8s502/otelcol-k8s502/processor/correlate502processor/internal/cluster"
)

// A gateway restarted with its history: the informers' first list lands on
// it without doubling it, and a pod deleted while the gateway was down (no
// delete will ever come for it) is marked deleted when the informers sync.
func TestRestoredHistoryMeetsTheFirstList(t *testing.T) {
	earlier := cluster.NewStore(time.Hour)
	for _, p := range []*corev1.Pod{pod("shop", "checkout-a", "10.1.2.3", true, since), pod("shop", "checkout-b", "10.1.2.4", true, since)} {
		stripped, err := cluster.StripPod(p)
		require.NoError(t, err)
		earlier.Apply(stripped, false, since.Add(time.Minute))
	}
	written := time.Now().Add(-30 * time.Second)
	dir := t.TempDir()
	client, closeStorage := teststorage.Client(t, dir, component.KindProcessor, component.MustNewID("correlate502"), "history")
	defer closeStorage()
	_, err := earlier.SaveHistory(t.Context(), client, written, 0)
	require.NoError(t, err)

	s := cluster.NewStore(time.Hour)
	_, err = s.LoadHistory(t.Context(), client, time.Now(), true)
	require.NoError(t, err)
	before := s.Stats()
	c := newFakeCluster(pod("shop", "checkout-a", "10.1.2.3", true, since)) // checkout-b went in the gap
	started := time.Now()
	w := start(t, c, s)
	defer stop(t, w)
	require.Eventually(t, w.Synced, waitFor, tick)

	a, ok := s.Pod("shop", "checkout-a")
	require.True(t, ok)
	assert.True(t, a.Deleted.IsZero())
	assert.Len(t, a.Ready, 1, "the listed pod's Ready transition is not doubled")
	b, ok := s.Pod("shop", "checkout-b")
	require.True(t, ok)
	require.False(t, b.Deleted.IsZero(), "deleted at the sync")
	assert.False(t, b.Deleted.Before(started))
	held, ok := s.PodByIP("10.1.2.4", written)
	require.True(t, ok, "still known before the restart")
	assert.Equal(t, "checkout-b", held.Pod.Name)
	after := s.Stats()
	assert.Equal(t, before["ready_transitions"], after["ready_transitions"])
	assert.Equal(t, before["ip_spans"], after["ip_spans"])
	assert.Equal(t, 1, after["pods_deleted"])
}

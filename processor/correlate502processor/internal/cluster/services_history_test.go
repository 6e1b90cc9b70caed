package cluster

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"k8s.io/apimachinery/pkg/util/intstr"
)

func targetPortAt(t *testing.T, s *Store, at time.Time) int32 {
	t.Helper()
	svc, ok := s.ServiceAt("shop", "cart", at)
	require.True(t, ok)
	return svc.Spec.Ports[0].TargetPort.IntVal
}

// A Service's targetPort fixed at 60: requests before the fix read the old
// spec, after it the new; a label-only change makes no version; a restarted
// store keeps the versions, and the relist after a change made while it was
// down dates the new version at the sync.
func TestServiceVersions(t *testing.T) {
	mk := func(target int32, label string) any {
		p := port("http", 80)
		p.TargetPort = intstr.FromInt32(target)
		o := mkService("shop", "cart", map[string]string{"app": "cart"}, p)
		o.Labels = map[string]string{"rev": label}
		return o
	}
	s := NewStore(time.Hour)
	s.Apply(mk(8080, "a"), false, at(0))
	s.Apply(mk(8080, "b"), false, at(30)) // labels only
	s.Apply(mk(3000, "b"), false, at(60))
	assert.Equal(t, int32(8080), targetPortAt(t, s, at(-10)), "before the first version: the earliest known")
	assert.Equal(t, int32(8080), targetPortAt(t, s, at(59)))
	assert.Equal(t, int32(3000), targetPortAt(t, s, at(60)))
	assert.Len(t, s.svcHistory[nsName{"shop", "cart"}], 2, "a label change is no new version")
	cur, _ := s.Service("shop", "cart")
	assert.Equal(t, "b", cur.Labels["rev"])

	// Persisted and restored, then a change while the gateway was down.
	dir := t.TempDir()
	c, closeStorage := historyClient(t, dir)
	defer closeStorage()
	_, err := s.SaveHistory(t.Context(), c, at(70), 0)
	require.NoError(t, err)
	r := NewStore(time.Hour)
	_, err = r.LoadHistory(t.Context(), c, at(100), true)
	require.NoError(t, err)
	assert.Equal(t, int32(8080), targetPortAt(t, r, at(59)), "restored versions")
	assert.Equal(t, int32(3000), targetPortAt(t, r, at(65)))
	r.Apply(mk(9090, "c"), false, at(100)) // the relist at the sync
	assert.Equal(t, int32(3000), targetPortAt(t, r, at(99)), "before the sync: the version the gateway last saw")
	assert.Equal(t, int32(9090), targetPortAt(t, r, at(100)))

	// Pruned: a version replaced before the cutoff goes, the one in force then stays.
	s.Prune(at(65).Add(time.Hour))
	assert.Len(t, s.svcHistory[nsName{"shop", "cart"}], 1)
	assert.Equal(t, int32(3000), targetPortAt(t, s, at(59)), "only the version in force at the cutoff is left")
}

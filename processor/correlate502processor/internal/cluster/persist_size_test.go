package cluster

import (
	"encoding/json"
	"fmt"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// largeHistory is a store of n realistic pods (replicas of n/100
// ReplicaSets behind as many Services) with ten minutes of history: each pod
// went NotReady and Ready again after a termination, has two events, and
// its endpoint changed state twice; each ReplicaSet has three points.
func largeHistory(t testing.TB, n int) *Store {
	tmpl := realisticPodJSON(t)
	s := NewStore(10 * time.Minute)
	s.StartWatching(at(0))
	groups := max(n/100, 1)
	slices := make([]*discoveryv1.EndpointSlice, groups)
	for g := range slices {
		svc := "inventory-" + strconv.Itoa(g)
		slices[g] = mkSlice("shop", svc+"-abcde", svc)
		s.Apply(mkService("shop", svc, map[string]string{"app": svc}, port("http", 8080)), false, at(0))
	}
	for i := range n {
		p := decodePod(t, tmpl, i, i%groups)
		s.Apply(Strip(p), false, at(i%600))
		for j, ready := range []bool{false, true} {
			q := p.DeepCopy()
			for k := range q.Status.Conditions {
				if c := &q.Status.Conditions[k]; c.Type == corev1.PodReady {
					c.Status = map[bool]corev1.ConditionStatus{true: corev1.ConditionTrue, false: corev1.ConditionFalse}[ready]
					c.LastTransitionTime = metav1.NewTime(at(i%600 + 10*(j+1)))
				}
			}
			s.Apply(Strip(q), false, at(i%600+10*(j+1)))
		}
		for j := range 2 {
			s.AddEvent(Event{
				Time: at(i%600 + j), FirstTime: at(i%600 - 30), Namespace: "shop", Kind: "Pod", Name: p.Name,
				Type: "Warning", Reason: "Unhealthy", Message: "Readiness probe failed: HTTP probe failed with statuscode: 503",
				Count: 3, Key: fmt.Sprintf("shop/%s.%d", p.Name, j),
			})
		}
		g := i % groups
		slices[g].Endpoints = append(slices[g].Endpoints, mkSlice("", "", "", epOpt{ip: podIP(i), ready: true, serving: true, pod: p.Name}).Endpoints...)
	}
	for step := range 3 {
		for g, es := range slices {
			es = es.DeepCopy()
			for k := range es.Endpoints {
				ready := step != 1 || k%10 == 0
				es.Endpoints[k].Conditions.Ready = &ready
			}
			s.Apply(es, false, at(300+step*60+g))
			rs := histReplicaSet("shop", "inventory-"+strconv.Itoa(g)+"-6c7b9d5f4", "inventory-"+strconv.Itoa(g), 100, int32(100-step))
			s.Apply(rs, false, at(300+step*60+g))
		}
	}
	return s
}

// TestHistorySize measures what 1,000 pods with history cost in storage
// and time, and bounds the size.
func TestHistorySize(t *testing.T) {
	const n = 1000
	s := largeHistory(t, n)
	st := s.Stats()
	require.Equal(t, n, st["pods"])
	dir := t.TempDir()
	c, closeStorage := historyClient(t, dir)
	defer closeStorage()

	start := time.Now()
	s.copyHistory(at(600))
	copied := time.Since(start)
	start = time.Now()
	size, err := s.SaveHistory(t.Context(), c, at(600), 0)
	require.NoError(t, err)
	saved := time.Since(start)
	js, err := json.Marshal(s.copyHistory(at(600)))
	require.NoError(t, err)

	r := NewStore(10 * time.Minute)
	start = time.Now()
	_, err = r.LoadHistory(t.Context(), c, at(600), true)
	require.NoError(t, err)
	loaded := time.Since(start)
	assert.Equal(t, st, r.Stats())
	t.Logf("%d pods, %d ready transitions, %d endpoint states, %d events: %d bytes stored (%d per pod; JSON %d bytes); copy under the lock %v, save %v, load %v",
		n, st["ready_transitions"], st["endpoint_states"], st["events"], size, size/n, len(js), copied, saved, loaded)
	assert.Less(t, size, 1<<20, "1,000 pods with history fit in 1 MiB")
}

// BenchmarkHistory times the parts of a write of 1,000 pods with history
// (the copy is the only part under the store's lock) and of a restore.
func BenchmarkHistory(b *testing.B) {
	s := largeHistory(b, 1000)
	h := s.copyHistory(at(600))
	raw, err := encodeHistory(h)
	require.NoError(b, err)
	b.Run("copy", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			s.copyHistory(at(600))
		}
	})
	b.Run("encode", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := encodeHistory(h); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("decode", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := decodeHistory(raw); err != nil {
				b.Fatal(err)
			}
		}
	})
}

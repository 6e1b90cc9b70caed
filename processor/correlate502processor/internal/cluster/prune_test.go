package cluster

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// fill builds a store whose history spans -700s..+100s around t0.
func fill() *Store {
	s := NewStore(10 * time.Minute)
	// gone: deleted at 0. stays: flapped readiness long ago, still exists.
	s.UpsertPod(mkPod("shop", "gone", "10.0.0.1"), at(-700))
	s.DeletePod(mkPod("shop", "gone", "10.0.0.1"), at(0))
	s.UpsertPod(mkPod("shop", "stays", "10.0.0.2", withReady(false, at(-700))), at(-700))
	s.UpsertPod(mkPod("shop", "stays", "10.0.0.2", withReady(true, at(-650)), withLastTerminated("Error", 1, 1, at(-660))), at(-650))
	s.UpsertPod(mkPod("shop", "stays", "10.0.0.2", withReady(false, at(50)), withLastTerminated("Error", 1, 1, at(-660))), at(50))
	s.AddCoreEvent(coreEvent("stays.old", "BackOff", 1, at(-700), at(-690)))
	s.AddCoreEvent(coreEvent("stays.new", "Unhealthy", 1, at(40), at(60)))
	s.AddTermination(Termination{Namespace: "shop", Pod: "stays", Container: "app", Seen: at(90), RestartCount: 2})
	ready := func(ip string) epOpt { return epOpt{ip: ip, ready: true, serving: true} }
	s.UpsertEndpointSlice(mkSlice("shop", "web-1", "web", ready("10.0.0.1"), ready("10.0.0.2")), at(-700))
	s.UpsertEndpointSlice(mkSlice("shop", "web-1", "web", ready("10.0.0.2")), at(0))
	s.UpsertEndpointSlice(mkSlice("shop", "web-1", "web", epOpt{ip: "10.0.0.2"}), at(50))
	s.UpsertReplicaSet(mkRS("old-rs", "web", at(-800), 1, 1, 1), at(-700))
	s.DeleteReplicaSet(mkRS("old-rs", "web", at(-800), 1, 1, 1), at(-650))
	s.UpsertReplicaSet(mkRS("live-rs", "web", at(-800), 1, 1, 1), at(-700))
	s.UpsertReplicaSet(mkRS("live-rs", "web", at(-800), 2, 2, 2), at(-620))
	return s
}

func TestPrune(t *testing.T) {
	tests := []struct {
		name       string
		now        time.Time
		goneKept   bool
		readyCount int
		events     int
		terms      int
		epStates   int
		rsPoints   int
	}{
		{"nothing old enough", at(-100), true, 3, 2, 2, 4, 4},
		{"cutoff just before the delete", at(599), true, 2, 1, 1, 4, 1},
		{"cutoff after the delete", at(601), false, 2, 1, 1, 2, 1},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := fill()
			s.Prune(tc.now)
			_, ok := s.Pod("shop", "gone")
			assert.Equal(t, tc.goneKept, ok)
			_, ok = s.PodByIP("10.0.0.1", at(-10))
			assert.Equal(t, tc.goneKept, ok, "deleted pods resolve by IP until pruned")

			st := s.Stats()
			assert.Equal(t, tc.readyCount, st["ready_transitions"])
			assert.Equal(t, tc.events, st["events"])
			assert.Equal(t, tc.terms, st["terminations"])
			assert.Equal(t, tc.epStates, st["endpoint_states"])
			assert.Equal(t, tc.rsPoints, st["replicaset_points"])

			// What exists is kept and still answers at the cutoff.
			p, ok := s.Pod("shop", "stays")
			require.True(t, ok)
			assert.True(t, p.Deleted.IsZero())
			ready, known := s.ReadyAt("shop", "stays", at(10))
			assert.True(t, known)
			assert.True(t, ready)
			_, ok = s.PodByIP("10.0.0.2", at(10))
			assert.True(t, ok)
			assert.Equal(t, []string{"10.0.0.2:RS"}, epSummary(s.Endpoints("shop", "web", at(10))))
			assert.Equal(t, int32(2), s.ReplicaSetHistory("shop", "live-rs", at(10), at(10))[0].Desired)
		})
	}
}

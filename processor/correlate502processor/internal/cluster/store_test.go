package cluster

import (
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
)

// TestConcurrentUse runs writers and readers together; run it with -race.
func TestConcurrentUse(t *testing.T) {
	s := NewStore(time.Minute)
	var wg sync.WaitGroup
	const rounds = 300
	wg.Add(4)
	go func() { // pods come and go, flapping readiness
		defer wg.Done()
		for i := range rounds {
			name, ip, uid := "web-"+strconv.Itoa(i%20), "10.0.0."+strconv.Itoa(i%20), withUID(strconv.Itoa(i/7))
			s.UpsertPod(mkPod("shop", name, ip, uid, withReady(i%2 == 0, at(i)), withLastTerminated("Error", 1, int32(i), at(i))), at(i))
			if i%7 == 6 {
				s.DeletePod(mkPod("shop", name, ip, uid), at(i))
			}
		}
	}()
	go func() { // events, terminations, endpoints, pruning
		defer wg.Done()
		for i := range rounds {
			s.AddCoreEvent(coreEvent("web-1."+strconv.Itoa(i%50), "Unhealthy", int32(i), at(i-5), at(i)))
			s.AddTermination(Termination{Namespace: "shop", Pod: "web-1", Container: "app", RestartCount: int32(i), Seen: at(i)})
			s.UpsertEndpointSlice(mkSlice("shop", "web-x", "web", epOpt{ip: "10.0.0." + strconv.Itoa(i%20), ready: i%3 == 0}), at(i))
			s.UpsertService(mkService("shop", "web", nil, port("http", int32(8000+i%3))), at(i))
			s.UpsertReplicaSet(mkRS("web-1", "web", at(0), int32(i%3), 1, 1), at(i))
			if i%50 == 0 {
				s.Prune(at(i))
			}
		}
	}()
	for range 2 {
		go func() { // diagnoses
			defer wg.Done()
			for i := range rounds {
				if p, ok := s.PodByIP("10.0.0."+strconv.Itoa(i%20), at(i)); ok {
					_ = p.Pod.Name
					_ = s.Workload(p.Pod)
					for range p.Ready {
					}
				}
				s.ReadyAt("shop", "web-1", at(i))
				s.Events("shop", "Pod", "web-1", at(0), at(i))
				s.Terminations("shop", "web-1", at(0), at(i))
				s.Endpoints("shop", "web", at(i))
				s.ServicesInNamespace("shop")
				s.PodsForSelector("shop", map[string]string{"app": "web"})
				s.ReplicaSetHistory("shop", "web-1", at(0), at(i))
				s.Stats()
			}
		}()
	}
	wg.Wait()
	assert.NotZero(t, s.Stats()["pods"])
}

func TestStatsKeys(t *testing.T) {
	s := NewStore(time.Hour)
	want := []string{"pods", "pods_deleted", "ready_transitions", "ip_spans", "terminations", "services",
		"endpointslices", "endpoint_states", "deployments", "replicasets",
		"replicaset_points", "networkpolicies", "namespaces", "events"}
	st := s.Stats()
	assert.Len(t, st, len(want))
	for _, k := range want {
		assert.Contains(t, st, k)
		assert.Zero(t, st[k])
	}
	assert.Equal(t, time.Hour, s.Lookback())
}

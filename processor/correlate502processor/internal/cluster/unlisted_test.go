package cluster

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// The informers' first list after a restore lands on the restored history:
// what did not change adds nothing (no doubled Ready transition,
// termination, IP span, event or ReplicaSet point), what changed in the gap
// is recorded once, dated by the object where it says when (a Ready
// condition's lastTransitionTime), and what the list did not show is
// deleted at the sync.
func TestHistoryRelistDoesNotDouble(t *testing.T) {
	orig := historyScene()
	orig.StopWatching(at(60))
	r, _ := persistAndRestore(t, orig, at(60), at(61), true)
	before := r.Stats()

	web := map[string]string{"app": "web", "pod-template-hash": "7d9"}
	webPod := func(name, ip string, opts ...podOpt) *corev1.Pod {
		opts = append([]podOpt{withLabels(web), withOwner("ReplicaSet", "web-7d9"), histWithPort(8080)}, opts...)
		return mkPod("shop", name, ip, opts...)
	}
	ev := &corev1.Event{
		ObjectMeta:     metav1.ObjectMeta{Namespace: "shop", Name: "web-a.1"},
		InvolvedObject: corev1.ObjectReference{Kind: "Pod", Namespace: "shop", Name: "web-a"},
		Reason:         "Unhealthy", Message: "Readiness probe failed", Type: "Warning", Count: 3,
		FirstTimestamp: metav1.NewTime(at(5)), LastTimestamp: metav1.NewTime(at(9)),
	}
	slice := mkSlice("shop", "web-x", "web", epOpt{ip: "10.0.0.1", ready: true, serving: true, pod: "web-a"})
	slice.Ports = []discoveryv1.EndpointPort{{Port: histPtr(int32(8080))}}
	// The list, as the informers deliver it at the sync (at 200): web-a
	// went NotReady at 150 while the gateway was down; web-c, Service db,
	// its slice, ReplicaSet web-7d9 and the NetworkPolicy are gone.
	list := []any{
		webPod("web-a", "10.0.0.1", withReady(false, at(150)), withLastTerminated("OOMKilled", 137, 1, at(8))),
		mkPod("shop", "db-0", "10.0.0.6", withUID("db-0-2"), withOwner("StatefulSet", "db"), withCreated(at(45)), withReady(true, at(47))),
		mkPod("monitoring", "node-exporter-x", "192.168.0.10", withHostNetwork(), withOwner("DaemonSet", "node-exporter")),
		ev,
		mkService("shop", "web", web, port("http", 80)),
		slice,
		histDeployment("shop", "web", web),
		&corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "shop", Labels: map[string]string{"team": "shop"}}},
	}
	for _, o := range list {
		require.True(t, r.Apply(Strip(o), false, at(200)))
	}
	after := r.Stats()
	assert.Equal(t, before["ready_transitions"]+1, after["ready_transitions"], "only web-a's change in the gap")
	for _, k := range []string{"terminations", "ip_spans", "events", "replicaset_points", "pods", "pods_deleted"} {
		assert.Equal(t, before[k], after[k], k)
	}
	assert.Equal(t, before["endpoint_states"]+1, after["endpoint_states"], "web-c left web-x")
	ready, _ := r.ReadyAt("shop", "web-a", at(149))
	assert.True(t, ready)
	ready, _ = r.ReadyAt("shop", "web-a", at(150))
	assert.False(t, ready, "dated by lastTransitionTime, not by the sync")
	assert.Len(t, r.Terminations("shop", "web-a", at(0), at(300)), 1)

	gone := r.ForgetUnlisted(at(200))
	assert.Equal(t, map[string]int{"Pod": 1, "Service": 1, "EndpointSlice": 1, "ReplicaSet": 1, "NetworkPolicy": 1}, gone)
	p, ok := r.Pod("shop", "web-c")
	require.True(t, ok)
	assert.True(t, p.Deleted.Equal(at(200)))
	held, ok := r.PodByIP("10.0.0.2", at(199))
	require.True(t, ok)
	assert.Equal(t, "web-c", held.Pod.Name, "web-c held its IP until the sync, as far as the gateway knows")
	_, ok = r.PodByIP("10.0.0.2", at(200))
	assert.False(t, ok)
	assert.Len(t, r.Endpoints("shop", "db", at(199)), 1)
	assert.Empty(t, r.Endpoints("shop", "db", at(200)))
	h := r.ReplicaSetHistory("shop", "web-7d9", at(199), at(200))
	require.NotEmpty(t, h)
	assert.Equal(t, ReplicaSetPoint{At: at(200)}, h[len(h)-1])
	assert.Empty(t, r.NetworkPolicies("shop"))
	_, ok = r.Service("shop", "db")
	assert.False(t, ok)
	assert.Len(t, r.ServicesInNamespace("shop"), 1, "only web is left")
	_, ok = r.Service("shop", "web")
	assert.True(t, ok, "listed")
	_, ok = r.Namespace("shop")
	assert.True(t, ok, "listed")
	p, _ = r.Pod("shop", "web-a")
	assert.True(t, p.Deleted.IsZero(), "listed")

	assert.Empty(t, r.ForgetUnlisted(at(300)), "once")
}

// Without informers (relist false) nothing is remembered and nothing is
// deleted: the pipelines alone never list the cluster.
func TestHistoryWithoutRelistKeepsObjects(t *testing.T) {
	r, _ := persistAndRestore(t, historyScene(), at(60), at(61), false)
	assert.Empty(t, r.ForgetUnlisted(at(200)))
	p, ok := r.Pod("shop", "web-c")
	require.True(t, ok)
	assert.True(t, p.Deleted.IsZero())
}

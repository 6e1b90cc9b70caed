package cluster

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

func mkRS(name, deployment string, created time.Time, desired, current, ready int32) *appsv1.ReplicaSet {
	rs := &appsv1.ReplicaSet{
		ObjectMeta: metav1.ObjectMeta{Namespace: "shop", Name: name, CreationTimestamp: metav1.NewTime(created)},
		Spec:       appsv1.ReplicaSetSpec{Replicas: &desired},
		Status:     appsv1.ReplicaSetStatus{Replicas: current, ReadyReplicas: ready, AvailableReplicas: ready},
	}
	if deployment != "" {
		yes := true
		rs.OwnerReferences = []metav1.OwnerReference{{Kind: "Deployment", Name: deployment, Controller: &yes}}
	}
	return rs
}

func TestWorkload(t *testing.T) {
	s := NewStore(time.Hour)
	s.UpsertReplicaSet(mkRS("orders-59f8b7d6c4", "orders", at(0), 1, 1, 0), at(0))
	s.UpsertReplicaSet(mkRS("standalone-1", "", at(0), 1, 1, 1), at(0))
	hash := func(h string) podOpt {
		return func(p *corev1.Pod) { p.Labels = map[string]string{"pod-template-hash": h} }
	}
	tests := []struct {
		name string
		pod  *corev1.Pod
		want Workload
	}{
		{"via known ReplicaSet", mkPod("shop", "orders-59f8b7d6c4-w7r2k", "", withOwner("ReplicaSet", "orders-59f8b7d6c4")), Workload{"Deployment", "orders"}},
		{"unknown ReplicaSet, template hash", mkPod("shop", "cart-5d8f7c9b6-9hm4t", "", withOwner("ReplicaSet", "cart-5d8f7c9b6"), hash("5d8f7c9b6")), Workload{"Deployment", "cart"}},
		{"unknown ReplicaSet, no hash", mkPod("shop", "x-1", "", withOwner("ReplicaSet", "x")), Workload{"ReplicaSet", "x"}},
		{"ReplicaSet without owner", mkPod("shop", "standalone-1-abc", "", withOwner("ReplicaSet", "standalone-1")), Workload{"ReplicaSet", "standalone-1"}},
		{"StatefulSet", mkPod("shop", "db-0", "", withOwner("StatefulSet", "db")), Workload{"StatefulSet", "db"}},
		{"bare pod", mkPod("shop", "debug", ""), Workload{}},
		{"nil", nil, Workload{}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			assert.Equal(t, tc.want, s.Workload(tc.pod))
		})
	}
}

func TestDeploymentsAndReplicaSets(t *testing.T) {
	s := NewStore(time.Hour)
	replicas := int32(2)
	d := &appsv1.Deployment{ObjectMeta: metav1.ObjectMeta{Namespace: "shop", Name: "orders"}, Spec: appsv1.DeploymentSpec{Replicas: &replicas}}
	s.UpsertDeployment(d, at(0))
	got, ok := s.Deployment("shop", "orders")
	require.True(t, ok)
	assert.Same(t, d, got)

	// A rollout with maxSurge 0: old goes 2 → 1, new 0 → 1 and turns ready.
	s.UpsertReplicaSet(mkRS("orders-old", "orders", t0.Add(-24*time.Hour), 2, 2, 2), time.Time{})
	s.UpsertReplicaSet(mkRS("orders-old", "orders", t0.Add(-24*time.Hour), 1, 2, 2), at(44))
	s.UpsertReplicaSet(mkRS("orders-old", "orders", t0.Add(-24*time.Hour), 1, 1, 1), at(46))
	s.UpsertReplicaSet(mkRS("orders-new", "orders", at(44), 1, 0, 0), at(44))
	s.UpsertReplicaSet(mkRS("orders-new", "orders", at(44), 1, 1, 0), at(46))
	s.UpsertReplicaSet(mkRS("orders-new", "orders", at(44), 1, 1, 0), at(50)) // resync: no point
	s.UpsertReplicaSet(mkRS("orders-new", "orders", at(44), 1, 1, 1), at(80))
	s.UpsertReplicaSet(mkRS("cart-1", "cart", at(0), 1, 1, 1), at(0))

	var rsNames []string
	for _, rs := range s.ReplicaSets("shop", "orders") {
		rsNames = append(rsNames, rs.Name)
	}
	assert.Equal(t, []string{"orders-old", "orders-new"}, rsNames, "oldest first")

	assert.Equal(t, []ReplicaSetPoint{
		{At: at(44), Desired: 1, Current: 0},
		{At: at(46), Desired: 1, Current: 1},
		{At: at(80), Desired: 1, Current: 1, Ready: 1, Available: 1},
	}, s.ReplicaSetHistory("shop", "orders-new", at(0), at(100)))
	assert.Equal(t, []ReplicaSetPoint{
		{At: time.Time{}, Desired: 2, Current: 2, Ready: 2, Available: 2},
		{At: at(44), Desired: 1, Current: 2, Ready: 2, Available: 2},
	}, s.ReplicaSetHistory("shop", "orders-old", at(0), at(45)), "the state at from comes first")
	assert.Equal(t, []ReplicaSetPoint{{At: at(46), Desired: 1, Current: 1}},
		s.ReplicaSetHistory("shop", "orders-new", at(60), at(70)))

	s.DeleteReplicaSet(mkRS("orders-old", "orders", t0, 0, 0, 0), at(300))
	assert.Equal(t, []string{"orders-new"}, func() (out []string) {
		for _, rs := range s.ReplicaSets("shop", "orders") {
			out = append(out, rs.Name)
		}
		return out
	}())
	h := s.ReplicaSetHistory("shop", "orders-old", at(290), at(400))
	assert.Equal(t, ReplicaSetPoint{At: at(300)}, h[len(h)-1], "deleted: zero replicas")

	s.DeleteDeployment(d, at(400))
	_, ok = s.Deployment("shop", "orders")
	assert.False(t, ok)
}

// ReplicaSets keeps its lists between calls: a ReplicaSet added, changed
// or deleted since must show in the next one.
func TestReplicaSetsAfterChange(t *testing.T) {
	s := NewStore(time.Hour)
	names := func() (out []string) {
		for _, rs := range s.ReplicaSets("shop", "orders") {
			out = append(out, rs.Name)
		}
		return out
	}
	assert.Empty(t, names())
	s.UpsertReplicaSet(mkRS("orders-b", "orders", at(10), 1, 1, 1), at(10))
	assert.Equal(t, []string{"orders-b"}, names())
	s.UpsertReplicaSet(mkRS("orders-a", "orders", at(5), 1, 1, 1), at(20))
	assert.Equal(t, []string{"orders-a", "orders-b"}, names())
	s.UpsertReplicaSet(mkRS("orders-a", "cart", at(5), 1, 1, 1), at(30)) // now owned by another Deployment
	assert.Equal(t, []string{"orders-b"}, names())
	s.DeleteReplicaSet(mkRS("orders-b", "orders", at(10), 0, 0, 0), at(40))
	assert.Empty(t, names())
}

func TestNetworkPoliciesAndNamespaces(t *testing.T) {
	s := NewStore(time.Hour)
	np := func(ns, name string) *networkingv1.NetworkPolicy {
		return &networkingv1.NetworkPolicy{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name}}
	}
	s.UpsertNetworkPolicy(np("shop", "z-deny"), at(0))
	s.UpsertNetworkPolicy(np("shop", "a-allow"), at(0))
	s.UpsertNetworkPolicy(np("finance", "deny"), at(0))
	var got []string
	for _, p := range s.NetworkPolicies("shop") {
		got = append(got, p.Name)
	}
	assert.Equal(t, []string{"a-allow", "z-deny"}, got)
	s.DeleteNetworkPolicy(np("shop", "z-deny"), at(1))
	assert.Len(t, s.NetworkPolicies("shop"), 1)
	assert.Empty(t, s.NetworkPolicies("nope"))

	s.UpsertNamespace(&corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "shop", Labels: map[string]string{"team": "commerce"}}}, at(0))
	ns, ok := s.Namespace("shop")
	require.True(t, ok)
	assert.Equal(t, "commerce", ns.Labels["team"])
	s.DeleteNamespace(ns, at(1))
	_, ok = s.Namespace("shop")
	assert.False(t, ok)
}

package cluster

import (
	"maps"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/extension/xextension/storage"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	networkingv1 "k8s.io/api/networking/v1"
	"k8s.io/apimachinery/pkg/api/equality"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/conversion"
	"k8s.io/apimachinery/pkg/types"

	"github.com/k8s502/otelcol-k8s502/internal/testing/teststorage"
)

// sameAnswer compares answers semantically: API objects as
// equality.Semantic does, and times by instant (a restored time has lost
// its monotonic reading and may be in another zone).
var sameAnswer = func() conversion.Equalities {
	eq := conversion.Equalities{Equalities: maps.Clone(equality.Semantic.Equalities)}
	if err := eq.AddFunc(func(a, b time.Time) bool { return a.Equal(b) }); err != nil {
		panic(err)
	}
	return eq
}()

// historyClient opens the processor's history client on a real
// file_storage in dir.
func historyClient(t *testing.T, dir string) (storage.Client, func()) {
	t.Helper()
	return teststorage.Client(t, dir, component.KindProcessor, component.MustNewID("correlate502"), "history")
}

// The history scene, namespace shop, from t0 to at(60):
//   - web-a (10.0.0.1) turns NotReady at 9 after an OOMKill at 8 (a restart
//     metric reports it too), Ready again at 19;
//   - web-b (10.0.0.2) is deleted at 30; web-c takes its IP at 35, Ready at 40;
//   - StatefulSet pod db-0 (10.0.0.5) is recreated at 45 as 10.0.0.6: the
//     first incarnation is reachable only by its IP;
//   - a host-network pod; events on web-a, db-0 and the Deployment;
//   - Service web's slice follows the pods; a second slice is deleted at 50;
//   - ReplicaSet web-7d9 drops to 1 ready at 10 and back at 20; web-6c5 is
//     deleted at 15; a NetworkPolicy and the Namespace;
//   - the store watched from 1.
func historyScene() *Store {
	s := NewStore(time.Hour)
	s.StartWatching(at(1))
	web := map[string]string{"app": "web", "pod-template-hash": "7d9"}
	webPod := func(name, ip string, opts ...podOpt) *corev1.Pod {
		opts = append([]podOpt{withLabels(web), withOwner("ReplicaSet", "web-7d9"), histWithPort(8080)}, opts...)
		return mkPod("shop", name, ip, opts...)
	}
	s.Apply(webPod("web-a", "10.0.0.1", withReady(true, t0.Add(-time.Hour))), false, at(0))
	s.Apply(webPod("web-b", "10.0.0.2", withReady(true, t0.Add(-time.Hour))), false, at(0))
	s.Apply(mkPod("shop", "db-0", "10.0.0.5", withUID("db-0-1"), withOwner("StatefulSet", "db"), withReady(true, t0.Add(-time.Hour))), false, at(0))
	s.Apply(mkPod("monitoring", "node-exporter-x", "192.168.0.10", withHostNetwork(), withOwner("DaemonSet", "node-exporter")), false, at(0))

	s.Apply(webPod("web-a", "10.0.0.1", withReady(false, at(9)), withLastTerminated("OOMKilled", 137, 1, at(8))), false, at(10))
	s.AddTermination(Termination{Namespace: "shop", Pod: "web-a", Container: "app", Reason: "OOMKilled", Seen: at(12), RestartCount: 1})
	s.AddTermination(Termination{Namespace: "shop", Pod: "db-0", Container: "app", Reason: "Error", Seen: at(25), RestartCount: 3})
	s.Apply(webPod("web-a", "10.0.0.1", withReady(true, at(19)), withLastTerminated("OOMKilled", 137, 1, at(8))), false, at(20))
	s.Apply(webPod("web-b", "10.0.0.2", withReady(true, t0.Add(-time.Hour))), true, at(30))
	s.Apply(webPod("web-c", "10.0.0.2", withUID("web-c"), withCreated(at(35)), withReady(false, at(35))), false, at(36))
	s.Apply(webPod("web-c", "10.0.0.2", withUID("web-c"), withCreated(at(35)), withReady(true, at(40))), false, at(40))
	s.Apply(mkPod("shop", "db-0", "10.0.0.6", withUID("db-0-2"), withOwner("StatefulSet", "db"), withCreated(at(45)), withReady(true, at(47))), false, at(46))

	s.AddEvent(Event{Time: at(9), FirstTime: at(5), Namespace: "shop", Kind: "Pod", Name: "web-a", Type: "Warning", Reason: "Unhealthy", Message: "Readiness probe failed", Count: 3, Key: "shop/web-a.1"})
	s.AddEvent(Event{Time: at(25), Namespace: "shop", Kind: "Pod", Name: "db-0", Type: "Warning", Reason: "BackOff", Message: "Back-off restarting failed container", Count: 1})
	s.AddEvent(Event{Time: at(2), FirstTime: at(2), Namespace: "shop", Kind: "Deployment", Name: "web", Type: "Normal", Reason: "ScalingReplicaSet", Count: 1, Key: "shop/web.2"})

	s.Apply(mkService("shop", "web", web, port("http", 80)), false, at(0))
	s.Apply(mkService("shop", "db", map[string]string{"app": "db"}, port("pg", 5432)), false, at(0))
	webSlice := func(eps ...epOpt) *discoveryv1.EndpointSlice {
		es := mkSlice("shop", "web-x", "web", eps...)
		es.Ports = []discoveryv1.EndpointPort{{Port: histPtr(int32(8080))}}
		return es
	}
	a, b, c := epOpt{ip: "10.0.0.1", ready: true, serving: true, pod: "web-a"}, epOpt{ip: "10.0.0.2", ready: true, serving: true, pod: "web-b"}, epOpt{ip: "10.0.0.2", ready: true, serving: true, pod: "web-c"}
	notReady := epOpt{ip: "10.0.0.1", pod: "web-a"}
	s.Apply(webSlice(a, b), false, at(0))
	s.Apply(webSlice(notReady, b), false, at(10))
	s.Apply(webSlice(a, b), false, at(20))
	s.Apply(webSlice(a), false, at(30))
	s.Apply(webSlice(a, c), false, at(41))
	s.Apply(mkSlice("shop", "web-y", "web", epOpt{ip: "10.0.0.9", ready: true, serving: true}), false, at(0))
	s.Apply(mkSlice("shop", "web-y", "web", epOpt{ip: "10.0.0.9", ready: true, serving: true}), true, at(50))
	s.Apply(mkSlice("shop", "db-abc", "db", epOpt{ip: "10.0.0.5", ready: true, serving: true, pod: "db-0"}), false, at(0))
	s.Apply(mkSlice("shop", "db-abc", "db", epOpt{ip: "10.0.0.6", ready: true, serving: true, pod: "db-0"}), false, at(47))

	s.Apply(histDeployment("shop", "web", web), false, at(0))
	s.Apply(histReplicaSet("shop", "web-7d9", "web", 2, 2), false, at(0))
	s.Apply(histReplicaSet("shop", "web-7d9", "web", 2, 1), false, at(10))
	s.Apply(histReplicaSet("shop", "web-7d9", "web", 2, 2), false, at(20))
	s.Apply(histReplicaSet("shop", "web-6c5", "web", 0, 0), false, at(0))
	s.Apply(histReplicaSet("shop", "web-6c5", "web", 0, 0), true, at(15))
	s.Apply(&networkingv1.NetworkPolicy{ObjectMeta: metav1.ObjectMeta{Namespace: "shop", Name: "deny-all"}, Spec: networkingv1.NetworkPolicySpec{
		PolicyTypes: []networkingv1.PolicyType{networkingv1.PolicyTypeIngress},
	}}, false, at(0))
	s.Apply(&corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "shop", Labels: map[string]string{"team": "shop"}}}, false, at(0))
	return s
}

func histWithPort(p int32) podOpt {
	return func(pod *corev1.Pod) {
		pod.Spec.Containers[0].Ports = []corev1.ContainerPort{{ContainerPort: p}}
	}
}

func histDeployment(ns, name string, labels map[string]string) *appsv1.Deployment {
	return &appsv1.Deployment{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name, UID: types.UID("uid-deploy-" + name), CreationTimestamp: metav1.NewTime(t0.Add(-2 * time.Hour))},
		Spec: appsv1.DeploymentSpec{
			Replicas: histPtr(int32(2)),
			Selector: &metav1.LabelSelector{MatchLabels: map[string]string{"app": labels["app"]}},
			Template: corev1.PodTemplateSpec{ObjectMeta: metav1.ObjectMeta{Labels: labels}},
		},
	}
}

func histReplicaSet(ns, name, deploy string, desired, ready int32) *appsv1.ReplicaSet {
	yes := true
	return &appsv1.ReplicaSet{
		ObjectMeta: metav1.ObjectMeta{
			Namespace: ns, Name: name, CreationTimestamp: metav1.NewTime(t0.Add(-time.Hour)),
			OwnerReferences: []metav1.OwnerReference{{Kind: "Deployment", Name: deploy, Controller: &yes}},
		},
		Spec:   appsv1.ReplicaSetSpec{Replicas: histPtr(desired)},
		Status: appsv1.ReplicaSetStatus{Replicas: desired, ReadyReplicas: ready, AvailableReplicas: ready},
	}
}

func histPtr[T any](v T) *T { return &v }

// persistAndRestore writes s to a real file_storage, stops it, and restores
// it into a new store from the same directory, as a restarted gateway does.
func persistAndRestore(t *testing.T, s *Store, written, restoredAt time.Time, relist bool) (*Store, Restored) {
	t.Helper()
	dir := t.TempDir()
	c, closeStorage := historyClient(t, dir)
	n, err := s.SaveHistory(t.Context(), c, written, 0)
	require.NoError(t, err)
	require.Positive(t, n)
	closeStorage()

	c, closeStorage = historyClient(t, dir)
	defer closeStorage()
	r := NewStore(s.Lookback())
	info, err := r.LoadHistory(t.Context(), c, restoredAt, relist)
	require.NoError(t, err)
	return r, info
}

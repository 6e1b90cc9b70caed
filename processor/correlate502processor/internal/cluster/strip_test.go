package cluster

import (
	"encoding/json"
	"os"
	goruntime "runtime"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	eventsv1 "k8s.io/api/events/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/kubernetes/scheme"
	"k8s.io/client-go/tools/cache"
	"sigs.k8s.io/yaml"
)

// fixtureObjects decodes every item of testdata/snapshot.yaml, unstripped.
func fixtureObjects(t testing.TB) []runtime.Object {
	t.Helper()
	raw, err := os.ReadFile("testdata/snapshot.yaml")
	require.NoError(t, err)
	js, err := yaml.YAMLToJSON(raw)
	require.NoError(t, err)
	var list struct {
		Items []json.RawMessage `json:"items"`
	}
	require.NoError(t, json.Unmarshal(js, &list))
	dec := scheme.Codecs.UniversalDeserializer()
	var out []runtime.Object
	for _, it := range list.Items {
		obj, _, err := dec.Decode(it, nil, nil)
		require.NoError(t, err)
		out = append(out, obj)
	}
	return out
}

// firstOf returns the first fixture object of type T that keep accepts.
func firstOf[T runtime.Object](t testing.TB, keep func(T) bool) T {
	t.Helper()
	for _, o := range fixtureObjects(t) {
		if v, ok := o.(T); ok && keep(v) {
			return v
		}
	}
	var zero T
	t.Fatalf("no %T in the fixture", zero)
	return zero
}

func TestStripPod(t *testing.T) {
	full := firstOf(t, func(p *corev1.Pod) bool { return p.Name == "inventory-6c7b9d5f4-q8m2n" })
	before := full.DeepCopy()
	out, err := StripPod(full)
	require.NoError(t, err)
	p := out.(*corev1.Pod)
	assert.Equal(t, before, full, "the input is not modified")

	assert.Empty(t, p.ManagedFields)
	assert.Empty(t, p.ResourceVersion)
	assert.Empty(t, p.GenerateName)
	assert.Equal(t, full.Name, p.Name)
	assert.Equal(t, full.UID, p.UID)
	assert.Equal(t, full.Labels, p.Labels)
	assert.Equal(t, full.OwnerReferences, p.OwnerReferences)
	assert.Equal(t, full.CreationTimestamp, p.CreationTimestamp)

	assert.Equal(t, "node-b", p.Spec.NodeName)
	assert.Empty(t, p.Spec.Volumes)
	assert.Empty(t, p.Spec.Tolerations)
	require.Len(t, p.Spec.Containers, 1)
	c := p.Spec.Containers[0]
	assert.Empty(t, c.Image)
	assert.Empty(t, c.Env)
	assert.Empty(t, c.VolumeMounts)
	assert.Equal(t, full.Spec.Containers[0].Ports, c.Ports)
	assert.Equal(t, full.Spec.Containers[0].ReadinessProbe, c.ReadinessProbe)
	assert.Equal(t, full.Spec.Containers[0].LivenessProbe, c.LivenessProbe)
	assert.Equal(t, full.Spec.Containers[0].Lifecycle.PreStop, c.Lifecycle.PreStop)
	assert.Equal(t, "256Mi", c.Resources.Limits.Memory().String())

	assert.Equal(t, "10.244.2.15", p.Status.PodIP)
	assert.Len(t, p.Status.Conditions, 5)
	assert.Empty(t, p.Status.HostIP)
	assert.Empty(t, p.Status.QOSClass)
	cs := p.Status.ContainerStatuses[0]
	assert.Empty(t, cs.Image)
	assert.Empty(t, cs.ContainerID)
	assert.Empty(t, cs.VolumeMounts)
	assert.Equal(t, int32(3), cs.RestartCount)
	assert.Equal(t, "OOMKilled", cs.LastTerminationState.Terminated.Reason)
	assert.Empty(t, cs.LastTerminationState.Terminated.ContainerID)
	assert.NotNil(t, cs.State.Running)
}

func TestStripKeepsRevisionAnnotationOnly(t *testing.T) {
	d := firstOf(t, func(d *appsv1.Deployment) bool { return d.Name == "orders" })
	require.Contains(t, d.Annotations, "kubectl.kubernetes.io/last-applied-configuration")
	out, err := StripDeployment(d)
	require.NoError(t, err)
	sd := out.(*appsv1.Deployment)
	assert.Equal(t, map[string]string{"deployment.kubernetes.io/revision": "5"}, sd.Annotations)
	assert.Equal(t, 0, sd.Spec.Strategy.RollingUpdate.MaxSurge.IntValue())
	assert.Equal(t, d.Spec.Template.Labels, sd.Spec.Template.Labels)
	assert.NotNil(t, sd.Spec.Template.Spec.Containers[0].ReadinessProbe)
	assert.Empty(t, sd.Spec.Template.Spec.Containers[0].Image)
	assert.Equal(t, d.Status, sd.Status)

	rs := firstOf(t, func(rs *appsv1.ReplicaSet) bool { return rs.Name == "orders-59f8b7d6c4" })
	out, err = StripReplicaSet(rs)
	require.NoError(t, err)
	srs := out.(*appsv1.ReplicaSet)
	assert.Equal(t, map[string]string{"deployment.kubernetes.io/revision": "5"}, srs.Annotations)
	assert.Equal(t, rs.OwnerReferences, srs.OwnerReferences)
	assert.Empty(t, srs.Spec.Template.Spec.Containers)
}

func TestStripAllKinds(t *testing.T) {
	strips := map[string]func(any) (any, error){
		"Pod": StripPod, "Service": StripService, "EndpointSlice": StripEndpointSlice, "Deployment": StripDeployment,
		"ReplicaSet": StripReplicaSet, "NetworkPolicy": StripNetworkPolicy, "Namespace": StripNamespace, "Event": StripEvent,
	}
	seen := map[string]bool{}
	for _, obj := range fixtureObjects(t) {
		kind := obj.GetObjectKind().GroupVersionKind().Kind
		strip := strips[kind]
		require.NotNil(t, strip, kind)
		seen[kind] = true
		before := obj.DeepCopyObject()
		once, err := strip(obj)
		require.NoError(t, err)
		twice, err := strip(once)
		require.NoError(t, err)
		assert.Equal(t, once, twice, "%s: stripping is idempotent", kind)
		assert.Equal(t, before, obj, "%s: the input is not modified", kind)
		assert.Empty(t, once.(metav1.Object).GetManagedFields(), kind)
		assert.Empty(t, once.(runtime.Object).GetObjectKind().GroupVersionKind().Kind, "%s: type meta dropped", kind)
	}
	assert.Len(t, seen, len(strips), "the fixture has every kind")
}

func TestStripTombstonesAndOtherTypes(t *testing.T) {
	pod := mkPod("shop", "web", "10.0.0.1")
	pod.ManagedFields = append(pod.ManagedFields, metav1.ManagedFieldsEntry{Manager: "kubelet"})

	out, err := StripPod(cache.DeletedFinalStateUnknown{Key: "shop/web", Obj: pod})
	require.NoError(t, err)
	tomb, ok := out.(cache.DeletedFinalStateUnknown)
	require.True(t, ok)
	assert.Equal(t, "shop/web", tomb.Key)
	assert.Empty(t, tomb.Obj.(*corev1.Pod).ManagedFields)

	out, err = StripPod(&cache.DeletedFinalStateUnknown{Key: "shop/web", Obj: pod})
	require.NoError(t, err)
	assert.Empty(t, out.(*cache.DeletedFinalStateUnknown).Obj.(*corev1.Pod).ManagedFields)

	svc := mkService("shop", "web", nil)
	out, err = StripPod(svc)
	require.NoError(t, err)
	assert.Same(t, svc, out, "other types pass through")
	out, err = StripService(cache.DeletedFinalStateUnknown{Key: "k", Obj: "junk"})
	require.NoError(t, err)
	assert.Equal(t, cache.DeletedFinalStateUnknown{Key: "k", Obj: "junk"}, out)
	out, err = StripPod(nil)
	require.NoError(t, err)
	assert.Nil(t, out)

	ev := &eventsv1.Event{Note: strings.Repeat("x", 100)}
	ev.ManagedFields = []metav1.ManagedFieldsEntry{{Manager: "kubelet"}}
	out, err = StripEvent(cache.DeletedFinalStateUnknown{Key: "k", Obj: ev})
	require.NoError(t, err)
	assert.Empty(t, out.(cache.DeletedFinalStateUnknown).Obj.(*eventsv1.Event).ManagedFields)
}

func TestStripTruncatesMessages(t *testing.T) {
	long := strings.Repeat("é", 4000) // 2 bytes each
	p := mkPod("shop", "web", "10.0.0.1", withTerminatedNow("Error", 2, 0, at(0)))
	p.Status.ContainerStatuses[0].State.Terminated.Message = long
	out, _ := StripPod(p)
	msg := out.(*corev1.Pod).Status.ContainerStatuses[0].State.Terminated.Message
	assert.LessOrEqual(t, len(msg), maxMessage)
	assert.Greater(t, len(msg), maxMessage-4)
	assert.True(t, utf8.ValidString(msg))
	assert.Len(t, p.Status.ContainerStatuses[0].State.Terminated.Message, len(long), "input untouched")

	out, _ = StripEvent(&corev1.Event{Message: long})
	assert.LessOrEqual(t, len(out.(*corev1.Event).Message), maxMessage)
}

func TestStripSharesReplicaContainers(t *testing.T) {
	replica := func(name, owner, hash, memory string) *corev1.Pod {
		yes := true
		p := mkPod("shop", name, "", withLabels(map[string]string{"app": "web", "pod-template-hash": hash}))
		if owner != "" {
			p.OwnerReferences = []metav1.OwnerReference{{Kind: "ReplicaSet", Name: "web-" + hash, UID: types.UID(owner), Controller: &yes}}
		}
		p.Spec.Containers[0].Resources.Limits = corev1.ResourceList{corev1.ResourceMemory: resource.MustParse(memory)}
		p.Spec.Containers[0].Image = "registry.example.com/web:" + name // dropped by stripping
		return p
	}
	strip := func(p *corev1.Pod) *corev1.Container {
		out, err := StripPod(p)
		require.NoError(t, err)
		return &out.(*corev1.Pod).Spec.Containers[0]
	}
	a := strip(replica("web-1", "rs-uid-1", "abc", "256Mi"))
	tests := []struct {
		name   string
		pod    *corev1.Pod
		shared bool
	}{
		{"another replica", replica("web-2", "rs-uid-1", "abc", "256Mi"), true},
		{"a replica the autoscaler resized", replica("web-3", "rs-uid-1", "abc", "512Mi"), false},
		{"another ReplicaSet", replica("web-4", "rs-uid-2", "abc", "256Mi"), false},
		{"a pod without controller", replica("web-5", "", "abc", "256Mi"), false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			b := strip(tc.pod)
			assert.Equal(t, tc.shared, a == b)
			assert.Equal(t, tc.pod.Spec.Containers[0].Resources.Limits, b.Resources.Limits)
		})
	}
	goruntime.KeepAlive(a)
}

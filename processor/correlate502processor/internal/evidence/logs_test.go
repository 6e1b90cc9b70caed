package evidence

import (
	"testing"
	"time"

	"github.com/open-telemetry/opentelemetry-collector-contrib/pkg/pdatatest/plogtest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/pdata/plog"
	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	eventsv1 "k8s.io/api/events/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/k8s502/otelcol-k8s502/internal/schema"
	"github.com/k8s502/otelcol-k8s502/processor/correlate502processor/internal/cluster"
)

// fromLogs runs FromLogs and checks it left ld as it was.
func fromLogs(t *testing.T, ld plog.Logs, s *cluster.Store) map[string]int {
	t.Helper()
	before := plog.NewLogs()
	ld.CopyTo(before)
	counts := FromLogs(ld, s)
	require.NoError(t, plogtest.CompareLogs(before, ld), "FromLogs must not change the records")
	return counts
}

func TestWatchPodLifecycle(t *testing.T) {
	s := cluster.NewStore(time.Hour)
	const name, ip = "checkout-7d9f8b6c5d-abcde", "10.1.2.3"

	ld := plog.NewLogs()
	appendWatch(t, ld, "pods", "ADDED", fullPod(name, ip, true, at(-3500)), at(0))
	assert.Equal(t, map[string]int{"Pod": 1}, fromLogs(t, ld, s))

	info, ok := s.Pod("shop", name)
	require.True(t, ok)
	p := info.Pod
	assert.Empty(t, p.ManagedFields, "stripped")
	assert.Empty(t, p.Annotations, "stripped")
	assert.Empty(t, p.Spec.Volumes, "stripped")
	assert.Empty(t, p.Spec.Containers[0].Env, "stripped")
	assert.Empty(t, p.Status.ContainerStatuses[0].ImageID, "stripped")
	assert.Equal(t, "node-a", p.Spec.NodeName)
	assert.Equal(t, "256Mi", p.Spec.Containers[0].Resources.Limits.Memory().String())
	assert.Equal(t, "http", p.Spec.Containers[0].ReadinessProbe.HTTPGet.Port.StrVal)
	assert.Equal(t, "ReplicaSet", p.OwnerReferences[0].Kind)

	byIP, ok := s.PodByIP(ip, at(-10))
	require.True(t, ok)
	assert.Equal(t, name, byIP.Pod.Name)

	// The readiness probe starts failing: the kubelet flips Ready.
	ld = plog.NewLogs()
	appendWatch(t, ld, "pods", "MODIFIED", fullPod(name, ip, false, at(30)), at(31))
	assert.Equal(t, map[string]int{"Pod": 1}, fromLogs(t, ld, s))
	ready, known := s.ReadyAt("shop", name, at(20))
	assert.True(t, known)
	assert.True(t, ready, "Ready before the transition")
	ready, known = s.ReadyAt("shop", name, at(40))
	assert.True(t, known)
	assert.False(t, ready, "NotReady after it")

	// Deleted: still findable by IP for requests before the deletion.
	ld = plog.NewLogs()
	appendWatch(t, ld, "pods", "DELETED", fullPod(name, ip, false, at(30)), at(60))
	assert.Equal(t, map[string]int{"Pod": 1}, fromLogs(t, ld, s))
	info, ok = s.Pod("shop", name)
	require.True(t, ok)
	sameTime(t, at(60), info.Deleted)
	_, ok = s.PodByIP(ip, at(50))
	assert.True(t, ok, "held the IP before the deletion")
	_, ok = s.PodByIP(ip, at(61))
	assert.False(t, ok, "IP span closed at the deletion")
}

func TestWatchCoreEvent(t *testing.T) {
	s := cluster.NewStore(time.Hour)
	ev := coreEvent("checkout-abcde.182c4", "checkout-abcde", "Warning", "Unhealthy",
		"Readiness probe failed: HTTP probe failed with statuscode: 503", at(-20), at(-20), 1)
	ld := plog.NewLogs()
	appendWatch(t, ld, "events", "ADDED", ev, at(-19))
	// The kubelet updates the same Event object as the probe keeps failing.
	ev = ev.DeepCopy()
	ev.Count, ev.LastTimestamp = 4, mt(at(-5))
	appendWatch(t, ld, "events", "MODIFIED", ev, at(-4))
	// Its TTL expiry does not undo it.
	appendWatch(t, ld, "events", "DELETED", ev, at(3600))
	assert.Equal(t, map[string]int{"Event": 3}, fromLogs(t, ld, s))

	got := s.Events("shop", "Pod", "checkout-abcde", at(-60), at(0))
	require.Len(t, got, 1, "one Event object, stored once")
	e := got[0]
	assert.Equal(t, "Unhealthy", e.Reason)
	assert.Equal(t, "Warning", e.Type)
	assert.Equal(t, int32(4), e.Count)
	sameTime(t, at(-5), e.Time)
	sameTime(t, at(-20), e.FirstTime)
	assert.Equal(t, "uid-checkout-abcde", e.UID)
	assert.Contains(t, e.Message, "statuscode: 503")
}

func TestWatchEventsV1(t *testing.T) {
	s := cluster.NewStore(time.Hour)
	ev := &eventsv1.Event{
		TypeMeta:   metav1.TypeMeta{Kind: "Event", APIVersion: "events.k8s.io/v1"},
		ObjectMeta: metav1.ObjectMeta{Name: "checkout-abcde.182c5", Namespace: "shop", CreationTimestamp: mt(at(-40))},
		EventTime:  metav1.NewMicroTime(at(-40)),
		Series:     &eventsv1.EventSeries{Count: 7, LastObservedTime: metav1.NewMicroTime(at(-2))},
		Regarding:  corev1.ObjectReference{Kind: "Pod", Namespace: "shop", Name: "checkout-abcde", UID: "uid-checkout-abcde"},
		Reason:     "BackOff", Note: "Back-off restarting failed container app in pod checkout-abcde_shop",
		Type: "Warning", Action: "Restarting", ReportingController: "kubelet", ReportingInstance: "node-a",
	}
	ld := plog.NewLogs()
	appendWatch(t, ld, "events", "ADDED", ev, at(-1))
	assert.Equal(t, map[string]int{"Event": 1}, fromLogs(t, ld, s))

	got := s.Events("shop", "Pod", "checkout-abcde", at(-60), at(0))
	require.Len(t, got, 1)
	assert.Equal(t, "BackOff", got[0].Reason)
	assert.Equal(t, int32(7), got[0].Count)
	sameTime(t, at(-2), got[0].Time, "series.lastObservedTime")
	sameTime(t, at(-40), got[0].FirstTime, "eventTime")
	assert.Equal(t, "Warning", got[0].Type)

	// The same Event through core/v1 (both APIs serve one object) is
	// stored once.
	core := coreEvent("checkout-abcde.182c5", "checkout-abcde", "Warning", "BackOff", ev.Note, at(-40), at(-2), 7)
	ld = plog.NewLogs()
	appendWatch(t, ld, "events", "MODIFIED", core, at(0))
	fromLogs(t, ld, s)
	assert.Len(t, s.Events("shop", "Pod", "checkout-abcde", at(-60), at(0)), 1)
}

func TestWatchServiceAndEndpointSlice(t *testing.T) {
	s := cluster.NewStore(time.Hour)
	svc := &corev1.Service{
		TypeMeta:   metav1.TypeMeta{Kind: "Service", APIVersion: "v1"},
		ObjectMeta: metav1.ObjectMeta{Name: "checkout", Namespace: "shop", UID: "uid-svc"},
		Spec: corev1.ServiceSpec{
			Selector:  map[string]string{"app": "checkout"},
			ClusterIP: "10.96.0.10",
			Ports:     []corev1.ServicePort{{Name: "http", Port: 80, Protocol: corev1.ProtocolTCP}},
		},
	}
	no := false
	slice := func(ready bool) *discoveryv1.EndpointSlice {
		return &discoveryv1.EndpointSlice{
			TypeMeta: metav1.TypeMeta{Kind: "EndpointSlice", APIVersion: "discovery.k8s.io/v1"},
			ObjectMeta: metav1.ObjectMeta{
				Name: "checkout-x7k2p", Namespace: "shop",
				Labels:        map[string]string{discoveryv1.LabelServiceName: "checkout", "endpointslice.kubernetes.io/managed-by": "endpointslice-controller.k8s.io"},
				ManagedFields: []metav1.ManagedFieldsEntry{{Manager: "kube-controller-manager"}},
			},
			AddressType: discoveryv1.AddressTypeIPv4,
			Endpoints: []discoveryv1.Endpoint{{
				Addresses:  []string{"10.1.2.3"},
				Conditions: discoveryv1.EndpointConditions{Ready: &ready, Serving: &ready, Terminating: &no},
				NodeName:   ptr("node-a"),
				TargetRef:  &corev1.ObjectReference{Kind: "Pod", Namespace: "shop", Name: "checkout-abcde", UID: "uid-checkout-abcde"},
			}},
			Ports: []discoveryv1.EndpointPort{{Name: ptr("http"), Port: ptr(int32(8080)), Protocol: ptr(corev1.ProtocolTCP)}},
		}
	}

	ld := plog.NewLogs()
	appendWatch(t, ld, "services", "ADDED", svc, at(0))
	appendWatch(t, ld, "endpointslices", "ADDED", slice(true), at(0))
	assert.Equal(t, map[string]int{"Service": 1, "EndpointSlice": 1}, fromLogs(t, ld, s))

	got, ok := s.Service("shop", "checkout")
	require.True(t, ok)
	require.Len(t, got.Spec.Ports, 1)
	assert.Equal(t, int32(80), got.Spec.Ports[0].Port)

	eps := s.Endpoints("shop", "checkout", at(5))
	require.Len(t, eps, 1)
	assert.Equal(t, "10.1.2.3", eps[0].IP)
	assert.Equal(t, "checkout-abcde", eps[0].Pod)
	assert.True(t, eps[0].Ready)
	assert.Equal(t, []int32{8080}, eps[0].Ports)

	ld = plog.NewLogs()
	appendWatch(t, ld, "endpointslices", "MODIFIED", slice(false), at(10))
	fromLogs(t, ld, s)
	eps = s.Endpoints("shop", "checkout", at(15))
	require.Len(t, eps, 1)
	assert.False(t, eps[0].Ready)
	assert.True(t, s.Endpoints("shop", "checkout", at(5))[0].Ready, "history kept")

	ld = plog.NewLogs()
	appendWatch(t, ld, "endpointslices", "DELETED", slice(false), at(20))
	fromLogs(t, ld, s)
	assert.Empty(t, s.Endpoints("shop", "checkout", at(25)))
	assert.Len(t, s.Endpoints("shop", "checkout", at(15)), 1, "history kept")
}

func TestPullMode(t *testing.T) {
	s := cluster.NewStore(time.Hour)
	pods := &corev1.PodList{
		TypeMeta: metav1.TypeMeta{Kind: "PodList", APIVersion: "v1"},
		ListMeta: metav1.ListMeta{ResourceVersion: "50000"},
		Items: []corev1.Pod{
			*fullPod("checkout-7d9f8b6c5d-abcde", "10.1.2.3", true, at(-3500)),
			*fullPod("checkout-7d9f8b6c5d-fghij", "10.1.2.4", false, at(-30)),
		},
	}
	events := &corev1.EventList{
		TypeMeta: metav1.TypeMeta{Kind: "EventList", APIVersion: "v1"},
		Items: []corev1.Event{
			*coreEvent("checkout-7d9f8b6c5d-fghij.1", "checkout-7d9f8b6c5d-fghij", "Warning", "OOMKilling", "Memory cgroup out of memory: Killed process 4242 (app)", at(-31), at(-31), 1),
		},
	}
	ld := plog.NewLogs()
	appendPull(t, ld, "pods", pods, at(0))
	appendPull(t, ld, "events", events, at(0))
	assert.Equal(t, map[string]int{"Pod": 2, "Event": 1}, fromLogs(t, ld, s))

	info, ok := s.Pod("shop", "checkout-7d9f8b6c5d-fghij")
	require.True(t, ok)
	assert.Empty(t, info.Pod.ManagedFields)
	ready, known := s.ReadyAt("shop", "checkout-7d9f8b6c5d-fghij", at(0))
	assert.True(t, known)
	assert.False(t, ready)
	byIP, ok := s.PodByIP("10.1.2.3", at(0))
	require.True(t, ok)
	assert.Equal(t, "checkout-7d9f8b6c5d-abcde", byIP.Pod.Name)
	got := s.Events("shop", "Pod", "checkout-7d9f8b6c5d-fghij", at(-60), at(0))
	require.Len(t, got, 1)
	assert.Equal(t, "OOMKilling", got[0].Reason)

	// The next pull repeats everything: nothing doubles.
	ld = plog.NewLogs()
	appendPull(t, ld, "pods", pods, at(60))
	appendPull(t, ld, "events", events, at(60))
	fromLogs(t, ld, s)
	st := s.Stats()
	assert.Equal(t, 2, st["pods"])
	assert.Equal(t, 1, st["events"])
	assert.Equal(t, 2, st["ip_spans"])
}

func TestK8sEventsReceiver(t *testing.T) {
	s := cluster.NewStore(time.Hour)
	backoff := coreEvent("checkout-abcde.182c6", "checkout-abcde", "Warning", "BackOff",
		"Back-off restarting failed container app in pod checkout-abcde_shop", at(-50), at(-3), 5)
	killing := coreEvent("checkout-abcde.182c7", "checkout-abcde", "Normal", "Killing",
		"Stopping container app", at(-1), at(-1), 0)
	// An events.k8s.io-style event read through core/v1: eventTime only.
	scaled := coreEvent("checkout.182c8", "checkout", "Normal", "ScalingReplicaSet",
		"Scaled up replica set checkout-6b8c9d to 1", time.Time{}, time.Time{}, 0)
	scaled.InvolvedObject.Kind = "Deployment"
	scaled.EventTime = metav1.NewMicroTime(at(-7))

	ld := plog.NewLogs()
	appendK8sEvent(ld, backoff)
	appendK8sEvent(ld, killing)
	appendK8sEvent(ld, scaled)
	assert.Equal(t, map[string]int{"Event": 3}, fromLogs(t, ld, s))

	got := s.Events("shop", "Pod", "checkout-abcde", at(-60), at(0))
	require.Len(t, got, 2)
	assert.Equal(t, "BackOff", got[0].Reason)
	assert.Equal(t, "Warning", got[0].Type)
	assert.Equal(t, int32(5), got[0].Count)
	sameTime(t, at(-3), got[0].Time, "lastTimestamp")
	assert.Equal(t, "uid-checkout-abcde", got[0].UID)
	assert.Contains(t, got[0].Message, "Back-off restarting")
	assert.Equal(t, "Killing", got[1].Reason)
	assert.Equal(t, "Normal", got[1].Type)
	assert.Equal(t, int32(1), got[1].Count)

	dep := s.Events("shop", "Deployment", "checkout", at(-60), at(0))
	require.Len(t, dep, 1)
	sameTime(t, at(-7), dep[0].Time, "eventTime")

	// The watch sends the event again each time the kubelet counts it.
	backoff = backoff.DeepCopy()
	backoff.Count, backoff.LastTimestamp = 6, mt(at(2))
	ld = plog.NewLogs()
	appendK8sEvent(ld, backoff)
	fromLogs(t, ld, s)
	got = s.Events("shop", "Pod", "checkout-abcde", at(-60), at(5))
	require.Len(t, got, 2, "the update replaces the event")
	assert.Equal(t, int32(6), got[1].Count)
	sameTime(t, at(2), got[1].Time)

	// The same Event object from k8sobjects (or the informers) is the same
	// event.
	ld = plog.NewLogs()
	appendWatch(t, ld, "events", "MODIFIED", backoff, at(3))
	fromLogs(t, ld, s)
	assert.Len(t, s.Events("shop", "Pod", "checkout-abcde", at(-60), at(5)), 2)
}

// TestK8sEventsReceiverTimeFallback: a record without a timestamp (the
// receiver drops events without one, a pipeline might not) is dated by
// k8s.event.start_time, which the receiver writes with metav1.Time.String.
func TestK8sEventsReceiverTimeFallback(t *testing.T) {
	s := cluster.NewStore(time.Hour)
	ev := coreEvent("checkout-abcde.1", "checkout-abcde", "Warning", "Unhealthy", "Readiness probe failed", at(-8), at(-8), 1)
	ld := plog.NewLogs()
	appendK8sEvent(ld, ev)
	lr := ld.ResourceLogs().At(0).ScopeLogs().At(0).LogRecords().At(0)
	lr.SetTimestamp(0)
	// An event with no time at all cannot be placed.
	appendK8sEvent(ld, coreEvent("checkout-abcde.2", "checkout-abcde", "Warning", "BackOff", "", time.Time{}, time.Time{}, 1))
	lr = ld.ResourceLogs().At(1).ScopeLogs().At(0).LogRecords().At(0)
	lr.SetTimestamp(0)
	lr.Attributes().PutStr("k8s.event.start_time", "")
	assert.Equal(t, map[string]int{"Event": 1}, fromLogs(t, ld, s))

	got := s.Events("shop", "Pod", "checkout-abcde", at(-60), at(0))
	require.Len(t, got, 1)
	sameTime(t, at(-8), got[0].Time)
}

// TestIgnored: records that are not Kubernetes state are left alone.
func TestIgnored(t *testing.T) {
	s := cluster.NewStore(time.Hour)
	ld := plog.NewLogs()
	lrs := ld.ResourceLogs().AppendEmpty().ScopeLogs().AppendEmpty().LogRecords()

	// A k8s502 record.
	lr := lrs.AppendEmpty()
	lr.Body().SetStr(`10.0.0.1 - - [14/Mar/2026:09:26:53 +0000] "GET / HTTP/1.1" 502 150`)
	lr.Attributes().PutStr(schema.Outcome, schema.OutcomeFailed)
	lr.Attributes().PutStr(schema.UpstreamName, "shop-checkout-80")
	// An application's JSON log, parsed into a map body.
	require.NoError(t, lrs.AppendEmpty().Body().SetEmptyMap().FromRaw(map[string]any{"level": "info", "msg": "listening", "kind": "Pod"}))
	// Something Pod-like with no name.
	require.NoError(t, lrs.AppendEmpty().Body().SetEmptyMap().FromRaw(map[string]any{"kind": "Pod", "apiVersion": "v1", "metadata": map[string]any{}}))
	// A kind the store does not keep.
	ld2 := plog.NewLogs()
	appendWatch(t, ld2, "nodes", "ADDED", &corev1.Node{TypeMeta: metav1.TypeMeta{Kind: "Node", APIVersion: "v1"}, ObjectMeta: metav1.ObjectMeta{Name: "node-a"}}, at(0))
	ld2.ResourceLogs().MoveAndAppendTo(ld.ResourceLogs())
	// A bookmark (objects carry only a resourceVersion).
	ld2 = plog.NewLogs()
	appendWatch(t, ld2, "pods", "BOOKMARK", &corev1.Pod{TypeMeta: metav1.TypeMeta{Kind: "Pod", APIVersion: "v1"}, ObjectMeta: metav1.ObjectMeta{Name: "x", ResourceVersion: "1"}}, at(0))
	ld2.ResourceLogs().MoveAndAppendTo(ld.ResourceLogs())
	// A string body with no event reason.
	lrs.AppendEmpty().Body().SetStr("plain line")

	assert.Empty(t, fromLogs(t, ld, s))
	for kind, n := range s.Stats() {
		assert.Zero(t, n, kind)
	}
}

// TestNotModified: a mixed batch comes out of FromLogs byte for byte as it
// went in (fromLogs compares).
func TestNotModified(t *testing.T) {
	s := cluster.NewStore(time.Hour)
	ld := plog.NewLogs()
	appendWatch(t, ld, "pods", "ADDED", fullPod("checkout-abcde", "10.1.2.3", true, at(-10)), at(0))
	appendK8sEvent(ld, coreEvent("e.1", "checkout-abcde", "Warning", "BackOff", "Back-off", at(-5), at(-5), 2))
	appendPull(t, ld, "pods", &corev1.PodList{TypeMeta: metav1.TypeMeta{Kind: "PodList", APIVersion: "v1"}, Items: []corev1.Pod{*fullPod("checkout-fghij", "10.1.2.4", true, at(-10))}}, at(0))
	assert.Equal(t, map[string]int{"Pod": 2, "Event": 1}, fromLogs(t, ld, s))
}

// sameTime compares instants, whatever the location.
func sameTime(t *testing.T, want, got time.Time, what ...string) {
	t.Helper()
	if !want.Equal(got) {
		t.Errorf("want %s, got %s %v", want, got, what)
	}
}

func ptr[T any](v T) *T { return &v }

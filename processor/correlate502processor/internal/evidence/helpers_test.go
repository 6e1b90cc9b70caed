package evidence

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/plog"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/intstr"
)

// The records here are built the way contrib v0.151.0 builds them
// (receiver/k8sobjectsreceiver/unstructured_to_logdata.go,
// receiver/k8seventsreceiver/k8s_event_to_logdata.go), from objects decoded
// the way the dynamic client decodes them (unstructured JSON: integers as
// int64, times as RFC 3339 strings).

// t0 is the start of the test timeline; at(s) is s seconds after it.
var t0 = time.Date(2026, 3, 14, 9, 26, 53, 0, time.UTC)

func at(sec int) time.Time { return t0.Add(time.Duration(sec) * time.Second) }

const (
	objectsScope = "github.com/open-telemetry/opentelemetry-collector-contrib/receiver/k8sobjectsreceiver"
	eventsScope  = "github.com/open-telemetry/opentelemetry-collector-contrib/receiver/k8seventsreceiver"
	clusterScope = "github.com/open-telemetry/opentelemetry-collector-contrib/receiver/k8sclusterreceiver"
)

// unstructuredOf encodes obj as the API server does and decodes it as the
// dynamic client does.
func unstructuredOf(t testing.TB, obj runtime.Object) map[string]any {
	t.Helper()
	js, err := json.Marshal(obj)
	require.NoError(t, err)
	u, _, err := unstructured.UnstructuredJSONScheme.Decode(js, nil, nil)
	require.NoError(t, err)
	return u.(*unstructured.Unstructured).Object
}

// appendWatch appends what k8sobjects in watch mode sends for one watch
// event: a resource per namespace, the object under "object" in a map body.
func appendWatch(t testing.TB, ld plog.Logs, resource, watchType string, obj runtime.Object, observed time.Time) {
	t.Helper()
	u := unstructuredOf(t, obj)
	meta := u["metadata"].(map[string]any)
	ns, _ := meta["namespace"].(string)
	lr := appendObjectRecord(ld, ns, resource, observed)
	if name, _ := meta["name"].(string); name != "" {
		lr.Attributes().PutStr("event.domain", "k8s")
		lr.Attributes().PutStr("event.name", name)
	}
	require.NoError(t, lr.Body().SetEmptyMap().FromRaw(map[string]any{"type": watchType, "object": u}))
}

// appendPull appends what k8sobjects in pull mode sends for one List: the
// list as the dynamic client decodes it (the API server leaves the items'
// kind out; the client fills it in from the list's), one record per item.
func appendPull(t testing.TB, ld plog.Logs, resource string, list runtime.Object, observed time.Time) {
	t.Helper()
	js, err := json.Marshal(list)
	require.NoError(t, err)
	// The API server sends list items without kind and apiVersion.
	var raw map[string]any
	require.NoError(t, json.Unmarshal(js, &raw))
	for _, it := range raw["items"].([]any) {
		delete(it.(map[string]any), "kind")
		delete(it.(map[string]any), "apiVersion")
	}
	js, err = json.Marshal(raw)
	require.NoError(t, err)
	var ul unstructured.UnstructuredList
	require.NoError(t, ul.UnmarshalJSON(js))
	for _, it := range ul.Items {
		lr := appendObjectRecord(ld, it.GetNamespace(), resource, observed)
		require.NoError(t, lr.Body().SetEmptyMap().FromRaw(it.Object))
	}
}

func appendObjectRecord(ld plog.Logs, ns, resource string, observed time.Time) plog.LogRecord {
	rl := ld.ResourceLogs().AppendEmpty()
	if ns != "" {
		rl.Resource().Attributes().PutStr("k8s.namespace.name", ns)
	}
	sl := rl.ScopeLogs().AppendEmpty()
	sl.Scope().SetName(objectsScope)
	sl.Scope().SetVersion("0.151.0")
	lr := sl.LogRecords().AppendEmpty()
	lr.SetObservedTimestamp(pcommon.NewTimestampFromTime(observed))
	lr.Attributes().PutStr("k8s.resource.name", resource)
	return lr
}

// appendK8sEvent appends what k8s_events sends for one core/v1 Event.
func appendK8sEvent(ld plog.Logs, ev *corev1.Event) {
	rl := ld.ResourceLogs().AppendEmpty()
	res := rl.Resource().Attributes()
	res.PutStr("k8s.node.name", ev.Source.Host)
	res.PutStr("k8s.object.kind", ev.InvolvedObject.Kind)
	res.PutStr("k8s.object.name", ev.InvolvedObject.Name)
	res.PutStr("k8s.object.uid", string(ev.InvolvedObject.UID))
	res.PutStr("k8s.object.fieldpath", ev.InvolvedObject.FieldPath)
	res.PutStr("k8s.object.api_version", ev.InvolvedObject.APIVersion)
	res.PutStr("k8s.object.resource_version", ev.InvolvedObject.ResourceVersion)
	sl := rl.ScopeLogs().AppendEmpty()
	sl.Scope().SetName(eventsScope)
	sl.Scope().SetVersion("0.151.0")
	lr := sl.LogRecords().AppendEmpty()
	// k8sinventory.GetEventTimestamp: eventTime, else lastTimestamp, else
	// firstTimestamp.
	ts := ev.EventTime.Time
	if ts.IsZero() {
		ts = ev.LastTimestamp.Time
	}
	if ts.IsZero() {
		ts = ev.FirstTimestamp.Time
	}
	lr.SetTimestamp(pcommon.NewTimestampFromTime(ts))
	lr.Body().SetStr(ev.Message)
	switch strings.ToLower(ev.Type) {
	case "normal":
		lr.SetSeverityNumber(plog.SeverityNumberInfo)
		lr.SetSeverityText(ev.Type)
	case "warning":
		lr.SetSeverityNumber(plog.SeverityNumberWarn)
		lr.SetSeverityText(ev.Type)
	}
	a := lr.Attributes()
	a.PutStr("k8s.event.reason", ev.Reason)
	a.PutStr("k8s.event.action", ev.Action)
	a.PutStr("k8s.event.start_time", ev.CreationTimestamp.String())
	a.PutStr("k8s.event.name", ev.Name)
	a.PutStr("k8s.event.uid", string(ev.UID))
	a.PutStr("k8s.namespace.name", ev.InvolvedObject.Namespace)
	if ev.Count != 0 {
		a.PutInt("k8s.event.count", int64(ev.Count))
	}
}

func mt(t time.Time) metav1.Time { return metav1.NewTime(t) }

// fullPod is a pod of Deployment checkout as the API server returns it,
// with everything the store does not keep: managed fields, annotations,
// env, volumes, image ids.
func fullPod(name, ip string, ready bool, since time.Time) *corev1.Pod {
	created := mt(at(-3600))
	yes := true
	grace := int64(30)
	status := corev1.ConditionFalse
	if ready {
		status = corev1.ConditionTrue
	}
	return &corev1.Pod{
		TypeMeta: metav1.TypeMeta{Kind: "Pod", APIVersion: "v1"},
		ObjectMeta: metav1.ObjectMeta{
			Name: name, Namespace: "shop", UID: types.UID("uid-" + name),
			ResourceVersion: "48213", GenerateName: "checkout-7d9f8b6c5d-",
			CreationTimestamp: created,
			Labels:            map[string]string{"app": "checkout", "pod-template-hash": "7d9f8b6c5d"},
			Annotations: map[string]string{
				"kubectl.kubernetes.io/restartedAt": "2026-03-14T08:00:00Z",
				"prometheus.io/scrape":              "true",
			},
			OwnerReferences: []metav1.OwnerReference{{APIVersion: "apps/v1", Kind: "ReplicaSet", Name: "checkout-7d9f8b6c5d", UID: "uid-rs", Controller: &yes, BlockOwnerDeletion: &yes}},
			ManagedFields: []metav1.ManagedFieldsEntry{{
				Manager: "kube-controller-manager", Operation: metav1.ManagedFieldsOperationUpdate, APIVersion: "v1",
				Time: &created, FieldsType: "FieldsV1", FieldsV1: &metav1.FieldsV1{Raw: []byte(`{"f:metadata":{"f:labels":{".":{},"f:app":{}}}}`)},
			}},
		},
		Spec: corev1.PodSpec{
			NodeName:                      "node-a",
			ServiceAccountName:            "checkout",
			TerminationGracePeriodSeconds: &grace,
			Volumes:                       []corev1.Volume{{Name: "kube-api-access-x2x4z", VolumeSource: corev1.VolumeSource{Projected: &corev1.ProjectedVolumeSource{}}}},
			Containers: []corev1.Container{{
				Name:  "app",
				Image: "registry.example.com/shop/checkout:1.42.0",
				Env:   []corev1.EnvVar{{Name: "PORT", Value: "8080"}, {Name: "LOG_LEVEL", Value: "info"}},
				Ports: []corev1.ContainerPort{{Name: "http", ContainerPort: 8080, Protocol: corev1.ProtocolTCP}},
				Resources: corev1.ResourceRequirements{
					Limits:   corev1.ResourceList{corev1.ResourceMemory: resource.MustParse("256Mi")},
					Requests: corev1.ResourceList{corev1.ResourceCPU: resource.MustParse("100m")},
				},
				ReadinessProbe: &corev1.Probe{
					ProbeHandler:   corev1.ProbeHandler{HTTPGet: &corev1.HTTPGetAction{Path: "/ready", Port: intstr.FromString("http")}},
					TimeoutSeconds: 1, PeriodSeconds: 5, FailureThreshold: 3,
				},
				VolumeMounts: []corev1.VolumeMount{{Name: "kube-api-access-x2x4z", MountPath: "/var/run/secrets/kubernetes.io/serviceaccount"}},
			}},
		},
		Status: corev1.PodStatus{
			Phase:     corev1.PodRunning,
			HostIP:    "192.168.1.10",
			PodIP:     ip,
			PodIPs:    []corev1.PodIP{{IP: ip}},
			StartTime: &created,
			QOSClass:  corev1.PodQOSBurstable,
			Conditions: []corev1.PodCondition{
				{Type: corev1.PodScheduled, Status: corev1.ConditionTrue, LastTransitionTime: created},
				{Type: corev1.PodReady, Status: status, LastTransitionTime: mt(since)},
			},
			ContainerStatuses: []corev1.ContainerStatus{{
				Name: "app", Ready: ready, RestartCount: 0,
				Image:       "registry.example.com/shop/checkout:1.42.0",
				ImageID:     "registry.example.com/shop/checkout@sha256:4f1c0e",
				ContainerID: "containerd://8d2f",
				State:       corev1.ContainerState{Running: &corev1.ContainerStateRunning{StartedAt: created}},
			}},
		},
	}
}

// coreEvent is a kubelet-style core/v1 Event about pod shop/name.
func coreEvent(name, pod, typ, reason, msg string, first, last time.Time, count int32) *corev1.Event {
	return &corev1.Event{
		TypeMeta: metav1.TypeMeta{Kind: "Event", APIVersion: "v1"},
		ObjectMeta: metav1.ObjectMeta{
			Name: name, Namespace: "shop", UID: types.UID("uid-" + name), ResourceVersion: "777",
			CreationTimestamp: mt(first),
			ManagedFields:     []metav1.ManagedFieldsEntry{{Manager: "kubelet", Operation: metav1.ManagedFieldsOperationUpdate}},
		},
		InvolvedObject: corev1.ObjectReference{
			Kind: "Pod", Namespace: "shop", Name: pod, UID: types.UID("uid-" + pod), APIVersion: "v1",
			ResourceVersion: "48213", FieldPath: "spec.containers{app}",
		},
		Reason: reason, Message: msg, Type: typ, Count: count,
		FirstTimestamp: mt(first), LastTimestamp: mt(last),
		Source:              corev1.EventSource{Component: "kubelet", Host: "node-a"},
		ReportingController: "kubelet", ReportingInstance: "node-a",
	}
}

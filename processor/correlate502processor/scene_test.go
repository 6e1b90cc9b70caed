package correlate502processor

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/component/componenttest"
	"go.opentelemetry.io/collector/consumer/consumertest"
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/plog"
	"go.opentelemetry.io/collector/pdata/pmetric"
	"go.opentelemetry.io/collector/processor"
	"go.opentelemetry.io/collector/processor/processortest"
	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/types"

	"github.com/k8s502/otelcol-k8s502/internal/schema"
)

// The scene of the pipeline tests: namespace shop runs Service checkout
// (port 80 → 8080) with pods checkout-a (10.1.2.3) and checkout-b
// (10.1.2.4), Ready for an hour, both in its EndpointSlice. It reaches the
// processor the way a collector without API access learns it: k8sobjects
// records in the logs pipeline.

const (
	scenePodA, sceneIPA = "checkout-a", "10.1.2.3"
	scenePodB, sceneIPB = "checkout-b", "10.1.2.4"
	sceneUpstream       = "shop-checkout-80"
)

// pair is one correlate502 instance used in a logs and a metrics pipeline.
type pair struct {
	logs    processor.Logs
	metrics processor.Metrics
	out     *consumertest.LogsSink
}

// newPair creates, from one factory and one component ID, the logs and
// metrics processors of a collector that puts correlate502 in both
// pipelines, and starts them.
func newPair(t *testing.T, cfg *Config, set processor.Settings) *pair {
	t.Helper()
	f := NewFactory()
	require.NoError(t, cfg.Validate())
	p := &pair{out: new(consumertest.LogsSink)}
	var err error
	p.logs, err = f.CreateLogs(context.Background(), set, cfg, p.out)
	require.NoError(t, err)
	p.metrics, err = f.CreateMetrics(context.Background(), set, cfg, consumertest.NewNop())
	require.NoError(t, err)
	require.NoError(t, p.logs.Start(context.Background(), componenttest.NewNopHost()))
	require.NoError(t, p.metrics.Start(context.Background(), componenttest.NewNopHost()))
	return p
}

func (p *pair) shutdown(t *testing.T) {
	t.Helper()
	require.NoError(t, p.metrics.Shutdown(context.Background()))
	require.NoError(t, p.logs.Shutdown(context.Background()))
}

// records returns the k8s502 records that came out, by upstream address.
func (p *pair) records() map[string]plog.LogRecord {
	out := map[string]plog.LogRecord{}
	for _, ld := range p.out.AllLogs() {
		for i := 0; i < ld.ResourceLogs().Len(); i++ {
			sls := ld.ResourceLogs().At(i).ScopeLogs()
			for j := 0; j < sls.Len(); j++ {
				lrs := sls.At(j).LogRecords()
				for k := 0; k < lrs.Len(); k++ {
					if isK8s502Record(lrs.At(k)) {
						out[str(lrs.At(k).Attributes(), schema.ErrorUpstream)] = lrs.At(k)
					}
				}
			}
		}
	}
	return out
}

func noCluster() *Config {
	cfg := NewFactory().CreateDefaultConfig().(*Config)
	cfg.AuthType = AuthTypeNone
	return cfg
}

func nopSettings() processor.Settings {
	return processortest.NewNopSettings(typ)
}

// appendFailed appends a k8s502 record as the receiver writes it: nginx
// could not connect to addr for a request at ts.
func appendFailed(ld plog.Logs, ts time.Time, addr string) {
	rl := ld.ResourceLogs().AppendEmpty()
	res := rl.Resource().Attributes()
	res.PutStr(schema.K8sNamespaceName, "ingress-nginx")
	res.PutStr(schema.K8sPodName, "ingress-nginx-controller-6c9d5f7b8-x2x4z")
	res.PutStr(schema.K8sContainerName, "controller")
	sl := rl.ScopeLogs().AppendEmpty()
	sl.Scope().SetName("github.com/k8s502/otelcol-k8s502/receiver/k8s502receiver")
	lr := sl.LogRecords().AppendEmpty()
	fillFailed(lr, ts, addr)
}

func fillFailed(lr plog.LogRecord, ts time.Time, addr string) {
	lr.SetTimestamp(pcommon.NewTimestampFromTime(ts))
	lr.SetObservedTimestamp(pcommon.NewTimestampFromTime(ts.Add(50 * time.Millisecond)))
	lr.SetSeverityNumber(plog.SeverityNumberError)
	lr.SetSeverityText("ERROR")
	lr.Body().SetStr(`10.0.0.1 - - [` + ts.Format("02/Jan/2006:15:04:05 -0700") + `] "GET /cart HTTP/1.1" 502 150 "-" "curl/8.5.0" 81 0.001 [` + sceneUpstream + `] [] ` + addr + ` 0 0.001 502 5c1f`)
	a := lr.Attributes()
	a.PutStr(schema.Gateway, "ingress-nginx")
	a.PutStr(schema.HTTPRequestMethod, "GET")
	a.PutStr(schema.URLPath, "/cart")
	a.PutStr(schema.NetworkProtocolVersion, "1.1")
	a.PutInt(schema.HTTPResponseStatusCode, 502)
	a.PutInt(schema.HTTPResponseBodySize, 150)
	a.PutStr(schema.ClientAddress, "10.0.0.1")
	a.PutStr(schema.RequestID, "5c1f")
	a.PutDouble(schema.RequestDuration, 0.001)
	a.PutStr(schema.UpstreamName, sceneUpstream)
	a.PutEmptySlice(schema.UpstreamAddresses).AppendEmpty().SetStr(addr)
	a.PutEmptySlice(schema.UpstreamStatuses).AppendEmpty().SetStr("502")
	a.PutEmptySlice(schema.UpstreamResponseTimes).AppendEmpty().SetDouble(0.001)
	a.PutEmptySlice(schema.UpstreamResponseLengths).AppendEmpty().SetInt(0)
	a.PutStr(schema.Origin, schema.OriginGateway)
	a.PutStr(schema.Outcome, schema.OutcomeFailed)
	a.PutStr(schema.ErrorKind, schema.ErrConnectRefused)
	a.PutStr(schema.ErrorMessage, "connect() failed (111: Connection refused) while connecting to upstream")
	a.PutStr(schema.ErrorUpstream, addr)
	a.PutInt(schema.ErrorCount, 1)
	a.PutEmptySlice(schema.ErrorKinds).AppendEmpty().SetStr(schema.ErrConnectRefused)
}

// appendObject appends a k8sobjects watch-mode record for obj.
func appendObject(t testing.TB, ld plog.Logs, watchType string, obj runtime.Object, observed time.Time) {
	t.Helper()
	js, err := json.Marshal(obj)
	require.NoError(t, err)
	u, _, err := unstructured.UnstructuredJSONScheme.Decode(js, nil, nil)
	require.NoError(t, err)
	uo := u.(*unstructured.Unstructured)
	rl := ld.ResourceLogs().AppendEmpty()
	rl.Resource().Attributes().PutStr(schema.K8sNamespaceName, uo.GetNamespace())
	sl := rl.ScopeLogs().AppendEmpty()
	sl.Scope().SetName("github.com/open-telemetry/opentelemetry-collector-contrib/receiver/k8sobjectsreceiver")
	lr := sl.LogRecords().AppendEmpty()
	lr.SetObservedTimestamp(pcommon.NewTimestampFromTime(observed))
	lr.Attributes().PutStr("k8s.resource.name", "pods")
	lr.Attributes().PutStr("event.domain", "k8s")
	lr.Attributes().PutStr("event.name", uo.GetName())
	require.NoError(t, lr.Body().SetEmptyMap().FromRaw(map[string]any{"type": watchType, "object": uo.Object}))
}

// appendBackOff appends a k8s_events record: the kubelet backing off
// restarting the pod's container at ts.
func appendBackOff(ld plog.Logs, pod string, ts time.Time) {
	rl := ld.ResourceLogs().AppendEmpty()
	res := rl.Resource().Attributes()
	res.PutStr("k8s.node.name", "node-a")
	res.PutStr("k8s.object.kind", "Pod")
	res.PutStr("k8s.object.name", pod)
	res.PutStr("k8s.object.uid", "uid-"+pod)
	res.PutStr("k8s.object.fieldpath", "spec.containers{app}")
	res.PutStr("k8s.object.api_version", "v1")
	res.PutStr("k8s.object.resource_version", "4242")
	sl := rl.ScopeLogs().AppendEmpty()
	sl.Scope().SetName("github.com/open-telemetry/opentelemetry-collector-contrib/receiver/k8seventsreceiver")
	lr := sl.LogRecords().AppendEmpty()
	lr.SetTimestamp(pcommon.NewTimestampFromTime(ts))
	lr.SetSeverityNumber(plog.SeverityNumberWarn)
	lr.SetSeverityText("Warning")
	lr.Body().SetStr("Back-off restarting failed container app in pod " + pod + "_shop")
	a := lr.Attributes()
	a.PutStr("k8s.event.reason", "BackOff")
	a.PutStr("k8s.event.action", "")
	a.PutStr("k8s.event.start_time", ts.Add(-time.Minute).String())
	a.PutStr("k8s.event.name", pod+".18a2b")
	a.PutStr("k8s.event.uid", "uid-ev-"+pod)
	a.PutStr(schema.K8sNamespaceName, "shop")
	a.PutInt("k8s.event.count", 4)
}

// restarts is what k8s_cluster sends for the pod's container "app".
func restarts(pod string, n int64, ts time.Time) pmetric.Metrics {
	md := pmetric.NewMetrics()
	rm := md.ResourceMetrics().AppendEmpty()
	res := rm.Resource().Attributes()
	res.PutStr("container.id", "8d2f")
	res.PutStr(schema.K8sContainerName, "app")
	res.PutStr("k8s.container.status.last_terminated_reason", "OOMKilled")
	res.PutStr(schema.K8sPodName, pod)
	res.PutStr(schema.K8sPodUID, "uid-"+pod)
	res.PutStr(schema.K8sNamespaceName, "shop")
	sm := rm.ScopeMetrics().AppendEmpty()
	sm.Scope().SetName("github.com/open-telemetry/opentelemetry-collector-contrib/receiver/k8sclusterreceiver")
	m := sm.Metrics().AppendEmpty()
	m.SetName("k8s.container.restarts")
	m.SetUnit("{restart}")
	dp := m.SetEmptyGauge().DataPoints().AppendEmpty()
	dp.SetTimestamp(pcommon.NewTimestampFromTime(ts))
	dp.SetIntValue(n)
	return md
}

// sceneLogs is the scene as k8sobjects records seen at t0.
func sceneLogs(t testing.TB, t0 time.Time) plog.Logs {
	ld := plog.NewLogs()
	since := metav1.NewTime(t0.Add(-time.Hour))
	yes := true
	for _, p := range []struct{ name, ip string }{{scenePodA, sceneIPA}, {scenePodB, sceneIPB}} {
		appendObject(t, ld, "ADDED", &corev1.Pod{
			TypeMeta: metav1.TypeMeta{Kind: "Pod", APIVersion: "v1"},
			ObjectMeta: metav1.ObjectMeta{
				Namespace: "shop", Name: p.name, UID: types.UID("uid-" + p.name), CreationTimestamp: since,
				Labels:          map[string]string{"app": "checkout", "pod-template-hash": "7d9f8b6c5d"},
				OwnerReferences: []metav1.OwnerReference{{APIVersion: "apps/v1", Kind: "ReplicaSet", Name: "checkout-7d9f8b6c5d", UID: "uid-rs", Controller: &yes}},
			},
			Spec: corev1.PodSpec{NodeName: "node-a", Containers: []corev1.Container{{Name: "app", Ports: []corev1.ContainerPort{{ContainerPort: 8080}}}}},
			Status: corev1.PodStatus{
				Phase: corev1.PodRunning, PodIP: p.ip, PodIPs: []corev1.PodIP{{IP: p.ip}}, StartTime: &since,
				Conditions:        []corev1.PodCondition{{Type: corev1.PodReady, Status: corev1.ConditionTrue, LastTransitionTime: since}},
				ContainerStatuses: []corev1.ContainerStatus{{Name: "app", Ready: true, State: corev1.ContainerState{Running: &corev1.ContainerStateRunning{StartedAt: since}}}},
			},
		}, t0)
	}
	appendObject(t, ld, "ADDED", &corev1.Service{
		TypeMeta:   metav1.TypeMeta{Kind: "Service", APIVersion: "v1"},
		ObjectMeta: metav1.ObjectMeta{Namespace: "shop", Name: "checkout", CreationTimestamp: since},
		Spec: corev1.ServiceSpec{
			Selector: map[string]string{"app": "checkout"},
			Ports:    []corev1.ServicePort{{Name: "http", Port: 80}},
		},
	}, t0)
	ready := true
	endpoint := func(pod, ip string) discoveryv1.Endpoint {
		return discoveryv1.Endpoint{
			Addresses:  []string{ip},
			Conditions: discoveryv1.EndpointConditions{Ready: &ready, Serving: &ready},
			NodeName:   ptrTo("node-a"),
			TargetRef:  &corev1.ObjectReference{Kind: "Pod", Namespace: "shop", Name: pod},
		}
	}
	appendObject(t, ld, "ADDED", &discoveryv1.EndpointSlice{
		TypeMeta:    metav1.TypeMeta{Kind: "EndpointSlice", APIVersion: "discovery.k8s.io/v1"},
		ObjectMeta:  metav1.ObjectMeta{Namespace: "shop", Name: "checkout-x7k2p", Labels: map[string]string{discoveryv1.LabelServiceName: "checkout"}},
		AddressType: discoveryv1.AddressTypeIPv4,
		Endpoints:   []discoveryv1.Endpoint{endpoint(scenePodA, sceneIPA), endpoint(scenePodB, sceneIPB)},
		Ports:       []discoveryv1.EndpointPort{{Name: ptrTo("http"), Port: ptrTo(int32(8080))}},
	}, t0)
	return ld
}

func ptrTo[T any](v T) *T { return &v }

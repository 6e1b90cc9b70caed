package correlate502processor

import (
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/open-telemetry/opentelemetry-collector-contrib/pkg/golden"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/plog"
	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"

	"github.com/k8s502/otelcol-k8s502/internal/schema"
	"github.com/k8s502/otelcol-k8s502/processor/correlate502processor/internal/cluster"
	"github.com/k8s502/otelcol-k8s502/processor/correlate502processor/internal/diagnose"
)

// receiverGolden is where the receiver pins its complete output for each
// gateway's real capture (TestGolden, TestGatewayGolden).
const receiverGolden = "../../receiver/k8s502receiver/testdata/golden"

// failureCase is one failure as a gateway's capture shows it: which of the
// receiver's records belong to it (by URL path), which Service port and
// upstream port were involved.
type failureCase struct {
	pathPrefix string
	namespace  string // "" is shop
	service    string
	port       int32 // Service port
	target     int32 // the failing pod's port on 127.0.0.1
	// minRecords: the capture holds at least this many failed requests of
	// the case; a parser that stops producing them must fail the test.
	minRecords int
	// unnamed: the gateway's logs name neither the Service nor a pod for
	// this failure (F5 sends a Service without endpoints to its sentinel
	// 127.0.0.1:8181 and its default access log has no upstream name), so
	// the cause is certain but the Service stays unknown.
	unnamed bool
	// outcome of the case's records; "" is failed.
	outcome string
	podIP   string // "" is 127.0.0.1, where the captures' upstreams listened
	// silent: the gateway answers this status itself, unlogged, for a
	// Service without endpoints (NGF's 503 server, Kong's "failure to get a
	// peer"), and its default log names neither the Service nor an address:
	// whatever the cluster holds, the record is judged the app's answer at
	// medium, never a confident no_endpoints.
	silent bool
	// cause overrides the case's cause (others).
	cause   string
	crashed bool // others: judged against crashCluster
}

func (fc failureCase) ip() string {
	if fc.podIP == "" {
		return "127.0.0.1"
	}
	return fc.podIP
}

// gatewayCase is one gateway's capture and the same three failures in it.
type gatewayCase struct {
	gateway     string
	golden      string
	name        string      // subtest; "" is the golden file's name
	requestIDs  string      // only records whose request id starts so ("" is all)
	crash       failureCase // the only pod behind the address died and restarted
	noEndpoints failureCase // the Service's selector matches no pod
	appError    failureCase // the app answered 5xx itself
	// others are the capture's other failures, each judged against a
	// healthy cluster (one Ready pod at the failing address) for its cause.
	others []failureCase
}

var gatewayCases = []gatewayCase{
	{
		gateway:     schema.GatewayIngressNginx,
		golden:      "scenarios.yaml",
		name:        "ingress-nginx",
		crash:       failureCase{pathPrefix: "/api/inventory/", service: "inventory", port: 8080, target: 9001, minRecords: 10},
		noEndpoints: failureCase{pathPrefix: "/api/promotions/", service: "promotions", port: 8080, minRecords: 5},
		appError:    failureCase{pathPrefix: "/v1/ledger/app50", namespace: "finance", service: "ledger", port: 8080, target: 9007, minRecords: 2},
	},
	{
		gateway:     schema.GatewayF5Nginx,
		golden:      "gateway-f5-nginx-ingress.yaml",
		crash:       failureCase{pathPrefix: "/api/inventory/", service: "inventory", port: 8080, target: 9001, minRecords: 5},
		noEndpoints: failureCase{pathPrefix: "/api/promotions/", service: "promotions", port: 8080, minRecords: 3, unnamed: true},
	},
	{
		// haproxytech logs the server slot (SRV_1), not its address: the
		// processor judges the Service's endpoint that crashed.
		gateway:     schema.GatewayHAProxy,
		golden:      "gateway-haproxytech.yaml",
		crash:       failureCase{pathPrefix: "/api/catalog/", service: "catalog", port: 8080, target: 9021, minRecords: 2},
		noEndpoints: failureCase{pathPrefix: "/api/promotions/", service: "promotions", port: 8080, minRecords: 3},
		appError:    failureCase{pathPrefix: "/api/checkout/pay/app502/", service: "checkout", port: 8080, target: 9008, minRecords: 2},
	},
	{
		// HAProxy Ingress redispatched every crashed attempt to the other
		// endpoint: the clients got 200s, the records read "recovered".
		gateway:     schema.GatewayHAProxy,
		golden:      "gateway-haproxy-ingress.yaml",
		crash:       failureCase{pathPrefix: "/api/catalog/", service: "catalog", port: 8080, target: 9021, minRecords: 2, outcome: schema.OutcomeRecovered},
		noEndpoints: failureCase{pathPrefix: "/api/promotions/", service: "promotions", port: 8080, minRecords: 3},
		appError:    failureCase{pathPrefix: "/api/checkout/pay/app502/", service: "checkout", port: 8080, target: 9008, minRecords: 2},
	},
	{
		// Traefik's 503 for a Service without servers names no service.
		gateway:     schema.GatewayTraefik,
		golden:      "gateway-traefik-json.yaml",
		crash:       failureCase{pathPrefix: "/api/catalog/", service: "catalog", port: 8080, target: 9021, minRecords: 10},
		noEndpoints: failureCase{pathPrefix: "/api/promotions/", service: "promotions", port: 8080, minRecords: 3, unnamed: true},
		appError:    failureCase{pathPrefix: "/api/checkout/pay/app502/", service: "checkout", port: 8080, target: 9008, minRecords: 2},
	},
	{
		gateway:     schema.GatewayTraefik,
		golden:      "gateway-traefik-common.yaml",
		crash:       failureCase{pathPrefix: "/api/catalog/", service: "catalog", port: 8080, target: 9021, minRecords: 10},
		noEndpoints: failureCase{pathPrefix: "/api/promotions/", service: "promotions", port: 8080, minRecords: 3, unnamed: true},
	},
	{
		// NGINX Gateway Fabric (real nginx in NGF's layout): combined access
		// lines, the peer only in the error log. Its 503 for a Service
		// without endpoints is logged like the app's own.
		gateway:     schema.GatewayNGF,
		golden:      "gateway-nginx-gateway-fabric.yaml",
		crash:       failureCase{pathPrefix: "/api/inventory/", service: "inventory", port: 8080, target: 38147, podIP: "127.0.0.13", minRecords: 3},
		noEndpoints: failureCase{pathPrefix: "/api/promotions/", service: "promotions", port: 8080, minRecords: 3, silent: true},
		appError:    failureCase{pathPrefix: "/api/checkout/", service: "checkout", port: 8080, minRecords: 3, unnamed: true},
		others: []failureCase{
			{pathPrefix: "/api/reports/", service: "reports", port: 8080, target: 45291, podIP: "127.0.0.17", minRecords: 2, cause: schema.CauseUpstreamTimeout},
			{pathPrefix: "/api/wallet/", service: "wallet", port: 8443, target: 40185, podIP: "127.0.0.20", minRecords: 2, cause: schema.CauseTLSHandshake},
			{pathPrefix: "/api/profile/", service: "profile", port: 8443, target: 33753, podIP: "127.0.0.21", minRecords: 2, cause: schema.CauseTLSHandshake},
		},
	},
	{
		// Kong (real nginx in Kong's layout, its Lua emulated): six error
		// lines per failed request (retries 5), all at one peer.
		gateway:     schema.GatewayKong,
		golden:      "gateway-kong.yaml",
		crash:       failureCase{pathPrefix: "/api/inventory/", service: "inventory", port: 8080, target: 38341, podIP: "127.0.0.13", minRecords: 3},
		noEndpoints: failureCase{pathPrefix: "/api/promotions/", service: "promotions", port: 8080, minRecords: 3, silent: true},
		appError:    failureCase{pathPrefix: "/api/checkout/", service: "checkout", port: 8080, minRecords: 3, unnamed: true},
		others: []failureCase{
			{pathPrefix: "/api/search/", service: "search", port: 8080, target: 38341, podIP: "127.0.0.13", minRecords: 2, cause: schema.CausePodCrash, crashed: true},
			{pathPrefix: "/api/reports/", service: "reports", port: 8080, target: 44549, podIP: "127.0.0.17", minRecords: 2, cause: schema.CauseUpstreamTimeout},
			{pathPrefix: "/api/wallet/", service: "wallet", port: 8443, target: 37401, podIP: "127.0.0.11", minRecords: 2, cause: schema.CauseTLSHandshake},
		},
	},
	// Envoy: no real capture (no binary can run here); the records come
	// from lines built to Envoy's, Istio's, Envoy Gateway's and Contour's
	// documented formats.
	{
		// Envoy Gateway's clusters name the HTTPRoute, not the Service: the
		// Service comes from the endpoint behind the address; UH names none.
		gateway: schema.GatewayEnvoy, golden: "gateway-envoy-documented-formats.yaml", name: "envoy-envoy-gateway", requestIDs: "eg",
		crash:       failureCase{pathPrefix: "/api/cart/items/", service: "cart", port: 8080, target: 8080, podIP: "10.244.1.17", minRecords: 2},
		noEndpoints: failureCase{pathPrefix: "/api/inventory/items/SKU-14429", service: "inventory", port: 8080, minRecords: 1, unnamed: true},
		appError:    failureCase{pathPrefix: "/api/orders/503", service: "orders", port: 8080, target: 8080, podIP: "10.244.2.23", minRecords: 1},
	},
	{
		gateway: schema.GatewayEnvoy, golden: "gateway-envoy-documented-formats.yaml", name: "envoy-istio", requestIDs: "is",
		crash:       failureCase{pathPrefix: "/api/cart/items/", service: "cart", port: 8080, target: 8080, podIP: "10.244.1.17", minRecords: 2},
		noEndpoints: failureCase{pathPrefix: "/api/inventory/items/SKU-14429", service: "inventory", port: 8080, minRecords: 1},
		appError:    failureCase{pathPrefix: "/api/orders/503", service: "orders", port: 8080, target: 8080, podIP: "10.244.2.23", minRecords: 1},
	},
	{
		// Envoy's default format (Contour's default) logs no cluster at all.
		gateway: schema.GatewayEnvoy, golden: "gateway-envoy-documented-formats.yaml", name: "envoy-contour", requestIDs: "co",
		crash:       failureCase{pathPrefix: "/api/cart/items/", service: "cart", port: 8080, target: 8080, podIP: "10.244.1.17", minRecords: 2},
		noEndpoints: failureCase{pathPrefix: "/api/inventory/items/SKU-14429", service: "inventory", port: 8080, minRecords: 1, unnamed: true},
		appError:    failureCase{pathPrefix: "/api/orders/503", service: "orders", port: 8080, target: 8080, podIP: "10.244.2.23", minRecords: 1},
	},
	{
		gateway: schema.GatewayEnvoy, golden: "gateway-envoy-documented-formats.yaml", name: "envoy-contour-json", requestIDs: "cj",
		crash:       failureCase{pathPrefix: "/api/cart/items/", service: "cart", port: 8080, target: 8080, podIP: "10.244.1.17", minRecords: 2},
		noEndpoints: failureCase{pathPrefix: "/api/inventory/items/SKU-14429", service: "inventory", port: 8080, minRecords: 1},
		appError:    failureCase{pathPrefix: "/api/orders/503", service: "orders", port: 8080, target: 8080, podIP: "10.244.2.23", minRecords: 1},
	},
	{
		// Cilium Gateway API: rendered from CiliumGatewayClassConfig's default
		// text format (no capture). No cluster, no details: the Service comes
		// from the pod behind the address, and UH names neither. Confidence
		// per scenario: TestCiliumScenarios.
		gateway: schema.GatewayCilium, golden: "gateway-cilium-documented-format.yaml", name: "cilium",
		crash:       failureCase{pathPrefix: "/api/cart/items/", service: "cart", port: 8080, target: 8080, podIP: "10.244.1.17", minRecords: 2},
		noEndpoints: failureCase{pathPrefix: "/api/promotions/", service: "promotions", port: 8080, minRecords: 1, unnamed: true},
		appError:    failureCase{pathPrefix: "/api/checkout/pay", service: "checkout", port: 8080, target: 8080, podIP: "10.244.3.14", minRecords: 1},
		others: []failureCase{
			{pathPrefix: "/api/reports/", service: "reports", port: 8080, target: 8080, podIP: "10.244.2.31", minRecords: 1, cause: schema.CauseUpstreamTimeout},
			// UC without a reset reason: a close from a healthy pod explains nothing.
			{pathPrefix: "/api/orders/", service: "orders", port: 8080, target: 8080, podIP: "10.244.2.23", minRecords: 1, cause: schema.CauseUnknown},
			{pathPrefix: "/api/orders/", service: "orders", port: 8080, target: 8080, podIP: "10.244.2.23", minRecords: 1, cause: schema.CausePodCrash, crashed: true},
		},
	},
}

// TestSameCauseAcrossGateways feeds the receiver's records of each
// gateway's real capture to the diagnosis, against a cluster that explains
// each failure the same way for every gateway: a crashed pod gives
// pod_crash, a Service whose selector matches nothing gives no_endpoints,
// an app's own 5xx gives upstream_app_error — whatever proxy logged it.
// The cluster is built per capture around the records' own times, since the
// captures ran at different moments.
func TestSameCauseAcrossGateways(t *testing.T) {
	for _, gc := range gatewayCases {
		name := gc.name
		if name == "" {
			name = strings.TrimSuffix(gc.golden, ".yaml")
		}
		t.Run(name, func(t *testing.T) {
			ld, err := golden.ReadLogs(filepath.Join(receiverGolden, gc.golden))
			require.NoError(t, err)
			recs := gatewayRecords(ld)
			checkCase(t, gc, recs, gc.crash, schema.CausePodCrash, crashCluster)
			checkCase(t, gc, recs, gc.noEndpoints, schema.CauseNoEndpoints, noEndpointsCluster)
			if gc.appError.service != "" {
				checkCase(t, gc, recs, gc.appError, schema.CauseUpstreamAppError, healthyCluster)
			}
			for _, fc := range gc.others {
				build := healthyCluster
				if fc.crashed {
					build = crashCluster
				}
				checkCase(t, gc, recs, fc, fc.cause, build)
			}
		})
	}
}

type record struct {
	res pcommon.Map
	lr  plog.LogRecord
}

func gatewayRecords(ld plog.Logs) []record {
	var out []record
	for i := 0; i < ld.ResourceLogs().Len(); i++ {
		rl := ld.ResourceLogs().At(i)
		for j := 0; j < rl.ScopeLogs().Len(); j++ {
			lrs := rl.ScopeLogs().At(j).LogRecords()
			for k := 0; k < lrs.Len(); k++ {
				out = append(out, record{rl.Resource().Attributes(), lrs.At(k)})
			}
		}
	}
	return out
}

// checkCase judges every failed record of the case and wants cause for
// each; the record's own gateway attribute must be the case's.
func checkCase(t *testing.T, gc gatewayCase, recs []record, fc failureCase, cause string, build func(fc failureCase, first, last time.Time) *cluster.Store) {
	t.Helper()
	var mine []record
	for _, r := range recs {
		p, okp := r.lr.Attributes().Get(schema.URLPath)
		o, oko := r.lr.Attributes().Get(schema.Outcome)
		if !okp || !oko {
			continue
		}
		if id, _ := r.lr.Attributes().Get(schema.RequestID); gc.requestIDs != "" && !strings.HasPrefix(id.AsString(), gc.requestIDs) {
			continue
		}
		want := fc.outcome
		if want == "" {
			want = schema.OutcomeFailed
		}
		if strings.HasPrefix(p.AsString(), fc.pathPrefix) && o.AsString() == want {
			mine = append(mine, r)
		}
	}
	require.GreaterOrEqual(t, len(mine), fc.minRecords, "%s: failed records under %s", gc.gateway, fc.pathPrefix)
	first, last := mine[0].lr.Timestamp().AsTime(), mine[0].lr.Timestamp().AsTime()
	for _, r := range mine {
		at := r.lr.Timestamp().AsTime()
		if at.Before(first) {
			first = at
		}
		if at.After(last) {
			last = at
		}
	}
	store := build(fc, first, last)
	cfg := diagnose.Config{Lookback: 10 * time.Minute, After: 5 * time.Second}
	for _, r := range mine {
		g, _ := r.lr.Attributes().Get(schema.Gateway)
		require.Equal(t, gc.gateway, g.AsString())
		res := diagnose.Diagnose(factsOf(r.res, r.lr), store, cfg)
		if fc.silent {
			assert.Equal(t, schema.CauseUpstreamAppError, res.Cause, "%s %s: evidence %q", gc.gateway, fc.pathPrefix, res.Evidence)
			assert.Equal(t, schema.ConfidenceMedium, res.Confidence, "%s %s", gc.gateway, fc.pathPrefix)
			assert.NotEmpty(t, res.Remediation)
			continue
		}
		assert.Equal(t, cause, res.Cause, "%s %s: evidence %q, ruled out %q", gc.gateway, fc.pathPrefix, res.Evidence, res.RuledOut)
		if !fc.unnamed {
			assert.Equal(t, fc.service, res.Target.Service, "%s: target service", gc.gateway)
		}
		if (cause == schema.CausePodCrash || cause == schema.CauseUpstreamAppError) && !fc.unnamed {
			assert.Equal(t, fc.service+"-0", res.Target.Pod, "%s: target pod", gc.gateway)
		}
		assert.NotEmpty(t, res.Remediation)
	}
}

func (fc failureCase) ns() string {
	if fc.namespace == "" {
		return "shop"
	}
	return fc.namespace
}

func testPod(ns, name, ip, app string, port int32, created time.Time) *corev1.Pod {
	return &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name, UID: types.UID("uid-" + ns + "-" + name), Labels: map[string]string{"app": app},
			CreationTimestamp: metav1.NewTime(created)},
		Spec: corev1.PodSpec{NodeName: "node-a", Containers: []corev1.Container{{Name: "app", Ports: []corev1.ContainerPort{{ContainerPort: port}}}}},
		Status: corev1.PodStatus{
			Phase: corev1.PodRunning, PodIP: ip, PodIPs: []corev1.PodIP{{IP: ip}},
			Conditions:        []corev1.PodCondition{{Type: corev1.PodReady, Status: corev1.ConditionTrue, LastTransitionTime: metav1.NewTime(created)}},
			ContainerStatuses: []corev1.ContainerStatus{{Name: "app", Ready: true, State: corev1.ContainerState{Running: &corev1.ContainerStateRunning{StartedAt: metav1.NewTime(created)}}}},
		},
	}
}

func testService(fc failureCase, selector string) *corev1.Service {
	return &corev1.Service{
		ObjectMeta: metav1.ObjectMeta{Namespace: fc.ns(), Name: fc.service, UID: types.UID("uid-svc-" + fc.service)},
		Spec: corev1.ServiceSpec{Selector: map[string]string{"app": selector},
			Ports: []corev1.ServicePort{{Name: "http", Port: fc.port}}},
	}
}

func testSlice(fc failureCase, ready bool, port int32, pods ...string) *discoveryv1.EndpointSlice {
	es := &discoveryv1.EndpointSlice{
		ObjectMeta:  metav1.ObjectMeta{Namespace: fc.ns(), Name: fc.service + "-abc12", Labels: map[string]string{discoveryv1.LabelServiceName: fc.service}},
		AddressType: discoveryv1.AddressTypeIPv4,
		Ports:       []discoveryv1.EndpointPort{{Name: ptr("http"), Port: &port}},
	}
	for _, p := range pods {
		es.Endpoints = append(es.Endpoints, discoveryv1.Endpoint{
			Addresses:  []string{fc.ip()},
			Conditions: discoveryv1.EndpointConditions{Ready: &ready},
			TargetRef:  &corev1.ObjectReference{Kind: "Pod", Namespace: fc.ns(), Name: p},
		})
	}
	return es
}

func ptr[T any](v T) *T { return &v }

// crashCluster: the Service's one pod at 127.0.0.1:<target> was killed
// (exit 137) a second before the first failure, was unready while down,
// and came back after the last.
func crashCluster(fc failureCase, first, last time.Time) *cluster.Store {
	s := cluster.NewStore(10 * time.Minute)
	created := first.Add(-5 * time.Minute)
	s.Apply(testService(fc, fc.service), false, created)
	pod := testPod(fc.ns(), fc.service+"-0", fc.ip(), fc.service, fc.target, created)
	s.Apply(pod, false, created)
	s.Apply(testSlice(fc, true, fc.target, pod.Name), false, created)
	killed := first.Add(-time.Second)
	down := pod.DeepCopy()
	down.Status.Conditions[0].Status, down.Status.Conditions[0].LastTransitionTime = corev1.ConditionFalse, metav1.NewTime(killed)
	down.Status.ContainerStatuses[0] = corev1.ContainerStatus{Name: "app", RestartCount: 1,
		State: corev1.ContainerState{Waiting: &corev1.ContainerStateWaiting{Reason: "CrashLoopBackOff"}},
		LastTerminationState: corev1.ContainerState{Terminated: &corev1.ContainerStateTerminated{
			Reason: "Error", ExitCode: 137, StartedAt: metav1.NewTime(created), FinishedAt: metav1.NewTime(killed)}}}
	s.Apply(down, false, killed)
	s.Apply(testSlice(fc, false, fc.target, pod.Name), false, killed)
	return s
}

// noEndpointsCluster: the Service selects app=<service>, the only pod is
// labelled app=<service>-v2.
func noEndpointsCluster(fc failureCase, first, _ time.Time) *cluster.Store {
	s := cluster.NewStore(10 * time.Minute)
	created := first.Add(-5 * time.Minute)
	s.Apply(testService(fc, fc.service), false, created)
	s.Apply(testPod(fc.ns(), fc.service+"-v2-0", fc.ip(), fc.service+"-v2", 8080, created), false, created)
	s.Apply(testSlice(fc, true, 8080), false, created)
	return s
}

// healthyCluster: one Ready pod behind the Service, nothing happened.
func healthyCluster(fc failureCase, first, _ time.Time) *cluster.Store {
	s := cluster.NewStore(10 * time.Minute)
	created := first.Add(-5 * time.Minute)
	s.Apply(testService(fc, fc.service), false, created)
	pod := testPod(fc.ns(), fc.service+"-0", fc.ip(), fc.service, fc.target, created)
	s.Apply(pod, false, created)
	s.Apply(testSlice(fc, true, fc.target, pod.Name), false, created)
	return s
}

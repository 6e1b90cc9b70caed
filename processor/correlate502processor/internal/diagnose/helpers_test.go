package diagnose

import (
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	networkingv1 "k8s.io/api/networking/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/intstr"

	"github.com/k8s502/otelcol-k8s502/internal/schema"
	"github.com/k8s502/otelcol-k8s502/processor/correlate502processor/internal/cluster"
)

// The scene every test starts from: namespace shop runs Deployment checkout
// (ReplicaSet checkout-7d9f8b6c5d, pods A on node-a and B on node-b, both
// Ready for an hour) behind Service checkout (port 80 "http" → 8080). The
// ingress controller runs in namespace ingress-nginx. A request fails at t0.

// t0 is the time of the failed request; at(s) is s seconds from it.
var t0 = time.Date(2025, 3, 14, 9, 26, 53, 0, time.UTC)

func at(sec float64) time.Time { return t0.Add(time.Duration(sec * float64(time.Second))) }

// rfc renders a time as the evidence must show it.
func rfc(t time.Time) string { return t.UTC().Format(time.RFC3339) }

// testCfg is the processor's default: lookback 10m, decision_wait 5s + 5s.
var testCfg = Config{Lookback: 10 * time.Minute, After: 10 * time.Second}

const (
	ns       = "shop"
	rsName   = "checkout-7d9f8b6c5d"
	podA     = "checkout-7d9f8b6c5d-abcde"
	podB     = "checkout-7d9f8b6c5d-fghij"
	ipA      = "10.1.2.3"
	ipB      = "10.1.2.4"
	addrA    = ipA + ":8080"
	ctrlNS   = "ingress-nginx"
	ctrlPod  = "ingress-nginx-controller-6c9d5f7b8-x2x4z"
	ctrlIP   = "10.1.9.9"
	upstream = "shop-checkout-80"
)

var checkoutLabels = map[string]string{"app": "checkout", "pod-template-hash": "7d9f8b6c5d"}

// targetA is what an attempt at pod A resolves to.
var targetA = Target{Namespace: ns, Service: "checkout", Port: "80", Pod: podA, Node: "node-a", Workload: "Deployment/checkout", Address: addrA}

type world struct {
	t *testing.T
	s *cluster.Store
}

// newWorld is a store that watched the cluster all along, as a gateway
// running through the incident does (see unwatched tests for the rest).
func newWorld(t *testing.T) *world {
	s := cluster.NewStore(testCfg.Lookback)
	s.StartWatching(t0.Add(-24 * time.Hour))
	return &world{t: t, s: s}
}

// strip runs obj through the informer transform, as production does, so a
// rule that reads a field the transform drops fails here.
func strip[T any](t *testing.T, fn func(any) (any, error), obj T) T {
	t.Helper()
	out, err := fn(obj)
	require.NoError(t, err)
	return out.(T)
}

func (w *world) pod(p *corev1.Pod, seen time.Time) {
	w.s.UpsertPod(strip(w.t, cluster.StripPod, p), seen)
}

func (w *world) deletePod(p *corev1.Pod, seen time.Time) {
	w.s.DeletePod(strip(w.t, cluster.StripPod, p), seen)
}

func (w *world) service(svc *corev1.Service) {
	w.s.UpsertService(strip(w.t, cluster.StripService, svc), time.Time{})
}

// endpoints replaces the only EndpointSlice of Service shop/svc, as seen at
// seen.
func (w *world) endpoints(svc string, seen time.Time, eps ...discoveryv1.Endpoint) {
	w.endpointsIn(ns, svc, seen, eps...)
}

func (w *world) endpointsIn(namespace, svc string, seen time.Time, eps ...discoveryv1.Endpoint) {
	es := &discoveryv1.EndpointSlice{
		ObjectMeta:  metav1.ObjectMeta{Namespace: namespace, Name: svc + "-x7k2p", Labels: map[string]string{discoveryv1.LabelServiceName: svc}},
		AddressType: discoveryv1.AddressTypeIPv4,
		Endpoints:   eps,
		Ports:       []discoveryv1.EndpointPort{{Name: ptr("http"), Port: ptr(int32(8080))}},
	}
	w.s.UpsertEndpointSlice(strip(w.t, cluster.StripEndpointSlice, es), seen)
}

func (w *world) deployment(d *appsv1.Deployment) {
	w.s.UpsertDeployment(strip(w.t, cluster.StripDeployment, d), time.Time{})
}

func (w *world) replicaSet(rs *appsv1.ReplicaSet, seen time.Time) {
	w.s.UpsertReplicaSet(strip(w.t, cluster.StripReplicaSet, rs), seen)
}

func (w *world) namespace(name string, labels map[string]string) {
	n := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: name, Labels: labels}}
	w.s.UpsertNamespace(strip(w.t, cluster.StripNamespace, n), time.Time{})
}

func (w *world) policy(np *networkingv1.NetworkPolicy) {
	w.s.UpsertNetworkPolicy(strip(w.t, cluster.StripNetworkPolicy, np), time.Time{})
}

// event records a core/v1 Event about ns/name, first seen at first and last
// at last.
func (w *world) event(kind, name, reason, message string, first, last time.Time, count int32) {
	e := &corev1.Event{
		ObjectMeta:     metav1.ObjectMeta{Namespace: ns, Name: name + "." + reason + "." + first.Format("150405")},
		InvolvedObject: corev1.ObjectReference{Kind: kind, Namespace: ns, Name: name},
		Reason:         reason,
		Message:        message,
		Type:           corev1.EventTypeWarning,
		FirstTimestamp: metav1.NewTime(first),
		LastTimestamp:  metav1.NewTime(last),
		Count:          count,
	}
	w.s.AddCoreEvent(strip(w.t, cluster.StripEvent, e))
}

// shop builds the standard scene; aOpts adjust pod A's first version.
func (w *world) shop(aOpts ...podOpt) {
	w.namespace(ns, map[string]string{"kubernetes.io/metadata.name": ns, "team": "shop"})
	w.namespace(ctrlNS, map[string]string{"kubernetes.io/metadata.name": ctrlNS, "team": "platform"})
	ctrl := mkPod(ctrlPod, ctrlIP, inNamespace(ctrlNS), withLabels(map[string]string{
		"app.kubernetes.io/name": "ingress-nginx", "app.kubernetes.io/component": "controller", "pod-template-hash": "6c9d5f7b8",
	}), ownedBy("ReplicaSet", "ingress-nginx-controller-6c9d5f7b8"))
	w.pod(ctrl, at(-3600))
	w.deployment(mkDeployment("checkout", 2, nil))
	w.replicaSet(mkReplicaSet(rsName, "6", at(-2*24*3600)), at(-3600))
	w.pod(mkPod(podA, ipA, aOpts...), at(-3600))
	w.pod(mkPod(podB, ipB, onNode("node-b")), at(-3600))
	w.service(mkService("checkout", map[string]string{"app": "checkout"}))
	w.endpoints("checkout", at(-3590), ep(ipA, podA, "node-a", true, false), ep(ipB, podB, "node-b", true, false))
}

func (w *world) diagnose(f Facts) Result {
	return Diagnose(f, w.s, testCfg)
}

type podOpt func(*corev1.Pod)

// mkPod builds a pod of Deployment checkout in namespace shop, created an
// hour before t0 and Ready 10s later, whose container app serves 8080.
func mkPod(name, ip string, opts ...podOpt) *corev1.Pod {
	created := metav1.NewTime(at(-3600))
	p := &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{
			Namespace: ns, Name: name, UID: types.UID("uid-" + name), CreationTimestamp: created,
			Labels: checkoutLabels,
		},
		Spec: corev1.PodSpec{
			NodeName: "node-a",
			Containers: []corev1.Container{{
				Name:  "app",
				Ports: []corev1.ContainerPort{{Name: "http", ContainerPort: 8080, Protocol: corev1.ProtocolTCP}},
				Resources: corev1.ResourceRequirements{
					Limits: corev1.ResourceList{corev1.ResourceMemory: resource.MustParse("384Mi")},
				},
				ReadinessProbe: &corev1.Probe{
					ProbeHandler:     corev1.ProbeHandler{HTTPGet: &corev1.HTTPGetAction{Path: "/healthz", Port: intstr.FromInt32(8080)}},
					TimeoutSeconds:   1,
					PeriodSeconds:    10,
					FailureThreshold: 3,
				},
			}},
		},
		Status: corev1.PodStatus{
			Phase:     corev1.PodRunning,
			PodIP:     ip,
			PodIPs:    []corev1.PodIP{{IP: ip}},
			StartTime: &created,
			ContainerStatuses: []corev1.ContainerStatus{{
				Name: "app", Ready: true,
				State: corev1.ContainerState{Running: &corev1.ContainerStateRunning{StartedAt: created}},
			}},
		},
	}
	ownedBy("ReplicaSet", rsName)(p)
	withReady(true, at(-3590))(p)
	for _, o := range opts {
		o(p)
	}
	return p
}

func inNamespace(n string) podOpt { return func(p *corev1.Pod) { p.Namespace = n } }

func onNode(n string) podOpt { return func(p *corev1.Pod) { p.Spec.NodeName = n } }

func withLabels(l map[string]string) podOpt { return func(p *corev1.Pod) { p.Labels = l } }

func ownedBy(kind, name string) podOpt {
	return func(p *corev1.Pod) {
		p.OwnerReferences = []metav1.OwnerReference{{APIVersion: "apps/v1", Kind: kind, Name: name, UID: types.UID("uid-" + name), Controller: ptr(true)}}
	}
}

func withoutOwner() podOpt { return func(p *corev1.Pod) { p.OwnerReferences = nil } }

// createdAt sets creation and start time, Ready false from then.
func createdAt(t time.Time) podOpt {
	return func(p *corev1.Pod) {
		mt := metav1.NewTime(t)
		p.CreationTimestamp, p.Status.StartTime = mt, &mt
		withReady(false, t)(p)
	}
}

func withReady(ready bool, since time.Time) podOpt {
	return func(p *corev1.Pod) {
		st := corev1.ConditionFalse
		if ready {
			st = corev1.ConditionTrue
		}
		p.Status.Conditions = []corev1.PodCondition{{Type: corev1.PodReady, Status: st, LastTransitionTime: metav1.NewTime(since)}}
		for i := range p.Status.ContainerStatuses {
			p.Status.ContainerStatuses[i].Ready = ready
		}
	}
}

// deleting marks the pod deleted at requested with a grace period, the way
// the API server does: deletionTimestamp is when the grace period ends.
func deleting(requested time.Time, grace int64) podOpt {
	return func(p *corev1.Pod) {
		end := metav1.NewTime(requested.Add(time.Duration(grace) * time.Second))
		p.DeletionTimestamp, p.DeletionGracePeriodSeconds = &end, ptr(grace)
		p.Spec.TerminationGracePeriodSeconds = ptr(grace)
	}
}

func withMemoryLimit(q string) podOpt {
	return func(p *corev1.Pod) {
		if q == "" {
			p.Spec.Containers[0].Resources.Limits = nil
			return
		}
		p.Spec.Containers[0].Resources.Limits = corev1.ResourceList{corev1.ResourceMemory: resource.MustParse(q)}
	}
}

func withPreStop(sleep string) podOpt {
	return func(p *corev1.Pod) {
		p.Spec.Containers[0].Lifecycle = &corev1.Lifecycle{PreStop: &corev1.LifecycleHandler{Exec: &corev1.ExecAction{Command: []string{"sleep", sleep}}}}
	}
}

// lastTerminated gives container app a previous run that ended at finished.
func lastTerminated(reason string, exit, restarts int32, finished time.Time) podOpt {
	return func(p *corev1.Pod) {
		c := &p.Status.ContainerStatuses[0]
		c.RestartCount = restarts
		c.LastTerminationState = corev1.ContainerState{Terminated: &corev1.ContainerStateTerminated{
			Reason: reason, ExitCode: exit,
			StartedAt: metav1.NewTime(finished.Add(-10 * time.Minute)), FinishedAt: metav1.NewTime(finished),
		}}
		c.State = corev1.ContainerState{Running: &corev1.ContainerStateRunning{StartedAt: metav1.NewTime(finished.Add(time.Second))}}
	}
}

func mkService(name string, selector map[string]string) *corev1.Service {
	return &corev1.Service{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name},
		Spec: corev1.ServiceSpec{
			Selector: selector,
			Ports:    []corev1.ServicePort{{Name: "http", Port: 80, TargetPort: intstr.FromInt32(8080), Protocol: corev1.ProtocolTCP}},
		},
	}
}

func ep(ip, pod, node string, ready, terminating bool) discoveryv1.Endpoint {
	e := discoveryv1.Endpoint{
		Addresses:  []string{ip},
		Conditions: discoveryv1.EndpointConditions{Ready: ptr(ready), Serving: ptr(ready || terminating), Terminating: ptr(terminating)},
		NodeName:   ptr(node),
	}
	if pod != "" {
		e.TargetRef = &corev1.ObjectReference{Kind: "Pod", Namespace: ns, Name: pod}
	}
	return e
}

// mkDeployment builds Deployment shop/name; a nil ru keeps the API defaults
// (25%/25%).
func mkDeployment(name string, replicas int32, ru *appsv1.RollingUpdateDeployment) *appsv1.Deployment {
	if ru == nil {
		q := intstr.FromString("25%")
		ru = &appsv1.RollingUpdateDeployment{MaxSurge: &q, MaxUnavailable: &q}
	}
	return &appsv1.Deployment{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name, UID: types.UID("uid-" + name)},
		Spec: appsv1.DeploymentSpec{
			Replicas: ptr(replicas),
			Selector: &metav1.LabelSelector{MatchLabels: map[string]string{"app": name}},
			Strategy: appsv1.DeploymentStrategy{Type: appsv1.RollingUpdateDeploymentStrategyType, RollingUpdate: ru},
		},
	}
}

// mkReplicaSet builds a ReplicaSet of Deployment checkout.
func mkReplicaSet(name, revision string, created time.Time) *appsv1.ReplicaSet {
	return &appsv1.ReplicaSet{
		ObjectMeta: metav1.ObjectMeta{
			Namespace: ns, Name: name, UID: types.UID("uid-" + name),
			CreationTimestamp: metav1.NewTime(created),
			Annotations:       map[string]string{"deployment.kubernetes.io/revision": revision},
			OwnerReferences:   []metav1.OwnerReference{{APIVersion: "apps/v1", Kind: "Deployment", Name: "checkout", UID: "uid-checkout", Controller: ptr(true)}},
		},
		Spec: appsv1.ReplicaSetSpec{Replicas: ptr(int32(2))},
	}
}

func ptr[T any](v T) *T { return &v }

// failedAt is a 502 the gateway produced after attempt kind failed at pod A.
func failedAt(kind, msg string) Facts {
	return Facts{
		Time:                t0,
		Status:              502,
		Origin:              schema.OriginGateway,
		Outcome:             schema.OutcomeFailed,
		ErrorKind:           kind,
		ErrorMessage:        msg,
		ErrorUpstream:       addrA,
		UpstreamName:        upstream,
		Addresses:           []string{addrA},
		Statuses:            []string{"502"},
		ResponseTimes:       []float64{0.001},
		ControllerNamespace: ctrlNS,
		ControllerPod:       ctrlPod,
	}
}

// Messages as ingress-nginx (musl) writes them.
const (
	msgRefused  = "connect() failed (111: Connection refused) while connecting to upstream"
	msgConnTO   = "upstream timed out (110: Operation timed out) while connecting to upstream"
	msgReadTO   = "upstream timed out (110: Operation timed out) while reading response header from upstream"
	msgPremHdr  = "upstream prematurely closed connection while reading response header from upstream"
	msgPremBody = "upstream prematurely closed connection while reading upstream"
	msgReset    = "recv() failed (104: Connection reset by peer) while reading response header from upstream"
)

// want is what a case expects; every string in the lists must be a
// substring of some evidence / ruled-out item, or of the remediation.
type want struct {
	cause, confidence string
	target            *Target
	evidence          []string
	ruledOut          []string
	remediation       []string
	// notEvidence and notRemediation must appear nowhere in them.
	notEvidence    []string
	notRemediation []string
}

type testCase struct {
	name  string
	setup func(w *world)
	facts func(f *Facts)
	want  want
}

// run builds the scene for each case, applies its setup, judges the facts
// (failedAt(kind, msg) adjusted by the case) and checks the result.
func run(t *testing.T, kind, msg string, cases []testCase) {
	t.Helper()
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			w := newWorld(t)
			w.shop()
			if c.setup != nil {
				c.setup(w)
			}
			f := failedAt(kind, msg)
			if c.facts != nil {
				c.facts(&f)
			}
			check(t, w.diagnose(f), c.want)
		})
	}
}

var rfc3339 = regexp.MustCompile(`\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ`)

func check(t *testing.T, got Result, w want) {
	t.Helper()
	if !assert.Equal(t, w.cause, got.Cause, "cause") {
		t.Logf("evidence: %q\nruled out: %q\nremediation: %s", got.Evidence, got.RuledOut, got.Remediation)
	}
	if w.confidence != "" {
		assert.Equal(t, w.confidence, got.Confidence, "confidence")
	}
	if w.target != nil {
		assert.Equal(t, *w.target, got.Target, "target")
	}
	containsSome(t, "evidence", got.Evidence, w.evidence)
	containsSome(t, "ruled_out", got.RuledOut, w.ruledOut)
	for _, s := range w.remediation {
		assert.Contains(t, got.Remediation, s, "remediation")
	}
	for _, s := range w.notEvidence {
		for _, e := range got.Evidence {
			assert.NotContains(t, e, s, "evidence")
		}
	}
	for _, s := range w.notRemediation {
		assert.NotContains(t, got.Remediation, s, "remediation")
	}
	// Every claim carries dated evidence; every result a remediation.
	assert.NotEmpty(t, got.Remediation, "remediation")
	if got.Cause != schema.CauseUnknown {
		require.NotEmpty(t, got.Evidence, "evidence")
		assert.True(t, rfc3339.MatchString(strings.Join(got.Evidence, "\n")), "no RFC 3339 time in evidence %q", got.Evidence)
	}
}

func containsSome(t *testing.T, what string, items, wants []string) {
	t.Helper()
	for _, s := range wants {
		found := false
		for _, it := range items {
			if strings.Contains(it, s) {
				found = true
				break
			}
		}
		assert.True(t, found, "%s: no item contains %q in %q", what, s, items)
	}
}

func targetWith(f func(t *Target)) *Target {
	t := targetA
	f(&t)
	return &t
}

package diagnose

import (
	"testing"

	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"

	"github.com/k8s502/otelcol-k8s502/internal/schema"
	"github.com/k8s502/otelcol-k8s502/processor/correlate502processor/internal/cluster"
)

// servesOn makes pod A's container app declare (and probe) port port named
// name instead of http:8080: the app moved, the Service did not.
func servesOn(name string, port int32) podOpt {
	return func(p *corev1.Pod) {
		c := &p.Spec.Containers[0]
		c.Ports = []corev1.ContainerPort{{Name: name, ContainerPort: port, Protocol: corev1.ProtocolTCP}}
		c.ReadinessProbe.HTTPGet.Port = intstr.FromInt32(port)
	}
}

func noPorts(p *corev1.Pod) { p.Spec.Containers[0].Ports = nil }

// withTargetPort points Service checkout's port 80 at tp.
func withTargetPort(tp intstr.IntOrString) func(w *world) {
	return func(w *world) {
		svc := mkService("checkout", map[string]string{"app": "checkout"})
		svc.Spec.Ports[0].TargetPort = tp
		w.service(svc)
	}
}

func TestTargetPortMismatch(t *testing.T) {
	refA := "pod shop/" + podA
	patch := `kubectl -n shop patch service checkout --type json -p '[{"op":"replace","path":"/spec/ports/0/targetPort","value":3000}]'`
	run(t, schema.ErrConnectRefused, msgRefused, []testCase{
		{
			// The app listens on 3000 and its probe passes there; the
			// Service still sends 8080, which the EndpointSlice lists and
			// ingress-nginx dials.
			name:  "numeric targetPort no container declares",
			setup: func(w *world) { w.pod(mkPod(podA, ipA, servesOn("http", 3000)), at(-3600)) },
			want: want{
				cause: schema.CauseTargetPortMismatch, confidence: schema.ConfidenceMedium, target: &targetA,
				evidence: []string{
					"service shop/checkout port 80 (http) has targetPort 8080; the EndpointSlice listed 10.1.2.3 on port 8080 and ingress-nginx dialled 10.1.2.3:8080 at " + rfc(t0) + ": connection refused",
					refA + " was Ready at " + rfc(t0) + " with no restart or deletion since " + rfc(at(-60)) + "; its containers declare app:3000/TCP (http), none of them port 8080",
					"containerPorts are informational",
				},
				remediation: []string{patch, "container app of pod " + podA + " declares 3000 (http)", "deployment/checkout"},
			},
		},
		{
			// The EndpointSlice controller lists no port for a pod that
			// lacks the named targetPort; the Service's name is compared.
			name: "named targetPort no container carries",
			setup: func(w *world) {
				withTargetPort(intstr.FromString("web"))(w)
				w.pod(mkPod(podA, ipA, servesOn("http", 3000)), at(-3600))
				portless(w, ep(ipA, podA, "node-a", true, false), ep(ipB, podB, "node-b", true, false))
			},
			want: want{
				cause: schema.CauseTargetPortMismatch, confidence: schema.ConfidenceMedium,
				evidence:    []string{"has targetPort web; ingress-nginx dialled 10.1.2.3:8080", "none of them a port named web"},
				remediation: []string{patch, "if the app is meant to listen on web"},
			},
		},
		{
			name:  "Ready pod refusing on a port it declares",
			setup: nil,
			want: want{
				cause: schema.CauseUnknown, target: &targetA,
				ruledOut: []string{refA + " declares port 8080, the one ingress-nginx dialled: the Service's targetPort is right"},
			},
		},
		{
			name:  "pod declares no ports",
			setup: func(w *world) { w.pod(mkPod(podA, ipA, noPorts), at(-3600)) },
			want: want{
				cause:    schema.CauseUnknown,
				ruledOut: []string{"no container of " + refA + " declares a port (other than a mesh proxy's), so whether anything listens on the Service's targetPort cannot be checked"},
			},
		},
		{
			// A linkerd proxy's ports say nothing of the app's.
			name: "only a mesh proxy declares ports",
			setup: func(w *world) {
				w.pod(mkPod(podA, ipA, noPorts, func(p *corev1.Pod) {
					proxy := corev1.Container{Name: "linkerd-proxy", Ports: []corev1.ContainerPort{{Name: "linkerd-proxy", ContainerPort: 4143}}}
					p.Spec.Containers = append([]corev1.Container{proxy}, p.Spec.Containers...)
				}), at(-3600))
			},
			want: want{cause: schema.CauseUnknown, ruledOut: []string{"cannot be checked"}},
		},
		{
			// The kubelet's readiness probe reached 8080, so something
			// listened there: the undeclared port is not the problem.
			name: "readiness probe on the targetPort",
			setup: func(w *world) {
				w.pod(mkPod(podA, ipA, servesOn("http", 3000), func(p *corev1.Pod) {
					p.Spec.Containers[0].ReadinessProbe.HTTPGet.Port = intstr.FromInt32(8080)
				}), at(-3600))
			},
			want: want{
				cause:    schema.CauseUnknown,
				ruledOut: []string{"the readiness probe of container app of " + refA + " goes to port 8080 and the pod was Ready"},
			},
		},
		{
			// The lifecycle explains a refusal better than the ports: the
			// container was OOMKilled 30s before and Ready again at -25.
			name: "crashed pod with a mismatching port",
			setup: func(w *world) {
				w.pod(mkPod(podA, ipA, servesOn("http", 3000), lastTerminated("OOMKilled", 137, 3, at(-30)), withReady(false, at(-30))), at(-29))
				w.pod(mkPod(podA, ipA, servesOn("http", 3000), lastTerminated("OOMKilled", 137, 3, at(-30)), withReady(true, at(-25))), at(-25))
			},
			want: want{cause: schema.CausePodCrash, confidence: schema.ConfidenceHigh, notEvidence: []string{"targetPort"}},
		},
		{
			// A pod that was not Ready is readiness_probe's; one whose
			// readiness was never seen cannot be called healthy either.
			name: "readiness unknown",
			setup: func(w *world) {
				// A new incarnation, so the store has no Ready history of it.
				w.pod(mkPod(podA, ipA, servesOn("http", 3000), func(p *corev1.Pod) { p.UID, p.Status.Conditions = "uid-recreated", nil }), at(-3600))
			},
			want: want{
				cause:    schema.CauseUnknown,
				ruledOut: []string{"targetPort not compared: " + refA + " was not known to be Ready at " + rfc(t0)},
			},
		},
		{
			// Only a refused connection says nothing listens on the port.
			name:  "read timeout from a pod with a mismatching port",
			setup: func(w *world) { w.pod(mkPod(podA, ipA, servesOn("http", 3000)), at(-3600)) },
			facts: func(f *Facts) { f.ErrorKind, f.ErrorMessage = schema.ErrReadTimeout, msgReadTO },
			want:  want{cause: schema.CauseUpstreamTimeout},
		},
	})
}

// portless replaces Service checkout's EndpointSlice with one that lists no
// port, as the EndpointSlice controller does for pods lacking a named
// targetPort.
func portless(w *world, eps ...discoveryv1.Endpoint) {
	es := &discoveryv1.EndpointSlice{
		ObjectMeta:  metav1.ObjectMeta{Namespace: ns, Name: "checkout-x7k2p", Labels: map[string]string{discoveryv1.LabelServiceName: "checkout"}},
		AddressType: discoveryv1.AddressTypeIPv4,
		Endpoints:   eps,
	}
	w.s.UpsertEndpointSlice(strip(w.t, cluster.StripEndpointSlice, es), at(-3590))
}

// The Service's targetPort was fixed after the request (the operator fixed
// it, or it changed while a restarted gateway was down): the request failed
// against the spec in force then, so it is still target_port_mismatch; a
// request after the fix is not.
func TestTargetPortFixedAfterTheRequest(t *testing.T) {
	w := newWorld(t)
	w.shop()
	w.pod(mkPod(podA, ipA, servesOn("http", 3000)), at(-3600))
	// No EndpointSlice port for the address: the Service's targetPort is
	// what the gateway dialled.
	w.endpoints("checkout", at(-3590))
	fixed := mkService("checkout", map[string]string{"app": "checkout"})
	fixed.Spec.Ports[0].TargetPort = intstr.FromInt32(3000)
	w.s.UpsertService(strip(w.t, cluster.StripService, fixed), at(30))

	f := failedAt(schema.ErrConnectRefused, msgRefused)
	got := w.diagnose(f)
	check(t, got, want{cause: schema.CauseTargetPortMismatch, confidence: schema.ConfidenceMedium})

	f.Time = at(40)
	got = w.diagnose(f)
	if got.Cause == schema.CauseTargetPortMismatch {
		t.Errorf("after the fix: %s %v", got.Cause, got.Evidence)
	}
}

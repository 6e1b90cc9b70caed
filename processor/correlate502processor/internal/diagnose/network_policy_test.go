package diagnose

import (
	"testing"

	"github.com/stretchr/testify/assert"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"

	"github.com/k8s502/otelcol-k8s502/internal/schema"
)

func mkPolicy(namespace, name string, podSel map[string]string, types []networkingv1.PolicyType, rules ...networkingv1.NetworkPolicyIngressRule) *networkingv1.NetworkPolicy {
	return &networkingv1.NetworkPolicy{
		ObjectMeta: metav1.ObjectMeta{Namespace: namespace, Name: name},
		Spec: networkingv1.NetworkPolicySpec{
			PodSelector: metav1.LabelSelector{MatchLabels: podSel},
			PolicyTypes: types,
			Ingress:     rules,
		},
	}
}

// from admits pods matching podSel in namespaces matching nsSel (nil: that
// selector is absent) on ports (none: every port).
func from(nsSel, podSel map[string]string, ports ...intstr.IntOrString) networkingv1.NetworkPolicyIngressRule {
	peer := networkingv1.NetworkPolicyPeer{}
	if nsSel != nil {
		peer.NamespaceSelector = &metav1.LabelSelector{MatchLabels: nsSel}
	}
	if podSel != nil {
		peer.PodSelector = &metav1.LabelSelector{MatchLabels: podSel}
	}
	r := networkingv1.NetworkPolicyIngressRule{From: []networkingv1.NetworkPolicyPeer{peer}}
	for i := range ports {
		r.Ports = append(r.Ports, networkingv1.NetworkPolicyPort{Protocol: ptr(corev1.ProtocolTCP), Port: &ports[i]})
	}
	return r
}

var (
	ingressOnly = []networkingv1.PolicyType{networkingv1.PolicyTypeIngress}
	defaultDeny = mkPolicy(ns, "default-deny", nil, ingressOnly)
	ctrlLabels  = map[string]string{"app.kubernetes.io/name": "ingress-nginx"}
)

func TestNetworkPolicy(t *testing.T) {
	refA := "pod shop/" + podA
	ctrl := "ingress controller pod ingress-nginx/" + ctrlPod
	policies := func(nps ...*networkingv1.NetworkPolicy) func(w *world) {
		return func(w *world) {
			for _, np := range nps {
				w.policy(np)
			}
		}
	}
	manifest := []string{
		"kubectl apply -f - <<'EOF'\n",
		"kind: NetworkPolicy",
		"namespace: shop",
		"kubernetes.io/metadata.name: ingress-nginx",
		"app.kubernetes.io/name: ingress-nginx",
		"port: 8080",
		"app: checkout",
	}
	run(t, schema.ErrConnectTimeout, msgConnTO, []testCase{
		{
			name:  "default deny: the manifest admitting the controller",
			setup: policies(defaultDeny),
			want: want{
				cause: schema.CauseNetworkPolicy, confidence: schema.ConfidenceHigh, target: &targetA,
				evidence: []string{
					"connect to 10.1.2.3:8080 (" + refA + ") timed out at " + rfc(t0) + ": " + msgConnTO,
					"policy shop/default-deny",
					"no rule admits " + ctrl + " to " + refA + " on 8080/TCP",
				},
				remediation:    manifest,
				notRemediation: []string{"pod-template-hash"},
			},
		},
		{
			name:  "host unreachable (a CNI that rejects)",
			setup: policies(defaultDeny),
			facts: func(f *Facts) {
				f.ErrorKind, f.ErrorMessage = schema.ErrHostUnreachable, "connect() failed (113: No route to host) while connecting to upstream"
			},
			want: want{cause: schema.CauseNetworkPolicy, remediation: manifest},
		},
		{
			name:  "a rule for the controller's namespace, other port",
			setup: policies(mkPolicy(ns, "allow-platform-metrics", map[string]string{"app": "checkout"}, ingressOnly, from(map[string]string{"team": "platform"}, nil, intstr.FromInt32(9090)))),
			want: want{
				cause:       schema.CauseNetworkPolicy,
				evidence:    []string{"policy shop/allow-platform-metrics"},
				remediation: manifest,
			},
		},
		{
			name:  "a rule for a namespace the controller is not in",
			setup: policies(mkPolicy(ns, "allow-observability", map[string]string{"app": "checkout"}, ingressOnly, from(map[string]string{"team": "observability"}, nil))),
			want:  want{cause: schema.CauseNetworkPolicy, evidence: []string{"policy shop/allow-observability"}},
		},
		{
			name: "namespaceSelector by name admits ingress-nginx",
			setup: policies(defaultDeny, mkPolicy(ns, "allow-ingress-nginx", map[string]string{"app": "checkout"}, ingressOnly,
				from(map[string]string{"kubernetes.io/metadata.name": "ingress-nginx"}, nil, intstr.FromInt32(8080)))),
			want: want{
				cause: schema.CauseUpstreamTimeout, confidence: schema.ConfidenceMedium,
				ruledOut: []string{"NetworkPolicy shop/allow-ingress-nginx admits " + ctrl + " to " + refA + " on 8080/TCP"},
			},
		},
		{
			name: "namespaceSelector by team label and podSelector admit the controller on the named port",
			setup: policies(defaultDeny, mkPolicy(ns, "allow-platform", nil, ingressOnly,
				from(map[string]string{"team": "platform"}, ctrlLabels, intstr.FromString("http")))),
			want: want{
				cause:    schema.CauseUpstreamTimeout,
				ruledOut: []string{"NetworkPolicy shop/allow-platform admits " + ctrl},
			},
		},
		{
			name:  "no policy isolates the pod",
			setup: policies(mkPolicy("billing", "default-deny", nil, ingressOnly), mkPolicy(ns, "egress-only", nil, []networkingv1.PolicyType{networkingv1.PolicyTypeEgress})),
			want: want{
				cause: schema.CauseUpstreamTimeout, confidence: schema.ConfidenceMedium,
				ruledOut: []string{"no NetworkPolicy isolates " + refA},
			},
		},
		{
			// Policies drop SYNs; a read timeout happened on an established
			// connection.
			name:  "read timeout through a deny-all policy",
			setup: policies(defaultDeny),
			facts: func(f *Facts) { f.ErrorKind, f.ErrorMessage = schema.ErrReadTimeout, msgReadTO },
			want:  want{cause: schema.CauseUpstreamTimeout, confidence: schema.ConfidenceHigh},
		},
		{
			name:  "the controller's pod unknown and not configured",
			setup: policies(defaultDeny),
			facts: func(f *Facts) { f.ControllerPod = "ingress-nginx-controller-gone" },
			want: want{
				cause:    schema.CauseUpstreamTimeout,
				ruledOut: []string{"NetworkPolicy not evaluated: the ingress controller's pod is unknown"},
			},
		},
		{
			name:  "no pod at the address",
			setup: policies(defaultDeny),
			facts: func(f *Facts) { f.ErrorUpstream, f.Addresses = "10.9.9.9:8080", []string{"10.9.9.9:8080"} },
			want: want{
				cause:    schema.CauseUpstreamTimeout,
				ruledOut: []string{"NetworkPolicy not evaluated: no pod held 10.9.9.9:8080 at " + rfc(t0)},
			},
		},
	})
}

// Without resource attributes naming its pod, the controller is the one
// configured (ingress_controller).
func TestNetworkPolicyControllerFromConfig(t *testing.T) {
	w := newWorld(t)
	w.shop()
	w.policy(defaultDeny)
	f := failedAt(schema.ErrConnectTimeout, msgConnTO)
	f.ControllerNamespace, f.ControllerPod = "", ""
	cfg := testCfg
	cfg.Controller = Controller{Namespace: ctrlNS, PodLabels: ctrlLabels}
	got := Diagnose(f, w.s, cfg)
	check(t, got, want{
		cause:       schema.CauseNetworkPolicy,
		evidence:    []string{"no rule admits ingress controller pods {app.kubernetes.io/name=ingress-nginx} in namespace ingress-nginx to pod shop/" + podA + " on 8080/TCP"},
		remediation: []string{"kubernetes.io/metadata.name: ingress-nginx", "app.kubernetes.io/name: ingress-nginx", "port: 8080"},
	})

	w.policy(mkPolicy(ns, "allow-ingress", nil, ingressOnly, from(map[string]string{"team": "platform"}, ctrlLabels)))
	got = Diagnose(f, w.s, cfg)
	assert.Equal(t, schema.CauseUpstreamTimeout, got.Cause)
}

package diagnose

import (
	"testing"

	"github.com/k8s502/otelcol-k8s502/internal/schema"
)

// noUpstream is ingress-nginx's own 503 for a Service without ready
// endpoints: no upstream contacted, no error line.
func noUpstream(f *Facts) {
	f.Status, f.Origin, f.ErrorKind, f.ErrorMessage = 503, schema.OriginLocal, "", ""
	f.ErrorUpstream, f.Addresses, f.Statuses, f.ResponseTimes = "", nil, nil, nil
}

func TestNoEndpoints(t *testing.T) {
	promotions := func(w *world, podLabels map[string]string) {
		w.service(mkService("promotions", map[string]string{"app": "promotions", "tier": "web"}))
		w.pod(mkPod("promotions-v2-6d5c4b3a2-p8q7r", "10.1.3.1", withLabels(podLabels), ownedBy("ReplicaSet", "promotions-v2-6d5c4b3a2")), at(-3600))
		w.pod(mkPod("accounts-7f6e5d4c3-b2n4m", "10.1.3.2", withLabels(map[string]string{"app": "accounts", "tier": "backend"}), ownedBy("ReplicaSet", "accounts-7f6e5d4c3")), at(-3600))
	}
	promotionsFacts := func(f *Facts) { noUpstream(f); f.UpstreamName = "shop-promotions-80" }
	promotionsTarget := &Target{Namespace: ns, Service: "promotions", Port: "80"}
	bothUnready := func(w *world) {
		w.pod(mkPod(podA, ipA, withReady(false, at(-30))), at(-30))
		w.pod(mkPod(podB, ipB, onNode("node-b"), withReady(false, at(-28))), at(-28))
		w.endpoints("checkout", at(-27), ep(ipA, podA, "node-a", false, false), ep(ipB, podB, "node-b", false, false))
	}
	run(t, "", "", []testCase{
		{
			name:  "selector matches nothing: the nearest pod's label diff",
			setup: func(w *world) { promotions(w, map[string]string{"app": "promotions-v2", "tier": "web"}) },
			facts: promotionsFacts,
			want: want{
				cause: schema.CauseNoEndpoints, confidence: schema.ConfidenceHigh, target: promotionsTarget,
				evidence: []string{
					"service shop/promotions had no ready endpoints at " + rfc(t0) + " (0 listed)",
					"selector {app=promotions,tier=web} matches no pod in namespace shop",
					"closest pod shop/promotions-v2-6d5c4b3a2-p8q7r differs: app=promotions-v2 (selector wants app=promotions)",
				},
				remediation: []string{`kubectl -n shop patch service promotions --type merge -p '{"spec":{"selector":{"app":"promotions-v2","tier":"web"}}}'`},
			},
		},
		{
			// The pod lacks a key the selector has: a merge patch must
			// delete it (null), else the selector still matches nothing.
			name:  "selector key the pod lacks",
			setup: func(w *world) { promotions(w, map[string]string{"app": "promotions"}) },
			facts: promotionsFacts,
			want: want{
				cause: schema.CauseNoEndpoints, target: promotionsTarget,
				evidence:    []string{"closest pod shop/promotions-v2-6d5c4b3a2-p8q7r differs: no label tier (selector wants tier=web)"},
				remediation: []string{`{"spec":{"selector":{"app":"promotions","tier":null}}}`},
			},
		},
		{
			name:  "selector matches pods, none ready",
			setup: bothUnready,
			facts: noUpstream,
			want: want{
				cause: schema.CauseNoEndpoints, confidence: schema.ConfidenceHigh,
				target: &Target{Namespace: ns, Service: "checkout", Port: "80"},
				evidence: []string{
					"service shop/checkout had no ready endpoints at " + rfc(t0) + " (2 listed)",
					"selector {app=checkout} matches 2 pod(s), 2 not Ready at " + rfc(t0),
				},
				remediation: []string{"kubectl -n shop get pods -l app=checkout -o wide", "kubectl -n shop describe pods -l app=checkout"},
			},
		},
		{
			// Scaled to zero three minutes ago: the deleted pods are not
			// "matching pods, none ready".
			name: "every matching pod deleted before the request",
			setup: func(w *world) {
				w.deletePod(mkPod(podA, ipA), at(-180))
				w.deletePod(mkPod(podB, ipB, onNode("node-b")), at(-180))
				w.endpoints("checkout", at(-178))
			},
			facts: noUpstream,
			want: want{
				cause: schema.CauseNoEndpoints, confidence: schema.ConfidenceHigh,
				evidence: []string{
					"service shop/checkout had no ready endpoints at " + rfc(t0) + " (0 listed)",
					"selector {app=checkout} matches no pod in namespace shop",
					"pod shop/" + podA + " matching the selector was deleted at " + rfc(at(-180)),
				},
				remediation: []string{"no pod carries {app=checkout}"},
			},
		},
		{
			name:  "Service without selector",
			setup: func(w *world) { w.service(mkService("legacy", nil)) },
			facts: func(f *Facts) { noUpstream(f); f.UpstreamName = "shop-legacy-80" },
			want: want{
				cause:       schema.CauseNoEndpoints,
				evidence:    []string{"service shop/legacy has no selector"},
				remediation: []string{"kubectl -n shop get endpointslices -l kubernetes.io/service-name=legacy -o yaml"},
			},
		},
		{
			name:  "local 503 for a Service the collector does not know",
			facts: func(f *Facts) { noUpstream(f); f.UpstreamName = "shop-cart-80" },
			want: want{
				cause: schema.CauseNoEndpoints, confidence: schema.ConfidenceMedium, target: &Target{},
				evidence:    []string{"ingress-nginx answered 503 for upstream shop-cart-80 at " + rfc(t0) + " without contacting any pod"},
				remediation: []string{"shop-cart-80"},
			},
		},
		{
			name:  "local 503 while endpoints were ready",
			facts: noUpstream,
			want: want{
				cause:    schema.CauseUnknown,
				ruledOut: []string{"service shop/checkout had 2 ready endpoint(s) at " + rfc(t0)},
			},
		},
		{
			name: "endpoints went unready only after the request",
			setup: func(w *world) {
				w.endpoints("checkout", at(2), ep(ipA, podA, "node-a", false, false), ep(ipB, podB, "node-b", false, false))
			},
			facts: noUpstream,
			want: want{
				cause:    schema.CauseUnknown,
				ruledOut: []string{"service shop/checkout had 2 ready endpoint(s) at " + rfc(t0)},
			},
		},
		{
			name: "endpoints back before the request",
			setup: func(w *world) {
				w.endpoints("checkout", at(-300))
				w.endpoints("checkout", at(-5), ep(ipA, podA, "node-a", true, false))
			},
			facts: noUpstream,
			want: want{
				cause:    schema.CauseUnknown,
				ruledOut: []string{"service shop/checkout had 1 ready endpoint(s) at " + rfc(t0)},
			},
		},
		{
			// nginx still routed to the only pod after its endpoint was
			// removed: the Service had no endpoints, but the gateway did
			// contact a pod, and that pod was being deleted.
			name: "gateway contacted a pod whose endpoint was already removed",
			setup: func(w *world) {
				w.deletePod(mkPod(podB, ipB, onNode("node-b")), at(-3000))
				w.endpoints("checkout", at(-2999), ep(ipA, podA, "node-a", true, false))
				w.pod(mkPod(podA, ipA, deleting(at(-3), 30)), at(-3))
				w.endpoints("checkout", at(-2))
			},
			facts: func(f *Facts) { f.ErrorKind, f.ErrorMessage = schema.ErrConnectRefused, msgRefused },
			want: want{
				cause: schema.CausePodTermination, target: &targetA,
				evidence: []string{"deletion requested at " + rfc(at(-3))},
			},
		},
		{
			name: "gateway reached an address of a Service without endpoints, no pod known",
			setup: func(w *world) {
				w.endpoints("checkout", at(-60))
			},
			facts: func(f *Facts) {
				f.ErrorKind, f.ErrorMessage = schema.ErrConnectRefused, msgRefused
				f.ErrorUpstream, f.Addresses = "10.9.9.9:8080", []string{"10.9.9.9:8080"}
			},
			want: want{
				cause:    schema.CauseNoEndpoints,
				evidence: []string{"service shop/checkout had no ready endpoints at " + rfc(t0) + " (0 listed)"},
			},
		},
	})
}

package diagnose

import (
	"testing"

	corev1 "k8s.io/api/core/v1"

	"github.com/k8s502/otelcol-k8s502/internal/schema"
)

func TestReadinessProbe(t *testing.T) {
	refA := "pod shop/" + podA
	const probeFailed = `Readiness probe failed: Get "http://10.1.2.3:8080/healthz": context deadline exceeded (Client.Timeout exceeded while awaiting headers)`
	notReadyA := func(since float64) func(w *world) {
		return func(w *world) {
			w.pod(mkPod(podA, ipA, withReady(false, at(since))), at(since))
			w.endpoints("checkout", at(since+1), ep(ipA, podA, "node-a", false, false), ep(ipB, podB, "node-b", true, false))
		}
	}
	probePatch := `kubectl -n shop patch deployment/checkout --type json -p '[{"op":"replace","path":"/spec/template/spec/containers/0/readinessProbe/timeoutSeconds","value":3},{"op":"replace","path":"/spec/template/spec/containers/0/readinessProbe/failureThreshold","value":5}]'`
	since := func(sec float64) string { return "had no readiness failures since " + rfc(at(sec)) }
	run(t, schema.ErrReadTimeout, msgReadTO, []testCase{
		{
			name: "probe failing and NotReady at the request",
			setup: func(w *world) {
				w.event("Pod", podA, "Unhealthy", probeFailed, at(-45), at(-5), 4)
				notReadyA(-25)(w)
			},
			want: want{
				cause: schema.CauseReadinessProbe, confidence: schema.ConfidenceHigh, target: &targetA,
				evidence: []string{
					"event Unhealthy on " + refA + " at " + rfc(at(-5)) + ": " + probeFailed + " (x4)",
					refA + " was not Ready at " + rfc(t0),
					refA + " became Ready=false at " + rfc(at(-25)),
				},
				remediation: []string{probePatch, "probe of container app had timeoutSeconds=1 failureThreshold=3"},
			},
		},
		{
			name:  "NotReady at the request, no event kept",
			setup: notReadyA(-25),
			want: want{
				cause: schema.CauseReadinessProbe, confidence: schema.ConfidenceHigh,
				evidence: []string{refA + " was not Ready at " + rfc(t0)},
			},
		},
		{
			name: "probe failures just before, Ready at the request",
			setup: func(w *world) {
				w.event("Pod", podA, "Unhealthy", probeFailed, at(-50), at(-30), 2)
			},
			want: want{
				cause: schema.CauseReadinessProbe, confidence: schema.ConfidenceMedium,
				evidence: []string{"event Unhealthy on " + refA + " at " + rfc(at(-30))},
			},
		},
		{
			name: "flapped NotReady and back within the minute",
			setup: func(w *world) {
				notReadyA(-40)(w)
				w.pod(mkPod(podA, ipA, withReady(true, at(-20))), at(-20))
			},
			want: want{
				cause: schema.CauseReadinessProbe, confidence: schema.ConfidenceMedium,
				evidence: []string{refA + " became Ready=false at " + rfc(at(-40)), refA + " became Ready=true at " + rfc(at(-20))},
			},
		},
		{
			name: "probe on the second container",
			setup: func(w *world) {
				notReadyA(-25)(w)
				w.pod(mkPod(podA, ipA, withReady(false, at(-25)), func(p *corev1.Pod) {
					p.Spec.Containers = append([]corev1.Container{{Name: "envoy"}}, p.Spec.Containers...)
				}), at(-24))
			},
			want: want{
				cause:       schema.CauseReadinessProbe,
				remediation: []string{"/spec/template/spec/containers/1/readinessProbe/timeoutSeconds", "probe of container app"},
			},
		},
		{
			name: "no readiness probe",
			setup: func(w *world) {
				notReadyA(-25)(w)
				w.pod(mkPod(podA, ipA, withReady(false, at(-25)), func(p *corev1.Pod) { p.Spec.Containers[0].ReadinessProbe = nil }), at(-24))
			},
			want: want{cause: schema.CauseReadinessProbe, remediation: []string{"kubectl -n shop describe pod " + podA}},
		},
		{
			name: "a liveness probe failed, not readiness",
			setup: func(w *world) {
				w.event("Pod", podA, "Unhealthy", `Liveness probe failed: Get "http://10.1.2.3:8080/livez": context deadline exceeded`, at(-30), at(-10), 2)
			},
			want: want{
				cause:    schema.CauseUpstreamTimeout,
				ruledOut: []string{refA + " was Ready at " + rfc(t0) + " and " + since(-60)},
			},
		},
		{
			name:  "NotReady only after the request, beyond the slack",
			setup: notReadyA(30),
			want: want{
				cause:    schema.CauseUpstreamTimeout,
				ruledOut: []string{refA + " was Ready at " + rfc(t0)},
			},
		},
		{
			name: "the other pod was failing",
			setup: func(w *world) {
				w.event("Pod", podB, "Unhealthy", probeFailed, at(-45), at(-5), 4)
				w.pod(mkPod(podB, ipB, onNode("node-b"), withReady(false, at(-25))), at(-25))
			},
			want: want{
				cause: schema.CauseUpstreamTimeout, target: &targetA,
				ruledOut: []string{refA + " was Ready at " + rfc(t0)},
			},
		},
		{
			name: "flapped five minutes before, Ready since",
			setup: func(w *world) {
				w.event("Pod", podA, "Unhealthy", probeFailed, at(-330), at(-310), 3)
				notReadyA(-310)(w)
				w.pod(mkPod(podA, ipA, withReady(true, at(-290))), at(-290))
			},
			want: want{
				cause:    schema.CauseUpstreamTimeout,
				ruledOut: []string{refA + " was Ready at " + rfc(t0) + " and " + since(-60)},
			},
		},
		{
			// A new pod's startup (NotReady, then Ready) is no probe
			// failure.
			name: "fresh pod became Ready for the first time",
			setup: func(w *world) {
				c := mkPod("checkout-7d9f8b6c5d-q9w2e", "10.1.2.5", createdAt(at(-30)))
				w.pod(c, at(-30))
				withReady(true, at(-20))(c)
				w.pod(c, at(-20))
				w.endpoints("checkout", at(-20), ep(ipA, podA, "node-a", true, false), ep(ipB, podB, "node-b", true, false), ep("10.1.2.5", c.Name, "node-a", true, false))
			},
			facts: func(f *Facts) { f.ErrorUpstream, f.Addresses = "10.1.2.5:8080", []string{"10.1.2.5:8080"} },
			want: want{
				cause:    schema.CauseUpstreamTimeout,
				ruledOut: []string{"pod shop/checkout-7d9f8b6c5d-q9w2e was Ready at " + rfc(t0) + " and " + since(-60)},
			},
		},
	})
}

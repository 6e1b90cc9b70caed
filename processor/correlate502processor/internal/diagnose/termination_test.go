package diagnose

import (
	"testing"

	corev1 "k8s.io/api/core/v1"

	"github.com/k8s502/otelcol-k8s502/internal/schema"
)

func TestPodTermination(t *testing.T) {
	refA := "pod shop/" + podA
	// deleteA requests pod A's deletion gap seconds before the request; its
	// endpoint turns terminating a moment later.
	deleteA := func(gap float64, opts ...podOpt) func(w *world) {
		return func(w *world) {
			w.pod(mkPod(podA, ipA, append(opts, deleting(at(-gap), 30))...), at(-gap))
			w.endpoints("checkout", at(-gap+0.5), ep(ipA, podA, "node-a", false, true), ep(ipB, podB, "node-b", true, false))
		}
	}
	patch := func(sleep, grace string) []string {
		return []string{
			"kubectl -n shop patch deployment/checkout --type strategic",
			`"terminationGracePeriodSeconds":` + grace,
			`"containers":[{"name":"app","lifecycle":{"preStop":{"exec":{"command":["sleep","` + sleep + `"]}}}}]`,
		}
	}
	run(t, schema.ErrConnectRefused, msgRefused, []testCase{
		{
			name:  "deleted 4s before: preStop sleep ceil(1.5*4)+2",
			setup: deleteA(4),
			want: want{
				cause: schema.CausePodTermination, confidence: schema.ConfidenceHigh, target: &targetA,
				evidence: []string{
					refA + " deletion requested at " + rfc(at(-4)) + "; the request came 4.0s later, at " + rfc(t0),
					"endpoint 10.1.2.3 of service shop/checkout was ready=false terminating=true at " + rfc(t0),
					"pod has no preStop hook",
				},
				ruledOut:    nil,
				remediation: append(patch("8", "30"), "preStop sleep 8s covers the 4.0s"),
			},
		},
		{
			name:  "gap 2.5s rounds up: ceil(3.75)+2",
			setup: deleteA(2.5),
			want:  want{cause: schema.CausePodTermination, remediation: patch("6", "30")},
		},
		{
			name:  "short gap: never less than 5s",
			setup: deleteA(1.2),
			want:  want{cause: schema.CausePodTermination, remediation: patch("5", "30")},
		},
		{
			name:  "long gap raises the grace period to sleep+15",
			setup: deleteA(12),
			want:  want{cause: schema.CausePodTermination, remediation: patch("20", "35")},
		},
		{
			name:  "existing preStop too short",
			setup: deleteA(9, withPreStop("5")),
			want: want{
				cause:       schema.CausePodTermination,
				evidence:    []string{"pod has a preStop hook, but it did not cover the 9.0s"},
				remediation: patch("16", "31"),
			},
		},
		{
			name: "Killing event without deletionTimestamp",
			setup: func(w *world) {
				w.event("Pod", podA, "Killing", "Stopping container app", at(-2), at(-2), 1)
			},
			want: want{
				cause:       schema.CausePodTermination,
				evidence:    []string{refA + " deletion requested at " + rfc(at(-2))},
				remediation: patch("5", "30"),
			},
		},
		{
			name:  "deletion only seen by the watch",
			setup: func(w *world) { w.deletePod(mkPod(podA, ipA), at(-3)) },
			want: want{
				cause: schema.CausePodTermination, target: &targetA,
				evidence:    []string{refA + " deletion requested at " + rfc(at(-3)) + "; the request came 3.0s later"},
				remediation: patch("7", "30"),
			},
		},
		{
			// linkerd injects its proxy as the first container: the preStop
			// belongs on the container serving the port.
			name: "sidecar listed first",
			setup: deleteA(4, func(p *corev1.Pod) {
				proxy := corev1.Container{Name: "linkerd-proxy", Ports: []corev1.ContainerPort{{Name: "linkerd-proxy", ContainerPort: 4143}}}
				p.Spec.Containers = append([]corev1.Container{proxy}, p.Spec.Containers...)
			}),
			want: want{cause: schema.CausePodTermination, remediation: patch("8", "30")},
		},
		{
			name: "StatefulSet pod",
			setup: func(w *world) {
				w.pod(mkPod(podA, ipA, ownedBy("StatefulSet", "checkout"), deleting(at(-4), 30)), at(-4))
			},
			want: want{
				cause:       schema.CausePodTermination,
				target:      targetWith(func(t *Target) { t.Workload = "StatefulSet/checkout" }),
				remediation: []string{"kubectl -n shop patch statefulset/checkout --type strategic"},
			},
		},
		{
			// A bare pod has no template to patch, and no Deployment is
			// named after it.
			name: "pod without controller",
			setup: func(w *world) {
				w.pod(mkPod(podA, ipA, withoutOwner(), deleting(at(-4), 30)), at(-4))
			},
			want: want{
				cause:          schema.CausePodTermination,
				target:         targetWith(func(t *Target) { t.Workload = "" }),
				remediation:    []string{"pod shop/" + podA, `"sleep","8"`},
				notRemediation: []string{"deployment/" + podA},
			},
		},
		{
			name:  "deletion requested after the request",
			setup: deleteA(-3),
			want: want{
				cause:    schema.CauseUnknown,
				ruledOut: []string{refA + " was not being deleted at " + rfc(t0)},
			},
		},
		{
			name: "the other pod was deleted",
			setup: func(w *world) {
				w.pod(mkPod(podB, ipB, onNode("node-b"), deleting(at(-4), 30)), at(-4))
			},
			want: want{
				cause:    schema.CauseUnknown,
				target:   &targetA,
				ruledOut: []string{refA + " was not being deleted at " + rfc(t0)},
			},
		},
		{
			// The kubelet also says Killing when a liveness probe restarts
			// a container; the pod is not going away.
			name: "Killing by a failed liveness probe",
			setup: func(w *world) {
				w.event("Pod", podA, "Unhealthy", "Liveness probe failed: Get \"http://10.1.2.3:8080/healthz\": context deadline exceeded", at(-32), at(-2), 3)
				w.event("Pod", podA, "Killing", "Container app failed liveness probe, will be restarted", at(-2), at(-2), 1)
				w.pod(mkPod(podA, ipA, lastTerminated("Error", 137, 1, at(-1)), withReady(false, at(-1))), at(-1))
			},
			want: want{
				cause:    schema.CausePodCrash,
				ruledOut: []string{refA + " was not being deleted at " + rfc(t0)},
			},
		},
		{
			name: "deletion requested beyond the lookback",
			setup: func(w *world) {
				w.pod(mkPod(podA, ipA, deleting(at(-900), 3600)), at(-900))
			},
			want: want{cause: schema.CauseUnknown},
		},
	})
}

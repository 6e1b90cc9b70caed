package diagnose

import (
	"testing"

	"github.com/k8s502/otelcol-k8s502/internal/schema"
	"github.com/k8s502/otelcol-k8s502/processor/correlate502processor/internal/cluster"
)

func TestPodCrash(t *testing.T) {
	refA := "pod shop/" + podA
	// crashA: pod A's container app ended at finished and the pod was not
	// Ready from then until readyAgain (zero: still not Ready at t0).
	crashA := func(reason string, exit int32, finished, readyAgain float64, opts ...podOpt) func(w *world) {
		return func(w *world) {
			w.pod(mkPod(podA, ipA, append(opts, lastTerminated(reason, exit, 3, at(finished)), withReady(false, at(finished)))...), at(finished+1))
			if readyAgain != 0 {
				w.pod(mkPod(podA, ipA, append(opts, lastTerminated(reason, exit, 3, at(finished)), withReady(true, at(readyAgain)))...), at(readyAgain))
			}
		}
	}
	window := "between " + rfc(at(-600)) + " and " + rfc(at(10))
	run(t, schema.ErrConnectRefused, msgRefused, []testCase{
		{
			name: "OOMKilled: the memory limit doubled",
			setup: func(w *world) {
				crashA("OOMKilled", 137, -20, 0)(w)
				w.event("Pod", podA, "BackOff", "Back-off restarting failed container app in pod "+podA+"_shop(uid-"+podA+")", at(-19), at(-5), 2)
			},
			want: want{
				cause: schema.CausePodCrash, confidence: schema.ConfidenceHigh, target: &targetA,
				evidence: []string{
					refA + " container app terminated OOMKilled (exit 137) at " + rfc(at(-20)) + ", restart 3",
					"event BackOff on " + refA + " at " + rfc(at(-5)),
					refA + " was not Ready at " + rfc(t0),
				},
				remediation: []string{
					"kubectl -n shop set resources deployment/checkout -c app --limits=memory=768Mi",
					"kubectl -n shop logs " + podA + " -c app --previous",
				},
			},
		},
		{
			name:  "OOMKilled with a 1Gi limit",
			setup: crashA("OOMKilled", 137, -20, 0, withMemoryLimit("1Gi")),
			want:  want{cause: schema.CausePodCrash, remediation: []string{"--limits=memory=2Gi"}},
		},
		{
			name:  "OOMKilled without a limit",
			setup: crashA("OOMKilled", 137, -20, 0, withMemoryLimit("")),
			want:  want{cause: schema.CausePodCrash, remediation: []string{"--limits=memory=<more than its peak usage>"}},
		},
		{
			name:  "error exit: the previous container's logs",
			setup: crashA("Error", 1, -12, 0),
			want: want{
				cause: schema.CausePodCrash, confidence: schema.ConfidenceHigh,
				evidence:       []string{refA + " container app terminated Error (exit 1) at " + rfc(at(-12))},
				remediation:    []string{"kubectl -n shop logs " + podA + " -c app --previous  # why it exited (Error)"},
				notRemediation: []string{"set resources"},
			},
		},
		{
			name: "restart known only from a metric",
			setup: func(w *world) {
				w.s.AddTermination(cluster.Termination{Namespace: ns, Pod: podA, Container: "app", Seen: at(-15), RestartCount: 4})
			},
			want: want{
				cause: schema.CausePodCrash, confidence: schema.ConfidenceHigh,
				evidence:       []string{refA + " container app restarted by " + rfc(at(-15)) + " (restart 4, from a restart metric)"},
				notEvidence:    []string{"exit 0"},
				remediation:    []string{"kubectl -n shop logs " + podA + " -c app --previous"},
				notRemediation: []string{"()"},
			},
		},
		{
			name: "metric with last_terminated_reason OOMKilled",
			setup: func(w *world) {
				w.s.AddTermination(cluster.Termination{Namespace: ns, Pod: podA, Container: "app", Reason: "OOMKilled", Seen: at(-15), RestartCount: 4})
			},
			want: want{
				cause:       schema.CausePodCrash,
				evidence:    []string{"OOMKilled", rfc(at(-15))},
				remediation: []string{"--limits=memory=768Mi"},
			},
		},
		{
			name:  "Ready again, but within 60s of the restart",
			setup: crashA("Error", 2, -30, -25),
			want: want{
				cause: schema.CausePodCrash, confidence: schema.ConfidenceHigh,
				evidence:    []string{"terminated Error (exit 2) at " + rfc(at(-30))},
				notEvidence: []string{"was not Ready"},
			},
		},
		{
			name:  "terminated just after the request, within the slack",
			setup: crashA("OOMKilled", 137, 4, 0),
			want: want{
				cause:    schema.CausePodCrash,
				evidence: []string{"terminated OOMKilled (exit 137) at " + rfc(at(4))},
			},
		},
		{
			name: "BackOff events only",
			setup: func(w *world) {
				w.event("Pod", podA, "BackOff", "Back-off restarting failed container app in pod "+podA+"_shop(uid-"+podA+")", at(-90), at(-3), 7)
			},
			want: want{
				cause: schema.CausePodCrash, confidence: schema.ConfidenceMedium,
				evidence:    []string{"event BackOff on " + refA + " at " + rfc(at(-3)), "(x7)"},
				remediation: []string{"kubectl -n shop logs " + podA + " --previous"},
			},
		},
		{
			name:  "old restart, Ready again for over 60s",
			setup: crashA("Error", 1, -300, -290),
			want: want{
				cause:    schema.CauseUnknown,
				ruledOut: []string{refA + " last restarted at " + rfc(at(-300)) + " (Error), 5m0s before the request, and was Ready again"},
			},
		},
		{
			name: "the other pod crashed",
			setup: func(w *world) {
				w.pod(mkPod(podB, ipB, onNode("node-b"), lastTerminated("OOMKilled", 137, 1, at(-20)), withReady(false, at(-20))), at(-19))
			},
			want: want{
				cause: schema.CauseUnknown, target: &targetA,
				ruledOut: []string{refA + " had no container restart " + window},
			},
		},
		{
			name:  "crash outside the lookback",
			setup: crashA("OOMKilled", 137, -660, -650),
			want: want{
				cause:    schema.CauseUnknown,
				ruledOut: []string{refA + " had no container restart " + window},
			},
		},
		{
			name:  "crash after the request, beyond the slack",
			setup: crashA("OOMKilled", 137, 30, 0),
			want: want{
				cause:    schema.CauseUnknown,
				ruledOut: []string{refA + " had no container restart " + window},
			},
		},
	})
}

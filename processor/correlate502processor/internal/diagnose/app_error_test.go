package diagnose

import (
	"testing"

	"github.com/k8s502/otelcol-k8s502/internal/schema"
)

func TestUpstreamAppError(t *testing.T) {
	fromApp := func(f *Facts) {
		f.Origin, f.ErrorKind, f.ErrorMessage, f.ErrorUpstream = schema.OriginUpstream, "", "", ""
		f.ResponseTimes = []float64{0.231}
	}
	run(t, "", "", []testCase{
		{
			name:  "the app answered 502 itself",
			facts: fromApp,
			want: want{
				cause: schema.CauseUpstreamAppError, confidence: schema.ConfidenceHigh,
				target:      &targetA,
				evidence:    []string{"upstream 10.1.2.3:8080 (pod shop/" + podA + ") returned 502 itself at " + rfc(t0)},
				ruledOut:    []string{"pod shop/" + podA + " was Ready at " + rfc(t0)},
				remediation: []string{"kubectl -n shop logs " + podA + " --since-time=" + rfc(at(-60))},
			},
		},
		{
			name: "the app answered 503 while not Ready",
			setup: func(w *world) {
				w.pod(mkPod(podA, ipA, withReady(false, at(-8))), at(-8))
			},
			facts: func(f *Facts) { fromApp(f); f.Status = 503 },
			want: want{
				cause: schema.CauseUpstreamAppError, confidence: schema.ConfidenceMedium,
				evidence: []string{"returned 503 itself", "pod shop/" + podA + " was not Ready at " + rfc(t0)},
			},
		},
		{
			name:  "HTTP/0.9 answer",
			facts: func(f *Facts) { fromApp(f); f.Status = 9 },
			want: want{
				cause:    schema.CauseUpstreamAppError,
				evidence: []string{"an HTTP/0.9 (headerless) response, logged as 009"},
			},
		},
		{
			// The app answered, then cut the body: no keepalive race (that
			// fails before the header), no lifecycle event.
			name: "answer cut mid-body",
			facts: func(f *Facts) {
				f.Origin, f.Status, f.Outcome = schema.OriginUpstream, 200, schema.OutcomeTruncated
				f.ErrorKind, f.ErrorMessage = schema.ErrPrematureClose, msgPremBody
			},
			want: want{
				cause: schema.CauseUpstreamAppError, confidence: schema.ConfidenceHigh,
				evidence: []string{"answered 200 at " + rfc(t0) + ", then the response broke: " + msgPremBody},
				ruledOut: []string{"the connection broke mid-response"},
			},
		},
		{
			name:  "address nobody held",
			facts: func(f *Facts) { fromApp(f); f.Addresses = []string{"10.9.9.9:8080"} },
			want: want{
				cause:       schema.CauseUpstreamAppError,
				target:      &Target{Namespace: ns, Service: "checkout", Port: "80", Address: "10.9.9.9:8080"},
				evidence:    []string{"upstream 10.9.9.9:8080 (pod at 10.9.9.9:8080) returned 502"},
				remediation: []string{"read its logs"},
			},
		},
		{
			// Same pod, same 502, but the gateway made it: a refused
			// connect to a deleted pod is not the app's answer.
			name: "gateway origin is not the app's answer",
			setup: func(w *world) {
				w.pod(mkPod(podA, ipA, deleting(at(-3), 30)), at(-3))
			},
			want: want{cause: schema.CausePodTermination},
		},
	})
}

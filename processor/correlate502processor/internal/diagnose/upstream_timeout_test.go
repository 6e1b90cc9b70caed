package diagnose

import (
	"testing"

	"github.com/k8s502/otelcol-k8s502/internal/schema"
)

func TestUpstreamTimeout(t *testing.T) {
	refA := "pod shop/" + podA
	run(t, schema.ErrReadTimeout, msgReadTO, []testCase{
		{
			name:  "no answer within proxy-read-timeout",
			facts: func(f *Facts) { f.Status, f.ResponseTimes = 504, []float64{60.001} },
			want: want{
				cause: schema.CauseUpstreamTimeout, confidence: schema.ConfidenceHigh, target: &targetA,
				evidence: []string{"10.1.2.3:8080 (" + refA + ") did not answer after 60.001s at " + rfc(t0) + ": " + msgReadTO},
				remediation: []string{
					"kubectl -n shop top pod " + podA,
					"nginx.ingress.kubernetes.io/proxy-read-timeout on the Ingress routing to service shop/checkout",
				},
			},
		},
		{
			// Two attempts timed out; the one the error line names is judged,
			// with its own wait.
			name: "the named attempt's wait",
			facts: func(f *Facts) {
				f.Status = 504
				f.Addresses, f.Statuses, f.ResponseTimes = []string{addrA, ipB + ":8080"}, []string{"504", "504"}, []float64{30.002, 30.001}
			},
			want: want{cause: schema.CauseUpstreamTimeout, evidence: []string{"did not answer after 30.002s"}},
		},
		{
			name: "connect timeout with no policy in the way",
			facts: func(f *Facts) {
				f.ErrorKind, f.ErrorMessage, f.ResponseTimes = schema.ErrConnectTimeout, msgConnTO, []float64{5.0}
			},
			want: want{
				cause: schema.CauseUpstreamTimeout, confidence: schema.ConfidenceMedium,
				evidence:    []string{"did not accept the connection after 5.000s at " + rfc(t0)},
				ruledOut:    []string{"no NetworkPolicy isolates " + refA},
				remediation: []string{"nginx.ingress.kubernetes.io/proxy-connect-timeout"},
			},
		},
		{
			name:  "response time not logged",
			facts: func(f *Facts) { f.ResponseTimes = []float64{-1} },
			want:  want{cause: schema.CauseUpstreamTimeout, evidence: []string{"did not answer at " + rfc(t0)}},
		},
		{
			name:  "not a timeout",
			facts: func(f *Facts) { f.ErrorKind, f.ErrorMessage = schema.ErrConnectRefused, msgRefused },
			want:  want{cause: schema.CauseUnknown, ruledOut: []string{"no upstream timeout"}},
		},
	})
}

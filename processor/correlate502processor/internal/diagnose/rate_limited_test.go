package diagnose

import (
	"testing"

	"github.com/k8s502/otelcol-k8s502/internal/schema"
)

func TestRateLimited(t *testing.T) {
	const limitReq = `limiting requests, excess: 20.460 by zone "shop-checkout-rps", client: 203.0.113.7`
	local := func(f *Facts) {
		f.Status, f.Origin = 503, schema.OriginLocal
		f.ErrorUpstream, f.Addresses, f.Statuses, f.ResponseTimes = "", nil, nil, nil
	}
	run(t, schema.ErrRateLimited, limitReq, []testCase{
		{
			name:  "limit_req rejected it",
			facts: local,
			want: want{
				cause: schema.CauseRateLimited, confidence: schema.ConfidenceHigh,
				target:      &Target{Namespace: ns, Service: "checkout", Port: "80"},
				evidence:    []string{"nginx limit_req rejected the request at " + rfc(t0), limitReq},
				remediation: []string{"nginx.ingress.kubernetes.io/limit-rps", "service shop/checkout"},
			},
		},
		{
			name: "limit_conn rejected it: the connection limit, not the rate",
			facts: func(f *Facts) {
				local(f)
				f.ErrorMessage = `limiting connections by zone "shop-checkout-conn", client: 203.0.113.7`
			},
			want: want{
				cause: schema.CauseRateLimited, confidence: schema.ConfidenceHigh,
				evidence:       []string{"nginx limit_conn rejected the request at " + rfc(t0)},
				remediation:    []string{"nginx.ingress.kubernetes.io/limit-connections", "service shop/checkout"},
				notRemediation: []string{"limit-rps"},
			},
		},
		{
			name:  "unknown upstream: the Ingress, unnamed",
			facts: func(f *Facts) { local(f); f.UpstreamName = "shop-cart-80" },
			want: want{
				cause: schema.CauseRateLimited, target: &Target{},
				remediation: []string{"on the Ingress"},
			},
		},
		{
			// A local 503 without a limit_req line is not a rate limit, even
			// though the status and origin are the same.
			name: "local 503 without a limiting line",
			facts: func(f *Facts) {
				local(f)
				f.ErrorKind, f.ErrorMessage = "", ""
			},
			want: want{
				cause:    schema.CauseUnknown,
				ruledOut: []string{"service shop/checkout had 2 ready endpoint(s) at " + rfc(t0)},
			},
		},
	})
}

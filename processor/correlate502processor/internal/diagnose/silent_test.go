package diagnose

import (
	"testing"

	"github.com/k8s502/otelcol-k8s502/internal/schema"
)

// NGINX Gateway Fabric and Kong answer 503 for a Service without endpoints
// without an error line and, in their default access logs, without an
// upstream: the record reads like the application's own 503 (origin
// upstream). The diagnosis may say no_endpoints only when the cluster says
// the Service had no ready endpoint then; otherwise it is the app's answer,
// never above medium.
func TestSilentNoEndpoints(t *testing.T) {
	for _, gw := range []string{schema.GatewayNGF, schema.GatewayKong} {
		silent503 := func(f *Facts) {
			f.Gateway, f.Status, f.Origin = gw, 503, schema.OriginUpstream
			f.ErrorKind, f.ErrorMessage, f.ErrorUpstream = "", "", ""
			f.Addresses, f.Statuses, f.ResponseTimes, f.UpstreamName = nil, nil, nil, ""
			f.Host, f.Path = "shop.example.com", "/api/promotions/items/00050"
		}
		t.Run(gw, func(t *testing.T) {
			run(t, "", "", []testCase{
				{
					name:  "no Service named: the app's, at medium",
					facts: silent503,
					want: want{
						cause: schema.CauseUpstreamAppError, confidence: schema.ConfidenceMedium,
						evidence: []string{"answers 503 itself", "cannot tell whether it had ready endpoints"},
					},
				},
				{
					// Even a cluster holding a Service without endpoints
					// proves nothing about a request that names none.
					name: "no Service named, a Service without endpoints exists: still the app's, at medium",
					setup: func(w *world) {
						w.service(mkService("promotions", map[string]string{"app": "promotions"}))
						w.endpoints("promotions", at(-600))
					},
					facts: silent503,
					want:  want{cause: schema.CauseUpstreamAppError, confidence: schema.ConfidenceMedium},
				},
				{
					name: "an unwatched status is not the silent one: the app's, high",
					facts: func(f *Facts) {
						silent503(f)
						f.Status = 502
					},
					want: want{cause: schema.CauseUpstreamAppError, confidence: schema.ConfidenceHigh},
				},
			})
		})
	}

	// NGF's upstream name is logged when NginxProxy's format has
	// $proxy_host: then cluster state decides.
	named := func(f *Facts) {
		f.Gateway, f.Status, f.Origin = schema.GatewayNGF, 503, schema.OriginUpstream
		f.ErrorKind, f.ErrorMessage, f.ErrorUpstream = "", "", ""
		f.Addresses, f.Statuses, f.ResponseTimes = nil, nil, nil
		f.UpstreamName = "shop_checkout_80"
	}
	run(t, "", "", []testCase{
		{
			name: "the Service had no ready endpoint then: no_endpoints, with the cluster's evidence",
			setup: func(w *world) {
				w.endpoints("checkout", at(-60), ep(ipA, podA, "node-a", false, false), ep(ipB, podB, "node-b", false, false))
			},
			facts: named,
			want: want{
				cause:    schema.CauseNoEndpoints,
				evidence: []string{"service shop/checkout had no ready endpoints", "NGINX Gateway Fabric answers 503 itself"},
			},
		},
		{
			name:  "the Service had ready endpoints: the app's, at medium",
			facts: named,
			want: want{
				cause: schema.CauseUpstreamAppError, confidence: schema.ConfidenceMedium,
				ruledOut: []string{"service shop/checkout had 2 ready endpoint(s)"},
				evidence: []string{"NGINX Gateway Fabric answers 503 itself"},
			},
		},
	})
}

// With a format that logs $upstream_addr, NGF's 503 for a Service without
// endpoints names its 503 server: the proxy itself says so.
func TestNGFNoEndpointsSentinel(t *testing.T) {
	const sock = "unix:/var/run/nginx/nginx-503-server.sock"
	sentinel := func(f *Facts) {
		f.Gateway, f.Status, f.Origin = schema.GatewayNGF, 503, schema.OriginUpstream
		f.ErrorKind, f.ErrorMessage, f.ErrorUpstream = "", "", ""
		f.Addresses, f.Statuses, f.ResponseTimes, f.UpstreamName = []string{sock}, []string{"503"}, []float64{0}, ""
		f.Host, f.Path = "shop.example.com", "/api/promotions/12"
	}
	run(t, "", "", []testCase{
		{
			name:  "the sentinel alone proves it",
			facts: sentinel,
			want: want{
				cause: schema.CauseNoEndpoints, confidence: schema.ConfidenceHigh,
				evidence: []string{sock, "the 503 is its way"},
			},
		},
		{
			name: "with the upstream name, the Service's selector is named",
			setup: func(w *world) {
				w.service(mkService("promotions", map[string]string{"app": "promotions"}))
			},
			facts: func(f *Facts) { sentinel(f); f.UpstreamName = "shop_promotions_80" },
			want: want{
				cause: schema.CauseNoEndpoints, confidence: schema.ConfidenceHigh,
				evidence: []string{"selector {app=promotions} matches no pod"},
			},
		},
	})
}

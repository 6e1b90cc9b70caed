package gateways

import (
	"github.com/k8s502/otelcol-k8s502/internal/schema"
)

// Kong Gateway, configured by the Kong Ingress Controller from Ingresses or
// Gateway API routes and konghq.com/* annotations on the Service. Its nginx
// has one upstream, kong_upstream, whose peer Lua picks per try: error
// lines name the peer's address, and no log line names the Kong Service,
// Upstream or Route, so the Service is found from the address's pod only.
// Its 503 when the ring-balancer has no target (a Service without
// endpoints) is a response body, not a log line.
func init() {
	register(&Profile{
		Name:        schema.GatewayKong,
		Words:       "Kong",
		NamesGroups: true,
		Silent: &SilentAnswer{Status: 503, How: `when its ring-balancer has no target for the Service (no ready endpoints): ` +
			`"failure to get a peer from the ring-balancer" is the response body, not a log line, so the access line reads like the application's own 503`},
		Resolve: byAddressOnly,
		Knobs: func(r Route) Knobs {
			svc := serviceOrThis(r)
			return Knobs{
				ReadTimeout:    "the konghq.com/read-timeout annotation (milliseconds, 60000 by default) on " + svc + "; Kong retries a timed-out try (konghq.com/retries, 5 by default), so the client waits up to six times as long",
				ConnectTimeout: "the konghq.com/connect-timeout annotation (milliseconds) on " + svc,
				BackendTLS:     "the konghq.com/protocol annotation (http or https) on " + svc,
				TrustCA:        "konghq.com/tls-verify on " + svc + " with its CA attached (a BackendTLSPolicy with Gateway API, as in Kong's \"Verify Upstream TLS\" guide)",
				Keepalive:      "upstream_keepalive_idle_timeout (env KONG_UPSTREAM_KEEPALIVE_IDLE_TIMEOUT, 60s by default) on the proxy, below the app's idle timeout",
				HeaderBuffer:   "KONG_NGINX_PROXY_PROXY_BUFFER_SIZE (e.g. 16k) in the proxy's environment (nginx directive injection)",
			}
		},
	})
}

package gateways

import "github.com/k8s502/otelcol-k8s502/internal/schema"

// Envoy, as Envoy Gateway, Istio or Contour configure it: Istio's and
// Contour's cluster names state the Service (the receiver reads it), Envoy
// Gateway's HTTPRoute clusters do not, and the settings are Gateway API
// policies or each project's own resources.
func init() {
	register(&Profile{
		Name:    schema.GatewayEnvoy,
		Words:   "Envoy",
		Resolve: byUpstreamName,
		Knobs: func(Route) Knobs {
			return Knobs{
				ReadTimeout:    "the route timeout (HTTPRoute spec.rules[].timeouts.request; Istio VirtualService timeout; Contour HTTPProxy timeoutPolicy.response)",
				ConnectTimeout: "the cluster connect timeout (Envoy Gateway BackendTrafficPolicy timeout.tcp.connectTimeout; Istio DestinationRule connectionPool.tcp.connectTimeout)",
				BackendTLS:     "BackendTLSPolicy (Gateway API) or the DestinationRule trafficPolicy.tls mode for this Service",
				TrustCA:        "the CA in BackendTLSPolicy validation.caCertificateRefs (or the DestinationRule's caCertificates)",
				Keepalive:      "the upstream idle timeout (Istio DestinationRule connectionPool.http.idleTimeout; Envoy Gateway BackendTrafficPolicy), below the app's own",
				HeaderBuffer:   "the app's headers (max_response_headers_kb on the cluster's protocol options)",
			}
		},
	})
}

package gateways

import "github.com/k8s502/otelcol-k8s502/internal/schema"

// Traefik: its Kubernetes providers name services <namespace>-<service>-
// <port> (with an @provider suffix the receiver removes); its settings live
// in ServersTransports and Service annotations.
func init() {
	register(&Profile{
		Name:    schema.GatewayTraefik,
		Words:   "Traefik",
		Resolve: byUpstreamName,
		Knobs: func(r Route) Knobs {
			return Knobs{
				ReadTimeout:    "forwardingTimeouts.responseHeaderTimeout of the ServersTransport used by " + r.Ingress,
				ConnectTimeout: "forwardingTimeouts.dialTimeout of the ServersTransport used by " + r.Ingress,
				BackendTLS:     "the Service annotation traefik.ingress.kubernetes.io/service.serversscheme (https or http)",
				TrustCA:        "rootCAs (and serverName) of the ServersTransport used by " + r.Ingress,
				Keepalive:      "forwardingTimeouts.idleConnTimeout of the ServersTransport, below the app's idle timeout",
				HeaderBuffer:   "the app's headers: Traefik accepts large headers; check the message",
			}
		},
	})
}

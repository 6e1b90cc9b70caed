package gateways

import "github.com/k8s502/otelcol-k8s502/internal/schema"

// HAProxy, behind either Kubernetes controller (HAProxy Technologies'
// HAProxy Kubernetes Ingress, haproxy.org/*, and the community's HAProxy
// Ingress, haproxy-ingress.github.io/*). Its backends name the Service,
// which the receiver reads, and its log names the server slot (SRV_1), not
// the address.
func init() {
	register(&Profile{
		Name:    schema.GatewayHAProxy,
		Words:   "HAProxy",
		Resolve: byUpstreamName,
		Knobs: func(r Route) Knobs {
			return Knobs{
				ReadTimeout:    "timeout-server on " + r.Ingress + " (haproxy.org/timeout-server on HAProxy Kubernetes Ingress, haproxy-ingress.github.io/timeout-server on HAProxy Ingress)",
				ConnectTimeout: "timeout-connect on " + r.Ingress + " (haproxy.org/timeout-connect, haproxy-ingress.github.io/timeout-connect)",
				BackendTLS:     "haproxy.org/server-ssl (HAProxy Kubernetes Ingress) or haproxy-ingress.github.io/backend-protocol (HAProxy Ingress) on " + r.Ingress,
				TrustCA:        "haproxy.org/server-ca or haproxy-ingress.github.io/backend-ca-secret on " + r.Ingress,
				Keepalive:      "timeout-http-keep-alive / timeout-server in the controller ConfigMap, below the app's idle timeout",
				HeaderBuffer:   "tune.bufsize in the controller's global config",
			}
		},
	})
}

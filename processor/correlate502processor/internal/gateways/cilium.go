package gateways

import (
	"github.com/k8s502/otelcol-k8s502/internal/schema"
)

// Cilium Gateway API: one Envoy per node (cilium-envoy), configured by the
// Cilium operator from Gateway API resources. Envoy names the host it
// tried, so a peer is one server, never a group, and Cilium routes a
// Service without endpoints to no sentinel (Envoy answers UH with no host).
//
// Knob names checked in cilium/cilium: HTTPRoute rules[].timeouts are
// translated into the route (operator/pkg/model/ingestion/gateway.go,
// toTimeout); BackendTLSPolicy originates TLS only with a hostname and a CA
// ConfigMap in validation.caCertificateRefs (translation
// envoy_cluster_mutator.go withTLSOrigination);
// envoy.connectTimeoutSeconds (default 2) and envoy.idleTimeoutDurationSeconds
// (default 60) are Helm values of the cilium chart (helm-values.rst). The
// CiliumEnvoyConfigs the operator generates for a Gateway must not be
// edited: Cilium's L7 traffic management docs warn that CECs conflicting
// with the generated config give unpredictable results.
func init() {
	register(&Profile{
		Name:  schema.GatewayCilium,
		Words: "Cilium",
		// Cilium's default access log (CiliumGatewayClassConfig's text and
		// JSON defaults) has no %UPSTREAM_CLUSTER%: the Service is found from
		// the upstream host address alone. A custom format's cluster name
		// may be rewritten by Cilium (getClusterName in envoy_cluster.go), so
		// it is not guessed either.
		Resolve: byAddressOnly,
		Knobs: func(r Route) Knobs {
			svc := "the Service"
			if r.Service != "" {
				svc = "service " + r.Namespace + "/" + r.Service
			}
			return Knobs{
				ReadTimeout:    "timeouts.request (and timeouts.backendRequest) on the HTTPRoute rule routing to " + svc + "; Cilium translates them into the Envoy route timeout",
				ConnectTimeout: "the cilium Helm value envoy.connectTimeoutSeconds (cilium-envoy's TCP connect timeout for every cluster, default 2 s); Gateway API has no per-route connect timeout",
				BackendTLS:     "a BackendTLSPolicy (gateway.networking.k8s.io) targeting " + svc + ": Cilium's Envoy speaks TLS to a backend only with one that names validation.hostname and a CA ConfigMap, plain HTTP otherwise",
				TrustCA:        "validation.caCertificateRefs (a ConfigMap with ca.crt) and validation.hostname of the BackendTLSPolicy for " + svc + "",
				Keepalive:      "the cilium Helm value envoy.idleTimeoutDurationSeconds (cilium-envoy's upstream HTTP idle timeout, default 60 s), below the app's keep-alive timeout",
				HeaderBuffer:   "the app's response headers: Cilium's Gateway API has no setting for Envoy's header size limits (do not edit the CiliumEnvoyConfig it generates)",
			}
		},
	})
}

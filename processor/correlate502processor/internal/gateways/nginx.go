package gateways

import "github.com/k8s502/otelcol-k8s502/internal/schema"

// Any nginx configured by hand: directives, not Ingress annotations.
func init() {
	register(&Profile{
		Name:        schema.GatewayNginx,
		Words:       "nginx",
		NamesGroups: true,
		Resolve:     byUpstreamName,
		Knobs: func(Route) Knobs {
			return Knobs{
				ReadTimeout:    "proxy_read_timeout in the location proxying to this upstream",
				ConnectTimeout: "proxy_connect_timeout in the location proxying to this upstream",
				BackendTLS:     "the scheme of proxy_pass (https:// or http://)",
				TrustCA:        "proxy_ssl_trusted_certificate with proxy_ssl_verify on (and proxy_ssl_name for the expected name)",
				Keepalive:      "keepalive_timeout in the upstream block, below the app's idle timeout",
				HeaderBuffer:   "proxy_buffer_size (e.g. 16k) in the location",
			}
		},
	})
}

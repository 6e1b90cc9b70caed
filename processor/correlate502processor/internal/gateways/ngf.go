package gateways

import (
	"strconv"
	"strings"

	"github.com/k8s502/otelcol-k8s502/internal/schema"
	"github.com/k8s502/otelcol-k8s502/processor/correlate502processor/internal/cluster"
)

// ngfNoEndpoints is the one server NGINX Gateway Fabric puts in the
// upstream of a Service without endpoints (types.Nginx503Server): an
// internal server that answers 503 and logs nothing. It is a peer only when
// NginxProxy's access-log format logs $upstream_addr; by default the access
// line is combined and names no upstream. (Its invalid-backendRef server,
// unix:/var/run/nginx/nginx-500-server.sock, answers 500 for a missing
// Service: not "no endpoints", so not a sentinel.)
const ngfNoEndpoints = "unix:/var/run/nginx/nginx-503-server.sock"

// NGINX Gateway Fabric (nginx/nginx-gateway-fabric): nginx configured from
// Gateway API routes and NGF's own policies, one upstream block per Service
// port named <namespace>_<service>_<port>. Its default access log is
// combined: no upstream, and its 503 for a Service without endpoints has no
// error line either.
func init() {
	register(&Profile{
		Name:        schema.GatewayNGF,
		Words:       "NGINX Gateway Fabric",
		NamesGroups: true,
		Sentinels:   []string{ngfNoEndpoints},
		Silent: &SilentAnswer{Status: 503, How: "for a Service without ready endpoints: the upstream's only server is then its internal 503 server, " +
			"which writes no error line, so the access line (combined, no upstream) reads like the application's own 503"},
		Resolve: ngfResolve,
		Knobs: func(r Route) Knobs {
			route := "the HTTPRoute to " + serviceOrThis(r)
			return Knobs{
				ReadTimeout:    "timeout.read of a ProxySettingsPolicy targeting " + route + " (nginx's proxy_read_timeout, 60s by default)",
				ConnectTimeout: "timeout.connect of a ProxySettingsPolicy targeting " + route,
				BackendTLS:     "a BackendTLSPolicy for " + serviceOrThis(r) + " (without one NGF talks plain HTTP to the backend)",
				TrustCA:        "validation.caCertificateRefs and validation.hostname of the BackendTLSPolicy for " + serviceOrThis(r),
				Keepalive:      "keepAlive.timeout of an UpstreamSettingsPolicy targeting " + serviceOrThis(r) + ", below the app's idle timeout",
				HeaderBuffer:   "buffering.bufferSize (e.g. 16k) of a ProxySettingsPolicy targeting " + route,
			}
		},
	})
}

func serviceOrThis(r Route) string {
	if r.Service == "" {
		return "this Service"
	}
	return "service " + r.Namespace + "/" + r.Service
}

// ngfResolve reads NGF's upstream names, <namespace>_<service>_<port> with
// the Service port's number (BaseServicePortKey; "_<n>" is appended with
// session persistence), from the upstream name or else from the group name
// that "no live upstreams" gives as the peer. Namespaces and Services are
// DNS labels without '_', so the name splits in one way.
func ngfResolve(s Services, upstream, peer string) []cluster.UpstreamMatch {
	if ms := ngfName(s, upstream); len(ms) > 0 {
		return ms
	}
	return ngfName(s, peer)
}

func ngfName(s Services, name string) []cluster.UpstreamMatch {
	parts := strings.Split(name, "_")
	if len(parts) < 3 || len(parts) > 4 {
		return nil
	}
	svc, ok := s.Service(parts[0], parts[1])
	if !ok {
		return nil
	}
	for _, p := range svc.Spec.Ports {
		if strconv.Itoa(int(p.Port)) == parts[2] {
			return []cluster.UpstreamMatch{{Service: svc, Port: p}}
		}
	}
	return nil
}

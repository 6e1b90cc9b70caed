package gateways

import (
	"net"
	"slices"
	"strconv"
	"strings"

	"github.com/k8s502/otelcol-k8s502/internal/schema"
	"github.com/k8s502/otelcol-k8s502/processor/correlate502processor/internal/cluster"
)

// f5NoEndpoints is where F5 NGINX Ingress Controller points the upstream of
// a Service without endpoints (NewUpstreamWithDefaultServer): nothing
// listens there, so the request fails as a refused connection.
const f5NoEndpoints = "127.0.0.1:8181"

// F5 NGINX Ingress Controller (nginx/kubernetes-ingress): nginx underneath,
// with its own annotations (nginx.org/*) and its own upstream names,
// <namespace>-<ingress>-<host>-<service>-<port>. Its default access log
// names no upstream; the error log names the group when every server failed.
func init() {
	register(&Profile{
		Name:        schema.GatewayF5Nginx,
		Words:       "F5 NGINX Ingress Controller",
		NamesGroups: true,
		Sentinels:   []string{f5NoEndpoints},
		Resolve:     f5Resolve,
		Knobs: func(r Route) Knobs {
			return Knobs{
				ReadTimeout:    "nginx.org/proxy-read-timeout on " + r.Ingress,
				ConnectTimeout: "nginx.org/proxy-connect-timeout on " + r.Ingress,
				BackendTLS:     "nginx.org/ssl-services on " + r.Ingress,
				TrustCA:        "a VirtualServer with an egress-mTLS Policy (trustedCertSecret) for this upstream",
				Keepalive:      "the ConfigMap key keepalive (or nginx.org/keepalive on " + r.Ingress + ") together with the app's idle timeout",
				HeaderBuffer:   "nginx.org/proxy-buffer-size (e.g. 16k) on " + r.Ingress,
			}
		},
	})
}

// f5Resolve tries the name as ingress-nginx would make it, then as F5
// does, from the upstream name and else from the group name the error log
// gave as the peer.
func f5Resolve(s Services, upstream, peer string) []cluster.UpstreamMatch {
	ms := ByNamespaceServicePort(s, upstream)
	if len(ms) == 0 {
		ms = f5Affixes(s, upstream)
		if len(ms) == 0 && peer != "" && net.ParseIP(peer) == nil {
			ms = f5Affixes(s, peer)
		}
	}
	return ms
}

// f5Affixes resolves <namespace>-<ingress>-<host>-<service>-<port>: dashes
// on every side, so only the affixes can be checked. A Service matches when
// the name starts with its namespace and ends with -<service>-<port> (port
// number or name) with something between; the longest service name wins, as
// the more specific match. It lists the Services of each namespace the name
// can start with, never all of them.
func f5Affixes(s Services, name string) []cluster.UpstreamMatch {
	var out []cluster.UpstreamMatch
	for i := range len(name) {
		if name[i] != '-' || i == 0 {
			continue
		}
		ns := name[:i]
		for _, svc := range s.ServicesInNamespace(ns) {
			for _, p := range svc.Spec.Ports {
				for _, port := range []string{strconv.Itoa(int(p.Port)), p.Name} {
					if port != "" && strings.HasSuffix(name, "-"+svc.Name+"-"+port) && len(name) > len(ns)+len(svc.Name)+len(port)+2 {
						out = append(out, cluster.UpstreamMatch{Service: svc, Port: p})
					}
				}
			}
		}
	}
	slices.SortFunc(out, func(a, b cluster.UpstreamMatch) int {
		if d := len(b.Service.Name) - len(a.Service.Name); d != 0 {
			return d
		}
		return strings.Compare(a.Service.Namespace+"/"+a.Service.Name, b.Service.Namespace+"/"+b.Service.Name)
	})
	return out
}

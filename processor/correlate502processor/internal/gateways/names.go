package gateways

import (
	"cmp"
	"slices"
	"strconv"
	"strings"

	"github.com/k8s502/otelcol-k8s502/processor/correlate502processor/internal/cluster"
)

// byUpstreamName is the resolver of proxies whose upstream names, when
// they follow any Kubernetes convention, follow ingress-nginx's.
func byUpstreamName(s Services, upstream, _ string) []cluster.UpstreamMatch {
	return ByNamespaceServicePort(s, upstream)
}

// ByNamespaceServicePort resolves the upstream names ingress-nginx gives
// (internal/ingress/controller/util.go, upstreamName), which Traefik's
// Kubernetes providers and hand-written configs often follow too:
// <namespace>-<service>-<port>, where port is the Service port's number or,
// when the Ingress backend names the port, its name. Namespaces, Services
// and port names all contain dashes, so the name cannot be split at one
// place: every way of cutting it in three is looked up exactly, a handful
// of map lookups bounded by the name's dashes, however many Services there
// are. When several Services make the same name (namespace a-b with service
// c, namespace a with service b-c) all are returned, by namespace, then
// service name, then port.
func ByNamespaceServicePort(s Services, name string) []cluster.UpstreamMatch {
	var buf [16]int
	dashes := buf[:0]
	for i := 0; i < len(name); i++ {
		if name[i] == '-' {
			dashes = append(dashes, i)
		}
	}
	var out []cluster.UpstreamMatch
	for a, i := range dashes {
		for _, j := range dashes[a+1:] {
			ns, svcName, port := name[:i], name[i+1:j], name[j+1:]
			if ns == "" || svcName == "" || port == "" {
				continue
			}
			svc, ok := s.Service(ns, svcName)
			if !ok {
				continue
			}
			for _, p := range svc.Spec.Ports {
				var num [12]byte // the number as text without allocating
				if (p.Port > 0 && string(strconv.AppendInt(num[:0], int64(p.Port), 10)) == port) || (p.Name != "" && p.Name == port) {
					out = append(out, cluster.UpstreamMatch{Service: svc, Port: p})
				}
			}
		}
	}
	if len(out) > 1 {
		slices.SortFunc(out, func(a, b cluster.UpstreamMatch) int {
			return cmp.Or(
				strings.Compare(a.Service.Namespace, b.Service.Namespace),
				strings.Compare(a.Service.Name, b.Service.Name),
				cmp.Compare(a.Port.Port, b.Port.Port),
				strings.Compare(a.Port.Name, b.Port.Name),
			)
		})
	}
	return out
}

// byAddressOnly resolves no name, for proxies that log none (Kong,
// Cilium): the Service comes from the endpoint behind the failed attempt's
// address.
func byAddressOnly(Services, string, string) []cluster.UpstreamMatch { return nil }

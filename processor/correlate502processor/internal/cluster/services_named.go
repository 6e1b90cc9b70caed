package cluster

import (
	"slices"
	"strconv"
	"strings"
	"time"
)

// ServicePort resolves a Service port that a proxy named outright (HAProxy
// backend, Istio or Contour cluster): port is the Service port's number or
// its name. A name that fits no port of the Service still returns the
// Service with an empty port, so the diagnosis keeps its target.
func (s *Store) ServicePort(ns, name, port string) (UpstreamMatch, bool) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	svc := s.services[nsName{ns, name}]
	if svc == nil {
		return UpstreamMatch{}, false
	}
	n, err := strconv.Atoi(port)
	for _, p := range svc.Spec.Ports {
		if (err == nil && int(p.Port) == n) || (p.Name != "" && p.Name == port) {
			return UpstreamMatch{Service: svc, Port: p}, true
		}
	}
	return UpstreamMatch{Service: svc}, true
}

// ServicesForUpstreamAffixes resolves names that wrap the Service between
// other parts: F5 NGINX Ingress Controller names an upstream
// <namespace>-<ingress>-<host>-<service>-<port>. A Service matches when the
// name starts with its namespace and ends with -<service>-<port>; the
// longest service name wins, as the more specific match. This scans every
// Service, so it is only for names the exact index does not know.
func (s *Store) ServicesForUpstreamAffixes(name string) []UpstreamMatch {
	s.mu.RLock()
	defer s.mu.RUnlock()
	var out []UpstreamMatch
	for k, svc := range s.services {
		if !strings.HasPrefix(name, k.ns+"-") {
			continue
		}
		for _, p := range svc.Spec.Ports {
			for _, port := range []string{strconv.Itoa(int(p.Port)), p.Name} {
				if port != "" && strings.HasSuffix(name, "-"+svc.Name+"-"+port) && len(name) > len(k.ns)+len(svc.Name)+len(port)+2 {
					out = append(out, UpstreamMatch{Service: svc, Port: p})
				}
			}
		}
	}
	slices.SortFunc(out, func(a, b UpstreamMatch) int {
		if d := len(b.Service.Name) - len(a.Service.Name); d != 0 {
			return d
		}
		return strings.Compare(a.Service.Namespace+"/"+a.Service.Name, b.Service.Namespace+"/"+b.Service.Name)
	})
	return out
}

// ServiceOfEndpoint finds the Service whose endpoints listed pod ns/pod at
// at (on port, when port > 0): the way back from an address to the Service
// for proxies that log only the address (F5 NGINX Ingress Controller's
// error log). Several Services may list one pod; the first by name wins.
func (s *Store) ServiceOfEndpoint(ns, pod string, port int32, at time.Time) (UpstreamMatch, bool) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	var names []string
	for k, hists := range s.endpoints {
		if k.ns != ns {
			continue
		}
		for ek, hist := range hists {
			if ek.pod != pod {
				continue
			}
			i, ok := lastAtOrBefore(hist, at, func(e endpointEntry) time.Time { return e.state.Since })
			if ok && !hist[i].gone && (port == 0 || slices.Contains(hist[i].state.Ports, port)) {
				names = append(names, k.name)
			}
		}
	}
	slices.Sort(names)
	for _, n := range names {
		svc := s.services[nsName{ns, n}]
		if svc == nil {
			continue
		}
		m := UpstreamMatch{Service: svc}
		if len(svc.Spec.Ports) == 1 {
			m.Port = svc.Spec.Ports[0]
		}
		return m, true
	}
	return UpstreamMatch{}, false
}

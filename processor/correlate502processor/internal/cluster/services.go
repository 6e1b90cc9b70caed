package cluster

import (
	"slices"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
)

// The store answers generic questions about Services: by namespace and
// name, all of one namespace, the one whose endpoints listed a pod. How a
// proxy names its upstreams (ingress-nginx's <namespace>-<service>-<port>,
// F5's longer names) is the proxy's business: its profile in package
// gateways turns a name into these questions.

// UpsertService records a Service; a changed selector or ports make a new
// version (see ServiceAt).
func (s *Store) UpsertService(svc *corev1.Service, seen time.Time) {
	if svc == nil {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	k := nsName{svc.Namespace, svc.Name}
	s.putService(k, svc)
	s.recordServiceVersion(k, svc, seen)
}

// DeleteService forgets a Service; its endpoint history stays until pruned.
func (s *Store) DeleteService(svc *corev1.Service, _ time.Time) {
	if svc == nil {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	k := nsName{svc.Namespace, svc.Name}
	if s.services[k] != nil {
		s.dropService(k)
		delete(s.svcHistory, k)
	}
}

// putService and dropService keep services and servicesByNS in step; they
// run under the write lock.
func (s *Store) putService(k nsName, svc *corev1.Service) {
	s.services[k] = svc
	byName := s.servicesByNS[k.ns]
	if byName == nil {
		byName = map[string]*corev1.Service{}
		s.servicesByNS[k.ns] = byName
	}
	byName[k.name] = svc
}

func (s *Store) dropService(k nsName) {
	delete(s.services, k)
	if byName := s.servicesByNS[k.ns]; byName != nil {
		delete(byName, k.name)
		if len(byName) == 0 {
			delete(s.servicesByNS, k.ns)
		}
	}
}

// Service returns the Service ns/name.
func (s *Store) Service(ns, name string) (*corev1.Service, bool) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	svc, ok := s.services[nsName{ns, name}]
	return svc, ok
}

// ServicesInNamespace returns the Services of namespace ns, by name.
func (s *Store) ServicesInNamespace(ns string) []*corev1.Service {
	s.mu.RLock()
	byName := s.servicesByNS[ns]
	out := make([]*corev1.Service, 0, len(byName))
	for _, svc := range byName {
		out = append(out, svc)
	}
	s.mu.RUnlock()
	slices.SortFunc(out, func(a, b *corev1.Service) int { return strings.Compare(a.Name, b.Name) })
	return out
}

// ServiceOfEndpoint finds the Service whose endpoints listed pod ns/pod at
// at (on port, when port > 0): the way back from an address to the Service
// when the proxy logged only the address. Several Services may list one
// pod; the first by name wins. The port is set when the Service has only
// one.
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

package cluster

import (
	"cmp"
	"slices"
	"strconv"
	"time"

	corev1 "k8s.io/api/core/v1"
)

// upstreamRef points from an ingress-nginx upstream name to one port of a
// Service. ingress-nginx (internal/ingress/controller/util.go, upstreamName)
// names an upstream <namespace>-<service>-<port>, where port is the Ingress
// backend's port number or, when the backend names the port, that name.
// Namespaces and services contain dashes, so the name cannot be split; every
// Service is indexed under each name it can produce and looked up exactly.
type upstreamRef struct {
	svc  nsName
	port int32  // ServicePort.Port
	name string // ServicePort.Name
}

// UpsertService records a Service and indexes its upstream names; a changed
// selector or ports make a new version (see ServiceAt).
func (s *Store) UpsertService(svc *corev1.Service, seen time.Time) {
	if svc == nil {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	k := nsName{svc.Namespace, svc.Name}
	if old := s.services[k]; old != nil {
		s.unindexUpstreams(old)
	}
	s.services[k] = svc
	s.indexUpstreams(svc)
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
	if old := s.services[k]; old != nil {
		s.unindexUpstreams(old)
		delete(s.services, k)
		delete(s.svcHistory, k)
	}
}

// Service returns the Service ns/name.
func (s *Store) Service(ns, name string) (*corev1.Service, bool) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	svc, ok := s.services[nsName{ns, name}]
	return svc, ok
}

// ServiceForUpstream resolves an ingress-nginx upstream name
// (<namespace>-<service>-<port number or name>) to the Service and port. When
// several Services produce the same name (namespace "a-b" with service "c",
// and namespace "a" with service "b-c"), it returns the first by namespace,
// then service name, then port; ServicesForUpstream returns them all.
func (s *Store) ServiceForUpstream(name string) (svc *corev1.Service, port corev1.ServicePort, ok bool) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	for _, r := range s.upstreams[name] {
		if m, found := s.resolveUpstream(r); found {
			return m.Service, m.Port, true
		}
	}
	return nil, corev1.ServicePort{}, false
}

// ServicesForUpstream returns every Service port an upstream name can mean,
// in the order ServiceForUpstream prefers them.
func (s *Store) ServicesForUpstream(name string) []UpstreamMatch {
	s.mu.RLock()
	defer s.mu.RUnlock()
	var out []UpstreamMatch
	for _, r := range s.upstreams[name] {
		if m, found := s.resolveUpstream(r); found {
			out = append(out, m)
		}
	}
	return out
}

func (s *Store) resolveUpstream(r upstreamRef) (UpstreamMatch, bool) {
	svc := s.services[r.svc]
	if svc == nil {
		return UpstreamMatch{}, false
	}
	for _, p := range svc.Spec.Ports {
		if p.Port == r.port && p.Name == r.name {
			return UpstreamMatch{Service: svc, Port: p}, true
		}
	}
	return UpstreamMatch{}, false
}

// upstreamNames lists the names ingress-nginx can give svc's upstreams: one
// per port number and one per port name.
func upstreamNames(svc *corev1.Service, fn func(name string, r upstreamRef)) {
	prefix := svc.Namespace + "-" + svc.Name + "-"
	k := nsName{svc.Namespace, svc.Name}
	for _, p := range svc.Spec.Ports {
		r := upstreamRef{svc: k, port: p.Port, name: p.Name}
		if p.Port > 0 {
			fn(prefix+strconv.Itoa(int(p.Port)), r)
		}
		if p.Name != "" {
			fn(prefix+p.Name, r)
		}
	}
}

func (s *Store) indexUpstreams(svc *corev1.Service) {
	upstreamNames(svc, func(name string, r upstreamRef) {
		refs := s.upstreams[name]
		if slices.Contains(refs, r) {
			return
		}
		i, _ := slices.BinarySearchFunc(refs, r, compareUpstreamRef)
		s.upstreams[name] = slices.Insert(refs, i, r)
	})
}

func (s *Store) unindexUpstreams(svc *corev1.Service) {
	upstreamNames(svc, func(name string, r upstreamRef) {
		refs := slices.DeleteFunc(s.upstreams[name], func(x upstreamRef) bool { return x == r })
		if len(refs) == 0 {
			delete(s.upstreams, name)
			return
		}
		s.upstreams[name] = refs
	})
}

func compareUpstreamRef(a, b upstreamRef) int {
	return cmp.Or(
		cmp.Compare(a.svc.ns, b.svc.ns),
		cmp.Compare(a.svc.name, b.svc.name),
		cmp.Compare(a.port, b.port),
		cmp.Compare(a.name, b.name),
	)
}

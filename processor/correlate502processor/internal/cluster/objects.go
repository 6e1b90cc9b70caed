package cluster

import (
	"slices"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
)

// UpsertNetworkPolicy records a NetworkPolicy.
func (s *Store) UpsertNetworkPolicy(np *networkingv1.NetworkPolicy, _ time.Time) {
	if np == nil {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	byName := s.netpols[np.Namespace]
	if byName == nil {
		byName = map[string]*networkingv1.NetworkPolicy{}
		s.netpols[np.Namespace] = byName
	}
	byName[np.Name] = np
}

// DeleteNetworkPolicy forgets a NetworkPolicy.
func (s *Store) DeleteNetworkPolicy(np *networkingv1.NetworkPolicy, _ time.Time) {
	if np == nil {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if byName := s.netpols[np.Namespace]; byName != nil {
		delete(byName, np.Name)
		if len(byName) == 0 {
			delete(s.netpols, np.Namespace)
		}
	}
}

// NetworkPolicies returns the namespace's NetworkPolicies by name.
func (s *Store) NetworkPolicies(ns string) []*networkingv1.NetworkPolicy {
	s.mu.RLock()
	defer s.mu.RUnlock()
	out := make([]*networkingv1.NetworkPolicy, 0, len(s.netpols[ns]))
	for _, np := range s.netpols[ns] {
		out = append(out, np)
	}
	slices.SortFunc(out, func(a, b *networkingv1.NetworkPolicy) int { return strings.Compare(a.Name, b.Name) })
	return out
}

// UpsertNamespace records a Namespace (its labels select NetworkPolicy peers).
func (s *Store) UpsertNamespace(ns *corev1.Namespace, _ time.Time) {
	if ns == nil {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.namespaces[ns.Name] = ns
}

// DeleteNamespace forgets a Namespace.
func (s *Store) DeleteNamespace(ns *corev1.Namespace, _ time.Time) {
	if ns == nil {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.namespaces, ns.Name)
}

// Namespace returns the Namespace name.
func (s *Store) Namespace(name string) (*corev1.Namespace, bool) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	ns, ok := s.namespaces[name]
	return ns, ok
}

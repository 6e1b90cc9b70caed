package cluster

import (
	"reflect"
	"time"

	corev1 "k8s.io/api/core/v1"
)

// A Service's spec changes: a selector fixed, a targetPort corrected. The
// requests before the change failed against the old spec, so rules that
// read the spec (no_endpoints' selector, target_port_mismatch's targetPort)
// read the version in force at the request's time. Earlier versions are kept
// for lookback after they were replaced.

// serviceVersion is a Service's spec from since until the next version.
type serviceVersion struct {
	since time.Time
	svc   *corev1.Service
}

// recordServiceVersion appends svc to its history when its spec differs
// from the last version's. Callers hold the write lock.
func (s *Store) recordServiceVersion(k nsName, svc *corev1.Service, seen time.Time) {
	hist := s.svcHistory[k]
	if n := len(hist); n > 0 {
		last := hist[n-1]
		if reflect.DeepEqual(last.svc.Spec.Selector, svc.Spec.Selector) && reflect.DeepEqual(last.svc.Spec.Ports, svc.Spec.Ports) {
			hist[n-1].svc = svc // same spec: the newest object, no new version
			return
		}
		seen = notBefore(seen, last.since)
	}
	s.svcHistory[k] = append(hist, serviceVersion{since: seen, svc: svc})
}

// ServiceAt returns Service ns/name as it was at at: the version in force
// then, else (before the first one the store saw) the earliest it knows.
// A Service deleted since is not returned (see Service).
func (s *Store) ServiceAt(ns, name string, at time.Time) (*corev1.Service, bool) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	k := nsName{ns, name}
	if _, ok := s.services[k]; !ok {
		return nil, false
	}
	hist := s.svcHistory[k]
	if len(hist) == 0 {
		return s.services[k], true
	}
	i, ok := lastAtOrBefore(hist, at, func(v serviceVersion) time.Time { return v.since })
	if !ok {
		i = 0
	}
	return hist[i].svc, true
}

// pruneServiceVersions drops versions replaced before cutoff.
func (s *Store) pruneServiceVersions(cutoff time.Time) {
	for k, hist := range s.svcHistory {
		if _, live := s.services[k]; !live {
			delete(s.svcHistory, k)
			continue
		}
		s.svcHistory[k] = pruneHistory(hist, cutoff, func(v serviceVersion) time.Time { return v.since })
	}
}

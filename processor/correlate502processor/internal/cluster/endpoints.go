package cluster

import (
	"slices"
	"strings"
	"time"

	discoveryv1 "k8s.io/api/discovery/v1"
)

// endpointEntry is one state of a Service's address, from state.Since until
// the next entry; gone means the address was in no EndpointSlice.
type endpointEntry struct {
	state EndpointState
	gone  bool
}

// UpsertEndpointSlice records an EndpointSlice and, for each address it adds,
// changes or drops, the address's new state under its Service (label
// kubernetes.io/service-name). An address's state merges all slices of the
// Service, so an address moving between slices is not seen to vanish.
func (s *Store) UpsertEndpointSlice(es *discoveryv1.EndpointSlice, seen time.Time) {
	if es == nil {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	k := nsName{es.Namespace, es.Name}
	old := s.slices[k]
	s.slices[k] = es
	svc := sliceService(es)
	if old != nil {
		if oldSvc := sliceService(old); oldSvc != svc {
			s.unlinkSlice(oldSvc, es.Name)
			s.refreshEndpoints(oldSvc, sliceIPs(old, nil), seen)
		}
	}
	if svc.name == "" {
		return
	}
	bySlice := s.slicesBySvc[svc]
	if bySlice == nil {
		bySlice = map[string]*discoveryv1.EndpointSlice{}
		s.slicesBySvc[svc] = bySlice
	}
	bySlice[es.Name] = es
	s.refreshEndpoints(svc, sliceIPs(es, sliceIPs(old, nil)), seen)
}

// DeleteEndpointSlice forgets a slice; its addresses are recorded gone from
// the Service unless another slice still lists them.
func (s *Store) DeleteEndpointSlice(es *discoveryv1.EndpointSlice, seen time.Time) {
	if es == nil {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	k := nsName{es.Namespace, es.Name}
	old := s.slices[k]
	if old == nil {
		old = es
	}
	delete(s.slices, k)
	svc := sliceService(old)
	s.unlinkSlice(svc, es.Name)
	s.refreshEndpoints(svc, sliceIPs(old, sliceIPs(es, nil)), seen)
}

// Endpoints returns the Service's addresses as they were at at, by IP.
func (s *Store) Endpoints(ns, service string, at time.Time) []EndpointState {
	s.mu.RLock()
	defer s.mu.RUnlock()
	var out []EndpointState
	for _, hist := range s.endpoints[nsName{ns, service}] {
		i, ok := lastAtOrBefore(hist, at, func(e endpointEntry) time.Time { return e.state.Since })
		if ok && !hist[i].gone {
			out = append(out, hist[i].state)
		}
	}
	slices.SortFunc(out, func(a, b EndpointState) int { return strings.Compare(a.IP, b.IP) })
	return out
}

func sliceService(es *discoveryv1.EndpointSlice) nsName {
	return nsName{es.Namespace, es.Labels[discoveryv1.LabelServiceName]}
}

// sliceIPs adds the slice's addresses to set (nil: a new set).
func sliceIPs(es *discoveryv1.EndpointSlice, set map[string]struct{}) map[string]struct{} {
	if set == nil {
		set = map[string]struct{}{}
	}
	if es == nil {
		return set
	}
	for i := range es.Endpoints {
		for _, ip := range es.Endpoints[i].Addresses {
			set[ip] = struct{}{}
		}
	}
	return set
}

func (s *Store) unlinkSlice(svc nsName, slice string) {
	if bySlice := s.slicesBySvc[svc]; bySlice != nil {
		delete(bySlice, slice)
		if len(bySlice) == 0 {
			delete(s.slicesBySvc, svc)
		}
	}
}

// refreshEndpoints recomputes the state of the given addresses across all
// of the Service's slices and records those that changed.
func (s *Store) refreshEndpoints(svc nsName, ips map[string]struct{}, seen time.Time) {
	if svc.name == "" || len(ips) == 0 {
		return
	}
	now := make(map[string]EndpointState, len(ips))
	for _, es := range s.slicesBySvc[svc] {
		for i := range es.Endpoints {
			e := &es.Endpoints[i]
			for _, ip := range e.Addresses {
				if _, want := ips[ip]; !want {
					continue
				}
				if prev, dup := now[ip]; dup && prev.Ready {
					continue // listed twice: the ready listing wins
				}
				now[ip] = endpointState(ip, e)
			}
		}
	}
	hist := s.endpoints[svc]
	if hist == nil {
		hist = map[string][]endpointEntry{}
		s.endpoints[svc] = hist
	}
	for ip := range ips {
		st, present := now[ip]
		entries := hist[ip]
		n := len(entries)
		if n == 0 && !present {
			continue
		}
		since := seen
		if n > 0 {
			last := entries[n-1]
			if last.gone == !present && (!present || sameEndpoint(last.state, st)) {
				continue
			}
			since = notBefore(since, last.state.Since)
		}
		if !present {
			st = EndpointState{IP: ip}
		}
		st.Since = since
		hist[ip] = append(entries, endpointEntry{state: st, gone: !present})
	}
	if len(hist) == 0 {
		delete(s.endpoints, svc)
	}
}

// endpointState reads an endpoint's conditions: a nil ready means ready, a
// nil serving means the same as ready (API defaults).
func endpointState(ip string, e *discoveryv1.Endpoint) EndpointState {
	st := EndpointState{IP: ip, Ready: true}
	if c := e.Conditions.Ready; c != nil {
		st.Ready = *c
	}
	st.Serving = st.Ready
	if c := e.Conditions.Serving; c != nil {
		st.Serving = *c
	}
	if c := e.Conditions.Terminating; c != nil {
		st.Terminating = *c
	}
	if r := e.TargetRef; r != nil && r.Kind == "Pod" {
		st.Pod = r.Name
	}
	if e.NodeName != nil {
		st.Node = *e.NodeName
	}
	return st
}

func sameEndpoint(a, b EndpointState) bool {
	return a.Ready == b.Ready && a.Serving == b.Serving && a.Terminating == b.Terminating &&
		a.Pod == b.Pod && a.Node == b.Node
}

// pruneEndpoints drops states superseded before cutoff, and addresses gone
// since before cutoff.
func (s *Store) pruneEndpoints(cutoff time.Time) {
	for svc, hist := range s.endpoints {
		for ip, entries := range hist {
			entries = pruneHistory(entries, cutoff, func(e endpointEntry) time.Time { return e.state.Since })
			if len(entries) == 1 && entries[0].gone && entries[0].state.Since.Before(cutoff) {
				delete(hist, ip)
				continue
			}
			hist[ip] = entries
		}
		if len(hist) == 0 {
			delete(s.endpoints, svc)
		}
	}
}

// pruneHistory drops the entries of a time-ordered history that were
// superseded before cutoff, keeping the one in force at cutoff.
func pruneHistory[T any](xs []T, cutoff time.Time, when func(T) time.Time) []T {
	i, ok := lastAtOrBefore(xs, cutoff, when)
	if !ok || i == 0 {
		return xs
	}
	return slices.Clone(xs[i:])
}

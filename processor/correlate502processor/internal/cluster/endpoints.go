package cluster

import (
	"cmp"
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

// endpointKey names an address of a Service: its IP and the pod behind it
// ("" without a pod targetRef). An IP is normally one pod's, but pods that
// share one (host network, a test bed) are kept apart.
type endpointKey struct{ ip, pod string }

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

// Endpoints returns the Service's addresses as they were at at, by IP then
// pod. One IP appears twice only when two pods share it (see Ports).
//
// The states are the store's own: recorded states are never changed in
// place (a change appends a new one), so they are handed out without a copy
// and callers must only read them. The list itself is shared (see
// endpointsCache): callers must not reorder or append to it.
func (s *Store) Endpoints(ns, service string, at time.Time) []*EndpointState {
	s.mu.RLock()
	defer s.mu.RUnlock()
	svc := nsName{ns, service}
	if list, ok := s.epCache.get(svc, at); ok {
		return list
	}
	snap := snapAt(s.endpoints[svc], s.endpointKeys[svc], at)
	s.epCache.put(svc, snap)
	return snap.list
}

// WithIP is the run of eps, a list as Endpoints returns it (ordered by IP,
// then pod), that has the address ip: normally one state, two when pods
// share the IP. It is a view of eps: read it, never write to it.
func WithIP(eps []*EndpointState, ip string) []*EndpointState {
	i, _ := slices.BinarySearchFunc(eps, ip, func(e *EndpointState, ip string) int { return strings.Compare(e.IP, ip) })
	n := i
	for n < len(eps) && eps[n].IP == ip {
		n++
	}
	return eps[i:n:n]
}

// stateAt is an address's state at at, nil when it was in no slice then.
func stateAt(hist []endpointEntry, at time.Time) *EndpointState {
	i, ok := lastAtOrBefore(hist, at, func(e endpointEntry) time.Time { return e.state.Since })
	if !ok || hist[i].gone {
		return nil
	}
	return &hist[i].state
}

func compareEndpointKeys(a, b endpointKey) int {
	return cmp.Or(strings.Compare(a.ip, b.ip), strings.Compare(a.pod, b.pod))
}

// addEndpointKey and dropEndpointKey keep endpointKeys in step with the
// histories' keys.
func (s *Store) addEndpointKey(svc nsName, k endpointKey) {
	keys := s.endpointKeys[svc]
	if i, found := slices.BinarySearchFunc(keys, k, compareEndpointKeys); !found {
		s.endpointKeys[svc] = slices.Insert(keys, i, k)
	}
}

func (s *Store) dropEndpointKey(svc nsName, k endpointKey) {
	keys := s.endpointKeys[svc]
	if i, found := slices.BinarySearchFunc(keys, k, compareEndpointKeys); found {
		keys = slices.Delete(keys, i, i+1)
	}
	if len(keys) == 0 {
		delete(s.endpointKeys, svc)
		return
	}
	s.endpointKeys[svc] = keys
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
	now := map[endpointKey]EndpointState{}
	for _, es := range s.slicesBySvc[svc] {
		ports := slicePorts(es)
		for i := range es.Endpoints {
			e := &es.Endpoints[i]
			for _, ip := range e.Addresses {
				if _, want := ips[ip]; !want {
					continue
				}
				st := endpointState(ip, e, ports)
				k := endpointKey{ip, st.Pod}
				if prev, dup := now[k]; dup {
					st = mergeEndpoint(prev, st) // listed by two slices
				}
				now[k] = st
			}
		}
	}
	hist := s.endpoints[svc]
	if hist == nil {
		hist = map[endpointKey][]endpointEntry{}
		s.endpoints[svc] = hist
	}
	for k := range hist {
		if _, affected := ips[k.ip]; affected {
			if _, present := now[k]; !present {
				s.recordEndpoint(svc, hist, k, EndpointState{IP: k.ip, Pod: k.pod}, true, seen)
			}
		}
	}
	for k, st := range now {
		s.recordEndpoint(svc, hist, k, st, false, seen)
	}
	if len(hist) == 0 {
		delete(s.endpoints, svc)
	}
}

// recordEndpoint appends st to the address's history when it differs from
// the last state.
func (s *Store) recordEndpoint(svc nsName, hist map[endpointKey][]endpointEntry, k endpointKey, st EndpointState, gone bool, seen time.Time) {
	entries := hist[k]
	since := seen
	if n := len(entries); n > 0 {
		last := entries[n-1]
		if last.gone == gone && (gone || sameEndpoint(last.state, st)) {
			return
		}
		since = notBefore(since, last.state.Since)
	} else if gone {
		return
	} else {
		s.addEndpointKey(svc, k)
	}
	st.Since = since
	hist[k] = append(entries, endpointEntry{state: st, gone: gone})
	s.epCache.forget(svc)
}

func slicePorts(es *discoveryv1.EndpointSlice) []int32 {
	var ports []int32
	for _, p := range es.Ports {
		if p.Port != nil && !slices.Contains(ports, *p.Port) {
			ports = append(ports, *p.Port)
		}
	}
	slices.Sort(ports)
	return ports
}

// mergeEndpoint combines two listings of one address: ready in either is
// ready, and the ports add up.
func mergeEndpoint(a, b EndpointState) EndpointState {
	if b.Ready && !a.Ready {
		a, b = b, a
	}
	ports := slices.Concat(a.Ports, b.Ports)
	slices.Sort(ports)
	a.Ports = slices.Compact(ports)
	return a
}

// endpointState reads an endpoint's conditions: a nil ready means ready, a
// nil serving means the same as ready (API defaults).
func endpointState(ip string, e *discoveryv1.Endpoint, ports []int32) EndpointState {
	st := EndpointState{IP: ip, Ready: true, Ports: ports}
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
		a.Pod == b.Pod && a.Node == b.Node && slices.Equal(a.Ports, b.Ports)
}

// pruneEndpoints drops states superseded before cutoff, and addresses gone
// since before cutoff.
func (s *Store) pruneEndpoints(cutoff time.Time) {
	s.epCache.clear()
	for svc, hist := range s.endpoints {
		for k, entries := range hist {
			entries = pruneHistory(entries, cutoff, func(e endpointEntry) time.Time { return e.state.Since })
			if len(entries) == 1 && entries[0].gone && entries[0].state.Since.Before(cutoff) {
				delete(hist, k)
				s.dropEndpointKey(svc, k)
				continue
			}
			hist[k] = entries
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

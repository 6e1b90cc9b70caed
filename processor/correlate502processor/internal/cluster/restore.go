package cluster

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"go.opentelemetry.io/collector/extension/xextension/storage"
	appsv1 "k8s.io/api/apps/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	networkingv1 "k8s.io/api/networking/v1"
)

// Restored says what LoadHistory brought back.
type Restored struct {
	// Written is when the previous run wrote the history; zero when storage
	// held none.
	Written time.Time
	// Stats are the store's counts after the restore (see Store.Stats).
	Stats map[string]int
}

// LoadHistory reads the history a previous run wrote to c (SaveHistory) into
// s, which must not hold anything yet, then prunes it to the lookback before
// now. A window the previous run left open (it was killed) is closed at the
// time its history was written: the gap from then to this run's sync was
// not watched.
//
// relist says informers will list the cluster: the objects restored here
// are then remembered until ForgetUnlisted, which marks those the first
// list did not show as deleted. Live updates apply on top of the restored
// history without doubling it: a pod's Ready condition is only recorded
// when it changed (dated by its lastTransitionTime), terminations merge by
// container and finish time, endpoint and ReplicaSet states only when they
// differ from the last one, and an event is kept once per key.
//
// An error (unreadable storage, another version, corrupt data) leaves s
// as it was; callers log it and start without history.
func (s *Store) LoadHistory(ctx context.Context, c storage.Client, now time.Time, relist bool) (Restored, error) {
	raw, err := c.Get(ctx, HistoryKey)
	if err != nil {
		return Restored{}, fmt.Errorf("reading cluster history: %w", err)
	}
	if raw == nil {
		return Restored{}, nil
	}
	h, err := decodeHistory(raw)
	if err != nil {
		return Restored{}, err
	}
	if err := h.check(); err != nil {
		return Restored{}, fmt.Errorf("stored cluster history is corrupt: %w", err)
	}
	if err := s.restore(h, relist); err != nil {
		return Restored{}, err
	}
	s.RestoreWatched(h.Watched, h.Written)
	s.Prune(now)
	return Restored{Written: h.Written, Stats: s.Stats()}, nil
}

// check refuses a history whose parts do not fit together, before anything
// is restored from it.
func (h *history) check() error {
	for i, p := range h.Pods {
		if p.Pod == nil {
			return fmt.Errorf("pod %d has no object", i)
		}
	}
	for _, sp := range h.IPs {
		if sp.Pod < 0 || sp.Pod >= len(h.Pods) {
			return fmt.Errorf("IP span of %s names pod %d of %d", sp.IP, sp.Pod, len(h.Pods))
		}
	}
	for _, e := range h.Events {
		if e == nil {
			return errors.New("null event")
		}
	}
	if slices.Contains(h.Services, nil) || slices.Contains(h.Slices, nil) || slices.Contains(h.Deployments, nil) ||
		slices.Contains(h.ReplicaSets, nil) || slices.Contains(h.NetworkPolicies, nil) || slices.Contains(h.Namespaces, nil) {
		return errors.New("null object")
	}
	return nil
}

// restore rebuilds the store's maps and indexes from h. Objects are
// stripped again, which keeps them as they were but interns their text and
// shares replicas' containers, as for objects from an informer.
func (s *Store) restore(h *history, relist bool) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.empty() {
		return errors.New("cluster history can only be restored into an empty store")
	}
	var r restoredObjects // nil: nothing to remember
	if relist {
		r = restoredObjects{}
		s.restored = r
	}
	byTime := func(a, b Transition) int { return a.At.Compare(b.At) }
	infos := make([]*PodInfo, len(h.Pods))
	for i, pp := range h.Pods {
		info := &PodInfo{Pod: stripPod(pp.Pod), FirstSeen: pp.FirstSeen, Deleted: pp.Deleted, Ready: pp.Ready}
		slices.SortStableFunc(info.Ready, byTime)
		infos[i] = info
		if !pp.Named {
			continue
		}
		p := info.Pod
		if s.pods[p.Namespace] == nil {
			s.pods[p.Namespace] = map[string]*PodInfo{}
		}
		s.pods[p.Namespace][p.Name] = info
		if info.Deleted.IsZero() {
			r.keep("Pod", nsName{p.Namespace, p.Name}, p)
		}
	}
	for _, sp := range h.IPs {
		s.podIPs[sp.IP] = append(s.podIPs[sp.IP], ipSpan{from: sp.From, to: sp.To, pod: infos[sp.Pod]})
	}
	for ip, spans := range s.podIPs {
		slices.SortStableFunc(spans, func(a, b ipSpan) int { return a.from.Compare(b.from) })
		s.podIPs[ip] = spans
	}
	for _, t := range h.Terminations {
		k := nsName{t.Namespace, t.Pod}
		s.terms[k] = append(s.terms[k], t)
	}
	for _, e := range h.Events {
		s.addEvent(*e)
	}
	for _, svc := range h.Services {
		svc = stripService(svc)
		k := nsName{svc.Namespace, svc.Name}
		s.putService(k, svc)
		r.keep("Service", k, svc)
	}
	// Versions in the order written (oldest first per Service), each only
	// for a Service still held; without any, the current one starts it.
	slices.SortStableFunc(h.ServiceVersions, func(a, b persistedServiceVersion) int { return a.Since.Compare(b.Since) })
	for _, v := range h.ServiceVersions {
		k := nsName{v.Namespace, v.Name}
		if _, ok := s.services[k]; ok && v.Service != nil {
			s.svcHistory[k] = append(s.svcHistory[k], serviceVersion{since: v.Since, svc: stripService(v.Service)})
		}
	}
	for k, svc := range s.services {
		if len(s.svcHistory[k]) == 0 {
			s.recordServiceVersion(k, svc, time.Time{})
		} else {
			s.svcHistory[k][len(s.svcHistory[k])-1].svc = svc // the current object itself
		}
	}
	for _, es := range h.Slices {
		es = stripEndpointSlice(es)
		k := nsName{es.Namespace, es.Name}
		s.slices[k] = es
		if svc := sliceService(es); svc.name != "" {
			if s.slicesBySvc[svc] == nil {
				s.slicesBySvc[svc] = map[string]*discoveryv1.EndpointSlice{}
			}
			s.slicesBySvc[svc][es.Name] = es
		}
		r.keep("EndpointSlice", k, es)
	}
	for _, a := range h.Endpoints {
		if len(a.States) == 0 {
			continue
		}
		svc, k := nsName{a.Namespace, a.Service}, endpointKey{a.IP, a.Pod}
		entries := make([]endpointEntry, len(a.States))
		for i, st := range a.States {
			entries[i] = endpointEntry{state: st.State, gone: st.Gone}
		}
		slices.SortStableFunc(entries, func(a, b endpointEntry) int { return a.state.Since.Compare(b.state.Since) })
		if s.endpoints[svc] == nil {
			s.endpoints[svc] = map[endpointKey][]endpointEntry{}
		}
		s.endpoints[svc][k] = entries
		s.addEndpointKey(svc, k)
	}
	for _, d := range h.Deployments {
		d = stripDeployment(d)
		k := nsName{d.Namespace, d.Name}
		s.deployments[k] = d
		r.keep("Deployment", k, d)
	}
	for _, rs := range h.ReplicaSets {
		rs = stripReplicaSet(rs)
		if s.replicaSets[rs.Namespace] == nil {
			s.replicaSets[rs.Namespace] = map[string]*appsv1.ReplicaSet{}
		}
		s.replicaSets[rs.Namespace][rs.Name] = rs
		s.rsOwned.forget(rs.Namespace)
		r.keep("ReplicaSet", nsName{rs.Namespace, rs.Name}, rs)
	}
	for _, p := range h.RSHistory {
		if len(p.Points) > 0 {
			slices.SortStableFunc(p.Points, func(a, b ReplicaSetPoint) int { return a.At.Compare(b.At) })
			s.rsHistory[nsName{p.Namespace, p.Name}] = p.Points
		}
	}
	for _, np := range h.NetworkPolicies {
		np = stripNetworkPolicy(np)
		if s.netpols[np.Namespace] == nil {
			s.netpols[np.Namespace] = map[string]*networkingv1.NetworkPolicy{}
		}
		s.netpols[np.Namespace][np.Name] = np
		r.keep("NetworkPolicy", nsName{np.Namespace, np.Name}, np)
	}
	for _, ns := range h.Namespaces {
		ns = stripNamespace(ns)
		s.namespaces[ns.Name] = ns
		r.keep("Namespace", nsName{name: ns.Name}, ns)
	}
	return nil
}

func (s *Store) empty() bool {
	return len(s.pods) == 0 && len(s.podIPs) == 0 && len(s.terms) == 0 && len(s.events) == 0 &&
		len(s.services) == 0 && len(s.slices) == 0 && len(s.endpoints) == 0 && len(s.deployments) == 0 &&
		len(s.replicaSets) == 0 && len(s.rsHistory) == 0 && len(s.netpols) == 0 && len(s.namespaces) == 0
}

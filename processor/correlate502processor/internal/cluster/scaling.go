package cluster

import (
	"slices"
	"strings"
	"time"
)

// DeploymentsForSelector names the namespace's Deployments whose pods a
// Service selector sel picks: their pod template carries every key/value of
// sel (the Deployment's matchLabels when the template's labels are not held),
// or one of their ReplicaSets does. The ReplicaSets count because a Deployment
// may not be in the store while its ReplicaSets are. Sorted; an empty selector
// matches nothing, as for a Service.
//
// It scans every Deployment and ReplicaSet of the namespace: it is meant for
// the rare judgement of an address that no known pod held.
func (s *Store) DeploymentsForSelector(ns string, sel map[string]string) []string {
	if len(sel) == 0 {
		return nil
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	var out []string
	for k, d := range s.deployments {
		if k.ns != ns {
			continue
		}
		labels := d.Spec.Template.Labels
		if len(labels) == 0 && d.Spec.Selector != nil {
			labels = d.Spec.Selector.MatchLabels
		}
		if carries(labels, sel) {
			out = append(out, d.Name)
		}
	}
	for _, rs := range s.replicaSets[ns] {
		o := controllerOf(&rs.ObjectMeta)
		if o == nil || o.Kind != "Deployment" {
			continue
		}
		labels := rs.Labels
		if len(labels) == 0 && rs.Spec.Selector != nil {
			labels = rs.Spec.Selector.MatchLabels
		}
		if carries(labels, sel) {
			out = append(out, o.Name)
		}
	}
	slices.Sort(out)
	return slices.Compact(out)
}

func carries(labels, sel map[string]string) bool {
	for k, v := range sel {
		if got, ok := labels[k]; !ok || got != v {
			return false
		}
	}
	return true
}

// EventsByNamePrefix is Events for every object of kind in ns whose name
// starts with prefix: the events of pods of a ReplicaSet ("<rs>-") that are
// no longer in the store, whose names are known only from those events.
// Ordered by Time, then object name. It scans the namespace's event index.
func (s *Store) EventsByNamePrefix(ns, kind, prefix string, from, to time.Time) []*Event {
	s.mu.RLock()
	defer s.mu.RUnlock()
	var out []*Event
	for k, list := range s.eventsByObj {
		if k.ns != ns || !strings.HasPrefix(k.name, prefix) {
			continue
		}
		for _, e := range list {
			if kind != "" && e.Kind != kind {
				continue
			}
			if start := firstNonZero(e.FirstTime, e.Time); e.Time.Before(from) || start.After(to) {
				continue
			}
			out = append(out, e)
		}
	}
	slices.SortFunc(out, func(a, b *Event) int {
		if c := a.Time.Compare(b.Time); c != 0 {
			return c
		}
		if c := strings.Compare(a.Name, b.Name); c != 0 {
			return c
		}
		return strings.Compare(a.Key, b.Key)
	})
	return out
}

package cluster

import (
	"sync"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	networkingv1 "k8s.io/api/networking/v1"
)

// Store holds stripped Kubernetes objects and the history diagnosis needs,
// and answers questions about a given time. It is safe for concurrent use.
//
// Ingestion methods take seen, the time the change was observed. A zero seen
// means "unknown" (a snapshot): the store then dates history from the
// objects' own timestamps, and a state with an unknown start holds from the
// beginning of time until the next recorded change.
//
// Objects passed in should already be stripped (Strip*); the store keeps the
// pointers and never modifies them, and the objects that queries return must
// be treated as read-only too.
type Store struct {
	lookback time.Duration

	mu sync.RWMutex

	pods   map[string]map[string]*PodInfo // namespace → name → pod
	podIPs map[string][]ipSpan            // IP → who held it, ordered by from
	terms  map[nsName][]Termination       // pod → terminations

	events      map[string]*Event   // Event.Key → event
	eventsByObj map[nsName][]*Event // involved object namespace/name → events
	services    map[nsName]*corev1.Service
	svcHistory  map[nsName][]serviceVersion // spec versions, see services_history.go
	// servicesByNS holds the same Services per namespace, so listing one
	// namespace's does not scan them all (see ServicesInNamespace).
	servicesByNS map[string]map[string]*corev1.Service
	slices       map[nsName]*discoveryv1.EndpointSlice
	slicesBySvc  map[nsName]map[string]*discoveryv1.EndpointSlice
	endpoints    map[nsName]map[endpointKey][]endpointEntry // service → address → states over time
	// endpointKeys holds each Service's addresses sorted by IP then pod, so
	// reads walk them in order and find one IP by binary search instead of
	// sorting a copy per judgement (the storm profile's largest cost).
	endpointKeys map[nsName][]endpointKey
	epCache      endpointsCache
	deployments  map[nsName]*appsv1.Deployment
	replicaSets  map[string]map[string]*appsv1.ReplicaSet // namespace → name → rs
	rsOwned      ownedCache                               // see ReplicaSets
	rsHistory    map[nsName][]ReplicaSetPoint
	netpols      map[string]map[string]*networkingv1.NetworkPolicy // namespace → name → policy
	namespaces   map[string]*corev1.Namespace
	watched      []Window        // see watched.go
	restored     restoredObjects // see unlisted.go
}

// nsName is a namespaced name, used as a map key without building strings.
type nsName struct{ ns, name string }

// NewStore returns an empty store that keeps history for lookback
// (see Prune).
func NewStore(lookback time.Duration) *Store {
	return &Store{
		lookback:     lookback,
		pods:         map[string]map[string]*PodInfo{},
		podIPs:       map[string][]ipSpan{},
		terms:        map[nsName][]Termination{},
		events:       map[string]*Event{},
		eventsByObj:  map[nsName][]*Event{},
		services:     map[nsName]*corev1.Service{},
		svcHistory:   map[nsName][]serviceVersion{},
		servicesByNS: map[string]map[string]*corev1.Service{},
		slices:       map[nsName]*discoveryv1.EndpointSlice{},
		slicesBySvc:  map[nsName]map[string]*discoveryv1.EndpointSlice{},
		endpoints:    map[nsName]map[endpointKey][]endpointEntry{},
		endpointKeys: map[nsName][]endpointKey{},
		deployments:  map[nsName]*appsv1.Deployment{},
		replicaSets:  map[string]map[string]*appsv1.ReplicaSet{},
		rsHistory:    map[nsName][]ReplicaSetPoint{},
		netpols:      map[string]map[string]*networkingv1.NetworkPolicy{},
		namespaces:   map[string]*corev1.Namespace{},
	}
}

// Lookback is how long the store keeps history.
func (s *Store) Lookback() time.Duration { return s.lookback }

// Stats counts what the store holds, per kind of object and of history, for
// telemetry. The keys are always the same.
func (s *Store) Stats() map[string]int {
	s.mu.RLock()
	defer s.mu.RUnlock()
	st := map[string]int{
		"pods":              0,
		"pods_deleted":      0,
		"ready_transitions": 0,
		"ip_spans":          0,
		"terminations":      0,
		"services":          len(s.services),
		"endpointslices":    len(s.slices),
		"endpoint_states":   0,
		"deployments":       len(s.deployments),
		"replicasets":       0,
		"replicaset_points": 0,
		"networkpolicies":   0,
		"namespaces":        len(s.namespaces),
		"events":            len(s.events),
	}
	for _, byName := range s.pods {
		for _, p := range byName {
			if p.Deleted.IsZero() {
				st["pods"]++
			} else {
				st["pods_deleted"]++
			}
			st["ready_transitions"] += len(p.Ready)
		}
	}
	for _, spans := range s.podIPs {
		st["ip_spans"] += len(spans)
	}
	for _, ts := range s.terms {
		st["terminations"] += len(ts)
	}
	for _, hist := range s.endpoints {
		for _, h := range hist {
			st["endpoint_states"] += len(h)
		}
	}
	for _, byName := range s.replicaSets {
		st["replicasets"] += len(byName)
	}
	for _, h := range s.rsHistory {
		st["replicaset_points"] += len(h)
	}
	for _, byName := range s.netpols {
		st["networkpolicies"] += len(byName)
	}
	return st
}

// firstNonZero returns the first of ts that is not the zero time.
func firstNonZero(ts ...time.Time) time.Time {
	for _, t := range ts {
		if !t.IsZero() {
			return t
		}
	}
	return time.Time{}
}

// notBefore clamps t so that history stays ordered: a change is never dated
// before the change it follows.
func notBefore(t, prev time.Time) time.Time {
	if t.Before(prev) {
		return prev
	}
	return t
}

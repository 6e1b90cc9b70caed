package cluster

import (
	"cmp"
	"slices"
	"strings"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// UpsertDeployment records a Deployment.
func (s *Store) UpsertDeployment(d *appsv1.Deployment, _ time.Time) {
	if d == nil {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.deployments[nsName{d.Namespace, d.Name}] = d
}

// DeleteDeployment forgets a Deployment.
func (s *Store) DeleteDeployment(d *appsv1.Deployment, _ time.Time) {
	if d == nil {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.deployments, nsName{d.Namespace, d.Name})
}

// Deployment returns the Deployment ns/name.
func (s *Store) Deployment(ns, name string) (*appsv1.Deployment, bool) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	d, ok := s.deployments[nsName{ns, name}]
	return d, ok
}

// UpsertReplicaSet records a ReplicaSet and, when its counts changed, a
// point of its history dated seen.
func (s *Store) UpsertReplicaSet(rs *appsv1.ReplicaSet, seen time.Time) {
	if rs == nil {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	byName := s.replicaSets[rs.Namespace]
	if byName == nil {
		byName = map[string]*appsv1.ReplicaSet{}
		s.replicaSets[rs.Namespace] = byName
	}
	byName[rs.Name] = rs
	s.rsOwned.forget(rs.Namespace)
	desired := int32(1)
	if rs.Spec.Replicas != nil {
		desired = *rs.Spec.Replicas
	}
	s.recordReplicaSet(nsName{rs.Namespace, rs.Name}, ReplicaSetPoint{
		At:        seen,
		Desired:   desired,
		Current:   rs.Status.Replicas,
		Ready:     rs.Status.ReadyReplicas,
		Available: rs.Status.AvailableReplicas,
	})
}

// DeleteReplicaSet forgets a ReplicaSet; its history ends with a point of
// zero replicas at seen and stays until pruned.
func (s *Store) DeleteReplicaSet(rs *appsv1.ReplicaSet, seen time.Time) {
	if rs == nil {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if byName := s.replicaSets[rs.Namespace]; byName != nil {
		delete(byName, rs.Name)
		s.rsOwned.forget(rs.Namespace)
		if len(byName) == 0 {
			delete(s.replicaSets, rs.Namespace)
		}
	}
	s.recordReplicaSet(nsName{rs.Namespace, rs.Name}, ReplicaSetPoint{At: seen})
}

func (s *Store) recordReplicaSet(k nsName, p ReplicaSetPoint) {
	h := s.rsHistory[k]
	if n := len(h); n > 0 {
		last := h[n-1]
		p.At = notBefore(p.At, last.At)
		last.At = p.At
		if last == p {
			return
		}
	}
	s.rsHistory[k] = append(h, p)
}

// ReplicaSets returns the namespace's ReplicaSets owned by the Deployment,
// oldest first. The list is shared (see ownedCache): read it, never write
// to it.
func (s *Store) ReplicaSets(ns, deployment string) []*appsv1.ReplicaSet {
	s.mu.RLock()
	defer s.mu.RUnlock()
	if list, ok := s.rsOwned.get(ns, deployment); ok {
		return list
	}
	out := s.ownedReplicaSets(ns, deployment)
	s.rsOwned.put(ns, deployment, out)
	return out
}

func (s *Store) ownedReplicaSets(ns, deployment string) []*appsv1.ReplicaSet {
	var out []*appsv1.ReplicaSet
	for _, rs := range s.replicaSets[ns] {
		if o := controllerOf(&rs.ObjectMeta); o != nil && o.Kind == "Deployment" && o.Name == deployment {
			out = append(out, rs)
		}
	}
	slices.SortFunc(out, func(a, b *appsv1.ReplicaSet) int {
		return cmp.Or(a.CreationTimestamp.Compare(b.CreationTimestamp.Time), strings.Compare(a.Name, b.Name))
	})
	return out
}

// ReplicaSetHistory returns the ReplicaSet's counts between from and to:
// the point in force at from first (it may be dated earlier), then each
// change up to to.
func (s *Store) ReplicaSetHistory(ns, rs string, from, to time.Time) []ReplicaSetPoint {
	s.mu.RLock()
	defer s.mu.RUnlock()
	h := s.rsHistory[nsName{ns, rs}]
	start, ok := lastAtOrBefore(h, from, func(p ReplicaSetPoint) time.Time { return p.At })
	if !ok {
		start = 0
	}
	var out []ReplicaSetPoint
	for _, p := range h[start:] {
		if p.At.After(to) {
			break
		}
		out = append(out, p)
	}
	return out
}

// Workload names the pod's controller: the Deployment that owns its
// ReplicaSet, else its direct controller. When the ReplicaSet is unknown the
// Deployment's name is read off the ReplicaSet name and the pod's
// pod-template-hash label. A pod without owner has no workload.
func (s *Store) Workload(p *corev1.Pod) Workload {
	if p == nil {
		return Workload{}
	}
	o := controllerOf(&p.ObjectMeta)
	if o == nil {
		return Workload{}
	}
	if o.Kind != "ReplicaSet" {
		return Workload{Kind: o.Kind, Name: o.Name}
	}
	s.mu.RLock()
	rs := s.replicaSets[p.Namespace][o.Name]
	s.mu.RUnlock()
	if rs != nil {
		if ro := controllerOf(&rs.ObjectMeta); ro != nil {
			return Workload{Kind: ro.Kind, Name: ro.Name}
		}
		return Workload{Kind: "ReplicaSet", Name: o.Name}
	}
	if hash := p.Labels[appsv1.DefaultDeploymentUniqueLabelKey]; hash != "" {
		if name, ok := strings.CutSuffix(o.Name, "-"+hash); ok && name != "" {
			return Workload{Kind: "Deployment", Name: name}
		}
	}
	return Workload{Kind: "ReplicaSet", Name: o.Name}
}

// controllerOf returns the owner marked controller, else the only owner.
func controllerOf(m *metav1.ObjectMeta) *metav1.OwnerReference {
	if o := metav1.GetControllerOfNoCopy(m); o != nil {
		return o
	}
	if len(m.OwnerReferences) == 1 {
		return &m.OwnerReferences[0]
	}
	return nil
}

// pruneReplicaSets drops history superseded before cutoff, and the history
// of ReplicaSets deleted before cutoff.
func (s *Store) pruneReplicaSets(cutoff time.Time) {
	for k, h := range s.rsHistory {
		h = pruneHistory(h, cutoff, func(p ReplicaSetPoint) time.Time { return p.At })
		if _, exists := s.replicaSets[k.ns][k.name]; !exists && h[len(h)-1].At.Before(cutoff) {
			delete(s.rsHistory, k)
			continue
		}
		s.rsHistory[k] = h
	}
}

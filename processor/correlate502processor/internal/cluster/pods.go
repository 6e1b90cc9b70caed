package cluster

import (
	"slices"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// UpsertPod records a pod's new version: its Ready transitions, container
// terminations and IP. A pod with the same name but a new UID (a
// StatefulSet pod recreated) replaces the old one, which stays findable by IP.
func (s *Store) UpsertPod(p *corev1.Pod, seen time.Time) {
	if p == nil {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.upsertPod(p, seen)
}

// DeletePod marks a pod deleted at seen. It stays queryable (by name, by IP
// up to seen) until Prune drops it a lookback after the deletion.
func (s *Store) DeletePod(p *corev1.Pod, seen time.Time) {
	if p == nil {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	at := firstNonZero(seen, timeOf(p.DeletionTimestamp))
	if info := s.pods[p.Namespace][p.Name]; info != nil && !sameUID(info.Pod, p) {
		// A late delete of an older incarnation; its IP spans know it.
		s.deleteOldIncarnation(p, at)
		return
	}
	info := s.upsertPod(p, seen)
	if info == nil || !info.Deleted.IsZero() {
		return
	}
	info.Deleted = notBefore(at, info.FirstSeen)
	s.closeIPs(info, info.Deleted)
}

func (s *Store) upsertPod(p *corev1.Pod, seen time.Time) *PodInfo {
	byName := s.pods[p.Namespace]
	if byName == nil {
		byName = map[string]*PodInfo{}
		s.pods[p.Namespace] = byName
	}
	info := byName[p.Name]
	if info != nil && !sameUID(info.Pod, p) {
		if info.Deleted.IsZero() {
			info.Deleted = notBefore(firstNonZero(p.CreationTimestamp.Time, seen), info.FirstSeen)
			s.closeIPs(info, info.Deleted)
		}
		info = nil
	}
	if info == nil {
		info = &PodInfo{FirstSeen: firstNonZero(seen, p.CreationTimestamp.Time)}
		byName[p.Name] = info
	} else if !info.Deleted.IsZero() {
		return info // a late update of a deleted pod changes nothing
	}
	info.Pod = p
	s.recordReady(info, p, seen)
	s.recordIPs(info, p, seen)
	for _, t := range terminationsFromStatus(p, seen) {
		s.addTermination(t)
	}
	return info
}

func sameUID(a, b *corev1.Pod) bool {
	return a == nil || a.UID == "" || b.UID == "" || a.UID == b.UID
}

// timeOf reads an optional API timestamp.
func timeOf(t *metav1.Time) time.Time {
	if t == nil {
		return time.Time{}
	}
	return t.Time
}

// recordReady appends a Ready transition when the condition changed, dated
// by the condition's lastTransitionTime when present.
func (s *Store) recordReady(info *PodInfo, p *corev1.Pod, seen time.Time) {
	for i := range p.Status.Conditions {
		c := &p.Status.Conditions[i]
		if c.Type != corev1.PodReady {
			continue
		}
		ready := c.Status == corev1.ConditionTrue
		at := firstNonZero(c.LastTransitionTime.Time, seen)
		if n := len(info.Ready); n > 0 {
			last := info.Ready[n-1]
			if last.Ready == ready {
				return
			}
			at = notBefore(at, last.At)
		}
		// Readers share the list (see clone): a new transition goes into a
		// new array, never into spare capacity of the one handed out.
		info.Ready = append(slices.Clip(info.Ready), Transition{At: at, Ready: ready})
		return
	}
}

// Pod returns the pod named ns/name, deleted or not (see PodInfo.Deleted).
func (s *Store) Pod(ns, name string) (*PodInfo, bool) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	info := s.pods[ns][name]
	if info == nil {
		return nil, false
	}
	return info.clone(), true
}

// PodsInNamespace returns the namespace's pods sorted by name, including
// pods deleted within the lookback (PodInfo.Deleted set).
func (s *Store) PodsInNamespace(ns string) []*PodInfo {
	return s.podsWhere(ns, func(*corev1.Pod) bool { return true })
}

// PodsForSelector returns the namespace's pods whose labels match every
// key/value of sel, sorted by name, including recently deleted ones (see
// PodInfo.ExistedAt). An empty selector matches nothing, as for a Service.
func (s *Store) PodsForSelector(ns string, sel map[string]string) []*PodInfo {
	if len(sel) == 0 {
		return nil
	}
	return s.podsWhere(ns, func(p *corev1.Pod) bool {
		for k, v := range sel {
			if got, ok := p.Labels[k]; !ok || got != v {
				return false
			}
		}
		return true
	})
}

func (s *Store) podsWhere(ns string, keep func(*corev1.Pod) bool) []*PodInfo {
	s.mu.RLock()
	defer s.mu.RUnlock()
	var out []*PodInfo
	for _, info := range s.pods[ns] {
		if keep(info.Pod) {
			out = append(out, info.clone())
		}
	}
	slices.SortFunc(out, func(a, b *PodInfo) int { return strings.Compare(a.Pod.Name, b.Pod.Name) })
	return out
}

// ReadyAt says whether the pod was Ready at at. A pod is not Ready before it
// was created nor after it was deleted; before the first recorded transition
// it had the opposite state. known is false when the pod is unknown or no
// Ready condition was ever seen.
func (s *Store) ReadyAt(ns, pod string, at time.Time) (ready, known bool) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	info := s.pods[ns][pod]
	if info == nil {
		return false, false
	}
	if !info.ExistedAt(at) {
		return false, true
	}
	i, found := lastAtOrBefore(info.Ready, at, func(t Transition) time.Time { return t.At })
	if found {
		return info.Ready[i].Ready, true
	}
	// Before the first known transition the condition had the other value:
	// that is what its lastTransitionTime says.
	if len(info.Ready) > 0 {
		return !info.Ready[0].Ready, true
	}
	return false, false
}

// ExistedAt says whether the pod existed at at: created (or first seen) at
// or before at, and not deleted yet.
func (p *PodInfo) ExistedAt(at time.Time) bool {
	created := p.FirstSeen
	if p.Pod != nil && !p.Pod.CreationTimestamp.IsZero() {
		created = p.Pod.CreationTimestamp.Time
	}
	if !created.IsZero() && at.Before(created) {
		return false
	}
	return p.Deleted.IsZero() || at.Before(p.Deleted)
}

// clone copies what a writer may change, so callers read without the lock.
// Ready is shared, not copied: writers never change a published list in
// place (recordReady appends into a new array, Prune keeps a copy), so the
// copy holds the list as it was, as a clone of it would. Judging a record
// reads a pod several times: copying its transitions each time was a
// quarter of what reading it cost.
func (p *PodInfo) clone() *PodInfo {
	c := *p
	return &c
}

// lastAtOrBefore finds the last element of the time-ordered xs dated at or
// before at; a zero date counts as "since always".
func lastAtOrBefore[T any](xs []T, at time.Time, when func(T) time.Time) (int, bool) {
	i, _ := slices.BinarySearchFunc(xs, at, func(x T, at time.Time) int {
		if when(x).After(at) {
			return 1
		}
		return -1
	})
	return i - 1, i > 0
}

package cluster

import (
	"slices"
	"time"

	corev1 "k8s.io/api/core/v1"
)

// AddTermination records a container termination learned elsewhere, such as
// a restart metric. It merges with what pod status already told: same
// namespace, pod and container, and the same finish time or, when one side
// lacks it, the same restart count.
func (s *Store) AddTermination(t Termination) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.addTermination(t)
}

// Terminations returns the pod's container terminations dated (FinishedAt,
// else Seen) between from and to inclusive, oldest first.
func (s *Store) Terminations(ns, pod string, from, to time.Time) []Termination {
	s.mu.RLock()
	defer s.mu.RUnlock()
	var out []Termination
	for _, t := range s.terms[nsName{ns, pod}] {
		at := t.when()
		if !at.IsZero() && !at.Before(from) && !at.After(to) {
			out = append(out, t)
		}
	}
	slices.SortStableFunc(out, func(a, b Termination) int { return a.when().Compare(b.when()) })
	return out
}

// when dates a termination: when the container finished, else when the
// store learned of it.
func (t Termination) when() time.Time { return firstNonZero(t.FinishedAt, t.Seen) }

func (s *Store) addTermination(t Termination) {
	k := nsName{t.Namespace, t.Pod}
	list := s.terms[k]
	for i := range list {
		if !sameTermination(list[i], t) {
			continue
		}
		merged := mergeTermination(list[i], t)
		// The merged record may now also match another one (a status
		// entry that gained its restart count matches a metric's).
		out := list[:0]
		for j, o := range list {
			if j != i && sameTermination(merged, o) {
				merged = mergeTermination(merged, o)
				continue
			}
			if j != i {
				out = append(out, o)
			}
		}
		clear(list[len(out):])
		s.terms[k] = append(out, merged)
		return
	}
	s.terms[k] = append(list, t)
}

func sameTermination(a, b Termination) bool {
	if a.Container != b.Container {
		return false
	}
	if !a.FinishedAt.IsZero() && !b.FinishedAt.IsZero() {
		return a.FinishedAt.Equal(b.FinishedAt)
	}
	return a.RestartCount > 0 && a.RestartCount == b.RestartCount
}

// mergeTermination keeps the record that knows when the container finished
// and fills its gaps from the other.
func mergeTermination(a, b Termination) Termination {
	if a.FinishedAt.IsZero() && !b.FinishedAt.IsZero() {
		a, b = b, a
	}
	if a.Reason == "" {
		a.Reason = b.Reason
	}
	if a.ExitCode == 0 {
		a.ExitCode = b.ExitCode
	}
	if a.Signal == 0 {
		a.Signal = b.Signal
	}
	if a.StartedAt.IsZero() {
		a.StartedAt = b.StartedAt
	}
	a.RestartCount = max(a.RestartCount, b.RestartCount)
	if a.Seen.IsZero() || (!b.Seen.IsZero() && b.Seen.Before(a.Seen)) {
		a.Seen = b.Seen
	}
	return a
}

// terminationsFromStatus reads the terminations pod status shows: the
// previous run of each container (lastState, after which the restart count
// became the one shown) and a container that is down now (state, which the
// kubelet will restart as restart count+1, unless the pod is going away).
func terminationsFromStatus(p *corev1.Pod, seen time.Time) []Termination {
	var out []Termination
	final := p.DeletionTimestamp != nil || p.Status.Phase == corev1.PodSucceeded || p.Status.Phase == corev1.PodFailed
	add := func(c *corev1.ContainerStatus, t *corev1.ContainerStateTerminated, restarts int32) {
		if t == nil {
			return
		}
		out = append(out, Termination{
			Namespace:    p.Namespace,
			Pod:          p.Name,
			Container:    c.Name,
			Reason:       t.Reason,
			ExitCode:     t.ExitCode,
			Signal:       t.Signal,
			StartedAt:    t.StartedAt.Time,
			FinishedAt:   t.FinishedAt.Time,
			Seen:         seen,
			RestartCount: restarts,
		})
	}
	for i := range p.Status.ContainerStatuses {
		c := &p.Status.ContainerStatuses[i]
		add(c, c.LastTerminationState.Terminated, c.RestartCount)
		if final {
			add(c, c.State.Terminated, c.RestartCount)
		} else {
			add(c, c.State.Terminated, c.RestartCount+1)
		}
	}
	return out
}

// pruneTerminations drops terminations dated before cutoff.
func (s *Store) pruneTerminations(cutoff time.Time) {
	for k, list := range s.terms {
		out := list[:0]
		for _, t := range list {
			if at := t.when(); !at.IsZero() && !at.Before(cutoff) {
				out = append(out, t)
			}
		}
		clear(list[len(out):])
		if len(out) == 0 {
			delete(s.terms, k)
			continue
		}
		s.terms[k] = out
	}
}

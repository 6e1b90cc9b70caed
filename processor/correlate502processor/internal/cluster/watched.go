package cluster

import (
	"slices"
	"time"
)

// Window is a span of time during which the store watched the API server:
// every change in it was recorded when it happened. To is zero while the
// window is open.
type Window struct {
	From time.Time `json:"from"`
	To   time.Time `json:"to,omitzero"`
}

// Outside the watched windows (before the informers synced, while the
// gateway was down, or always for a snapshot dump) the store only knows what
// objects say about themselves: a condition's lastTransitionTime, a
// container's last termination, events with their first and last times.
// Endpoint membership and Ready states before them are not known; the
// store's history then starts with the state it was first shown, dated by
// the objects' own timestamps. Rules that read that history for a request
// outside a window must say they reconstructed it, and claim no more than
// medium confidence.

// StartWatching opens a watched window at from (when the informers synced).
func (s *Store) StartWatching(from time.Time) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if n := len(s.watched); n > 0 && s.watched[n-1].To.IsZero() {
		return // already open
	}
	s.watched = append(s.watched, Window{From: from})
}

// StopWatching closes the open window at at (the gateway stops).
func (s *Store) StopWatching(at time.Time) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if n := len(s.watched); n > 0 && s.watched[n-1].To.IsZero() {
		s.watched[n-1].To = notBefore(at, s.watched[n-1].From)
	}
}

// Watched says whether at fell in a watched window.
func (s *Store) Watched(at time.Time) bool {
	s.mu.RLock()
	defer s.mu.RUnlock()
	for _, w := range s.watched {
		if !at.Before(w.From) && (w.To.IsZero() || at.Before(w.To)) {
			return true
		}
	}
	return false
}

// WatchedWindows returns the windows, oldest first (for persisting them).
func (s *Store) WatchedWindows() []Window {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return slices.Clone(s.watched)
}

// RestoreWatched adds windows watched by an earlier run (restored from
// storage) before the current ones. An earlier run's window left open (it
// was killed) is closed at the latest time its history shows, passed as
// lastSeen: what happened after that was not watched.
func (s *Store) RestoreWatched(ws []Window, lastSeen time.Time) {
	s.mu.Lock()
	defer s.mu.Unlock()
	old := slices.Clone(ws)
	for i := range old {
		if old[i].To.IsZero() {
			old[i].To = notBefore(lastSeen, old[i].From)
		}
	}
	s.watched = append(old, s.watched...)
	slices.SortFunc(s.watched, func(a, b Window) int { return a.From.Compare(b.From) })
}

// pruneWatched drops windows that ended before cutoff.
func (s *Store) pruneWatched(cutoff time.Time) {
	s.watched = slices.DeleteFunc(s.watched, func(w Window) bool { return !w.To.IsZero() && w.To.Before(cutoff) })
}

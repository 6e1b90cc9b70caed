package cluster

import "time"

// Prune drops history older than the lookback before now: pods deleted
// before then (and their IP spans), Ready transitions, endpoint states and
// ReplicaSet points superseded before then (the state in force at the cutoff
// is kept), and terminations and events dated before then. Objects that
// still exist are kept. now is event time, like the queries' times.
func (s *Store) Prune(now time.Time) {
	cutoff := now.Add(-s.lookback)
	s.mu.Lock()
	defer s.mu.Unlock()
	for ns, byName := range s.pods {
		for name, info := range byName {
			if !info.Deleted.IsZero() && info.Deleted.Before(cutoff) {
				delete(byName, name)
				continue
			}
			info.Ready = pruneHistory(info.Ready, cutoff, func(t Transition) time.Time { return t.At })
		}
		if len(byName) == 0 {
			delete(s.pods, ns)
		}
	}
	s.pruneIPs(cutoff)
	s.pruneTerminations(cutoff)
	s.pruneEvents(cutoff)
	s.pruneEndpoints(cutoff)
	s.pruneReplicaSets(cutoff)
	s.pruneWatched(cutoff)
	s.pruneServiceVersions(cutoff)
}

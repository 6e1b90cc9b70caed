package cluster

import (
	"sync"
	"time"
)

// endpointsCache keeps, per Service, the last list Endpoints computed and
// the interval in which that list holds: no address of the Service changed
// state between from and until. Judgements of one storm, and most distinct
// records, ask about a few Services at times between the same two changes,
// so they share one list instead of walking every address's history
// (100 binary searches for a 100-pod Service) per record.
type endpointsCache struct {
	mu   sync.Mutex
	byID map[nsName]*endpointsSnap
}

type endpointsSnap struct {
	from, until time.Time // the list holds for from <= t < until (zero until: no end)
	list        []*EndpointState
}

func (c *endpointsCache) get(svc nsName, at time.Time) ([]*EndpointState, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	s := c.byID[svc]
	if s == nil || at.Before(s.from) || (!s.until.IsZero() && !at.Before(s.until)) {
		return nil, false
	}
	return s.list, true
}

func (c *endpointsCache) put(svc nsName, s *endpointsSnap) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.byID == nil {
		c.byID = map[nsName]*endpointsSnap{}
	}
	c.byID[svc] = s
}

// forget drops one Service's list (its addresses changed); the store's write
// lock is held, so no reader is computing a list from the old histories.
func (c *endpointsCache) forget(svc nsName) {
	c.mu.Lock()
	defer c.mu.Unlock()
	delete(c.byID, svc)
}

func (c *endpointsCache) clear() {
	c.mu.Lock()
	defer c.mu.Unlock()
	clear(c.byID)
}

// snapAt computes the Service's list at at and the interval it holds in.
func snapAt(hists map[endpointKey][]endpointEntry, keys []endpointKey, at time.Time) *endpointsSnap {
	s := &endpointsSnap{list: make([]*EndpointState, 0, len(keys))}
	for _, k := range keys {
		hist := hists[k]
		i, ok := lastAtOrBefore(hist, at, func(e endpointEntry) time.Time { return e.state.Since })
		if ok {
			if since := hist[i].state.Since; since.After(s.from) {
				s.from = since
			}
			if !hist[i].gone {
				s.list = append(s.list, &hist[i].state)
			}
		}
		if next := i + 1; next < len(hist) {
			if t := hist[next].state.Since; s.until.IsZero() || t.Before(s.until) {
				s.until = t
			}
		}
	}
	return s
}

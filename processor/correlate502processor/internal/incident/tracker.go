// Package incident groups judged requests into incidents: one cause at one
// target (Service and pod, or address when no pod is known) while requests
// keep failing. A storm of 50,000 requests is one incident with a count, a
// window, the outcomes its clients saw and a few sample request ids.
//
// An incident opens with its first request and closes after Idle without
// one (by the requests' own times, or by the wall clock when traffic
// stops). Memory is bounded by MaxOpen: beyond it the incident idle the
// longest is closed early.
package incident

import (
	"container/list"
	"encoding/hex"
	"slices"
	"strconv"
	"sync"
	"time"
)

// maxSamples is how many request ids an incident keeps as examples.
const maxSamples = 5

// Target is what an incident is about.
type Target struct {
	Namespace, Service, Pod, Address string
}

// Incident is one cause at one target over a window of requests.
type Incident struct {
	ID       string
	Cause    string
	Target   Target
	First    time.Time // first failed request
	Last     time.Time
	Count    int      // requests
	Outcomes Outcomes // requests by k8s502.outcome
	Statuses []int    // final statuses seen, ascending
	Samples  []string // request ids, the first few
	Owner    any      // who sends its records (the pipeline it came through)
	Closed   bool     // no longer counting: this is its final state

	lastWall time.Time
	elem     *list.Element // in Tracker.byWall
}

// Request is what the tracker needs of one judged request.
type Request struct {
	Key       string // Key(r), when the caller has it already ("": computed)
	Cause     string
	Target    Target
	Time      time.Time
	Status    int
	Outcome   string
	RequestID string
	Owner     any
}

// Tracker is safe for concurrent use.
type Tracker struct {
	idle    time.Duration
	maxOpen int

	mu   sync.Mutex
	open map[string]*Incident
	// byWall orders the open incidents by their last request's wall time,
	// oldest first, so closing the idlest one is O(1) and not a scan of up
	// to max_open incidents per new incident (a storm of distinct targets
	// spent a quarter of its CPU there).
	byWall list.List // of string keys
}

// New returns a tracker closing incidents after idle, with at most maxOpen
// open at once.
func New(idle time.Duration, maxOpen int) *Tracker {
	return &Tracker{idle: idle, maxOpen: maxOpen, open: map[string]*Incident{}}
}

// Key is the incident r counts in: its cause and target.
func Key(r *Request) string {
	if r.Key != "" {
		return r.Key
	}
	t := r.Target
	return r.Cause + "\x00" + t.Namespace + "\x00" + t.Service + "\x00" + t.Pod + "\x00" + t.Address
}

// Observe counts r in its incident and returns the incident's id, and the
// incident itself when r opened it (nil otherwise). closed lists incidents
// closed to make room or because r came after their idle gap.
func (t *Tracker) Observe(r Request, now time.Time) (id string, opened *Incident, closed []*Incident) {
	t.mu.Lock()
	defer t.mu.Unlock()
	k := Key(&r)
	inc := t.open[k]
	if inc != nil && r.Time.Sub(inc.Last) > t.idle {
		closed = append(closed, t.closeLocked(k, inc))
		inc = nil
	}
	if inc == nil {
		if len(t.open) >= t.maxOpen {
			closed = append(closed, t.evictLocked())
		}
		inc = &Incident{
			ID:     newID(k, r.Time),
			Cause:  r.Cause,
			Target: r.Target,
			First:  r.Time,
			Last:   r.Time,
			Owner:  r.Owner,
		}
		t.open[k] = inc
		inc.elem = t.byWall.PushBack(k)
		opened = inc
	}
	inc.Count++
	inc.Outcomes.add(r.Outcome)
	if r.Time.Before(inc.First) {
		inc.First = r.Time
	}
	if r.Time.After(inc.Last) {
		inc.Last = r.Time
	}
	if i, found := slices.BinarySearch(inc.Statuses, r.Status); !found && r.Status > 0 {
		inc.Statuses = slices.Insert(inc.Statuses, i, r.Status)
	}
	if len(inc.Samples) < maxSamples && r.RequestID != "" {
		inc.Samples = append(inc.Samples, r.RequestID)
	}
	inc.lastWall = now
	t.byWall.MoveToBack(inc.elem)
	if opened != nil {
		c := *inc
		c.Statuses = slices.Clone(inc.Statuses)
		c.Samples = slices.Clone(inc.Samples)
		opened = &c
	}
	return inc.ID, opened, closed
}

// evictLocked closes the incident idle the longest.
func (t *Tracker) evictLocked() *Incident {
	k := t.byWall.Front().Value.(string)
	return t.closeLocked(k, t.open[k])
}

func (t *Tracker) closeLocked(k string, inc *Incident) *Incident {
	delete(t.open, k)
	t.byWall.Remove(inc.elem)
	inc.elem = nil
	inc.Closed = true
	return inc
}

// Expired closes and returns the incidents without a request for idle by
// the wall clock (all of them when all is set), oldest first.
func (t *Tracker) Expired(now time.Time, all bool) []*Incident {
	t.mu.Lock()
	defer t.mu.Unlock()
	var out []*Incident
	for e := t.byWall.Front(); e != nil; {
		k := e.Value.(string)
		inc := t.open[k]
		if !all && now.Sub(inc.lastWall) <= t.idle {
			break // the rest were seen later still
		}
		e = e.Next()
		out = append(out, t.closeLocked(k, inc))
	}
	slices.SortFunc(out, func(a, b *Incident) int { return a.First.Compare(b.First) })
	return out
}

// Open is the number of open incidents.
func (t *Tracker) Open() int {
	t.mu.Lock()
	defer t.mu.Unlock()
	return len(t.open)
}

// newID names an incident by its key and first request: the same storm
// replayed (after a restart) gets the same id.
func newID(key string, first time.Time) string {
	var a, b uint64 = 14695981039346656037, 0x9ae16a3b2f90404f
	mix := func(c byte) {
		a = (a ^ uint64(c)) * 1099511628211
		b = (b ^ uint64(c)) * 1099511628211
	}
	for i := 0; i < len(key); i++ {
		mix(key[i])
	}
	// Appended on the stack: FormatInt allocated once per incident.
	var num [20]byte
	for _, c := range strconv.AppendInt(num[:0], first.Unix(), 10) {
		mix(c)
	}
	var sum [12]byte
	for i := range 6 {
		sum[i] = byte(a >> (56 - 8*i))
		sum[6+i] = byte(b >> (56 - 8*i))
	}
	return hex.EncodeToString(sum[:])
}

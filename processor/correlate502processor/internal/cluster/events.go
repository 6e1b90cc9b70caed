package cluster

import (
	"slices"
	"strconv"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	eventsv1 "k8s.io/api/events/v1"
)

// AddEvent records an event. An event with a Key already held replaces it
// when it is newer (a later time, or the same time with a higher count): the
// same Event object arrives from the informer, from a log pipeline and from
// both event APIs. An empty Key is derived from the involved object, reason
// and first time.
func (s *Store) AddEvent(e Event) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.addEvent(e)
}

// AddCoreEvent records a core/v1 Event (see EventFromCore).
func (s *Store) AddCoreEvent(e *corev1.Event) {
	if e == nil {
		return
	}
	s.AddEvent(EventFromCore(e))
}

// AddEventV1 records an events.k8s.io/v1 Event (see EventFromV1).
func (s *Store) AddEventV1(e *eventsv1.Event) {
	if e == nil {
		return
	}
	s.AddEvent(EventFromV1(e))
}

// Events returns the events about the object kind ns/name (any kind when
// kind is empty) whose span [FirstTime, Time] overlaps [from, to], ordered
// by Time.
//
// The events are the store's own: never changed after they are stored (a
// newer version of an event replaces it), so callers read them without a
// copy and must not write to them. The slice may be a view of the store's
// index (see indexEvent): read it, never write to it; appending to it
// copies.
func (s *Store) Events(ns, kind, name string, from, to time.Time) []*Event {
	s.mu.RLock()
	defer s.mu.RUnlock()
	list := s.eventsByObj[nsName{ns, name}]
	match := func(e *Event) bool {
		return (kind == "" || e.Kind == kind) && !firstNonZero(e.FirstTime, e.Time).After(to)
	}
	// The index is ordered by Time: the events before lo ended before from.
	lo, _ := slices.BinarySearchFunc(list, from, func(e *Event, from time.Time) int {
		if e.Time.Before(from) {
			return -1
		}
		return 1
	})
	// Judging a pod asks for its events several times per record: when the
	// matches form one run, which they usually do, hand out that run of the
	// index instead of a copy. Its capacity ends with it, so an append by
	// the caller cannot write into the index.
	a := lo
	for a < len(list) && !match(list[a]) {
		a++
	}
	b := a
	for b < len(list) && match(list[b]) {
		b++
	}
	rest := b
	for rest < len(list) && !match(list[rest]) {
		rest++
	}
	if a == b {
		return nil
	}
	if rest == len(list) {
		return list[a:b:b]
	}
	out := slices.Clone(list[a:b])
	for _, e := range list[rest:] {
		if match(e) {
			out = append(out, e)
		}
	}
	return out
}

// compareEvents orders an object's events as Events returns them: by Time,
// then by Key (unique), so the order is total.
func compareEvents(a, b *Event) int {
	if c := a.Time.Compare(b.Time); c != 0 {
		return c
	}
	return strings.Compare(a.Key, b.Key)
}

// EventFromCore normalizes a core/v1 Event. Time is the latest of
// lastTimestamp, eventTime and series.lastObservedTime (the object's
// creation when none is set); FirstTime is firstTimestamp, else eventTime.
func EventFromCore(e *corev1.Event) Event {
	ref := e.InvolvedObject
	ev := Event{
		FirstTime: firstNonZero(e.FirstTimestamp.Time, e.EventTime.Time),
		Namespace: firstNonEmpty(ref.Namespace, e.Namespace),
		Kind:      ref.Kind,
		Name:      ref.Name,
		UID:       string(ref.UID),
		Type:      e.Type,
		Reason:    e.Reason,
		Message:   e.Message,
		Count:     max(e.Count, 1),
		Key:       eventKey(e.Namespace, e.Name),
	}
	ev.Time = latest(e.LastTimestamp.Time, e.EventTime.Time)
	if se := e.Series; se != nil {
		ev.Time = latest(ev.Time, se.LastObservedTime.Time)
		ev.Count = max(ev.Count, se.Count)
	}
	ev.Time = firstNonZero(ev.Time, ev.FirstTime, e.CreationTimestamp.Time)
	return ev
}

// EventFromV1 normalizes an events.k8s.io/v1 Event the same way, from
// eventTime, series and the deprecated* fields the API server fills in for
// events written through core/v1.
func EventFromV1(e *eventsv1.Event) Event {
	ref := e.Regarding
	ev := Event{
		FirstTime: firstNonZero(e.DeprecatedFirstTimestamp.Time, e.EventTime.Time),
		Namespace: firstNonEmpty(ref.Namespace, e.Namespace),
		Kind:      ref.Kind,
		Name:      ref.Name,
		UID:       string(ref.UID),
		Type:      e.Type,
		Reason:    e.Reason,
		Message:   e.Note,
		Count:     max(e.DeprecatedCount, 1),
		Key:       eventKey(e.Namespace, e.Name),
	}
	ev.Time = latest(e.DeprecatedLastTimestamp.Time, e.EventTime.Time)
	if se := e.Series; se != nil {
		ev.Time = latest(ev.Time, se.LastObservedTime.Time)
		ev.Count = max(ev.Count, se.Count)
	}
	ev.Time = firstNonZero(ev.Time, ev.FirstTime, e.CreationTimestamp.Time)
	return ev
}

func eventKey(ns, name string) string {
	if name == "" {
		return ""
	}
	return ns + "/" + name
}

func (s *Store) addEvent(e Event) {
	if e.Key == "" {
		e.Key = strings.Join([]string{e.Namespace, e.Kind, e.Name, e.Reason,
			strconv.FormatInt(firstNonZero(e.FirstTime, e.Time).UnixNano(), 10)}, "/")
	}
	if old := s.events[e.Key]; old != nil {
		// Copy on write: Events hands out the stored pointers, so a stored
		// event is never changed in place; a newer version replaces it.
		next := *old
		if e.Time.After(old.Time) || (e.Time.Equal(old.Time) && e.Count > old.Count) {
			next = e
		}
		next.FirstTime = earliest(old.FirstTime, e.FirstTime)
		if next == *old {
			return
		}
		s.unindexEvent(old)
		p := new(Event)
		*p = next
		s.events[e.Key] = p
		s.indexEvent(p)
		return
	}
	p := new(Event)
	*p = e
	s.events[e.Key] = p
	s.indexEvent(p)
}

// indexEvent adds e to its object's index, kept ordered by compareEvents.
// The index is copy on write: Events hands out runs of it, so a list is
// never changed in place once stored; every change stores a new one.
func (s *Store) indexEvent(e *Event) {
	k := nsName{e.Namespace, e.Name}
	old := s.eventsByObj[k]
	i, _ := slices.BinarySearchFunc(old, e, compareEvents)
	list := make([]*Event, 0, len(old)+1)
	list = append(list, old[:i]...)
	list = append(list, e)
	s.eventsByObj[k] = append(list, old[i:]...)
}

func (s *Store) unindexEvent(e *Event) {
	k := nsName{e.Namespace, e.Name}
	old := s.eventsByObj[k]
	i := slices.Index(old, e)
	if i < 0 {
		return
	}
	if len(old) == 1 {
		delete(s.eventsByObj, k)
		return
	}
	list := make([]*Event, 0, len(old)-1)
	list = append(list, old[:i]...)
	s.eventsByObj[k] = append(list, old[i+1:]...)
}

// pruneEvents drops events last seen before cutoff. Lists that lose events
// are replaced, not changed in place (see indexEvent).
func (s *Store) pruneEvents(cutoff time.Time) {
	for k, list := range s.eventsByObj {
		keep := 0
		for _, e := range list {
			if !e.Time.Before(cutoff) {
				keep++
			}
		}
		if keep == len(list) {
			continue
		}
		var out []*Event
		if keep > 0 {
			out = make([]*Event, 0, keep)
		}
		for _, e := range list {
			if e.Time.Before(cutoff) {
				delete(s.events, e.Key)
				continue
			}
			out = append(out, e)
		}
		if len(out) == 0 {
			delete(s.eventsByObj, k)
			continue
		}
		s.eventsByObj[k] = out
	}
}

func latest(a, b time.Time) time.Time {
	if b.After(a) {
		return b
	}
	return a
}

// earliest returns the earlier of two times, ignoring zero ones.
func earliest(a, b time.Time) time.Time {
	if a.IsZero() || (!b.IsZero() && b.Before(a)) {
		return b
	}
	return a
}

func firstNonEmpty(ss ...string) string {
	for _, s := range ss {
		if s != "" {
			return s
		}
	}
	return ""
}

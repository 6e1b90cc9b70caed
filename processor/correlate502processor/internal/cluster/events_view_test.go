package cluster

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Events may hand out a run of the store's index instead of a copy. A
// caller holding it must not see any later change of the store: an event
// inserted before, between or after, a newer version replacing one, a
// prune dropping some.
func TestEventsViewUnchangedByLaterWrites(t *testing.T) {
	ev := func(key string, sec int, count int32) Event {
		return Event{Namespace: "shop", Kind: "Pod", Name: "web-1", Reason: "Unhealthy", Key: key, Time: at(sec), FirstTime: at(sec), Count: count}
	}
	for name, change := range map[string]func(s *Store){
		"insert between": func(s *Store) { s.AddEvent(ev("ab", 15, 1)) },
		"insert before":  func(s *Store) { s.AddEvent(ev("z", 5, 1)) },
		"insert after":   func(s *Store) { s.AddEvent(ev("e", 50, 1)) },
		"newer version":  func(s *Store) { s.AddEvent(ev("b", 25, 2)) },
		"prune":          func(s *Store) { s.Prune(at(25).Add(time.Minute)) },
	} {
		t.Run(name, func(t *testing.T) {
			s := NewStore(time.Minute)
			for _, e := range []Event{ev("a", 10, 1), ev("b", 20, 1), ev("c", 30, 1), ev("d", 40, 1)} {
				s.AddEvent(e)
			}
			got := s.Events("shop", "Pod", "web-1", at(0), at(100))
			require.Len(t, got, 4)
			want := make([]Event, len(got))
			ptrs := make([]*Event, len(got))
			for i, e := range got {
				want[i], ptrs[i] = *e, e
			}
			change(s)
			for i := range want {
				assert.Same(t, ptrs[i], got[i], "element %d of the returned slice changed", i)
				assert.Equal(t, want[i], *got[i], "event %d changed in place", i)
			}
		})
	}
}

// A caller appending to what Events returned must not write into the
// store's index, also when the events it got are followed by others there.
func TestEventsViewAppendCopies(t *testing.T) {
	s := NewStore(time.Minute)
	for i, key := range []string{"a", "b", "c", "d"} {
		s.AddEvent(Event{Namespace: "shop", Kind: "Pod", Name: "web-1", Key: key, Time: at(10 * (i + 1)), Count: 1})
	}
	got := s.Events("shop", "Pod", "web-1", at(0), at(35))
	require.Len(t, got, 3)
	_ = append(got, &Event{Key: "mine"})
	var keys []string
	for _, e := range s.Events("shop", "Pod", "web-1", at(0), at(100)) {
		keys = append(keys, e.Key)
	}
	assert.Equal(t, []string{"a", "b", "c", "d"}, keys)
}

// The events Events returns are those whose span overlaps the window, in
// Time order, also when the matches are not one run of the index: another
// kind of object with the same name, or a long-running event that began
// before the window's end but was last seen after it.
func TestEventsWindowAndKind(t *testing.T) {
	s := NewStore(time.Hour)
	add := func(key, kind string, first, last int) {
		s.AddEvent(Event{Namespace: "shop", Kind: kind, Name: "web", Reason: "R", Key: key, Time: at(last), FirstTime: at(first), Count: 1})
	}
	add("early", "Pod", 0, 5)        // ended before from
	add("in1", "Pod", 12, 12)        // inside
	add("dep", "Deployment", 14, 14) // other kind, same name
	add("in2", "Pod", 16, 16)        // inside
	add("late", "Pod", 40, 40)       // began after to
	add("span", "Pod", 18, 60)       // began inside, last seen after to
	keys := func(kind string) []string {
		var out []string
		for _, e := range s.Events("shop", kind, "web", at(10), at(20)) {
			out = append(out, e.Key)
		}
		return out
	}
	assert.Equal(t, []string{"in1", "in2", "span"}, keys("Pod"))
	assert.Equal(t, []string{"in1", "dep", "in2", "span"}, keys(""))
	assert.Equal(t, []string{"dep"}, keys("Deployment"))
	assert.Nil(t, s.Events("shop", "Pod", "web", at(61), at(70)))
}

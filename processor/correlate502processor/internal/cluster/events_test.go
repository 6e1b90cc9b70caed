package cluster

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	corev1 "k8s.io/api/core/v1"
	eventsv1 "k8s.io/api/events/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

func coreEvent(name, reason string, count int32, first, last time.Time) *corev1.Event {
	return &corev1.Event{
		ObjectMeta:     metav1.ObjectMeta{Namespace: "shop", Name: name},
		InvolvedObject: corev1.ObjectReference{Kind: "Pod", Namespace: "shop", Name: "web-1", UID: "u1"},
		Reason:         reason,
		Message:        "Readiness probe failed: HTTP probe failed with statuscode: 503",
		Type:           corev1.EventTypeWarning,
		Count:          count,
		FirstTimestamp: metav1.NewTime(first),
		LastTimestamp:  metav1.NewTime(last),
	}
}

func TestEventNormalization(t *testing.T) {
	micro := func(t time.Time) metav1.MicroTime { return metav1.NewMicroTime(t) }
	tests := []struct {
		name        string
		ev          Event
		time, first time.Time
		count       int32
	}{
		{
			name: "core legacy timestamps",
			ev:   EventFromCore(coreEvent("web-1.a", "Unhealthy", 7, at(10), at(70))),
			time: at(70), first: at(10), count: 7,
		},
		{
			name: "core written by the events API: eventTime, no count",
			ev: EventFromCore(&corev1.Event{
				ObjectMeta:     metav1.ObjectMeta{Namespace: "shop", Name: "web-1.b"},
				InvolvedObject: corev1.ObjectReference{Kind: "Pod", Name: "web-1"},
				Reason:         "Scheduled",
				EventTime:      micro(at(5)),
			}),
			time: at(5), first: at(5), count: 1,
		},
		{
			name: "core with a series",
			ev: EventFromCore(&corev1.Event{
				ObjectMeta:     metav1.ObjectMeta{Namespace: "shop", Name: "web-1.c"},
				InvolvedObject: corev1.ObjectReference{Kind: "Pod", Name: "web-1"},
				Reason:         "BackOff",
				EventTime:      micro(at(5)),
				Series:         &corev1.EventSeries{Count: 12, LastObservedTime: micro(at(300))},
			}),
			time: at(300), first: at(5), count: 12,
		},
		{
			name: "core with no time but creation",
			ev: EventFromCore(&corev1.Event{
				ObjectMeta:     metav1.ObjectMeta{Namespace: "shop", Name: "web-1.d", CreationTimestamp: metav1.NewTime(at(9))},
				InvolvedObject: corev1.ObjectReference{Kind: "Pod", Name: "web-1"},
			}),
			time: at(9), count: 1,
		},
		{
			name: "events.k8s.io/v1 with series",
			ev: EventFromV1(&eventsv1.Event{
				ObjectMeta: metav1.ObjectMeta{Namespace: "shop", Name: "web-1.e"},
				Regarding:  corev1.ObjectReference{Kind: "Pod", Name: "web-1"},
				EventTime:  micro(at(1)),
				Series:     &eventsv1.EventSeries{Count: 4, LastObservedTime: micro(at(40))},
			}),
			time: at(40), first: at(1), count: 4,
		},
		{
			name: "events.k8s.io/v1 of a legacy event",
			ev: EventFromV1(&eventsv1.Event{
				ObjectMeta:               metav1.ObjectMeta{Namespace: "shop", Name: "web-1.f"},
				Regarding:                corev1.ObjectReference{Kind: "Pod", Name: "web-1"},
				DeprecatedFirstTimestamp: metav1.NewTime(at(2)),
				DeprecatedLastTimestamp:  metav1.NewTime(at(20)),
				DeprecatedCount:          3,
			}),
			time: at(20), first: at(2), count: 3,
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			assert.Equal(t, tc.time, tc.ev.Time)
			assert.Equal(t, tc.first, tc.ev.FirstTime)
			assert.Equal(t, tc.count, tc.ev.Count)
			assert.Equal(t, "shop", tc.ev.Namespace, "the involved object's namespace defaults to the event's")
			assert.Equal(t, "web-1", tc.ev.Name)
			assert.Contains(t, tc.ev.Key, "shop/web-1.")
		})
	}
}

func TestEventsDedupeAndRange(t *testing.T) {
	s := NewStore(time.Hour)
	s.AddCoreEvent(coreEvent("web-1.a", "Unhealthy", 3, at(10), at(30)))
	s.AddCoreEvent(coreEvent("web-1.a", "Unhealthy", 9, at(10), at(90))) // the same event, later
	s.AddCoreEvent(coreEvent("web-1.a", "Unhealthy", 5, at(10), at(50))) // stale: ignored
	// The same Event object through the other API.
	s.AddEventV1(&eventsv1.Event{
		ObjectMeta:               metav1.ObjectMeta{Namespace: "shop", Name: "web-1.a"},
		Regarding:                corev1.ObjectReference{Kind: "Pod", Namespace: "shop", Name: "web-1"},
		Reason:                   "Unhealthy",
		DeprecatedFirstTimestamp: metav1.NewTime(at(10)),
		DeprecatedLastTimestamp:  metav1.NewTime(at(90)),
		DeprecatedCount:          9,
	})
	s.AddCoreEvent(coreEvent("web-1.b", "Killing", 1, at(200), at(200)))
	// From a log pipeline without an event name: keyed by object, reason and time.
	s.AddEvent(Event{Time: at(5), Namespace: "shop", Kind: "Pod", Name: "web-1", Reason: "Pulled", Count: 1})
	s.AddEvent(Event{Time: at(5), Namespace: "shop", Kind: "Pod", Name: "web-1", Reason: "Pulled", Count: 1})
	s.AddEvent(Event{Time: at(100), Namespace: "shop", Kind: "Deployment", Name: "web-1", Reason: "ScalingReplicaSet"})

	assert.Equal(t, 4, s.Stats()["events"])
	reasons := func(evs []*Event) []string {
		var out []string
		for _, e := range evs {
			out = append(out, e.Reason)
		}
		return out
	}
	tests := []struct {
		name     string
		kind     string
		from, to time.Time
		want     []string
	}{
		{"all pod events", "Pod", at(0), at(1000), []string{"Pulled", "Unhealthy", "Killing"}},
		{"any kind", "", at(0), at(1000), []string{"Pulled", "Unhealthy", "ScalingReplicaSet", "Killing"}},
		{"series overlapping the window", "Pod", at(60), at(70), []string{"Unhealthy"}},
		{"window before", "Pod", at(0), at(4), nil},
		{"window after", "Pod", at(201), at(300), nil},
		{"deployment only", "Deployment", at(0), at(1000), []string{"ScalingReplicaSet"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			assert.Equal(t, tc.want, reasons(s.Events("shop", tc.kind, "web-1", tc.from, tc.to)))
		})
	}
	evs := s.Events("shop", "Pod", "web-1", at(60), at(70))
	require.Len(t, evs, 1)
	assert.Equal(t, int32(9), evs[0].Count)
	assert.Equal(t, at(90), evs[0].Time)
	assert.Equal(t, at(10), evs[0].FirstTime)
}

package cluster

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestTerminationsDedupe(t *testing.T) {
	metric := func(restarts int32, seen time.Time) Termination {
		return Termination{Namespace: "shop", Pod: "web", Container: "app", Reason: "OOMKilled", RestartCount: restarts, Seen: seen}
	}
	tests := []struct {
		name string
		feed func(s *Store)
		want []Termination
	}{
		{
			name: "status then metric",
			feed: func(s *Store) {
				s.UpsertPod(mkPod("shop", "web", "10.0.0.1", withLastTerminated("OOMKilled", 137, 3, at(50))), at(55))
				s.AddTermination(metric(3, at(60)))
			},
			want: []Termination{{Namespace: "shop", Pod: "web", Container: "app", Reason: "OOMKilled", ExitCode: 137,
				StartedAt: at(-10), FinishedAt: at(50), Seen: at(55), RestartCount: 3}},
		},
		{
			name: "metric then status",
			feed: func(s *Store) {
				s.AddTermination(metric(3, at(52)))
				s.UpsertPod(mkPod("shop", "web", "10.0.0.1", withLastTerminated("OOMKilled", 137, 3, at(50))), at(55))
			},
			want: []Termination{{Namespace: "shop", Pod: "web", Container: "app", Reason: "OOMKilled", ExitCode: 137,
				StartedAt: at(-10), FinishedAt: at(50), Seen: at(52), RestartCount: 3}},
		},
		{
			name: "down now, then restarted: one termination",
			feed: func(s *Store) {
				s.UpsertPod(mkPod("shop", "web", "10.0.0.1", withTerminatedNow("Error", 1, 2, at(50))), at(51))
				s.AddTermination(metric(3, at(70))) // the restart it caused
				s.UpsertPod(mkPod("shop", "web", "10.0.0.1", withLastTerminated("Error", 1, 3, at(50))), at(80))
			},
			want: []Termination{{Namespace: "shop", Pod: "web", Container: "app", Reason: "Error", ExitCode: 1,
				StartedAt: at(-10), FinishedAt: at(50), Seen: at(51), RestartCount: 3}},
		},
		{
			name: "different restarts stay apart",
			feed: func(s *Store) {
				s.UpsertPod(mkPod("shop", "web", "10.0.0.1", withLastTerminated("OOMKilled", 137, 2, at(20))), at(21))
				s.UpsertPod(mkPod("shop", "web", "10.0.0.1", withLastTerminated("OOMKilled", 137, 3, at(50))), at(51))
				s.AddTermination(Termination{Namespace: "shop", Pod: "web", Container: "app", Seen: at(90)}) // restart count unknown
			},
			want: []Termination{
				{Namespace: "shop", Pod: "web", Container: "app", Reason: "OOMKilled", ExitCode: 137, StartedAt: at(-40), FinishedAt: at(20), Seen: at(21), RestartCount: 2},
				{Namespace: "shop", Pod: "web", Container: "app", Reason: "OOMKilled", ExitCode: 137, StartedAt: at(-10), FinishedAt: at(50), Seen: at(51), RestartCount: 3},
				{Namespace: "shop", Pod: "web", Container: "app", Seen: at(90)},
			},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := NewStore(time.Hour)
			tc.feed(s)
			assert.Equal(t, tc.want, s.Terminations("shop", "web", at(-100), at(100)))
		})
	}
}

func TestTerminationsRange(t *testing.T) {
	s := NewStore(time.Hour)
	s.AddTermination(Termination{Namespace: "shop", Pod: "web", Container: "app", FinishedAt: at(30), Seen: at(200), RestartCount: 2})
	s.AddTermination(Termination{Namespace: "shop", Pod: "web", Container: "app", Seen: at(10), RestartCount: 1})
	s.AddTermination(Termination{Namespace: "shop", Pod: "other", Container: "app", Seen: at(10), RestartCount: 1})
	got := s.Terminations("shop", "web", at(0), at(100))
	require.Len(t, got, 2)
	assert.Equal(t, int32(1), got[0].RestartCount, "ordered by FinishedAt, else Seen")
	assert.Equal(t, int32(2), got[1].RestartCount)
	assert.Len(t, s.Terminations("shop", "web", at(20), at(100)), 1)
	assert.Empty(t, s.Terminations("shop", "web", at(31), at(100)))
}

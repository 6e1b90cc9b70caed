package cluster

import (
	"bytes"
	"fmt"
	"testing"
	"time"

	"github.com/klauspost/compress/s2"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/extension/xextension/storage"

	"github.com/k8s502/otelcol-k8s502/internal/testing/teststorage"
)

// historyQueries ask every read method of the store about a time: each
// answer of a restored store must be the answer of the store it was written
// from.
var historyQueries = []struct {
	name string
	ask  func(s *Store, t time.Time) any
}{
	{"Pod", func(s *Store, _ time.Time) any {
		var out []any
		for _, n := range [][2]string{{"shop", "web-a"}, {"shop", "web-b"}, {"shop", "web-c"}, {"shop", "db-0"}, {"monitoring", "node-exporter-x"}} {
			p, ok := s.Pod(n[0], n[1])
			out = append(out, p, ok)
		}
		return out
	}},
	{"ExistedAt", func(s *Store, t time.Time) any {
		var out []bool
		for _, p := range s.PodsInNamespace("shop") {
			out = append(out, p.ExistedAt(t))
		}
		return out
	}},
	{"PodsInNamespace", func(s *Store, _ time.Time) any {
		return []any{s.PodsInNamespace("shop"), s.PodsInNamespace("monitoring")}
	}},
	{"PodsForSelector", func(s *Store, _ time.Time) any { return s.PodsForSelector("shop", map[string]string{"app": "web"}) }},
	{"ReadyAt", func(s *Store, t time.Time) any {
		var out []bool
		for _, pod := range []string{"web-a", "web-b", "web-c", "db-0"} {
			ready, known := s.ReadyAt("shop", pod, t)
			out = append(out, ready, known)
		}
		return out
	}},
	{"PodByIP", func(s *Store, t time.Time) any {
		var out []any
		for _, ip := range []string{"10.0.0.1", "10.0.0.2", "10.0.0.5", "10.0.0.6", "192.168.0.10"} {
			p, ok := s.PodByIP(ip, t)
			out = append(out, p, ok)
		}
		return out
	}},
	{"PodByAddress", func(s *Store, t time.Time) any {
		p, ok := s.PodByAddress("10.0.0.2", 8080, t)
		return []any{p, ok}
	}},
	{"Terminations", func(s *Store, t time.Time) any {
		return []any{s.Terminations("shop", "web-a", t.Add(-30*time.Second), t), s.Terminations("shop", "db-0", t.Add(-30*time.Second), t)}
	}},
	{"Events", func(s *Store, t time.Time) any {
		from := t.Add(-10 * time.Second)
		return []any{s.Events("shop", "Pod", "web-a", from, t), s.Events("shop", "", "db-0", from, t), s.Events("shop", "Deployment", "web", from, t)}
	}},
	{"Endpoints", func(s *Store, t time.Time) any {
		return []any{s.Endpoints("shop", "web", t), s.Endpoints("shop", "db", t)}
	}},
	{"WithIP", func(s *Store, t time.Time) any {
		return []any{WithIP(s.Endpoints("shop", "web", t), "10.0.0.2"), WithIP(s.Endpoints("shop", "web", t), "10.0.0.9")}
	}},
	{"ServiceOfEndpoint", func(s *Store, t time.Time) any {
		m1, ok1 := s.ServiceOfEndpoint("shop", "web-a", 8080, t)
		m2, ok2 := s.ServiceOfEndpoint("shop", "db-0", 0, t)
		return []any{m1, ok1, m2, ok2}
	}},
	{"Service", func(s *Store, _ time.Time) any {
		svc, ok := s.Service("shop", "web")
		return []any{svc, ok}
	}},
	{"ServicesInNamespace", func(s *Store, _ time.Time) any {
		return []any{s.ServicesInNamespace("shop"), s.ServicesInNamespace("other")}
	}},
	{"Deployment", func(s *Store, _ time.Time) any {
		d, ok := s.Deployment("shop", "web")
		return []any{d, ok, s.ReplicaSets("shop", "web")}
	}},
	{"ReplicaSetHistory", func(s *Store, t time.Time) any {
		from := t.Add(-20 * time.Second)
		return []any{s.ReplicaSetHistory("shop", "web-7d9", from, t), s.ReplicaSetHistory("shop", "web-6c5", from, t)}
	}},
	{"Workload", func(s *Store, _ time.Time) any {
		p, _ := s.Pod("shop", "web-a")
		if p == nil {
			return nil
		}
		return s.Workload(p.Pod)
	}},
	{"NetworkPolicies", func(s *Store, _ time.Time) any {
		ns, ok := s.Namespace("shop")
		return []any{s.NetworkPolicies("shop"), ns, ok}
	}},
	{"Watched", func(s *Store, t time.Time) any { return s.Watched(t) }},
	{"Stats", func(s *Store, _ time.Time) any { return s.Stats() }},
}

// queryTimes are the times the scene is asked about: every second of it,
// and its edges.
func queryTimes() []time.Time {
	ts := []time.Time{t0.Add(-time.Hour - time.Second), t0.Add(-time.Hour)}
	for sec := -3; sec <= 62; sec++ {
		ts = append(ts, at(sec))
	}
	return ts
}

// A restarted gateway answers every question about the time before its
// restart as the gateway that recorded it did.
func TestHistorySurvivesRestart(t *testing.T) {
	orig := historyScene()
	orig.StopWatching(at(60))
	orig.Prune(at(60))
	restored, info := persistAndRestore(t, orig, at(60), at(61), false)
	assert.True(t, info.Written.Equal(at(60)))
	empty := NewStore(time.Hour)
	for _, q := range historyQueries {
		t.Run(q.name, func(t *testing.T) {
			informative := false
			for _, ts := range queryTimes() {
				want, got := q.ask(orig, ts), q.ask(restored, ts)
				if !sameAnswer.DeepEqual(want, got) {
					t.Errorf("at %s:\nwant %s\ngot  %s", ts.Sub(t0), dump(want), dump(got))
				}
				informative = informative || !sameAnswer.DeepEqual(want, q.ask(empty, ts))
			}
			assert.True(t, informative, "the scene gives this question an answer an empty store does not")
		})
	}
}

func dump(v any) string { return fmt.Sprintf("%+v", v) }

// A killed gateway's storage holds its last periodic write: the restored
// store knows what it knew then and nothing after, and its open window ends
// at that write. A window closed by a graceful stop stays as it was.
func TestHistoryOfKilledGateway(t *testing.T) {
	dir := t.TempDir()
	c, closeStorage := historyClient(t, dir)
	defer closeStorage()
	s := historyScene()
	_, err := s.SaveHistory(t.Context(), c, at(50), 0)
	require.NoError(t, err)
	s.Apply(mkPod("shop", "web-a", "10.0.0.1"), true, at(55)) // after the last write
	killed := teststorage.KilledCopy(t, dir)

	kc, closeKilled := historyClient(t, killed)
	defer closeKilled()
	r := NewStore(time.Hour)
	_, err = r.LoadHistory(t.Context(), kc, at(90), true)
	require.NoError(t, err)
	p, ok := r.Pod("shop", "web-a")
	require.True(t, ok)
	assert.True(t, p.Deleted.IsZero(), "the delete came after the last write")
	assert.Equal(t, []Window{{From: at(1), To: at(50)}}, r.WatchedWindows(), "the open window ends at the last write")
	assert.True(t, r.Watched(at(49)))
	assert.False(t, r.Watched(at(50)), "the gateway was not known to watch after its last write")
	r.StartWatching(at(90)) // this run's informers synced
	assert.False(t, r.Watched(at(89)))
	assert.True(t, r.Watched(at(90)))

	// Stopped gracefully: the window closed at the stop, before the write.
	s.StopWatching(at(56))
	_, err = s.SaveHistory(t.Context(), c, at(57), 0)
	require.NoError(t, err)
	r = NewStore(time.Hour)
	_, err = r.LoadHistory(t.Context(), c, at(90), false)
	require.NoError(t, err)
	assert.Equal(t, []Window{{From: at(1), To: at(56)}}, r.WatchedWindows())
}

// What cannot be read is reported and leaves the store empty: the gateway
// starts without history rather than not at all.
func TestHistoryUnreadableIsIgnored(t *testing.T) {
	dir := t.TempDir()
	c, closeStorage := historyClient(t, dir)
	defer closeStorage()
	_, err := historyScene().SaveHistory(t.Context(), c, at(60), 0)
	require.NoError(t, err)
	good, err := c.Get(t.Context(), HistoryKey)
	require.NoError(t, err)
	other := append([]byte{}, good...)
	other[len(historyMagic)] = historyVersion + 1
	cases := map[string][]byte{
		"garbage":       []byte("not a history"),
		"empty":         {},
		"truncated":     good[:len(good)/2],
		"other version": other,
		"bad s2":        append(append([]byte{}, good[:len(historyMagic)+1]...), 0xff, 0xff, 0xff, 0x01),
		"bad json":      mustEncode(t, []byte(`{"pods":[{"pod":null}]`)),
		"bad index":     mustEncode(t, []byte(`{"pods":[{"pod":{"metadata":{"name":"a"}}}],"ips":[{"ip":"10.0.0.1","pod":7}]}`)),
		"null pod":      mustEncode(t, []byte(`{"pods":[{"pod":null,"named":true}]}`)),
	}
	for name, raw := range cases {
		t.Run(name, func(t *testing.T) {
			require.NoError(t, c.Batch(t.Context(), storage.SetOperation(HistoryKey, raw)))
			s := NewStore(time.Hour)
			_, err := s.LoadHistory(t.Context(), c, at(61), true)
			require.Error(t, err)
			assert.True(t, s.empty(), "nothing half restored")
			assert.Nil(t, s.restored)
		})
	}
	// Nothing stored: nothing restored, no error.
	require.NoError(t, c.Batch(t.Context(), storage.DeleteOperation(HistoryKey)))
	info, err := NewStore(time.Hour).LoadHistory(t.Context(), c, at(61), true)
	require.NoError(t, err)
	assert.True(t, info.Written.IsZero())
	// A store that holds state already is not overwritten.
	require.NoError(t, c.Batch(t.Context(), storage.SetOperation(HistoryKey, good)))
	_, err = historyScene().LoadHistory(t.Context(), c, at(61), true)
	require.Error(t, err)
}

// mustEncode frames JSON as a current-version history.
func mustEncode(t *testing.T, js []byte) []byte {
	t.Helper()
	var buf bytes.Buffer
	buf.Write(historyMagic)
	buf.WriteByte(historyVersion)
	zw := s2.NewWriter(&buf)
	_, err := zw.Write(js)
	require.NoError(t, err)
	require.NoError(t, zw.Close())
	return buf.Bytes()
}

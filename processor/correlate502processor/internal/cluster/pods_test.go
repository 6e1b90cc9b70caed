package cluster

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

func TestPodByIPReuse(t *testing.T) {
	const ip = "10.0.0.5"
	// live: A holds the IP until it is deleted at 100, B gets it from 150.
	live := func(s *Store) {
		s.UpsertPod(mkPod("shop", "web-a", ip), at(0))
		s.DeletePod(mkPod("shop", "web-a", ip), at(100))
		s.UpsertPod(mkPod("shop", "web-b", ip, withCreated(at(150))), at(155))
	}
	// late delete: B started at 150 while A's delete was only seen at 200.
	late := func(s *Store) {
		s.UpsertPod(mkPod("shop", "web-a", ip), at(0))
		s.UpsertPod(mkPod("shop", "web-b", ip, withCreated(at(150))), at(155))
		s.DeletePod(mkPod("shop", "web-a", ip), at(200))
	}
	// snapshot: no observation times, B listed before A.
	snapshot := func(s *Store) {
		s.UpsertPod(mkPod("shop", "web-b", ip, withCreated(at(150))), time.Time{})
		s.UpsertPod(mkPod("shop", "web-a", ip), time.Time{})
	}
	tests := []struct {
		load func(*Store)
		name string
		at   time.Time
		want string
	}{
		{live, "live before A started", t0.Add(-2 * time.Hour), ""},
		{live, "live A started (startTime, not seen)", t0.Add(-time.Hour), "web-a"},
		{live, "live A", at(99), "web-a"},
		{live, "live A deleted", at(100), ""},
		{live, "live gap", at(149), ""},
		{live, "live B", at(150), "web-b"},
		{live, "live B later", at(100000), "web-b"},
		{late, "late A", at(149), "web-a"},
		{late, "late B wins from its start", at(160), "web-b"},
		{late, "late B after A's delete", at(300), "web-b"},
		{snapshot, "snapshot A", at(100), "web-a"},
		{snapshot, "snapshot B", at(151), "web-b"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := NewStore(time.Hour)
			tc.load(s)
			p, ok := s.PodByIP(ip, tc.at)
			if tc.want == "" {
				assert.False(t, ok, "got %v", p)
				return
			}
			require.True(t, ok)
			assert.Equal(t, tc.want, p.Pod.Name)
		})
	}
}

func TestPodByIPIgnoresHostNetwork(t *testing.T) {
	s := NewStore(time.Hour)
	s.UpsertPod(mkPod("kube-system", "kube-proxy-x", "10.0.1.11", withHostNetwork()), at(0))
	_, ok := s.PodByIP("10.0.1.11", at(10))
	assert.False(t, ok)
	_, ok = s.Pod("kube-system", "kube-proxy-x")
	assert.True(t, ok, "the pod itself is still known")
}

func TestPodRecreatedUnderSameName(t *testing.T) {
	s := NewStore(time.Hour)
	s.UpsertPod(mkPod("db", "db-0", "10.0.0.7", withUID("u1")), at(0))
	s.UpsertPod(mkPod("db", "db-0", "10.0.0.8", withUID("u2"), withCreated(at(95))), at(100))

	p, ok := s.Pod("db", "db-0")
	require.True(t, ok)
	assert.Equal(t, "u2", string(p.Pod.UID))

	old, ok := s.PodByIP("10.0.0.7", at(50))
	require.True(t, ok)
	assert.Equal(t, "u1", string(old.Pod.UID))
	assert.Equal(t, at(95), old.Deleted, "the old incarnation ends when the new one was created")
	_, ok = s.PodByIP("10.0.0.7", at(120))
	assert.False(t, ok)

	// A late delete of the old incarnation leaves the new one alone.
	s.DeletePod(mkPod("db", "db-0", "10.0.0.7", withUID("u1")), at(130))
	p, _ = s.Pod("db", "db-0")
	assert.True(t, p.Deleted.IsZero())
	cur, ok := s.PodByIP("10.0.0.8", at(200))
	require.True(t, ok)
	assert.Equal(t, "u2", string(cur.Pod.UID))
}

func TestReadyAt(t *testing.T) {
	s := NewStore(time.Hour)
	mk := func(opts ...podOpt) {
		s.UpsertPod(mkPod("shop", "web", "10.0.0.9", append([]podOpt{withCreated(at(0))}, opts...)...), at(0))
	}
	mk(withReady(false, at(1)))
	mk(withReady(false, at(1))) // no change, no transition
	mk(withReady(true, at(28)))
	mk(withReady(false, at(59)))
	s.DeletePod(mkPod("shop", "web", "10.0.0.9", withCreated(at(0)), withReady(false, at(59))), at(90))
	// Dated by seen when lastTransitionTime is missing.
	s.UpsertPod(mkPod("shop", "nolt", "10.0.0.10", withCreated(at(0)), withReady(false, time.Time{})), at(5))
	s.UpsertPod(mkPod("shop", "nolt", "10.0.0.10", withCreated(at(0)), withReady(true, time.Time{})), at(40))
	// Snapshot: only the current state and when it began.
	s.UpsertPod(mkPod("shop", "snap", "10.0.0.11", withCreated(at(0)), withReady(true, at(28))), time.Time{})
	s.UpsertPod(mkPod("shop", "nocond", "10.0.0.12"), at(0))

	tests := []struct {
		pod          string
		at           time.Time
		ready, known bool
	}{
		{"web", at(-5), false, true}, // not created yet
		{"web", at(10), false, true},
		{"web", at(28), true, true},
		{"web", at(45), true, true},
		{"web", at(59), false, true},
		{"web", at(89), false, true},
		{"web", at(95), false, true}, // deleted
		{"nolt", at(39), false, true},
		{"nolt", at(40), true, true},
		{"snap", at(20), false, true}, // before it turned Ready
		{"snap", at(30), true, true},
		{"nocond", at(30), false, false},
		{"missing", at(30), false, false},
	}
	for _, tc := range tests {
		ready, known := s.ReadyAt("shop", tc.pod, tc.at)
		assert.Equal(t, tc.ready, ready, "%s at %v ready", tc.pod, tc.at.Sub(t0))
		assert.Equal(t, tc.known, known, "%s at %v known", tc.pod, tc.at.Sub(t0))
	}
	p, _ := s.Pod("shop", "web")
	assert.Equal(t, []Transition{{At: at(1), Ready: false}, {At: at(28), Ready: true}, {At: at(59), Ready: false}}, p.Ready)

	// The list is shared with the store, never changed once handed out: a
	// later transition leaves what a reader holds as it was.
	nolt, _ := s.Pod("shop", "nolt")
	s.UpsertPod(mkPod("shop", "nolt", "10.0.0.10", withCreated(at(0)), withReady(false, at(70))), at(70))
	assert.Equal(t, []Transition{{At: at(5), Ready: false}, {At: at(40), Ready: true}}, nolt.Ready)
	again, _ := s.Pod("shop", "nolt")
	assert.Len(t, again.Ready, 3)
}

func TestPodListings(t *testing.T) {
	s := NewStore(time.Hour)
	web := map[string]string{"app": "web", "tier": "front"}
	s.UpsertPod(mkPod("shop", "web-2", "10.0.0.2", withLabels(web)), at(0))
	s.UpsertPod(mkPod("shop", "web-1", "10.0.0.1", withLabels(web)), at(0))
	s.UpsertPod(mkPod("shop", "api-1", "10.0.0.3", withLabels(map[string]string{"app": "api"})), at(0))
	s.UpsertPod(mkPod("other", "web-9", "10.0.0.4", withLabels(web)), at(0))
	s.DeletePod(mkPod("shop", "web-2", "10.0.0.2", withLabels(web)), at(10))

	assert.Equal(t, []string{"api-1", "web-1", "web-2"}, names(s.PodsInNamespace("shop")))
	assert.Empty(t, s.PodsInNamespace("nope"))

	tests := []struct {
		sel  map[string]string
		want []string
	}{
		{map[string]string{"app": "web"}, []string{"web-1", "web-2"}},
		{map[string]string{"app": "web", "tier": "front"}, []string{"web-1", "web-2"}},
		{map[string]string{"app": "web", "tier": "back"}, nil},
		{map[string]string{"app": "promotion"}, nil},
		{nil, nil},
	}
	for _, tc := range tests {
		assert.Equal(t, tc.want, names(s.PodsForSelector("shop", tc.sel)), "%v", tc.sel)
	}
	for _, p := range s.PodsForSelector("shop", map[string]string{"app": "web"}) {
		if p.Pod.Name == "web-2" {
			assert.Equal(t, at(10), p.Deleted)
			assert.True(t, p.ExistedAt(at(5)))
			assert.False(t, p.ExistedAt(at(10)))
		}
	}
}

func TestDeletePodNeverSeen(t *testing.T) {
	s := NewStore(time.Hour)
	p := mkPod("shop", "ghost", "10.0.0.66")
	now := metav1.NewTime(at(50))
	p.DeletionTimestamp = &now
	s.DeletePod(p, time.Time{}) // a tombstone from a relist, time unknown: use deletionTimestamp
	got, ok := s.PodByIP("10.0.0.66", at(10))
	require.True(t, ok)
	assert.Equal(t, at(50), got.Deleted)
	_, ok = s.PodByIP("10.0.0.66", at(60))
	assert.False(t, ok)
}

func TestPodByAddress(t *testing.T) {
	withPort := func(port int32) podOpt {
		return func(p *corev1.Pod) { p.Spec.Containers[0].Ports = []corev1.ContainerPort{{ContainerPort: port}} }
	}
	completed := func(p *corev1.Pod) { p.Status.Phase = corev1.PodSucceeded }
	s := NewStore(time.Hour)
	// Three pods answer on one address (a test bed), told apart by port.
	s.UpsertPod(mkPod("shop", "orders", "127.0.0.1", withPort(9001), withCreated(at(0))), at(0))
	s.UpsertPod(mkPod("shop", "cart", "127.0.0.1", withPort(9010), withCreated(at(10))), at(10))
	s.UpsertPod(mkPod("shop", "job", "127.0.0.1", withPort(9020), withCreated(at(20)), completed), at(20))
	s.UpsertPod(mkPod("shop", "web", "127.0.0.1", withCreated(at(30))), at(30)) // no ports declared
	s.DeletePod(mkPod("shop", "cart", "127.0.0.1", withPort(9010), withCreated(at(10))), at(100))

	tests := []struct {
		name string
		port int32
		at   time.Time
		want string
	}{
		{"by port", 9001, at(50), "orders"},
		{"by port, second pod", 9010, at(50), "cart"},
		{"deleted holder", 9010, at(150), "web"},
		{"completed pods do not answer", 9020, at(50), "web"},
		{"undeclared port: the latest holder", 8080, at(50), "web"},
		{"no port", 0, at(50), "web"},
		{"before the latest holder", 9999, at(25), "job"},
		{"before anyone", 9001, at(-1), ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p, ok := s.PodByAddress("127.0.0.1", tc.port, tc.at)
			if tc.want == "" {
				assert.False(t, ok)
				return
			}
			require.True(t, ok)
			assert.Equal(t, tc.want, p.Pod.Name)
		})
	}
}

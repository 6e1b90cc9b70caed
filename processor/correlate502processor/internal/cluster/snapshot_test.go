package cluster

import (
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"sigs.k8s.io/yaml"
)

// fixtureCounts is what testdata/snapshot.yaml holds.
var fixtureCounts = Counts{
	Objects: map[string]int{
		"Pod": 16, "Service": 12, "EndpointSlice": 11, "Event": 12, "Deployment": 11,
		"ReplicaSet": 13, "NetworkPolicy": 2, "Namespace": 5,
	},
	Skipped:    map[string]int{},
	Duplicates: 2, // two events listed by both event APIs
	Documents:  1,
}

func utc(hms string) time.Time {
	t, err := time.Parse(time.RFC3339, "2026-11-25T"+hms+"Z")
	if err != nil {
		panic(err)
	}
	return t
}

func TestLoadSnapshotFixture(t *testing.T) {
	s := NewStore(time.Hour)
	counts, err := LoadSnapshot("testdata/snapshot.yaml", s)
	require.NoError(t, err)
	assert.Equal(t, fixtureCounts, counts)
	assert.Equal(t, 12, s.Stats()["events"])
	from, to := utc("08:30:00"), utc("08:50:00")

	t.Run("services", func(t *testing.T) {
		var names []string
		for _, svc := range s.ServicesInNamespace("shop") {
			names = append(names, svc.Name)
		}
		assert.Subset(t, names, []string{"billing", "checkout-canary", "inventory", "promotions", "search", "storefront"})
		svc, ok := s.Service("shop", "search")
		require.True(t, ok)
		require.NotEmpty(t, svc.Spec.Ports)
		assert.Equal(t, "http", svc.Spec.Ports[0].Name)
	})
	t.Run("OOMKilled pod", func(t *testing.T) {
		p, ok := s.PodByIP("10.244.2.15", utc("08:47:00"))
		require.True(t, ok)
		assert.Equal(t, "inventory-6c7b9d5f4-q8m2n", p.Pod.Name)
		assert.Empty(t, p.Pod.ManagedFields, "stored stripped")
		terms := s.Terminations("shop", p.Pod.Name, from, to)
		require.Len(t, terms, 1)
		assert.Equal(t, "OOMKilled", terms[0].Reason)
		assert.Equal(t, int32(137), terms[0].ExitCode)
		assert.Equal(t, int32(3), terms[0].RestartCount)
		assert.WithinDuration(t, utc("08:46:50"), terms[0].FinishedAt, 0)
		ready, known := s.ReadyAt("shop", p.Pod.Name, utc("08:47:00"))
		assert.True(t, known)
		assert.False(t, ready, "Ready again only at 08:47:41")
		assert.Equal(t, Workload{"Deployment", "inventory"}, s.Workload(p.Pod))
		var reasons []string
		for _, e := range s.Events("shop", "Pod", p.Pod.Name, from, to) {
			reasons = append(reasons, e.Reason)
		}
		assert.Equal(t, []string{"BackOff", "Pulled", "Started"}, reasons)
	})
	t.Run("readiness failing", func(t *testing.T) {
		const pod = "reviews-7f9c8d6b5-kx2lp"
		ready, known := s.ReadyAt("shop", pod, utc("08:47:00"))
		assert.True(t, known)
		assert.False(t, ready)
		ready, _ = s.ReadyAt("shop", pod, utc("08:44:00"))
		assert.True(t, ready, "it turned unready at 08:44:10")
		evs := s.Events("shop", "Pod", pod, from, to)
		require.Len(t, evs, 1, "listed by both APIs, stored once")
		assert.Equal(t, "Unhealthy", evs[0].Reason)
		assert.Equal(t, int32(53), evs[0].Count)
		assert.WithinDuration(t, utc("08:44:05"), evs[0].FirstTime, 0)
		assert.WithinDuration(t, utc("08:48:25"), evs[0].Time, 0)
		assert.Equal(t, []string{"10.244.1.23:"}, epSummary(s.Endpoints("shop", "reviews", utc("08:47:00"))))
	})
	t.Run("terminating pod", func(t *testing.T) {
		p, ok := s.Pod("shop", "cart-5d8f7c9b6-2xv7p")
		require.True(t, ok)
		require.NotNil(t, p.Pod.DeletionTimestamp)
		assert.Equal(t, int64(30), *p.Pod.DeletionGracePeriodSeconds)
		assert.True(t, p.Deleted.IsZero(), "terminating, not deleted")
		assert.Equal(t, []string{"10.244.2.31:ST", "10.244.3.12:RS"}, epSummary(s.Endpoints("shop", "cart", utc("08:47:10"))))
		assert.Nil(t, p.Pod.Spec.Containers[0].Lifecycle, "no preStop")
	})
	t.Run("selector matching nothing", func(t *testing.T) {
		svc, ok := s.Service("shop", "promotions")
		require.True(t, ok)
		assert.Empty(t, s.PodsForSelector("shop", svc.Spec.Selector))
		assert.Empty(t, s.Endpoints("shop", "promotions", utc("08:47:00")))
		assert.Len(t, s.PodsForSelector("shop", map[string]string{"app": "promotions"}), 1)
	})
	t.Run("rollout with maxSurge 0", func(t *testing.T) {
		d, ok := s.Deployment("shop", "orders")
		require.True(t, ok)
		assert.Equal(t, 0, d.Spec.Strategy.RollingUpdate.MaxSurge.IntValue())
		rss := s.ReplicaSets("shop", "orders")
		require.Len(t, rss, 3)
		assert.Equal(t, "orders-59f8b7d6c4", rss[2].Name, "newest last")
		assert.Equal(t, "5", rss[2].Annotations["deployment.kubernetes.io/revision"])
		evs := s.Events("shop", "Deployment", "orders", from, to)
		require.Len(t, evs, 2)
		assert.Equal(t, "ScalingReplicaSet", evs[0].Reason)
		sched := s.Events("shop", "Pod", "orders-59f8b7d6c4-w7r2k", from, to)
		require.NotEmpty(t, sched)
		assert.Equal(t, "Scheduled", sched[0].Reason)
		assert.WithinDuration(t, time.Date(2026, 11, 25, 8, 47, 2, 512304000, time.UTC), sched[0].Time, 0, "from eventTime")
		assert.Equal(t, []string{"10.244.1.31:RS", "10.244.3.40:"}, epSummary(s.Endpoints("shop", "orders", utc("08:48:00"))))
	})
	t.Run("ingress controller and policies", func(t *testing.T) {
		p, ok := s.PodByIP("10.244.1.10", utc("08:47:00"))
		require.True(t, ok)
		assert.Equal(t, "ingress-nginx/ingress-nginx-controller-7d9f8b6c5d-x2x4z", p.Pod.Namespace+"/"+p.Pod.Name)
		assert.Equal(t, Workload{"Deployment", "ingress-nginx-controller"}, s.Workload(p.Pod))
		_, ok = s.PodByIP("10.244.1.10", utc("08:46:00"))
		assert.False(t, ok, "the controller pod started at 08:46:42")
		nps := s.NetworkPolicies("shop")
		require.Len(t, nps, 1)
		assert.Equal(t, "payments-ingress", nps[0].Name)
		ns, ok := s.Namespace("ingress-nginx")
		require.True(t, ok)
		assert.Equal(t, "ingress-nginx", ns.Labels["kubernetes.io/metadata.name"])
		ns, _ = s.Namespace("shop")
		assert.Equal(t, "apps", ns.Labels["network-zone"])
	})
}

func writeFile(t *testing.T, name, content string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), name)
	require.NoError(t, os.WriteFile(path, []byte(content), 0o600))
	return path
}

const multiDoc = `---
# a leading separator and an empty document
---
apiVersion: v1
kind: Pod
metadata: {name: a, namespace: shop, uid: ua}
status: {podIP: 10.0.0.1, startTime: "2026-11-25T08:00:00Z"}
---
apiVersion: v1
kind: PodList
items:
- metadata: {name: b, namespace: shop, uid: ub}
  status: {podIP: 10.0.0.2}
---
- apiVersion: v1
  kind: Service
  metadata: {name: web, namespace: shop}
  spec: {ports: [{name: http, port: 80}]}
- apiVersion: v1
  kind: ConfigMap
  metadata: {name: cm, namespace: shop}
- apiVersion: example.com/v1
  kind: Widget
  metadata: {name: w, namespace: shop}
---
apiVersion: events.k8s.io/v1
kind: Event
metadata: {name: a.1, namespace: shop}
regarding: {kind: Pod, name: a, namespace: shop}
reason: Killing
eventTime: "2026-11-25T08:10:00.000000Z"
`

func TestLoadSnapshotFormats(t *testing.T) {
	yamlFixture, err := os.ReadFile("testdata/snapshot.yaml")
	require.NoError(t, err)
	jsonFixture, err := yaml.YAMLToJSON(yamlFixture)
	require.NoError(t, err)
	multi := Counts{
		Objects:   map[string]int{"Pod": 2, "Service": 1, "Event": 1},
		Skipped:   map[string]int{"ConfigMap": 1, "Widget": 1},
		Documents: 4,
	}
	tests := []struct {
		name, file, content string
		want                Counts
	}{
		{"kubectl -o json", "snap.json", string(jsonFixture), fixtureCounts},
		{"documents, typed list, plain list, unknown kinds", "multi.yaml", multiDoc, multi},
		{"concatenated JSON objects", "objs.json",
			`{"apiVersion":"v1","kind":"Pod","metadata":{"name":"a","namespace":"shop"}}` + "\n" +
				`{"apiVersion":"v1","kind":"Namespace","metadata":{"name":"shop"}}` + "\n" +
				`{"apiVersion":"v1","kind":"Namespace","metadata":{"name":"other"}}`,
			Counts{Objects: map[string]int{"Pod": 1, "Namespace": 2}, Skipped: map[string]int{}, Documents: 3}},
		{"empty file", "empty.yaml", "", Counts{Objects: map[string]int{}, Skipped: map[string]int{}}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := NewStore(time.Hour)
			got, err := LoadSnapshot(writeFile(t, tc.file, tc.content), s)
			require.NoError(t, err)
			assert.Equal(t, tc.want, got)
		})
	}

	s := NewStore(time.Hour)
	_, err = LoadSnapshot(writeFile(t, "multi.yaml", multiDoc), s)
	require.NoError(t, err)
	p, ok := s.PodByIP("10.0.0.2", utc("08:00:00"))
	require.True(t, ok, "a typed list's items take the list's kind")
	assert.Equal(t, "b", p.Pod.Name)
	_, ok = s.Service("shop", "web")
	assert.True(t, ok)
	assert.Len(t, s.Events("shop", "Pod", "a", utc("08:00:00"), utc("08:20:00")), 1)
}

func TestLoadSnapshotErrors(t *testing.T) {
	tests := []struct {
		name, content string
		want          []string // substrings of the error
	}{
		{"YAML syntax in the second document",
			"apiVersion: v1\nkind: Namespace\nmetadata: {name: a}\n---\nkind: Pod\nmetadata: [unclosed\n",
			[]string{"bad.yaml", "document 2"}},
		{"a field of the wrong type in an item",
			"apiVersion: v1\nkind: List\nitems:\n- apiVersion: v1\n  kind: Namespace\n  metadata: {name: a}\n- apiVersion: v1\n  kind: Pod\n  metadata: {name: p}\n  spec: {containers: nope}\n",
			[]string{"bad.yaml", "document 1", "item 2"}},
		{"an object without kind",
			"apiVersion: v1\nmetadata: {name: a}\n",
			[]string{"bad.yaml", "document 1", "kind"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := LoadSnapshot(writeFile(t, "bad.yaml", tc.content), NewStore(time.Hour))
			require.Error(t, err)
			for _, w := range tc.want {
				assert.Contains(t, err.Error(), w)
			}
		})
	}
	_, err := LoadSnapshot(filepath.Join(t.TempDir(), "missing.yaml"), NewStore(time.Hour))
	assert.ErrorContains(t, err, "missing.yaml")
}

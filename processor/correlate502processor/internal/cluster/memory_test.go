package cluster

import (
	"bytes"
	"encoding/json"
	"fmt"
	"runtime"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/client-go/kubernetes/scheme"
)

// realisticPodJSON is the fixture's OOMKilled pod as the API server sends it
// (managed fields, volumes, env, image ids...), with placeholders for the
// parts that differ per pod.
func realisticPodJSON(t testing.TB) []byte {
	full := firstOf(t, func(p *corev1.Pod) bool { return p.Name == "inventory-6c7b9d5f4-q8m2n" })
	js, err := json.Marshal(full)
	require.NoError(t, err)
	js = bytes.ReplaceAll(js, []byte("inventory-6c7b9d5f4-q8m2n"), []byte("NAME"))
	js = bytes.ReplaceAll(js, []byte(full.UID), []byte("UID"))
	js = bytes.ReplaceAll(js, []byte(full.OwnerReferences[0].UID), []byte("OWNER"))
	return bytes.ReplaceAll(js, []byte("10.244.2.15"), []byte("IP"))
}

func podIP(i int) string { return fmt.Sprintf("10.%d.%d.%d", 16+i>>16, (i>>8)&0xff, i&0xff) }

// decodePod makes pod i, a replica of ReplicaSet owner, from the template
// the way an informer does: a fresh decode, so nothing is shared between
// pods but what the decoder shares.
func decodePod(t testing.TB, tmpl []byte, i, owner int) *corev1.Pod {
	js := bytes.Replace(tmpl, []byte("NAME"), []byte("inventory-6c7b9d5f4-"+strconv.Itoa(100000+i)), -1)
	js = bytes.Replace(js, []byte("OWNER"), []byte(fmt.Sprintf("7d1b2c3a-0e9f-4a8b-8c7d-%012d", owner)), -1)
	js = bytes.Replace(js, []byte("UID"), []byte(fmt.Sprintf("0c6a1f2e-5b7d-4c3e-9a8f-%012d", i)), -1)
	js = bytes.Replace(js, []byte("\"IP\""), []byte(strconv.Quote(podIP(i))), -1)
	obj, _, err := scheme.Codecs.UniversalDeserializer().Decode(js, nil, nil)
	require.NoError(t, err)
	return obj.(*corev1.Pod)
}

func heapInUse() uint64 {
	var m runtime.MemStats
	runtime.GC()
	runtime.GC()
	runtime.ReadMemStats(&m)
	return m.HeapAlloc
}

// TestMemoryPerPod measures what the store retains per realistic pod,
// stripped, with its indexes and history (IP span, Ready transition,
// termination), and holds it under 8 KiB: for pods that are replicas of a
// hundred ReplicaSets (they share their container specs), and for pods that
// each have their own template (nothing to share).
func TestMemoryPerPod(t *testing.T) {
	n := 10000
	if testing.Short() || raceEnabled {
		n = 2000
	}
	tmpl := realisticPodJSON(t)

	// For comparison: the pods as an informer without a transform keeps them.
	full := make([]*corev1.Pod, n/10)
	before := heapInUse()
	for i := range full {
		full[i] = decodePod(t, tmpl, i, i)
	}
	fullPerPod := float64(heapInUse()-before) / float64(len(full))
	runtime.KeepAlive(full)
	full = nil

	tests := []struct {
		name   string
		owners int
	}{
		{"replicas of 100 ReplicaSets", 100},
		{"one template per pod", n},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := NewStore(time.Hour)
			before := heapInUse()
			for i := 0; i < n; i++ {
				stripped, err := StripPod(decodePod(t, tmpl, i, i%tc.owners))
				require.NoError(t, err)
				s.UpsertPod(stripped.(*corev1.Pod), at(i))
			}
			perPod := float64(heapInUse()-before) / float64(n)
			runtime.KeepAlive(s)

			st := s.Stats()
			assert.Equal(t, n, st["pods"])
			assert.Equal(t, n, st["ip_spans"])
			assert.Equal(t, n, st["terminations"])
			t.Logf("%d pods: %.0f bytes per pod retained (stripped pod, indexes, history); %.0f unstripped", n, perPod, fullPerPod)
			assert.Less(t, perPod, 8192.0)
			p, ok := s.PodByIP(podIP(n-1), at(n))
			require.True(t, ok)
			assert.Equal(t, "inventory-6c7b9d5f4-"+strconv.Itoa(100000+n-1), p.Pod.Name)
		})
	}
}

// BenchmarkStore loads 10k pods and 100k events, then queries the way a
// diagnosis does: the pod behind an address, and its events.
func BenchmarkStore(b *testing.B) {
	const pods, events = 10000, 100000
	podObjs := make([]*corev1.Pod, pods)
	ips, names := make([]string, pods), make([]string, pods)
	for i := range podObjs {
		ips[i], names[i] = podIP(i), "web-"+strconv.Itoa(i)
		podObjs[i] = mkPod("shop", names[i], ips[i],
			withReady(true, at(i%600)), withLastTerminated("OOMKilled", 137, 1, at(i%600)))
	}
	evs := make([]Event, events)
	for i := range evs {
		name := names[i%pods]
		evs[i] = Event{
			Time: at(i % 3600), FirstTime: at(i%3600 - 30), Namespace: "shop", Kind: "Pod", Name: name,
			Type: "Warning", Reason: "Unhealthy", Message: "Readiness probe failed: HTTP probe failed with statuscode: 503",
			Count: 3, Key: "shop/" + name + "." + strconv.Itoa(i),
		}
	}
	load := func() *Store {
		s := NewStore(time.Hour)
		for i, p := range podObjs {
			s.UpsertPod(p, at(i%600))
		}
		for _, e := range evs {
			s.AddEvent(e)
		}
		return s
	}

	b.Run("load", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			load()
		}
	})
	s := load()
	b.Run("PodByIP", func(b *testing.B) {
		b.ReportAllocs()
		i := 0
		for b.Loop() {
			if _, ok := s.PodByIP(ips[i%pods], at(1000)); !ok {
				b.Fatal("not found")
			}
			i++
		}
	})
	b.Run("Events", func(b *testing.B) {
		b.ReportAllocs()
		i := 0
		for b.Loop() {
			s.Events("shop", "Pod", names[i%pods], at(0), at(3600))
			i++
		}
	})
}

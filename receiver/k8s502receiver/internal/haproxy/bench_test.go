package haproxy

import (
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/k8s502/otelcol-k8s502/receiver/k8s502receiver/internal/container"
	"github.com/k8s502/otelcol-k8s502/receiver/k8s502receiver/internal/ingest"
	"github.com/k8s502/otelcol-k8s502/receiver/k8s502receiver/internal/join"
)

// benchTarget is about the size of the ingress-nginx bench file, so the two
// line rates compare.
const benchTarget = 200000

// BenchmarkParseHAProxy is the receiver's line path (CRI unwrap, parse,
// emit) over both flavors' real CRI files repeated in memory to ~200k
// lines, one source per flavor as one file each, in batches of 100 as
// fileconsumer delivers them. One goroutine: the rate does not depend on
// GOMAXPROCS.
func BenchmarkParseHAProxy(b *testing.B) {
	f, err := Compile("")
	if err != nil {
		b.Fatal(err)
	}
	flavors := []string{"haproxytech", "haproxy-ingress"}
	var files [][][]byte
	perRep, wantPerRep := 0, 0
	for _, flavor := range flavors {
		pods, _ := filepath.Glob(filepath.Join(fixtures, flavor, "var/log/pods/*/*/0.log"))
		if len(pods) != 1 {
			b.Fatalf("%s: %d CRI files", flavor, len(pods))
		}
		lines := toBytes(readLines(b, pods[0]))
		files = append(files, lines)
		perRep += len(lines)
		for _, l := range readLabels(b, filepath.Join(fixtures, flavor, "labels.tsv")) {
			st, _ := strconv.Atoi(l.status)
			if watched(st) || l.origin == "upstream-with-error" || l.origin == "upstream-after-retry" {
				wantPerRep++
			}
		}
	}
	reps := benchTarget / perRep
	var inputs [][][]byte
	for _, lines := range files {
		var all [][]byte
		for range reps {
			all = append(all, lines...)
		}
		inputs = append(inputs, all)
	}
	total := reps * perRep
	b.ReportAllocs()
	b.ResetTimer()
	var elapsed time.Duration
	for range b.N {
		b.StopTimer()
		records := 0
		j := join.New(join.Config{Window: 3 * time.Minute, Hold: 2 * time.Second, MaxPending: 10000}, func(join.Request) { records++ })
		in := ingest.New(ingest.Config{Wrapper: container.Auto, NewParser: f.NewParser, Watched: ingest.NewStatuses([]int{502, 503, 504}), MaxLineSize: 1 << 20}, j)
		srcs := []*ingest.Source{in.NewSource(flavors[0]), in.NewSource(flavors[1])}
		b.StartTimer()
		start := time.Now()
		for i, all := range inputs {
			for k := 0; k < len(all); k += 100 {
				in.Lines(srcs[i], all[k:min(k+100, len(all))], time.Now())
			}
		}
		j.Flush()
		elapsed += time.Since(start)
		b.StopTimer()
		if n := in.Counters.LinesRead.Load(); n != int64(total) {
			b.Fatalf("read %d lines, want %d", n, total)
		}
		if records != reps*wantPerRep {
			b.Fatalf("%d records, want %d", records, reps*wantPerRep)
		}
		if n := in.Counters.AccessFailed.Load(); n != 0 {
			b.Fatalf("%d malformed lines", n)
		}
		b.StartTimer()
	}
	b.ReportMetric(float64(total)*float64(b.N)/elapsed.Seconds(), "lines/s")
}

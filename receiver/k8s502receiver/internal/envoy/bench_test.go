package envoy

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/k8s502/otelcol-k8s502/receiver/k8s502receiver/internal/container"
	"github.com/k8s502/otelcol-k8s502/receiver/k8s502receiver/internal/ingest"
	"github.com/k8s502/otelcol-k8s502/receiver/k8s502receiver/internal/join"
)

// benchLinesPerFile: the four fixture pods' CRI files, each repeated in
// memory to 50,000 lines, make the ~200k-line bench stream.
const benchLinesPerFile = 50000

// BenchmarkParseEnvoy is the receiver's line path (unwrap, reassemble,
// parse, emit) over the fixture files repeated, one Source per pod as the
// receiver runs them, on one goroutine so GOMAXPROCS does not matter.
func BenchmarkParseEnvoy(b *testing.B) {
	paths, _ := filepath.Glob(filepath.Join(fixtures, "var/log/pods/*/*/0.log"))
	if len(paths) != len(podFiles) {
		b.Fatalf("%d fixture files", len(paths))
	}
	f, err := Compile("")
	if err != nil {
		b.Fatal(err)
	}
	var files [][][]byte
	want, lines := 0, 0
	for _, p := range paths {
		data, err := os.ReadFile(p)
		if err != nil {
			b.Fatal(err)
		}
		one := bytes.Split(bytes.TrimSuffix(data, []byte("\n")), []byte("\n"))
		reps := benchLinesPerFile / len(one)
		var all [][]byte
		for range reps {
			all = append(all, one...)
		}
		files = append(files, all)
		lines += len(all)
		want += reps * countRecords(b, f, one)
	}
	b.ReportAllocs()
	b.ResetTimer()
	var elapsed time.Duration
	for range b.N {
		b.StopTimer()
		records := 0
		j := join.New(join.Config{Window: 3 * time.Minute, Hold: 2 * time.Second, MaxPending: 10000}, func(join.Request) { records++ })
		in := ingest.New(ingest.Config{Wrapper: container.Auto, NewParser: f.NewParser, Watched: ingest.NewStatuses([]int{502, 503, 504}), MaxLineSize: 1 << 20}, j)
		b.StartTimer()
		start := time.Now()
		for i, all := range files {
			src := in.NewSource(paths[i])
			for k := 0; k < len(all); k += 100 {
				in.Lines(src, all[k:min(k+100, len(all))], time.Now())
			}
		}
		j.Flush()
		elapsed += time.Since(start)
		b.StopTimer()
		if records != want {
			b.Fatalf("%d records, want %d", records, want)
		}
		b.StartTimer()
	}
	b.ReportMetric(float64(lines)*float64(b.N)/elapsed.Seconds(), "lines/s")
}

// countRecords runs one copy of a file to learn how many records it makes.
func countRecords(b *testing.B, f *Format, lines [][]byte) int {
	n := 0
	j := join.New(join.Config{Window: time.Hour, Hold: time.Second, MaxPending: 1000}, func(join.Request) { n++ })
	in := ingest.New(ingest.Config{Wrapper: container.Auto, NewParser: f.NewParser, Watched: ingest.NewStatuses([]int{502, 503, 504}), MaxLineSize: 1 << 20}, j)
	in.Lines(in.NewSource("count"), lines, time.Now())
	j.Flush()
	if n == 0 {
		b.Fatal("fixture file makes no records")
	}
	return n
}

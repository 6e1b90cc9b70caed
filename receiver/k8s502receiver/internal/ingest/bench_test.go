package ingest

import (
	"bytes"
	"compress/gzip"
	"io"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/k8s502/otelcol-k8s502/receiver/k8s502receiver/internal/container"
	"github.com/k8s502/otelcol-k8s502/receiver/k8s502receiver/internal/join"
	"github.com/k8s502/otelcol-k8s502/receiver/k8s502receiver/internal/nginx"
)

// The bench file (testdata/ingress-nginx/README.md) and what the line path
// emits for it: the 1,740 failed requests (1455 x 502, 225 x 503, 60 x 504)
// plus the 94 that recovered ("502, 200"), every error line joined.
// test/bench checks the same count through the whole receiver.
const (
	benchLines   = 201527
	benchRecords = 1834
)

var (
	benchOnce  sync.Once
	benchInput [][]byte
	benchErr   error
)

// benchFile reads the 201,527-line CRI bench file into memory, once.
func benchFile(b *testing.B) [][]byte {
	b.Helper()
	benchOnce.Do(func() {
		files, _ := filepath.Glob(filepath.Join(fixtures, "bench/var/log/pods/*/controller/0.log.gz"))
		if len(files) != 1 {
			benchErr = os.ErrNotExist
			return
		}
		var f *os.File
		if f, benchErr = os.Open(files[0]); benchErr != nil {
			return
		}
		defer f.Close()
		var zr *gzip.Reader
		if zr, benchErr = gzip.NewReader(f); benchErr != nil {
			return
		}
		var data []byte
		if data, benchErr = io.ReadAll(zr); benchErr != nil {
			return
		}
		benchInput = bytes.Split(bytes.TrimSuffix(data, []byte("\n")), []byte("\n"))
	})
	if benchErr != nil {
		b.Fatal(benchErr)
	}
	return benchInput
}

// BenchmarkIngestHotPath is the receiver's per-line path alone: unwrap,
// route, pre-filter, parse what is kept, join. Each iteration reads the
// whole bench file in batches of 100 lines, as fileconsumer delivers them.
func BenchmarkIngestHotPath(b *testing.B) {
	all := benchFile(b)
	if len(all) != benchLines {
		b.Fatalf("bench file has %d lines, want %d", len(all), benchLines)
	}
	newParser := parsers(b, nginx.IngressNginx)
	b.ReportAllocs()
	b.ResetTimer()
	var elapsed time.Duration
	for range b.N {
		b.StopTimer()
		records, alone := 0, 0
		j := join.New(join.Config{Window: 3 * time.Minute, Hold: 2 * time.Second, MaxPending: 10000}, func(r join.Request) {
			records++
			if r.Access == nil {
				alone++
			}
		})
		in := New(Config{
			Wrapper:     container.Auto,
			NewParser:   newParser,
			Watched:     NewStatuses([]int{502, 503, 504}),
			MaxLineSize: 1 << 20,
		}, j)
		src := in.NewSource("ingress-nginx/ingress-nginx-controller-7d9f8b6c5d-x2x4z")
		b.StartTimer()
		start := time.Now()
		for k := 0; k < len(all); k += 100 {
			in.Lines(src, all[k:min(k+100, len(all))], time.Now())
		}
		j.Flush()
		elapsed += time.Since(start)
		b.StopTimer()
		if n := in.Counters.LinesRead.Load(); n != benchLines {
			b.Fatalf("read %d lines, want %d", n, benchLines)
		}
		if records != benchRecords {
			b.Fatalf("%d records, want %d", records, benchRecords)
		}
		if alone != 0 {
			b.Fatalf("%d error lines found no access line", alone)
		}
		b.StartTimer()
	}
	b.ReportMetric(float64(benchLines)*float64(b.N)/elapsed.Seconds(), "lines/s")
}

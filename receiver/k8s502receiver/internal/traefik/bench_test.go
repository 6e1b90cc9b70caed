package traefik

import (
	"bytes"
	"path/filepath"
	"testing"
	"time"

	"github.com/k8s502/otelcol-k8s502/receiver/k8s502receiver/internal/container"
	"github.com/k8s502/otelcol-k8s502/receiver/k8s502receiver/internal/ingest"
	"github.com/k8s502/otelcol-k8s502/receiver/k8s502receiver/internal/join"
)

const benchTarget = 200000 // lines per bench file, about the ingress-nginx one

// benchInput repeats a run's CRI file to about benchTarget lines. Each copy
// is shifted in time by the fixture's span, so the joiner's clock moves
// on and leftover error lines expire as they would in a live pod.
func benchInput(b *testing.B, run string) [][]byte {
	lines := readCRI(b, run)
	first, ok1 := criTime(lines[0])
	last, ok2 := criTime(lines[len(lines)-1])
	if !ok1 || !ok2 {
		b.Fatal("fixture without CRI times")
	}
	span := last.Sub(first) + time.Second
	var out [][]byte
	for rep := 0; len(out) < benchTarget; rep++ {
		shift := time.Duration(rep) * span
		for _, l := range lines {
			t, _ := criTime(l)
			sp := bytes.IndexByte(l, ' ')
			nl := t.Add(shift).UTC().AppendFormat(nil, time.RFC3339Nano)
			out = append(out, append(nl, l[sp:]...))
		}
	}
	return out
}

func criTime(l []byte) (time.Time, bool) {
	sp := bytes.IndexByte(l, ' ')
	if sp < 0 {
		return time.Time{}, false
	}
	return container.ParseTime(l[:sp])
}

// expectedRecords derives from the labels what one copy of the run emits
// with the default statuses: the watched and the cut responses, plus the
// retried attempts' error lines that stay unmatched.
func expectedRecords(b *testing.B, run string) int {
	labels := readLabels(b, filepath.Join(fixtures, run, "labels.tsv"))
	watched := ingest.NewStatuses([]int{502, 503, 504}).Has
	n, joined := 0, 0
	for _, l := range labels {
		st := mustAtoi(b, l.status)
		if watched(st) || (run == "json" && l.origin == "upstream-with-error") {
			n++
		}
		if watched(st) && expectsError(run, l) && l.origin != "traefik-no-server" && l.origin != "upstream-with-error" {
			joined++
		}
	}
	for _, line := range readStdout(b, run) {
		if code, ok := errorLineStatus(line); ok && watched(code) {
			n++ // unmatched unless joined
		}
	}
	return n - joined
}

// BenchmarkParseTraefik is the receiver's per-line path for a Traefik pod:
// CRI unwrap, Parse, join. Each iteration reads ~200k lines in batches of
// 100, as fileconsumer delivers them, on one goroutine.
func BenchmarkParseTraefik(b *testing.B) {
	for _, run := range []string{"json", "text"} {
		b.Run(run, func(b *testing.B) {
			all := benchInput(b, run)
			perCopy := expectedRecords(b, run)
			copies := len(all) / len(readCRI(b, run))
			f, err := Compile("")
			if err != nil {
				b.Fatal(err)
			}
			b.ReportAllocs()
			for b.Loop() {
				b.StopTimer()
				records := 0
				j := join.New(join.Config{Window: 3 * time.Minute, Hold: 2 * time.Second, MaxPending: 10000}, func(join.Request) { records++ })
				in := ingest.New(ingest.Config{Wrapper: container.Auto, NewParser: f.NewParser, Watched: ingest.NewStatuses([]int{502, 503, 504}), MaxLineSize: 1 << 20}, j)
				src := in.NewSource("traefik/traefik-6d8f7c9b5-kx7p2")
				b.StartTimer()
				for k := 0; k < len(all); k += 100 {
					in.Lines(src, all[k:min(k+100, len(all))], time.Now())
				}
				j.Flush()
				b.StopTimer()
				if records != perCopy*copies {
					b.Fatalf("%d records, want %d", records, perCopy*copies)
				}
				if n := in.Counters.AccessFailed.Load(); n != 0 {
					b.Fatalf("%d malformed lines", n)
				}
				b.StartTimer()
			}
			b.ReportMetric(float64(len(all))*float64(b.N)/b.Elapsed().Seconds(), "lines/s")
		})
	}
}

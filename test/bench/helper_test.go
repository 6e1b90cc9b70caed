package bench

import (
	"bytes"
	"compress/gzip"
	"io"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"
)

// podDir keeps the kubelet layout, so both pipelines see a real pod path.
const podDir = "var/log/pods/ingress-nginx_ingress-nginx-controller-7d9f8b6c5d-x2x4z_3f5b2c1e-8a4d-4e2b-9c7f-1a2b3c4d5e6f/controller"

// What the bench file holds (testdata/ingress-nginx/README.md).
const (
	totalLines = 201527
	// Access lines whose $status is 502, 503 or 504: 1455 + 225 + 60.
	failedLines = 1740
)

var (
	loadOnce sync.Once
	fileData []byte
	lines    [][]byte
	loadErr  error
)

// load decompresses the bench file into memory once per process.
func load(b *testing.B) ([]byte, [][]byte) {
	b.Helper()
	loadOnce.Do(func() {
		var f *os.File
		f, loadErr = os.Open(filepath.Join("../../receiver/k8s502receiver/testdata/ingress-nginx/bench", podDir, "0.log.gz"))
		if loadErr != nil {
			return
		}
		defer f.Close()
		var zr *gzip.Reader
		if zr, loadErr = gzip.NewReader(f); loadErr != nil {
			return
		}
		if fileData, loadErr = io.ReadAll(zr); loadErr != nil {
			return
		}
		lines = bytes.Split(bytes.TrimSuffix(fileData, []byte("\n")), []byte("\n"))
	})
	if loadErr != nil {
		b.Fatal(loadErr)
	}
	if len(lines) != totalLines {
		b.Fatalf("bench file has %d lines, want %d", len(lines), totalLines)
	}
	return fileData, lines
}

// writeFile puts the bench file under b.TempDir() in the kubelet layout.
func writeFile(b *testing.B, data []byte) string {
	b.Helper()
	dir := filepath.Join(b.TempDir(), podDir)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		b.Fatal(err)
	}
	path := filepath.Join(dir, "0.log")
	if err := os.WriteFile(path, data, 0o600); err != nil {
		b.Fatal(err)
	}
	return path
}

// waitUntil polls done every 2 ms, failing after a minute.
func waitUntil(b *testing.B, what string, done func() bool) {
	b.Helper()
	deadline := time.Now().Add(time.Minute)
	for !done() {
		if time.Now().After(deadline) {
			b.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(2 * time.Millisecond)
	}
}

func reportLinesPerSecond(b *testing.B, elapsed time.Duration) {
	b.ReportMetric(float64(totalLines)*float64(b.N)/elapsed.Seconds(), "lines/s")
}

// perRecord reports a benchmark's time and size per record: records per
// iteration, bytes of the iteration's output.
func perRecord(b *testing.B, records, bytes int) {
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*records), "ns/record")
	if bytes > 0 { // 0: nothing was marshalled
		b.ReportMetric(float64(bytes)/float64(records), "bytes/record")
	}
}

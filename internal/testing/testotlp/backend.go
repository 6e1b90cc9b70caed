// Package testotlp is an OTLP/HTTP logs backend for tests that must know
// exactly what a collector delivered: it counts, per k8s502.request.id, how
// many times a failed-request record arrived, so a test can tell a lost
// record (count 0) from a doubled one (count > 1). It can refuse every
// export (HTTP 503, which OTLP exporters retry) to play a backend outage.
package testotlp

import (
	"bytes"
	"compress/gzip"
	"fmt"
	"io"
	"maps"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/plog/plogotlp"

	"github.com/klauspost/compress/s2"
	"github.com/klauspost/compress/zstd"

	"github.com/k8s502/otelcol-k8s502/internal/schema"
)

// Backend is a running OTLP/HTTP logs server.
type Backend struct {
	srv      *httptest.Server
	refusing atomic.Bool
	accepted atomic.Int64 // export requests answered 200
	refused  atomic.Int64 // export requests answered 503

	mu       sync.Mutex
	counts   map[string]int     // k8s502.request.id -> arrivals
	causes   map[string]string  // k8s502.request.id -> k8s502.cause of its latest arrival
	verdicts map[string]Verdict // k8s502.request.id -> the diagnosis of its latest judged arrival
	noID     int                // k8s502 records without a request id
	judged   int                // k8s502 records that carry k8s502.cause
	unjudged int                // k8s502 records released unjudged (their evidence names max_pending)
	records  int                // k8s502 records, all arrivals
	bytes    int64              // request bodies accepted, uncompressed
	wire     int64              // the same bodies as they arrived (compressed, if they were)
}

// Start serves on a free loopback port until the test ends. Any path that
// ends in /v1/logs is the logs endpoint, so an exporter configured with a
// vendor prefix (CubeAPM's /api/logs/insert/opentelemetry/v1/logs) needs
// no change but its base URL.
func Start(t testing.TB) *Backend {
	t.Helper()
	b := &Backend{counts: map[string]int{}, causes: map[string]string{}, verdicts: map[string]Verdict{}}
	b.srv = httptest.NewServer(http.HandlerFunc(b.serve))
	t.Cleanup(b.srv.Close)
	return b
}

// URL is the server's base URL, http://127.0.0.1:<port>.
func (b *Backend) URL() string { return b.srv.URL }

// LogsEndpoint is the URL for an exporter's logs_endpoint.
func (b *Backend) LogsEndpoint() string { return b.srv.URL + "/v1/logs" }

// Refuse makes every export fail with 503 (on) or succeed again (off).
func (b *Backend) Refuse(on bool) { b.refusing.Store(on) }

func (b *Backend) serve(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost || !strings.HasSuffix(r.URL.Path, "/v1/logs") {
		http.NotFound(w, r)
		return
	}
	// Read the body even when refusing: the client sees a clean 503, not a
	// reset connection, as from a backend that is up but overloaded.
	body, wire, err := readBody(r)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	if b.refusing.Load() {
		b.refused.Add(1)
		http.Error(w, "outage", http.StatusServiceUnavailable)
		return
	}
	req := plogotlp.NewExportRequest()
	if strings.Contains(r.Header.Get("Content-Type"), "json") {
		err = req.UnmarshalJSON(body)
	} else {
		err = req.UnmarshalProto(body)
	}
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	b.count(req, len(body), wire)
	b.accepted.Add(1)
	out, _ := plogotlp.NewExportResponse().MarshalProto()
	w.Header().Set("Content-Type", "application/x-protobuf")
	_, _ = w.Write(out)
}

// readBody returns the request's body, decompressed, and its size as it
// arrived.
func readBody(r *http.Request) ([]byte, int64, error) {
	raw, err := io.ReadAll(r.Body)
	if err != nil {
		return nil, 0, err
	}
	body, err := decode(r.Header.Get("Content-Encoding"), raw)
	return body, int64(len(raw)), err
}

func decode(enc string, raw []byte) ([]byte, error) {
	switch enc {
	case "", "identity":
		return raw, nil
	case "gzip":
		zr, err := gzip.NewReader(bytes.NewReader(raw))
		if err != nil {
			return nil, err
		}
		defer zr.Close()
		return io.ReadAll(zr)
	case "zstd":
		zr, err := zstd.NewReader(bytes.NewReader(raw))
		if err != nil {
			return nil, err
		}
		defer zr.Close()
		return io.ReadAll(zr)
	case "snappy":
		// The collector's snappy is the block format, which S2 reads.
		return s2.Decode(nil, raw)
	default:
		// The collector's exporters default to gzip; configure that, zstd,
		// snappy or none.
		return nil, fmt.Errorf("content-encoding %q not supported", enc)
	}
}

// count records every k8s502 record (one with k8s502.outcome) of req.
func (b *Backend) count(req plogotlp.ExportRequest, size int, wire int64) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.bytes += int64(size)
	b.wire += wire
	rls := req.Logs().ResourceLogs()
	for i := 0; i < rls.Len(); i++ {
		sls := rls.At(i).ScopeLogs()
		for j := 0; j < sls.Len(); j++ {
			recs := sls.At(j).LogRecords()
			for k := 0; k < recs.Len(); k++ {
				attrs := recs.At(k).Attributes()
				if _, ok := attrs.Get(schema.Outcome); !ok {
					continue // not a failed-request record (e.g. a Kubernetes event)
				}
				b.records++
				cause, judged := attrs.Get(schema.Cause)
				if judged {
					b.judged++
				}
				if ev, ok := attrs.Get(schema.Evidence); ok && strings.Contains(ev.AsString(), "max_pending") {
					b.unjudged++
				}
				id, ok := attrs.Get(schema.RequestID)
				if !ok || id.Str() == "" {
					b.noID++
					continue
				}
				b.counts[id.Str()]++
				if judged {
					b.causes[id.Str()] = cause.Str()
					b.verdicts[id.Str()] = verdictOf(attrs)
				}
			}
		}
	}
}

// Verdict is the processor's diagnosis of one request, as a labeled
// suite scores it.
type Verdict struct {
	Cause, Confidence, Pod, Outcome string
	Evidence                        string // the k8s502.evidence list, as one string
}

func verdictOf(attrs pcommon.Map) Verdict {
	str := func(k string) string {
		if v, ok := attrs.Get(k); ok {
			return v.AsString()
		}
		return ""
	}
	return Verdict{Cause: str(schema.Cause), Confidence: str(schema.CauseConfidence), Pod: str(schema.TargetPod),
		Outcome: str(schema.Outcome), Evidence: str(schema.Evidence)}
}

// Verdicts copies the diagnosis of every judged request id (its latest
// arrival's).
func (b *Backend) Verdicts() map[string]Verdict {
	b.mu.Lock()
	defer b.mu.Unlock()
	return maps.Clone(b.verdicts)
}

// Tally is what arrived so far.
type Tally struct {
	Counts   map[string]int    // k8s502.request.id -> arrivals
	Causes   map[string]string // k8s502.request.id -> k8s502.cause of its latest arrival
	NoID     int               // k8s502 records without a request id (an error line that lost its access line)
	Judged   int               // k8s502 records with k8s502.cause
	Unjudged int               // k8s502 records released unjudged (evidence naming max_pending)
	Records  int               // k8s502 records, all arrivals
	Bytes    int64             // accepted request bodies, uncompressed
	Wire     int64             // accepted request bodies as they arrived (compressed, if they were)
	Accepted int64             // export requests accepted
	Refused  int64             // export requests refused during an outage
}

// Repeats is how many arrivals were a request id's second or later.
func (t Tally) Repeats() int {
	n := 0
	for _, c := range t.Counts {
		n += max(c-1, 0)
	}
	return n
}

// Tally copies the counters.
func (b *Backend) Tally() Tally {
	b.mu.Lock()
	defer b.mu.Unlock()
	return Tally{Counts: maps.Clone(b.counts), Causes: maps.Clone(b.causes), NoID: b.noID, Judged: b.judged,
		Unjudged: b.unjudged, Records: b.records, Bytes: b.bytes, Wire: b.wire, Accepted: b.accepted.Load(), Refused: b.refused.Load()}
}

// Records is how many k8s502 records arrived so far, repeats included.
func (b *Backend) Records() int {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.records
}

// Has reports how many of ids arrived at least once.
func (b *Backend) Has(ids []string) int {
	b.mu.Lock()
	defer b.mu.Unlock()
	n := 0
	for _, id := range ids {
		if b.counts[id] > 0 {
			n++
		}
	}
	return n
}

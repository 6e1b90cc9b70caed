//go:build storm

package storm

import (
	"compress/gzip"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"go.opentelemetry.io/collector/pdata/plog/plogotlp"

	"github.com/k8s502/otelcol-k8s502/internal/schema"
)

// backend is an OTLP/HTTP logs server that keeps each k8s502 record's cause
// by request id, and counts what a storm test must see as zero.
type backend struct {
	srv *httptest.Server

	mu       sync.Mutex
	byID     map[string]string
	total    int
	noID     int
	repeated int
	unknown  int // released unjudged: the evidence says max_pending
	bytes    int64
}

func startBackend(t *testing.T) *backend {
	b := &backend{byID: map[string]string{}}
	b.srv = httptest.NewServer(http.HandlerFunc(b.serve))
	t.Cleanup(b.srv.Close)
	return b
}

func (b *backend) url() string { return b.srv.URL }

func (b *backend) serve(w http.ResponseWriter, r *http.Request) {
	var body io.Reader = r.Body
	if r.Header.Get("Content-Encoding") == "gzip" {
		zr, err := gzip.NewReader(r.Body)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		body = zr
	}
	raw, err := io.ReadAll(body)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	req := plogotlp.NewExportRequest()
	if err := req.UnmarshalProto(raw); err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	ld := req.Logs()
	b.mu.Lock()
	b.bytes += int64(len(raw))
	for i := 0; i < ld.ResourceLogs().Len(); i++ {
		sls := ld.ResourceLogs().At(i).ScopeLogs()
		for j := 0; j < sls.Len(); j++ {
			lrs := sls.At(j).LogRecords()
			for k := 0; k < lrs.Len(); k++ {
				a := lrs.At(k).Attributes()
				if _, ok := a.Get(schema.Outcome); !ok {
					continue
				}
				b.total++
				cause := ""
				if v, ok := a.Get(schema.Cause); ok {
					cause = v.Str()
				}
				if v, ok := a.Get(schema.Evidence); ok && strings.Contains(v.AsString(), "max_pending") {
					b.unknown++
				}
				id, ok := a.Get(schema.RequestID)
				if !ok {
					b.noID++
					continue
				}
				if _, seen := b.byID[id.Str()]; seen {
					b.repeated++
				}
				b.byID[id.Str()] = cause
			}
		}
	}
	b.mu.Unlock()
	w.Header().Set("Content-Type", "application/x-protobuf")
	resp, _ := plogotlp.NewExportResponse().MarshalProto()
	_, _ = w.Write(resp)
}

func (b *backend) records() int {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.total
}

func (b *backend) causes() map[string]string {
	b.mu.Lock()
	defer b.mu.Unlock()
	out := make(map[string]string, len(b.byID))
	for k, v := range b.byID {
		out[k] = v
	}
	return out
}

func (b *backend) bytesIn() int64 { b.mu.Lock(); defer b.mu.Unlock(); return b.bytes }
func (b *backend) withoutID() int { b.mu.Lock(); defer b.mu.Unlock(); return b.noID }
func (b *backend) repeats() int   { b.mu.Lock(); defer b.mu.Unlock(); return b.repeated }
func (b *backend) unjudged() int  { b.mu.Lock(); defer b.mu.Unlock(); return b.unknown }

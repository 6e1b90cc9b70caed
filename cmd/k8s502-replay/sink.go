package main

import (
	"io"
	"net"
	"net/http"
	"sync"

	"go.opentelemetry.io/collector/pdata/plog"
	"go.opentelemetry.io/collector/pdata/plog/plogotlp"

	"github.com/k8s502/otelcol-k8s502/internal/schema"
)

// sink is an OTLP/HTTP logs endpoint on loopback: it keeps the latest state
// of every incident record and counts the request records.
type sink struct {
	url string
	srv *http.Server

	mu    sync.Mutex
	reqs  int
	byID  map[string]plog.LogRecord
	order []string
}

func startSink() (*sink, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	s := &sink{url: "http://" + l.Addr().String(), byID: map[string]plog.LogRecord{}}
	s.srv = &http.Server{Handler: http.HandlerFunc(s.serve)} //nolint:gosec // loopback, short-lived
	go func() { _ = s.srv.Serve(l) }()
	return s, nil
}

func (s *sink) close() { _ = s.srv.Close() }

func (s *sink) serve(w http.ResponseWriter, r *http.Request) {
	raw, err := io.ReadAll(r.Body)
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
	s.mu.Lock()
	for i := 0; i < ld.ResourceLogs().Len(); i++ {
		sls := ld.ResourceLogs().At(i).ScopeLogs()
		for j := 0; j < sls.Len(); j++ {
			lrs := sls.At(j).LogRecords()
			for k := 0; k < lrs.Len(); k++ {
				lr := lrs.At(k)
				a := lr.Attributes()
				if v, ok := a.Get(schema.EventName); ok && v.Str() == schema.EventNameIncident {
					id, _ := a.Get(schema.IncidentID)
					if _, seen := s.byID[id.Str()]; !seen {
						s.order = append(s.order, id.Str())
					}
					// The closing record replaces the opening one.
					keep := plog.NewLogRecord()
					lr.CopyTo(keep)
					s.byID[id.Str()] = keep
					continue
				}
				if _, ok := a.Get(schema.Outcome); ok {
					s.reqs++
				}
			}
		}
	}
	s.mu.Unlock()
	w.Header().Set("Content-Type", "application/x-protobuf")
	resp, _ := plogotlp.NewExportResponse().MarshalProto()
	_, _ = w.Write(resp)
}

func (s *sink) requests() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.reqs
}

func (s *sink) incidents() []plog.LogRecord {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]plog.LogRecord, 0, len(s.order))
	for _, id := range s.order {
		out = append(out, s.byID[id])
	}
	return out
}

// Package testvlogs runs VictoriaLogs on 127.0.0.1 for end-to-end tests:
// a free port picked at run time, data in t.TempDir, the process stopped by
// PID in t.Cleanup. All paths are under -http.pathPrefix=/api/logs, as
// behind the reverse proxy the examples assume.
//
// The binary comes from test/e2e/tools/build.sh (or EnvBinary); tests skip
// when it is missing, unless EnvRequire=1.
package testvlogs

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/k8s502/otelcol-k8s502/internal/testing/testproc"
)

// PathPrefix is where VictoriaLogs serves everything.
const PathPrefix = "/api/logs"

// Server is a running VictoriaLogs.
type Server struct {
	// URL is "http://127.0.0.1:<port>/api/logs".
	URL string
}

// EnvRequire makes a missing binary a failure instead of a skip (set in CI).
const EnvRequire = "K8S502_REQUIRE_E2E"

// EnvBinary overrides where the victoria-logs binary is.
const EnvBinary = "K8S502_VLOGS_BIN"

// Start runs VictoriaLogs, waits until it answers /health, and stops it in
// t.Cleanup.
func Start(t testing.TB) *Server {
	t.Helper()
	bin := testproc.RequireBuilt(t, "victoria-logs", EnvBinary, EnvRequire)
	dir := t.TempDir()
	var s *Server
	testproc.StartRetrying(t, "victoria-logs", testproc.AddrInUse, func() (*testproc.Proc, error) {
		addr := testproc.Addr(testproc.FreePort(t))
		p, err := testproc.Start(testproc.Program(dir, bin,
			"-storageDataPath="+dir+"/data",
			"-httpListenAddr="+addr,
			"-http.pathPrefix="+PathPrefix,
			// Replayed logs carry their original timestamps: keep them all.
			"-retentionPeriod=100y",
			"-loggerLevel=WARN",
		))
		if err != nil {
			return nil, err
		}
		s = &Server{URL: "http://" + addr + PathPrefix}
		if err := p.WaitReady(30*time.Second, 100*time.Millisecond, s.healthy); err != nil {
			return nil, err
		}
		return p, nil
	})
	return s
}

var healthClient = &http.Client{Timeout: time.Second}

func (s *Server) healthy() error {
	resp, err := healthClient.Get(s.URL + "/health")
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("health: %s", resp.Status)
	}
	return nil
}

// OTLPLogsEndpoint is the otlphttp exporter's logs_endpoint.
func (s *Server) OTLPLogsEndpoint() string {
	return s.URL + "/insert/opentelemetry/v1/logs"
}

// Query runs a LogsQL query over all time and returns the rows, one JSON
// object each.
func (s *Server) Query(ctx context.Context, logsql string) ([]map[string]any, error) {
	form := url.Values{"query": {logsql}, "start": {"0"}}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, s.URL+"/select/logsql/query",
		strings.NewReader(form.Encode()))
	if err != nil {
		return nil, err
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		b, _ := io.ReadAll(resp.Body)
		return nil, fmt.Errorf("query %q: %s: %s", logsql, resp.Status, b)
	}
	var rows []map[string]any
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(make([]byte, 0, 64*1024), 16*1024*1024)
	for sc.Scan() {
		if len(strings.TrimSpace(sc.Text())) == 0 {
			continue
		}
		var row map[string]any
		if err := json.Unmarshal(sc.Bytes(), &row); err != nil {
			return nil, fmt.Errorf("query %q: %w", logsql, err)
		}
		rows = append(rows, row)
	}
	return rows, sc.Err()
}

// Flush makes recently ingested rows visible to queries at once.
func (s *Server) Flush(ctx context.Context) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, s.URL+"/internal/force_flush", nil)
	if err != nil {
		return err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, resp.Body)
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("force_flush: %s", resp.Status)
	}
	return nil
}

// Package testvlogs runs VictoriaLogs on 127.0.0.1 for end-to-end tests:
// a free port picked at run time, data in t.TempDir, the process stopped by
// PID in t.Cleanup. All paths are under -http.pathPrefix=/api/logs, as
// behind the reverse proxy the examples assume.
//
// The binary comes from test/e2e/tools/build.sh (or K8S502_VLOGS_BIN); tests
// skip when it is missing, unless K8S502_REQUIRE_E2E=1.
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

	"github.com/k8s502/otelcol-k8s502/internal/testing/testcluster"
)

// PathPrefix is where VictoriaLogs serves everything.
const PathPrefix = "/api/logs"

// Server is a running VictoriaLogs.
type Server struct {
	// URL is "http://127.0.0.1:<port>/api/logs".
	URL string
}

// Start runs VictoriaLogs and waits until it answers /health.
func Start(t testing.TB) *Server {
	t.Helper()
	bin := testcluster.Binary(t, "victoria-logs", "K8S502_VLOGS_BIN")
	dir := t.TempDir()
	addr := testcluster.Addr(testcluster.FreePort(t))
	p := testcluster.StartProcess(t, dir, bin,
		"-storageDataPath="+dir+"/data",
		"-httpListenAddr="+addr,
		"-http.pathPrefix="+PathPrefix,
		// Replayed logs carry their original timestamps: keep them all.
		"-retentionPeriod=100y",
		"-loggerLevel=WARN",
	)
	s := &Server{URL: "http://" + addr + PathPrefix}
	hc := &http.Client{Timeout: time.Second}
	p.WaitFor(t, 30*time.Second, func() error {
		resp, err := hc.Get(s.URL + "/health")
		if err != nil {
			return err
		}
		defer resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			return fmt.Errorf("health: %s", resp.Status)
		}
		return nil
	})
	return s
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

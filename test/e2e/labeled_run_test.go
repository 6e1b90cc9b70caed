//go:build e2e

package e2e

import (
	"bufio"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/k8s502/otelcol-k8s502/internal/testing/testcluster"
	"github.com/k8s502/otelcol-k8s502/internal/testing/testotlp"
	"github.com/k8s502/otelcol-k8s502/internal/testing/testproc"
)

// The three ways the labeled suite's requests are judged, each by the
// built collector exporting to its own OTLP backend.
const (
	stateLive      = "live"      // watching the API server through the incident
	stateDump      = "dump"      // auth_type none, a dump taken after recovery
	stateRestarted = "restarted" // SIGKILLed mid-incident, started again after recovery
)

// labeledConfig is a collector reading nginx's CRI files (%q) into
// correlate502 (its lines: %s) and an OTLP backend (%q) with the shipped
// gateway's exporter settings; %s adds extensions and service telemetry.
const labeledConfig = `
receivers:
  k8s502:
    include: [%q]
    start_at: beginning
    poll_interval: 100ms
%s
exporters:
  otlp_http:
    logs_endpoint: %q
    retry_on_failure:
      enabled: true
      max_elapsed_time: 0
    sending_queue:
      enabled: false
service:
  pipelines:
    logs:
      receivers: [k8s502]
      processors: [correlate502]
      exporters: [otlp_http]
  telemetry:
    logs:
      level: info
%s
`

// liveConfig watches the API server as the collector identity, with the
// default decision_wait.
func liveConfig(glob, endpoint string) string {
	return fmt.Sprintf(labeledConfig, glob, "processors:\n  correlate502:\n    auth_type: kubeConfig", endpoint, "    metrics:\n      level: none")
}

// restartConfig is the gateway that is killed: receiver and processor on
// file_storage in dir, and its metrics on metricsPort so the test can see
// the records held. decision_wait is 30 s so that every labeled record is
// still held (not yet judged) when the kill comes, 16 s after the
// incident (see TestLabeled): all of them are judged by the fresh process.
func restartConfig(glob, endpoint, dir string, metricsPort int) string {
	return fmt.Sprintf(labeledConfig, glob, `    storage: file_storage
processors:
  correlate502:
    auth_type: kubeConfig
    decision_wait: 30s
    storage: file_storage
extensions:
  file_storage:
    directory: `+strconv.Quote(dir)+`
    create_directory: true`, endpoint, fmt.Sprintf(`    metrics:
      level: normal
      readers:
        - pull:
            exporter:
              prometheus:
                host: 127.0.0.1
                port: %d
  extensions: [file_storage]`, metricsPort))
}

// dumpConfig judges against the dump only, as cmd/k8s502-replay does.
func dumpConfig(glob, endpoint, snapshot string) string {
	return fmt.Sprintf(labeledConfig, glob, fmt.Sprintf("processors:\n  correlate502:\n    auth_type: none\n    cluster_snapshot: %q\n    decision_wait: 1s", snapshot),
		endpoint, "    metrics:\n      level: none")
}

// startLabeledCollector runs the collector with config from dir; with
// watching it returns once the informers have synced.
func startLabeledCollector(t *testing.T, bin, dir, config string, watching bool) *testproc.Proc {
	t.Helper()
	require.NoError(t, os.MkdirAll(dir, 0o700))
	cfg := filepath.Join(dir, "config.yaml")
	require.NoError(t, os.WriteFile(cfg, []byte(config), 0o600))
	col := testproc.StartProgram(t, dir, bin, "--config", cfg)
	col.WaitFor(t, 60*time.Second, func() error {
		if watching && !strings.Contains(col.Tail(1<<20), "Kubernetes informers synced") {
			return fmt.Errorf("informers not synced as %s", testcluster.CollectorUser)
		}
		return nil
	})
	return col
}

// recordsPending reads otelcol_correlate502_records_pending from a
// collector's Prometheus endpoint.
func recordsPending(url string) (float64, error) {
	resp, err := http.Get(url) //nolint:gosec // loopback URL built by the test
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		if rest, ok := strings.CutPrefix(line, "otelcol_correlate502_records_pending"); ok && (rest[0] == '{' || rest[0] == ' ') {
			return strconv.ParseFloat(line[strings.LastIndexByte(line, ' ')+1:], 64)
		}
	}
	return 0, fmt.Errorf("no otelcol_correlate502_records_pending at %s", url)
}

// waitArrived waits until every id has a record at b.
func waitArrived(t *testing.T, b *testotlp.Backend, state string, ids []string, timeout time.Duration) {
	t.Helper()
	require.Eventually(t, func() bool { return b.Has(ids) == len(ids) }, timeout, 200*time.Millisecond,
		"%s: records for %d of %d labeled requests", state, b.Has(ids), len(ids))
}

// copyLog copies the gateway's pod log folder (as a support bundle holds
// it) under dir and returns the glob of its files.
func copyLog(t *testing.T, root, dir string) string {
	t.Helper()
	src := filepath.Join(root, "var", "log", "pods")
	dst := filepath.Join(dir, "pods")
	require.NoError(t, os.CopyFS(dst, os.DirFS(src)))
	return filepath.Join(dst, "*", "*", "*.log")
}

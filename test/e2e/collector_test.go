//go:build e2e

// Package e2e runs the built collector against a real kube-apiserver and
// VictoriaLogs. Run with `make e2e` after test/e2e/tools/build.sh; the
// collector comes from K8S502_OTELCOL_BIN.
package e2e

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/k8s502/otelcol-k8s502/internal/testing/testcluster"
	"github.com/k8s502/otelcol-k8s502/internal/testing/testproc"
	"github.com/k8s502/otelcol-k8s502/internal/testing/testvlogs"
)

// collectorConfig is the collector's configuration: the k8s502 receiver
// on a file glob (%q) with more receiver lines (%s: format, statuses),
// correlate502 with more lines (%s) and the OTLP logs endpoint (%q).
const collectorConfig = `
receivers:
  k8s502:
    include: [%q]
    start_at: beginning
    poll_interval: 100ms
%s
processors:
  correlate502:
    auth_type: kubeConfig
    decision_wait: 1s
%s
exporters:
  otlphttp:
    logs_endpoint: %q
    # VictoriaLogs takes zstd (every e2e run checks it), at a tenth of gzip's
    # CPU per record (BenchmarkExportCompression).
    compression: zstd
service:
  pipelines:
    logs:
      receivers: [k8s502]
      processors: [correlate502]
      exporters: [otlphttp]
  telemetry:
    logs:
      level: info
    metrics:
      level: none
`

// The demo log replayed through the collector, authenticated as the
// least-privileged collector identity, lands in VictoriaLogs with causes.
// The demo log is from the past: its evidence comes from the snapshot file,
// the live cluster proves the kubeConfig path and the RBAC.
func TestDemoLogToVictoriaLogs(t *testing.T) {
	c := testcluster.Start(t)
	c.GrantCollector(t, testcluster.CollectorRules(t))
	snapshot := filepath.Join(testproc.RepoRoot(t), "examples", "demo", "cluster-snapshot.yaml")
	vl := runDemo(t, c, fmt.Sprintf("    cluster_snapshot: %q", snapshot))

	ctx := t.Context()
	var crashes int
	require.Eventually(t, func() bool {
		_ = vl.Flush(ctx)
		crashes = count(ctx, t, vl, "k8s502.cause:pod_crash")
		return crashes > 0
	}, 90*time.Second, 500*time.Millisecond, "no record with k8s502.cause pod_crash reached VictoriaLogs")
	t.Logf("records by cause: %v", byCause(t, vl))
}

// The same log with the snapshot's objects created in the API server
// instead of loaded from the file: evidence reaches the processor only
// through its informers. The server gives every object a creation time of
// now, after the logged requests, and refuses the demo's EndpointSlices
// (loopback addresses), so the causes differ from the snapshot run; this
// test asserts that every record is judged and delivered, and logs how.
func TestDemoLogLiveCluster(t *testing.T) {
	c := testcluster.Start(t)
	c.GrantCollector(t, testcluster.CollectorRules(t))
	created := applySnapshot(t, c.Admin, filepath.Join(testproc.RepoRoot(t), "examples", "demo", "cluster-snapshot.yaml"))
	t.Logf("from the snapshot: %v", created)
	vl := runDemo(t, c, "")

	ctx := t.Context()
	require.Eventually(t, func() bool {
		_ = vl.Flush(ctx)
		return count(ctx, t, vl, "k8s502.cause:*") > 0
	}, 60*time.Second, 500*time.Millisecond, "no record with k8s502.cause reached VictoriaLogs")
	t.Logf("records by cause: %v", byCause(t, vl))
}

// runDemo starts VictoriaLogs and the collector on a copy of the demo log,
// with extra lines in the correlate502 section, as the collector identity;
// it returns once the collector's informers have synced.
func runDemo(t *testing.T, c *testcluster.Cluster, extra string) *testvlogs.Server {
	t.Helper()
	bin := collectorBinary(t)
	vl := testvlogs.Start(t)
	root := testproc.RepoRoot(t)
	logs := t.TempDir()
	require.NoError(t, os.CopyFS(logs, os.DirFS(filepath.Join(root, "examples", "demo", "var", "log", "pods"))))
	startCollector(t, c, bin, fmt.Sprintf(collectorConfig,
		filepath.Join(logs, "ingress-nginx_*", "controller", "*.log"), "", extra, vl.OTLPLogsEndpoint()))
	return vl
}

// startCollector runs the collector with config as the collector identity
// and returns once its informers have synced.
func startCollector(t *testing.T, c *testcluster.Cluster, bin, config string) {
	t.Helper()
	dir := t.TempDir()
	cfg := filepath.Join(dir, "config.yaml")
	require.NoError(t, os.WriteFile(cfg, []byte(config), 0o600))
	t.Setenv("KUBECONFIG", c.WriteKubeconfig(t, c.Collector))
	col := testproc.StartProgram(t, dir, bin, "--config", cfg)
	col.WaitFor(t, 30*time.Second, func() error {
		if !strings.Contains(col.Tail(1<<20), "Kubernetes informers synced") {
			return fmt.Errorf("informers not synced as %s", testcluster.CollectorUser)
		}
		return nil
	})
}

// byCause counts the records in VictoriaLogs by k8s502.cause.
func byCause(t *testing.T, vl *testvlogs.Server) map[string]string {
	t.Helper()
	rows, err := vl.Query(t.Context(), "k8s502.cause:* | stats by (k8s502.cause) count() n")
	require.NoError(t, err)
	out := map[string]string{}
	for _, r := range rows {
		out[fmt.Sprint(r["k8s502.cause"])] = fmt.Sprint(r["n"])
	}
	return out
}

func collectorBinary(t *testing.T) string {
	t.Helper()
	return testproc.Collector(t, "K8S502_REQUIRE_E2E")
}

// count runs `<filter> | stats count() n` and returns n.
func count(ctx context.Context, t *testing.T, vl *testvlogs.Server, filter string) int {
	t.Helper()
	rows, err := vl.Query(ctx, filter+" | stats count() n")
	require.NoError(t, err)
	if len(rows) == 0 {
		return 0
	}
	n, err := strconv.Atoi(fmt.Sprint(rows[0]["n"]))
	require.NoError(t, err, "row %v", rows[0])
	return n
}

package k8s502receiver

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/open-telemetry/opentelemetry-collector-contrib/pkg/golden"
	"github.com/open-telemetry/opentelemetry-collector-contrib/pkg/pdatatest/plogtest"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/component/componenttest"
	"go.opentelemetry.io/collector/consumer/consumertest"

	"github.com/k8s502/otelcol-k8s502/receiver/k8s502receiver/internal/metadatatest"
)

// gatewayFixture is one real capture of a proxy's container log, read by
// the whole receiver with only format (and include) set.
type gatewayFixture struct {
	name   string // golden file testdata/golden/gateway-<name>.yaml
	format string
	dir    string // holds var/log/pods/<pod>/<container>/0.log
	// extra adjusts the config the way the gateway's README tells users to.
	extra func(*Config)
}

var gatewayFixtures = []gatewayFixture{
	{name: "f5-nginx-ingress", format: "f5-nginx-ingress", dir: "testdata/nginx-ingress-f5"},
	// Real nginx in NGINX Gateway Fabric's and Kong's layouts
	// (testdata/ngf/README.md, testdata/kong/README.md).
	{name: "nginx-gateway-fabric", format: "nginx-gateway-fabric", dir: "testdata/ngf"},
	{name: "kong", format: "kong", dir: "testdata/kong"},
	{name: "haproxytech", format: "haproxy", dir: "testdata/haproxy/haproxytech"},
	{name: "haproxy-ingress", format: "haproxy", dir: "testdata/haproxy/haproxy-ingress"},
	{name: "traefik-common", format: "traefik", dir: "testdata/traefik/text"},
	// Traefik returns 500 for malformed responses and failed TLS
	// verification: its README tells users to watch 500 too.
	{name: "traefik-json", format: "traefik", dir: "testdata/traefik/json", extra: func(c *Config) { c.Statuses = []int{500, 502, 503, 504} }},
	// Not a capture: lines built from Envoy's, Istio's, Envoy Gateway's and
	// Contour's documented formats (testdata/envoy/README.md).
	{name: "envoy-documented-formats", format: "envoy", dir: "testdata/envoy"},
	// Not a capture: Cilium Gateway API lines rendered from
	// CiliumGatewayClassConfig's default text format (testdata/cilium/README.md).
	{name: "cilium-documented-format", format: "cilium", dir: "testdata/cilium"},
}

// TestGatewayGolden runs the receiver over each gateway's real CRI log from
// a pod directory of the same name, so the resource attributes are the
// controller pod's, and compares every record with the golden file. The
// per-line meaning of these records is checked against labels.tsv in each
// parser's own fixture test; this test pins the complete OTLP output.
func TestGatewayGolden(t *testing.T) {
	for _, gf := range gatewayFixtures {
		t.Run(gf.name, func(t *testing.T) {
			root := t.TempDir()
			var lines int64
			for _, src := range findPodLogs(t, gf.dir) {
				rel, err := filepath.Rel(gf.dir, src)
				require.NoError(t, err)
				path := filepath.Join(root, rel)
				require.NoError(t, os.MkdirAll(filepath.Dir(path), 0o755))
				lines += copyFile(t, src, path)
			}
			path := filepath.Join(root, "var", "log", "pods", "*", "*", "*.log")

			tt := componenttest.NewTelemetry()
			t.Cleanup(func() { require.NoError(t, tt.Shutdown(context.Background())) })
			cfg := testConfig(path)
			cfg.Format = gf.format
			cfg.Join = NewFactory().CreateDefaultConfig().(*Config).Join
			if gf.extra != nil {
				gf.extra(cfg)
			}
			require.NoError(t, cfg.Validate())
			sink := new(consumertest.LogsSink)
			r := startReceiver(t, metadatatest.NewSettings(tt), cfg, sink, nil)
			require.Eventually(t, func() bool { return linesRead(tt) == lines }, waitFor, 10*time.Millisecond)
			require.NoError(t, r.Shutdown(context.Background()))
			got := mergeLogs(sink.AllLogs())
			require.Positive(t, got.LogRecordCount())

			file := filepath.Join("testdata", "golden", "gateway-"+gf.name+".yaml")
			if os.Getenv(updateGoldenEnv) != "" {
				require.NoError(t, golden.WriteLogsToFile(file, got))
				t.Logf("wrote %s", file)
			}
			want, err := golden.ReadLogs(file)
			require.NoError(t, err)
			require.NoError(t, plogtest.CompareLogs(want, got, plogtest.IgnoreObservedTimestamp(),
				plogtest.IgnoreResourceLogsOrder(), plogtest.IgnoreLogRecordsOrder()))
		})
	}
}

// findPodLogs returns the container logs under dir/var/log/pods.
func findPodLogs(t *testing.T, dir string) []string {
	t.Helper()
	var found []string
	require.NoError(t, filepath.WalkDir(filepath.Join(dir, "var", "log", "pods"), func(p string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() && strings.HasSuffix(p, ".log") {
			found = append(found, p)
		}
		return err
	}))
	require.NotEmpty(t, found, "pod logs under %s", dir)
	return found
}

//go:build chaos

package chaos

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/k8s502/otelcol-k8s502/internal/testing/testcluster"
	"github.com/k8s502/otelcol-k8s502/internal/testing/testproc"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	sigsyaml "sigs.k8s.io/yaml"
)

// processorStorage puts `storage: file_storage` under correlate502 in
// topology a, so records waiting out decision_wait survive a kill. A
// collector that does not know the key yet gets the config without it (see
// singleConfig), and the report says so.
const processorStorage = true

// singleConfig is topology a: one collector from the log file to the
// backend, every stage on file-backed state in dir that outlives a kill.
// include is the shipped agent's kind of glob; the exporter retries
// forever, so an outage can delay records but not drop them.
func singleConfig(include, endpoint, health, dir string, withProcessorStorage bool) string {
	procStorage := ""
	if withProcessorStorage {
		procStorage = "    storage: file_storage\n"
	}
	return fmt.Sprintf(`receivers:
  k8s502:
    include: [%q]
    start_at: beginning
    storage: file_storage
processors:
  correlate502:
    auth_type: none
%sexporters:
  otlp_http:
    logs_endpoint: %q
    retry_on_failure:
      enabled: true
      max_elapsed_time: 0
    # As the shipped gateway: correlate502's storage is the only queue.
    sending_queue:
      enabled: false
extensions:
  health_check:
    endpoint: %s
  file_storage:
    directory: %q
    create_directory: true
service:
  extensions: [health_check, file_storage]
  pipelines:
    logs:
      receivers: [k8s502]
      processors: [correlate502]
      exporters: [otlp_http]
  telemetry:
    logs:
      level: info
    metrics:
      level: none
`, include, procStorage, endpoint, health, dir)
}

// validate runs `<bin> validate` on config; the error carries its output.
func validate(bin, config string, env []string) error {
	cmd := exec.Command(bin, "validate", "--config", config)
	cmd.Env = append(os.Environ(), env...)
	out, err := testproc.Run(cmd, 2*time.Minute)
	if err != nil {
		return fmt.Errorf("%v: %s", err, out)
	}
	return nil
}

// rejectsProcessorStorage tells a collector without correlate502's storage
// key (the config fails only on that key) from a broken config.
func rejectsProcessorStorage(err error) bool {
	s := err.Error()
	return strings.Contains(s, "correlate502") && strings.Contains(s, "storage")
}

// collectorBinary is K8S502_OTELCOL_BIN or _build/otelcol-k8s502. A missing
// binary skips the suite unless K8S502_REQUIRE_BUILD=1 (make chaos).
func collectorBinary(t *testing.T) string {
	t.Helper()
	return testproc.Collector(t, "K8S502_REQUIRE_BUILD")
}

// shippedConfig is config.yaml of the ConfigMap that the one object of kind
// (DaemonSet or Deployment) in examples/kubernetes/<file> mounts.
// K8S502_CHAOS_MANIFESTS names another directory to read the file from
// (say, `git show` of an older version).
func shippedConfig(t *testing.T, file, kind string) map[string]any {
	t.Helper()
	dir := os.Getenv("K8S502_CHAOS_MANIFESTS")
	if dir == "" {
		dir = filepath.Join(testproc.RepoRoot(t), "examples", "kubernetes")
	}
	path := filepath.Join(dir, file)
	var objs []map[string]any
	for _, u := range testcluster.DecodeManifest(t, path) {
		objs = append(objs, u.Object)
	}
	var cm string
	for _, o := range objs {
		if o["kind"] != kind {
			continue
		}
		vols, _ := dig(o, "spec", "template", "spec", "volumes").([]any)
		for _, v := range vols {
			if name, ok := dig(v, "configMap", "name").(string); ok {
				cm = name
			}
		}
	}
	for _, o := range objs {
		if o["kind"] == "ConfigMap" && dig(o, "metadata", "name") == cm {
			data, _ := dig(o, "data", "config.yaml").(string)
			var cfg map[string]any
			if err := sigsyaml.Unmarshal([]byte(data), &cfg); err != nil || cfg == nil {
				t.Fatalf("%s: ConfigMap %s config.yaml: %v", path, cm, err)
			}
			return cfg
		}
	}
	t.Fatalf("%s: no ConfigMap mounted by the %s", path, kind)
	return nil
}

func dig(v any, keys ...string) any {
	for _, k := range keys {
		m, ok := v.(map[string]any)
		if !ok {
			return nil
		}
		v = m[k]
	}
	return v
}

// set replaces the value at keys, which must exist: an edit that no longer
// matches the shipped config fails instead of adding a key.
func set(t *testing.T, cfg map[string]any, v any, keys ...string) {
	t.Helper()
	m, ok := dig(cfg, keys[:len(keys)-1]...).(map[string]any)
	if !ok {
		t.Fatalf("shipped config has no %s", strings.Join(keys[:len(keys)-1], "."))
	}
	if _, ok := m[keys[len(keys)-1]]; !ok {
		t.Fatalf("shipped config has no %s", strings.Join(keys, "."))
	}
	m[keys[len(keys)-1]] = v
}

// del removes keys[-1] from the map at keys[:-1], if there.
func del(cfg map[string]any, keys ...string) {
	if m, ok := dig(cfg, keys[:len(keys)-1]...).(map[string]any); ok {
		delete(m, keys[len(keys)-1])
	}
}

// localPorts moves the fixed health_check and Prometheus ports of a shipped
// config to free ones and returns the health_check address.
func localPorts(t *testing.T, cfg map[string]any) string {
	t.Helper()
	health := testproc.FreeAddr(t, "127.0.0.1")
	set(t, cfg, health, "extensions", "health_check", "endpoint")
	readers, _ := dig(cfg, "service", "telemetry", "metrics", "readers").([]any)
	if len(readers) != 1 {
		t.Fatalf("shipped config: want one telemetry metrics reader, have %d", len(readers))
	}
	set(t, readers[0].(map[string]any), testproc.FreePort(t), "pull", "exporter", "prometheus", "port")
	return health
}

// agentConfig is the shipped DaemonSet's config with the file glob, the
// gateway address and the checkpoint directory changed.
// profileEnv is the environment the shipped workloads get from the gateway
// profile (profile.yaml, by envFrom) and the downward API (POD_NAMESPACE),
// as KEY=value; nothing when the manifests have no profile.
func profileEnv(t *testing.T) []string {
	t.Helper()
	dir := os.Getenv("K8S502_CHAOS_MANIFESTS")
	if dir == "" {
		dir = filepath.Join(testproc.RepoRoot(t), "examples", "kubernetes")
	}
	path := filepath.Join(dir, "profile.yaml")
	if _, err := os.Stat(path); errors.Is(err, os.ErrNotExist) {
		return nil
	}
	var env []string
	for _, cm := range testcluster.DecodeManifest(t, path) {
		env = append(env, "POD_NAMESPACE="+cm.GetNamespace())
		data, _, err := unstructured.NestedStringMap(cm.Object, "data")
		if err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		for k, v := range data {
			env = append(env, k+"="+v)
		}
	}
	return env
}

func agentConfig(t *testing.T, include, gateway, dir string) (map[string]any, string) {
	t.Helper()
	cfg := shippedConfig(t, "daemonset.yaml", "DaemonSet")
	set(t, cfg, []any{include}, "receivers", "k8s502", "include")
	set(t, cfg, gateway, "exporters", "otlp_grpc", "endpoint")
	set(t, cfg, dir, "extensions", "file_storage", "directory")
	return cfg, localPorts(t, cfg)
}

// gatewayConfig is the shipped Deployment's config with its listen
// addresses and storage directory changed, auth_type none (no cluster),
// and what needs a cluster removed: the k8s_objects and k8s_cluster
// receivers and the metrics pipeline that only k8s_cluster feeds. The
// CubeAPM exporter keeps its path, queue and retry; CUBEAPM_ENDPOINT points
// it at the backend.
func gatewayConfig(t *testing.T, grpc, dir string) (map[string]any, string) {
	t.Helper()
	cfg := shippedConfig(t, "deployment.yaml", "Deployment")
	set(t, cfg, grpc, "receivers", "otlp", "protocols", "grpc", "endpoint")
	set(t, cfg, testproc.FreeAddr(t, "127.0.0.1"), "receivers", "otlp", "protocols", "http", "endpoint")
	del(cfg, "receivers", "k8s_objects")
	del(cfg, "receivers", "k8s_cluster")
	del(cfg, "service", "pipelines", "metrics")
	del(cfg, "processors", "filter/restarts")
	del(cfg, "exporters", "otlp_http/cubeapm_metrics")
	set(t, cfg, []any{"otlp"}, "service", "pipelines", "logs", "receivers")
	set(t, cfg, "none", "processors", "correlate502", "auth_type")
	set(t, cfg, dir, "extensions", "file_storage", "directory")
	set(t, cfg, dir, "extensions", "file_storage", "compaction", "directory")
	return cfg, localPorts(t, cfg)
}

func writeYAML(t *testing.T, path string, cfg map[string]any) {
	t.Helper()
	b, err := sigsyaml.Marshal(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, b, 0o600); err != nil {
		t.Fatal(err)
	}
}

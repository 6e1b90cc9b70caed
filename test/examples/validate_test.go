package examples_test

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/k8s502/otelcol-k8s502/internal/testing/testproc"
	"sigs.k8s.io/yaml"
)

// testEnv gives every environment variable an example config expands a value, as the pod
// (or the demo runner) would. A config that uses a variable missing here fails the test.
var testEnv = map[string]string{
	// examples/kubernetes: the downward API.
	"POD_IP":        "127.0.0.1",
	"POD_NAMESPACE": "k8s502",
	// examples/kubernetes/profile.yaml (ingress-nginx); TestKustomizeGateways validates
	// every other profile.
	"K8S502_GATEWAY_FORMAT":        "ingress-nginx",
	"K8S502_GATEWAY_INCLUDE":       `["/var/log/pods/ingress-nginx_*/controller/*.log"]`,
	"K8S502_GATEWAY_STATUSES":      "[502, 503, 504]",
	"K8S502_CONTROLLER_NAMESPACE":  "ingress-nginx",
	"K8S502_CONTROLLER_POD_LABELS": `{"app.kubernetes.io/name": "ingress-nginx", "app.kubernetes.io/component": "controller"}`,
	// The Helm chart's pod template.
	"MY_POD_IP":          "127.0.0.1",
	"OTEL_K8S_NODE_NAME": "node-1",
	"OTEL_K8S_NODE_IP":   "10.0.0.1",
	"OTEL_K8S_NAMESPACE": "k8s502",
	"OTEL_K8S_POD_NAME":  "otelcol-k8s502-0",
	"OTEL_K8S_POD_IP":    "127.0.0.1",
	// The gateway's destination.
	"CUBEAPM_ENDPOINT": "http://cubeapm.cubeapm.svc.cluster.local:3130",
	// examples/demo: set by its runner.
	"DEMO_METRICS_PORT": "18888",
}

// envFor returns the values of the variables config uses, failing for unknown ones.
func envFor(t *testing.T, config string, extra map[string]string) map[string]string {
	t.Helper()
	env := map[string]string{}
	for _, name := range envRefs(config) {
		v, ok := extra[name]
		if !ok {
			v, ok = testEnv[name]
		}
		if !ok {
			t.Errorf("config uses ${env:%s}: give it a value in testEnv", name)
			continue
		}
		env[name] = v
	}
	return env
}

// cubeAPMPipelines wraps examples/cubeapm/exporter.yaml (given as a second --config) in
// the smallest config that uses both exporters and the storage extension.
const cubeAPMPipelines = `
receivers:
  otlp:
    protocols:
      grpc:
        endpoint: 127.0.0.1:4317
service:
  extensions: [file_storage]
  pipelines:
    logs:
      receivers: [otlp]
      exporters: [otlp_http/cubeapm_logs]
    metrics:
      receivers: [otlp]
      exporters: [otlp_http/cubeapm_metrics]
`

func TestExampleConfigsValidate(t *testing.T) {
	bin := collectorBinary(t)
	root := testproc.RepoRoot(t)

	helmConfig := func(t *testing.T, name string) string {
		data, err := yaml.Marshal(chartConfig(t, loadValues(t, name)))
		if err != nil {
			t.Fatal(err)
		}
		return string(data)
	}
	readFile := func(t *testing.T, path string) string {
		data, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		return string(data)
	}

	cases := []struct {
		name string
		// configs returns the config files' contents, merged in order.
		configs func(t *testing.T) []string
		// dir is where the collector runs (relative paths in the config).
		dir   string
		extra map[string]string
	}{
		{name: "kubernetes/daemonset", configs: func(t *testing.T) []string { return []string{agentConfig(t)} }},
		{name: "kubernetes/deployment", configs: func(t *testing.T) []string { return []string{gatewayConfigText(t)} }},
		{name: "helm/values-daemonset", configs: func(t *testing.T) []string { return []string{helmConfig(t, "values-daemonset.yaml")} }},
		{name: "helm/values-deployment", configs: func(t *testing.T) []string { return []string{helmConfig(t, "values-deployment.yaml")} }},
		{name: "cubeapm/exporter", configs: func(t *testing.T) []string {
			return []string{readFile(t, examplePath(t, "cubeapm", "exporter.yaml")), cubeAPMPipelines}
		}},
		{
			name:    "demo/config",
			configs: func(t *testing.T) []string { return []string{readFile(t, examplePath(t, "demo", "config.yaml"))} },
			// cluster_snapshot is relative to the repository root, where `make demo` runs.
			dir:   root,
			extra: map[string]string{"DEMO_LOGS": filepath.Join(root, "examples", "demo", "var", "log", "pods")},
		},
	}
	gateways, err := filepath.Glob(examplePath(t, "gateways", "*.yaml"))
	if err != nil || len(gateways) == 0 {
		t.Fatalf("examples/gateways: %v (%d files)", err, len(gateways))
	}
	for _, g := range gateways {
		g := g
		cases = append(cases, struct {
			name    string
			configs func(t *testing.T) []string
			dir     string
			extra   map[string]string
		}{name: "gateways/" + filepath.Base(g), configs: func(t *testing.T) []string { return []string{agentConfig(t), readFile(t, g)} }})
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			var files []string
			env := map[string]string{}
			for i, cfg := range c.configs(t) {
				files = append(files, writeTemp(t, "config"+string(rune('0'+i))+".yaml", []byte(cfg)))
				for k, v := range envFor(t, cfg, c.extra) {
					env[k] = v
				}
			}
			dir := c.dir
			if dir == "" {
				dir = t.TempDir()
			}
			validateConfig(t, bin, dir, env, files...)
		})
	}
}

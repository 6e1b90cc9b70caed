package examples_test

import (
	"fmt"
	"os"
	"reflect"
	"slices"
	"sort"
	"strings"
	"testing"

	"sigs.k8s.io/yaml"
)

// What this file knows about the upstream chart, open-telemetry/opentelemetry-collector
// 0.170.0 (charts/opentelemetry-collector in open-telemetry/opentelemetry-helm-charts).
// Re-check these when moving to another chart version.

// chartDefaultConfig is the chart's default `config` value. Helm merges the user's `config`
// into it (maps merge, lists are replaced, null deletes a key).
const chartDefaultConfig = `
exporters:
  debug: {}
extensions:
  health_check:
    endpoint: ${env:MY_POD_IP}:13133
processors:
  batch: {}
  memory_limiter:
    check_interval: 5s
    limit_percentage: 80
    spike_limit_percentage: 25
receivers:
  jaeger:
    protocols:
      grpc: {endpoint: "${env:MY_POD_IP}:14250"}
      thrift_http: {endpoint: "${env:MY_POD_IP}:14268"}
      thrift_compact: {endpoint: "${env:MY_POD_IP}:6831"}
  otlp:
    protocols:
      grpc: {endpoint: "${env:MY_POD_IP}:4317"}
      http: {endpoint: "${env:MY_POD_IP}:4318"}
  prometheus:
    config:
      scrape_configs:
        - job_name: opentelemetry-collector
          scrape_interval: 10s
          static_configs:
            - targets: ["${env:MY_POD_IP}:8888"]
  zipkin:
    endpoint: ${env:MY_POD_IP}:9411
service:
  telemetry:
    resource:
      k8s.namespace.name: ${env:OTEL_K8S_NAMESPACE}
      k8s.node.name: ${env:OTEL_K8S_NODE_NAME}
      k8s.node.ip: ${env:OTEL_K8S_NODE_IP}
      k8s.pod.name: ${env:OTEL_K8S_POD_NAME}
      k8s.pod.ip: ${env:OTEL_K8S_POD_IP}
      host.name: ${env:OTEL_K8S_NODE_NAME}
    metrics:
      readers:
        - pull:
            exporter:
              prometheus:
                host: ${env:MY_POD_IP}
                port: 8888
  extensions: [health_check]
  pipelines:
    logs:
      exporters: [debug]
      processors: [memory_limiter, batch]
      receivers: [otlp]
    metrics:
      exporters: [debug]
      processors: [memory_limiter, batch]
      receivers: [otlp, prometheus]
    traces:
      exporters: [debug]
      processors: [memory_limiter, batch]
      receivers: [otlp, jaeger, zipkin]
`

// chartPodEnv is what the chart's pod template always sets (GOMEMLIMIT comes from
// useGOMEMLIMIT and resources.limits.memory); extraEnvs add to it.
var chartPodEnv = []string{
	"MY_POD_IP", "OTEL_K8S_NODE_NAME", "OTEL_K8S_NODE_IP", "OTEL_K8S_NAMESPACE",
	"OTEL_K8S_POD_NAME", "OTEL_K8S_POD_IP",
}

// chartClusterMetricsPreset is what presets.clusterMetrics adds to the config without
// leader election (mode deployment, one replica); the chart then appends k8s_cluster to the
// metrics pipeline's receivers.
const chartClusterMetricsPreset = `
receivers:
  k8s_cluster:
    collection_interval: 10s
`

// chartValueKeys are the chart's documented keys that our values files use, nested where we
// set nested keys; nil marks a free-form value (a Kubernetes or collector structure).
var chartValueKeys = map[string]any{
	"mode":             nil,
	"fullnameOverride": nil,
	"replicaCount":     nil,
	"image":            map[string]any{"repository": nil, "tag": nil, "pullPolicy": nil, "digest": nil},
	"command":          map[string]any{"name": nil, "extraArgs": nil},
	"serviceAccount":   map[string]any{"create": nil, "annotations": nil, "name": nil, "automountServiceAccountToken": nil},
	"clusterRole":      map[string]any{"create": nil, "annotations": nil, "name": nil, "rules": nil},
	"presets": map[string]any{
		"logsCollection": nil, "hostMetrics": nil, "kubernetesAttributes": nil, "kubeletMetrics": nil,
		"kubernetesEvents": nil, "kubernetesObjects": nil, "clusterMetrics": nil, "annotationDiscovery": nil,
		"profiling": nil, "resourceDetection": nil,
	},
	"config":             nil,
	"ports":              nil,
	"extraEnvs":          nil,
	"extraVolumes":       nil,
	"extraVolumeMounts":  nil,
	"podSecurityContext": nil,
	"securityContext":    nil,
	"resources":          nil,
	"tolerations":        nil,
	"nodeSelector":       nil,
	"rollout":            map[string]any{"strategy": nil, "rollingUpdate": nil},
}

// chartPortNames are the chart's default ports; values may only toggle or tune these.
var chartPortNames = []string{"otlp", "otlp-http", "jaeger-compact", "jaeger-thrift", "jaeger-grpc", "zipkin", "metrics"}

func loadValues(t *testing.T, name string) map[string]any {
	t.Helper()
	path := examplePath(t, "helm", name)
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return parseYAMLMap(t, path, data)
}

// coalesce merges user values into chart defaults the way Helm does: maps merge
// recursively, other values replace, and null deletes the default.
func coalesce(dst, src map[string]any) map[string]any {
	for k, v := range src {
		if v == nil {
			delete(dst, k)
			continue
		}
		sv, sok := v.(map[string]any)
		dv, dok := dst[k].(map[string]any)
		if sok && dok {
			dst[k] = coalesce(dv, sv)
			continue
		}
		dst[k] = v
	}
	return dst
}

// mergeOverwrite is sprig's mergeOverwrite for what the presets do: maps merge, src wins.
func mergeOverwrite(dst, src map[string]any) map[string]any {
	for k, v := range src {
		sv, sok := v.(map[string]any)
		dv, dok := dst[k].(map[string]any)
		if sok && dok {
			dst[k] = mergeOverwrite(dv, sv)
			continue
		}
		dst[k] = v
	}
	return dst
}

// chartConfig renders the collector config the chart would write into its ConfigMap for
// these values.
func chartConfig(t *testing.T, values map[string]any) map[string]any {
	t.Helper()
	cfg := parseYAMLMap(t, "chart default config", []byte(chartDefaultConfig))
	user, _ := values["config"].(map[string]any)
	cfg = coalesce(cfg, deepCopy(t, user))

	presets, _ := values["presets"].(map[string]any)
	for name, p := range presets {
		enabled, _ := dig(p.(map[string]any), "enabled").(bool)
		if !enabled {
			continue
		}
		if name != "clusterMetrics" {
			t.Fatalf("presets.%s is enabled but this test does not render it", name)
		}
		replicas, _ := values["replicaCount"].(float64)
		if values["mode"] != "deployment" || replicas > 1 {
			t.Fatal("presets.clusterMetrics with leader election (daemonset or replicas > 1) is not rendered by this test")
		}
		base := parseYAMLMap(t, "preset base", []byte("service: {pipelines: {metrics: {receivers: []}}}"))
		cfg = mergeOverwrite(mergeOverwrite(base, parseYAMLMap(t, "clusterMetrics preset", []byte(chartClusterMetricsPreset))), cfg)
		metrics := dig(cfg, "service", "pipelines", "metrics").(map[string]any)
		recv, _ := metrics["receivers"].([]any)
		if !slices.Contains(recv, any("k8s_cluster")) {
			recv = append(recv, "k8s_cluster")
		}
		metrics["receivers"] = recv
	}
	return cfg
}

func deepCopy(t *testing.T, m map[string]any) map[string]any {
	t.Helper()
	data, err := yaml.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	return parseYAMLMap(t, "copy", data)
}

// checkKeys reports values keys that the chart does not document.
func checkKeys(t *testing.T, file, prefix string, values map[string]any, allowed map[string]any) {
	t.Helper()
	for k, v := range values {
		a, ok := allowed[k]
		if !ok {
			t.Errorf("%s: %s%s is not a key of the chart's values.yaml (or not one this test knows)", file, prefix, k)
			continue
		}
		nested, isMap := a.(map[string]any)
		if vm, ok := v.(map[string]any); ok && isMap {
			checkKeys(t, file, prefix+k+".", vm, nested)
		}
	}
}

func TestHelmValuesUseChartKeys(t *testing.T) {
	for _, name := range []string{"values-daemonset.yaml", "values-deployment.yaml"} {
		t.Run(name, func(t *testing.T) {
			values := loadValues(t, name)
			checkKeys(t, name, "", values, chartValueKeys)
			ports, _ := values["ports"].(map[string]any)
			for p := range ports {
				if !slices.Contains(chartPortNames, p) {
					t.Errorf("%s: ports.%s is not one of the chart's ports", name, p)
				}
			}
			cfg := chartConfig(t, values)
			text, err := yaml.Marshal(cfg)
			if err != nil {
				t.Fatal(err)
			}
			// The chart passes the config through tpl.
			if strings.Contains(string(text), "{{") {
				t.Errorf("%s: config contains {{, which the chart's tpl would evaluate", name)
			}
			// The chart rewrites these deprecated names; ours must not rely on that.
			for _, old := range []string{"filelog", "k8sattributes"} {
				if dig(cfg, "receivers", old) != nil || dig(cfg, "processors", old) != nil {
					t.Errorf("%s: uses the deprecated component name %s", name, old)
				}
			}
			// Every variable the config expands is set by the chart's pod template or extraEnvs.
			env := slices.Clone(chartPodEnv)
			extra, _ := values["extraEnvs"].([]any)
			for _, e := range extra {
				env = append(env, e.(map[string]any)["name"].(string))
			}
			for _, ref := range envRefs(string(text)) {
				if !slices.Contains(env, ref) {
					t.Errorf("%s: config uses ${env:%s}, which the pod does not set", name, ref)
				}
			}
		})
	}
}

// The chart's agent sends to the chart's gateway Service, in the release's own
// namespace (the chart sets OTEL_K8S_NAMESPACE): installable in any namespace.
func TestHelmAgentSendsToGateway(t *testing.T) {
	agent := chartConfig(t, loadValues(t, "values-daemonset.yaml"))
	gw := loadValues(t, "values-deployment.yaml")
	want := fmt.Sprintf("%s.${env:OTEL_K8S_NAMESPACE}.svc.cluster.local:4317", gw["fullnameOverride"])
	if got := dig(agent, "exporters", "otlp_grpc", "endpoint"); got != want {
		t.Errorf("agent exporter endpoint = %v, want %s (the gateway's Service)", got, want)
	}
	if on, _ := dig(gw, "ports", "otlp", "enabled").(bool); !on {
		t.Error("the gateway's otlp port is disabled")
	}
	if got := dig(loadValues(t, "values-daemonset.yaml"), "serviceAccount", "automountServiceAccountToken"); got != false {
		t.Errorf("agent serviceAccount.automountServiceAccountToken = %v, want false", got)
	}
}

// The gateway's exporters are examples/cubeapm/exporter.yaml's, in all three places.
func TestCubeAPMExporterIsTheSameEverywhere(t *testing.T) {
	path := examplePath(t, "cubeapm", "exporter.yaml")
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	want := parseYAMLMap(t, path, data)
	helm := chartConfig(t, loadValues(t, "values-deployment.yaml"))
	raw := gatewayConfig(t)
	for _, c := range []struct {
		name string
		cfg  map[string]any
	}{{"examples/helm/values-deployment.yaml", helm}, {"examples/kubernetes/deployment.yaml", raw}} {
		if got := dig(c.cfg, "exporters"); !reflect.DeepEqual(got, want["exporters"]) {
			t.Errorf("%s: exporters differ from examples/cubeapm/exporter.yaml:\n got %v\nwant %v", c.name, got, want["exporters"])
		}
		if got, w := dig(c.cfg, "extensions", "file_storage"), dig(want, "extensions", "file_storage"); !reflect.DeepEqual(got, w) {
			t.Errorf("%s: extensions.file_storage differs from examples/cubeapm/exporter.yaml:\n got %v\nwant %v", c.name, got, w)
		}
	}
	names := make([]string, 0)
	for k := range want["exporters"].(map[string]any) {
		names = append(names, k)
	}
	sort.Strings(names)
	if want := []string{"otlp_http/cubeapm_logs", "otlp_http/cubeapm_metrics"}; !slices.Equal(names, want) {
		t.Errorf("exporters in exporter.yaml = %v, want %v", names, want)
	}
	// The delivery rule: correlate502 holds the records in file_storage until
	// CubeAPM accepted them, so the logs exporter must not queue (a queue would
	// acknowledge first) and must never give up.
	if got := dig(want, "exporters", "otlp_http/cubeapm_logs", "sending_queue", "enabled"); got != false {
		t.Errorf("logs sending_queue.enabled = %v, want false", got)
	}
	if got := dig(want, "exporters", "otlp_http/cubeapm_logs", "retry_on_failure", "max_elapsed_time"); got != 0 && got != "0" && got != float64(0) {
		t.Errorf("logs retry_on_failure.max_elapsed_time = %v, want 0 (never give up)", got)
	}
	for _, c := range []struct {
		name string
		cfg  map[string]any
	}{{"examples/helm/values-deployment.yaml", helm}, {"examples/kubernetes/deployment.yaml", raw}} {
		if got := dig(c.cfg, "processors", "correlate502", "storage"); got != "file_storage" {
			t.Errorf("%s: correlate502 storage = %v, want file_storage", c.name, got)
		}
		for _, p := range dig(c.cfg, "service", "pipelines", "logs", "processors").([]any) {
			if p == "batch" {
				t.Errorf("%s: a batch processor in the logs pipeline acknowledges records it holds only in memory", c.name)
			}
		}
	}
	if got, _ := dig(want, "exporters", "otlp_http/cubeapm_logs", "logs_endpoint").(string); !strings.HasSuffix(got, "/api/logs/insert/opentelemetry/v1/logs") {
		t.Errorf("logs_endpoint = %q, want CubeAPM's /api/logs/insert/opentelemetry/v1/logs", got)
	}
	if got, _ := dig(want, "exporters", "otlp_http/cubeapm_logs", "headers", "Cube-Stream-Fields").(string); !strings.Contains(got, "k8s502.cause") {
		t.Errorf("Cube-Stream-Fields = %q, want the cause among the stream fields", got)
	}
}

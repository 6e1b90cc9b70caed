package examples_test

import (
	"bufio"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/k8s502/otelcol-k8s502/internal/testing/testproc"
	"github.com/prometheus/otlptranslator"

	appsv1 "k8s.io/api/apps/v1"
	"sigs.k8s.io/yaml"
)

// collectorMetrics are the collector's own metrics (not this repository's components) the
// pipeline rules use, as its Prometheus endpoint names them. They come from exporterhelper
// (go.opentelemetry.io/collector/exporter/exporterhelper v0.151.0,
// internal/metadata/generated_telemetry.go: otelcol_exporter_*), so no metadata.yaml here
// lists them; TestPipelineRuleMetricsOnTheCollector finds each on the built collector's
// endpoint. Add a name here only with that test producing it.
var collectorMetrics = []string{
	"otelcol_exporter_send_failed_log_records_total",
	"otelcol_exporter_sent_log_records_total",
	"otelcol_exporter_queue_size",
	"otelcol_exporter_queue_capacity",
}

// kubeStateMetrics are the kube-state-metrics (v2) series the pipeline rules use: pod
// metrics enabled by default (docs/metrics/workload/pod-metrics.md of kube-state-metrics),
// with the labels the rules read: kube_pod_info{namespace, pod, node, created_by_kind,
// created_by_name}, kube_pod_container_info{namespace, pod, container},
// kube_pod_status_ready{namespace, pod, condition}.
var kubeStateMetrics = []string{"kube_pod_info", "kube_pod_container_info", "kube_pod_status_ready"}

// promqlFunctions are the PromQL functions and aggregations the rules may call; an
// identifier followed by "(" that is not here fails the test (a typo, or a function to add).
var promqlFunctions = []string{
	"rate", "increase", "deriv", "absent", "max_over_time", "min_over_time",
	"sum", "max", "min", "count", "avg",
}

// promqlKeywords are the binary operators and modifiers written as words.
var promqlKeywords = []string{"and", "or", "unless", "bool", "offset"}

var (
	quoted        = regexp.MustCompile(`"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'`)
	matchers      = regexp.MustCompile(`\{[^{}]*\}`)
	ranges        = regexp.MustCompile(`\[[^\[\]]*\]`)
	labelLists    = regexp.MustCompile(`\b(by|without|on|ignoring|group_left|group_right)\s*\([^()]*\)`)
	identifier    = regexp.MustCompile(`[A-Za-z_:][A-Za-z0-9_:]*`)
	labelMatchers = regexp.MustCompile(`([A-Za-z_][A-Za-z0-9_]*)\s*(=~|!=|!~|=)\s*"((?:[^"\\]|\\.)*)"`)
)

// metricNames returns the metric names a PromQL expression selects, and the functions it
// calls: label matchers, ranges, string literals and the label lists of by/on/... are cut
// out first, so what is left are numbers, operators, keywords, functions and metric names.
func metricNames(expr string) (metrics, functions []string) {
	e := quoted.ReplaceAllString(expr, `""`)
	e = matchers.ReplaceAllString(e, " ")
	e = ranges.ReplaceAllString(e, " ")
	e = labelLists.ReplaceAllString(e, " ")
	for _, loc := range identifier.FindAllStringIndex(e, -1) {
		if loc[0] > 0 && strings.ContainsAny(e[loc[0]-1:loc[0]], "0123456789.") {
			continue // the exponent of a number such as 1e6
		}
		word := e[loc[0]:loc[1]]
		switch {
		case slices.Contains(promqlKeywords, word):
		case strings.HasPrefix(strings.TrimLeft(e[loc[1]:], " \t\n"), "("):
			functions = append(functions, word)
		default:
			metrics = append(metrics, word)
		}
	}
	return metrics, functions
}

// labelValues returns the values an expression compares label to with =.
func labelValues(expr, label string) []string {
	var out []string
	for _, m := range labelMatchers.FindAllStringSubmatch(expr, -1) {
		if m[1] == label && m[2] == "=" {
			out = append(out, m[3])
		}
	}
	return out
}

// componentMetrics reads the telemetry metrics of this repository's components from their
// metadata.yaml (receiver/, processor/, connector/) and names them as the collector's
// Prometheus endpoint does: mdatagen prefixes otelcol_, and the prometheus exporter adds the
// unit (By: _bytes; 1 on a gauge: _ratio; {line}-style units: nothing) and _total to
// monotonic sums, which is Prometheus' UnderscoreEscapingWithSuffixes translation.
func componentMetrics(t *testing.T) map[string]string {
	t.Helper()
	var files []string
	for _, kind := range []string{"receiver", "processor", "connector"} {
		f, err := filepath.Glob(filepath.Join(testproc.RepoRoot(t), kind, "*", "metadata.yaml"))
		if err != nil {
			t.Fatal(err)
		}
		files = append(files, f...)
	}
	if len(files) < 2 {
		t.Fatalf("metadata.yaml files: %v", files)
	}
	namer := otlptranslator.NewMetricNamer("", otlptranslator.UnderscoreEscapingWithSuffixes)
	out := map[string]string{} // Prometheus name -> metadata.yaml it comes from
	for _, f := range files {
		var md struct {
			Telemetry struct {
				Metrics map[string]struct {
					Unit string `json:"unit"`
					Sum  *struct {
						Monotonic bool `json:"monotonic"`
					} `json:"sum"`
					Gauge *struct{} `json:"gauge"`
				} `json:"metrics"`
			} `json:"telemetry"`
		}
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		if err := yaml.Unmarshal(data, &md); err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		for name, m := range md.Telemetry.Metrics {
			var typ otlptranslator.MetricType = otlptranslator.MetricTypeGauge
			switch {
			case m.Sum != nil && m.Sum.Monotonic:
				typ = otlptranslator.MetricTypeMonotonicCounter
			case m.Sum != nil:
				typ = otlptranslator.MetricTypeNonMonotonicCounter
			case m.Gauge == nil:
				t.Fatalf("%s: %s is neither a sum nor a gauge", f, name)
			}
			prom, err := namer.Build(otlptranslator.Metric{Name: "otelcol_" + name, Unit: m.Unit, Type: typ})
			if err != nil {
				t.Fatal(err)
			}
			out[prom] = f
		}
	}
	return out
}

func pipelineRules(t *testing.T) map[string]string {
	t.Helper()
	return checkPrometheusRule(t, examplePath(t, "alerts", "pipeline-rules.yaml"),
		[]string{"k8s502.pipeline.agents", "k8s502.pipeline.export", "k8s502.pipeline.gateway"})
}

// TestPipelineRules: every alert on the pipeline's health is there, uses the metric it is
// about, and each metric name in the file is one the collector or kube-state-metrics
// exports; the names the rules filter on are those of the shipped manifests.
func TestPipelineRules(t *testing.T) {
	exprs := pipelineRules(t)
	for alert, must := range map[string][]string{
		"K8s502AgentMissingOnIngressNode":   {"kube_pod_info", "kube_pod_container_info", `kube_pod_status_ready{namespace="k8s502", condition="true"} == 1`, "unless on (node)"},
		"K8s502AgentLogBacklogGrowing":      {"otelcol_k8s502_receiver_log_backlog_bytes >", "deriv(otelcol_k8s502_receiver_log_backlog_bytes["},
		"K8s502AgentLogBacklogNearRotation": {"otelcol_k8s502_receiver_log_backlog_bytes >"},
		"K8s502ExportDroppingRecords":       {"rate(otelcol_exporter_send_failed_log_records_total["},
		"K8s502AgentExportStalled":          {`otelcol_exporter_queue_size{exporter="otlp_grpc"}`, "otelcol_exporter_sent_log_records_total"},
		"K8s502AgentExportQueueFull":        {"otelcol_exporter_queue_size", "otelcol_exporter_queue_capacity"},
		"K8s502GatewayExportStalled":        {"otelcol_correlate502_records_pending", `otelcol_exporter_sent_log_records_total{exporter="otlp_http/cubeapm_logs"}`},
		"K8s502CorrelateRefusingBatches":    {"rate(otelcol_correlate502_batches_refused_total["},
		"K8s502CorrelateRecordsHeld":        {"otelcol_correlate502_records_pending >"},
		"K8s502InformersNotSynced":          {"otelcol_correlate502_informers_synced_ratio == 0"},
		"K8s502GatewayMetricsAbsent":        {"absent(otelcol_correlate502_informers_synced_ratio)"},
	} {
		expr, ok := exprs[alert]
		if !ok {
			t.Errorf("no alert %s", alert)
			continue
		}
		for _, s := range must {
			if !strings.Contains(expr, s) {
				t.Errorf("%s: expr does not contain %s", alert, s)
			}
		}
	}
	if len(exprs) != 11 {
		t.Errorf("%d rules, want the 11 above (add new ones to this test)", len(exprs))
	}

	// Every metric name exists: a component's (metadata.yaml), the collector's, or
	// kube-state-metrics'.
	known := componentMetrics(t)
	for _, n := range collectorMetrics {
		known[n] = "collectorMetrics"
	}
	for _, n := range kubeStateMetrics {
		known[n] = "kubeStateMetrics"
	}
	for name, expr := range exprs {
		metrics, functions := metricNames(expr)
		if len(metrics) == 0 {
			t.Errorf("%s: no metric name found in %q", name, expr)
		}
		for _, m := range metrics {
			if _, ok := known[m]; !ok {
				t.Errorf("%s uses %s, which no metadata.yaml, collectorMetrics or kubeStateMetrics names", name, m)
			}
		}
		for _, f := range functions {
			if !slices.Contains(promqlFunctions, f) {
				t.Errorf("%s calls %s(), not a PromQL function this test knows", name, f)
			}
		}
	}

	// The names the rules filter on are the shipped ones.
	m := loadManifests(t)
	ds := find[*appsv1.DaemonSet](t, m, "otelcol-k8s502-agent")
	exporters := map[string]bool{}
	for _, cfg := range []string{agentConfig(t), gatewayConfigText(t)} {
		ex, _ := dig(parseYAMLMap(t, "config", []byte(cfg)), "exporters").(map[string]any)
		for k := range ex {
			exporters[k] = true
		}
	}
	for name, expr := range exprs {
		for _, e := range labelValues(expr, "exporter") {
			if !exporters[e] {
				t.Errorf("%s: exporter %q is not an exporter of the shipped configs", name, e)
			}
		}
		for _, n := range labelValues(expr, "created_by_name") {
			if n != ds.Name {
				t.Errorf("%s: created_by_name %q, the agent DaemonSet is %s", name, n, ds.Name)
			}
		}
	}
	agentRule := exprs["K8s502AgentMissingOnIngressNode"]
	if ns := labelValues(agentRule, "namespace"); !slices.Contains(ns, ds.Namespace) {
		t.Errorf("K8s502AgentMissingOnIngressNode: namespaces %v, the agent runs in %s", ns, ds.Namespace)
	}
	// The controller it looks for is the one the shipped include pattern reads:
	// /var/log/pods/<namespace>_*/<container>/*.log, somewhere in examples/kubernetes.
	var ctrlNS, ctrlContainer string
	for _, n := range labelValues(agentRule, "namespace") {
		if n != ds.Namespace {
			ctrlNS = n
		}
	}
	if c := labelValues(agentRule, "container"); len(c) == 1 {
		ctrlContainer = c[0]
	}
	pattern := fmt.Sprintf("/var/log/pods/%s_*/%s/", ctrlNS, ctrlContainer)
	files, _ := filepath.Glob(examplePath(t, "kubernetes", "*.yaml"))
	found := false
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		found = found || strings.Contains(string(data), pattern)
	}
	if !found {
		t.Errorf("K8s502AgentMissingOnIngressNode looks for namespace %q container %q; no include pattern in examples/kubernetes reads %s", ctrlNS, ctrlContainer, pattern)
	}
}

// The extraction TestPipelineRules relies on.
func TestMetricNames(t *testing.T) {
	metrics, functions := metricNames(`max by (node) (kube_pod_info{namespace="a", node!=""} and on (namespace, pod) (x_total{c="1e6"} == 1))
		unless on (node) sum by (job) (rate(y_bytes{exporter="otlp_http/a"}[10m])) > 1048576 * 1e3 and deriv(z[15m] offset 5m) > 0`)
	if want := []string{"kube_pod_info", "x_total", "y_bytes", "z"}; !slices.Equal(metrics, want) {
		t.Errorf("metrics %v, want %v", metrics, want)
	}
	if want := []string{"max", "sum", "rate", "deriv"}; !slices.Equal(functions, want) {
		t.Errorf("functions %v, want %v", functions, want)
	}
	if got := labelValues(`a{exporter="x", exporter=~"y", b="c"}`, "exporter"); !slices.Equal(got, []string{"x"}) {
		t.Errorf("labelValues = %v", got)
	}
}

// TestPipelineLogsQLRules: the RBAC rule over the gateway's log matches the API server's
// "forbidden" for the gateway's ServiceAccount.
func TestPipelineLogsQLRules(t *testing.T) {
	path := examplePath(t, "alerts", "pipeline-logsql-rules.yaml")
	var f struct {
		Groups []ruleGroup `json:"groups"`
	}
	readStrict(t, path, &f)
	if len(f.Groups) != 1 || f.Groups[0].Name != "k8s502.pipeline.logs" || f.Groups[0].Type != "vlogs" || f.Groups[0].Interval != "5m" {
		t.Fatalf("groups %+v, want one vlogs group k8s502.pipeline.logs with interval 5m", f.Groups)
	}
	exprs := checkRules(t, path, f.Groups)
	m := loadManifests(t)
	sa := find[*appsv1.Deployment](t, m, "otelcol-k8s502-gateway").Spec.Template.Spec.ServiceAccountName
	expr := exprs["K8s502GatewayAPIForbidden"]
	for _, s := range []string{`"is forbidden"`, `"` + sa + `"`, "| stats count() as lines", "| filter lines:>0"} {
		if !strings.Contains(expr, s) {
			t.Errorf("K8s502GatewayAPIForbidden: expr %q does not contain %s", expr, s)
		}
	}
}

// liveConfig is an agent's pipeline (k8s502 -> otlp_grpc with a queue) and a gateway's
// (k8s502 -> correlate502 without a cluster -> otlp_http/cubeapm_logs), the exporters named
// as in the shipped configs, both sending to a closed port without retrying, so that every
// metric of collectorMetrics is recorded within seconds.
const liveConfig = `
receivers:
  k8s502:
    include: [%[1]s/ingress-nginx_ctrl-1_uid/controller/*.log]
    start_at: beginning
processors:
  correlate502:
    auth_type: none
    decision_wait: 1s
exporters:
  otlp_grpc:
    endpoint: 127.0.0.1:%[2]d
    tls: {insecure: true}
    timeout: 1s
    retry_on_failure: {enabled: false}
    sending_queue: {enabled: true, queue_size: 1000}
  otlp_http/cubeapm_logs:
    logs_endpoint: http://127.0.0.1:%[2]d/api/logs/insert/opentelemetry/v1/logs
    timeout: 1s
    retry_on_failure: {enabled: false}
    sending_queue: {enabled: false}
service:
  pipelines:
    logs/agent:
      receivers: [k8s502]
      exporters: [otlp_grpc]
    logs/gateway:
      receivers: [k8s502]
      processors: [correlate502]
      exporters: [otlp_http/cubeapm_logs]
  telemetry:
    logs:
      level: warn
    metrics:
      level: normal
      readers:
        - pull:
            exporter:
              prometheus:
                host: 127.0.0.1
                port: %[3]d
`

// A failed request in ingress-nginx's default log format, as the CRI writes it.
const liveLine = `2024-01-01T00:00:00.000000000Z stdout F 10.0.0.1 - - [01/Jan/2024:00:00:00 +0000] "GET / HTTP/1.1" 502 150 "-" "curl" 70 0.001 [shop-checkout-80] [] 10.1.1.1:8080 0 0.001 502 abc` + "\n"

// scrape returns the metric families on a Prometheus text endpoint with the label names of
// their samples.
func scrape(url string) (map[string]map[string]bool, error) {
	resp, err := http.Get(url) //nolint:gosec // a test's own loopback address
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		b, _ := io.ReadAll(resp.Body)
		return nil, fmt.Errorf("%s: %s", resp.Status, b)
	}
	out := map[string]map[string]bool{}
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	labelName := regexp.MustCompile(`([A-Za-z_][A-Za-z0-9_]*)="`)
	for sc.Scan() {
		line := sc.Text()
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		name, rest, _ := strings.Cut(line, "{")
		name, _, _ = strings.Cut(name, " ")
		if out[name] == nil {
			out[name] = map[string]bool{}
		}
		if labels, _, ok := strings.Cut(rest, "}"); ok {
			for _, m := range labelName.FindAllStringSubmatch(labels, -1) {
				out[name][m[1]] = true
			}
		}
	}
	return out, sc.Err()
}

// TestPipelineRuleMetricsOnTheCollector runs the built collector and reads its Prometheus
// endpoint: each name of collectorMetrics is there with the labels the rules join on, and
// every otelcol_k8s502_receiver_* / otelcol_correlate502_* name it shows is the one
// componentMetrics derives from metadata.yaml (so the suffixes the rules use, _bytes, _ratio,
// _total, are the binary's).
func TestPipelineRuleMetricsOnTheCollector(t *testing.T) {
	bin := collectorBinary(t)
	dir := t.TempDir()
	logDir := filepath.Join(dir, "pods", "ingress-nginx_ctrl-1_uid", "controller")
	if err := os.MkdirAll(logDir, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(logDir, "0.log"), []byte(liveLine), 0o600); err != nil {
		t.Fatal(err)
	}
	closed, metricsPort := testproc.FreePort(t), testproc.FreePort(t)
	cfg := writeTemp(t, "config.yaml", fmt.Appendf(nil, liveConfig, filepath.Join(dir, "pods"), closed, metricsPort))

	col := testproc.StartProgram(t, dir, bin, "--config", cfg)

	want := map[string][]string{ // name -> labels the rules match or join on
		"otelcol_exporter_send_failed_log_records_total": {"exporter"},
		"otelcol_exporter_sent_log_records_total":        {"exporter"},
		"otelcol_exporter_queue_size":                    {"exporter", "data_type"},
		"otelcol_exporter_queue_capacity":                {"exporter", "data_type"},
		"otelcol_k8s502_receiver_log_backlog_bytes":      nil,
		"otelcol_correlate502_records_pending":           nil,
		"otelcol_correlate502_informers_synced_ratio":    nil,
	}
	for _, n := range collectorMetrics {
		if _, ok := want[n]; !ok {
			t.Fatalf("collectorMetrics has %s, which this test does not look for", n)
		}
	}
	url := fmt.Sprintf("http://127.0.0.1:%d/metrics", metricsPort)
	var got map[string]map[string]bool
	missing := func() []string {
		var m []string
		for n := range want {
			if got[n] == nil {
				m = append(m, n)
			}
		}
		sort.Strings(m)
		return m
	}
	deadline := time.Now().Add(30 * time.Second)
	for {
		var err error
		got, err = scrape(url)
		if err == nil && len(missing()) == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("after 30s, %s shows no %v (scrape error: %v)\ncollector output:\n%s", url, missing(), err, col.Tail(4096))
		}
		time.Sleep(250 * time.Millisecond)
	}
	for n, labels := range want {
		for _, l := range labels {
			if !got[n][l] {
				t.Errorf("%s has no label %s (labels: %v)", n, l, got[n])
			}
		}
	}
	known := componentMetrics(t)
	for n := range got {
		if strings.HasPrefix(n, "otelcol_k8s502_receiver_") || strings.HasPrefix(n, "otelcol_correlate502_") {
			if _, ok := known[n]; !ok {
				t.Errorf("the collector exports %s, which componentMetrics does not derive from any metadata.yaml", n)
			}
		}
	}
}

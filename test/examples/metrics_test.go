package examples_test

import (
	"context"
	"os"
	"os/exec"
	"slices"
	"strings"
	"testing"

	"github.com/prometheus/otlptranslator"
	"go.opentelemetry.io/collector/component/componenttest"
	"go.opentelemetry.io/collector/connector/connectortest"
	"go.opentelemetry.io/collector/consumer/consumertest"
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/plog"

	"github.com/k8s502/otelcol-k8s502/connector/k8s502metricsconnector"
)

// connectorPromNames runs the k8s502metrics connector on two records, the second one into
// the overflow series (max_series 1), and returns the Prometheus name of its metric and of
// each attribute it wrote, as Prometheus' default OTLP translation builds them.
func connectorPromNames(t *testing.T) (metric string, labels map[string]string) {
	t.Helper()
	ctx := context.Background()
	f := k8s502metricsconnector.NewFactory()
	cfg := f.CreateDefaultConfig().(*k8s502metricsconnector.Config)
	cfg.MaxSeries = 1
	sink := new(consumertest.MetricsSink)
	c, err := f.CreateLogsToMetrics(ctx, connectortest.NewNopSettings(f.Type()), cfg, sink)
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Start(ctx, componenttest.NewNopHost()); err != nil {
		t.Fatal(err)
	}
	ld := plog.NewLogs()
	lrs := ld.ResourceLogs().AppendEmpty().ScopeLogs().AppendEmpty().LogRecords()
	for _, outcome := range []string{"failed", "recovered"} {
		a := lrs.AppendEmpty().Attributes()
		a.PutStr("k8s502.outcome", outcome)
		a.PutStr("k8s502.cause", "pod_crash")
		a.PutStr("k8s502.target.namespace", "shop")
		a.PutStr("k8s502.target.service", "checkout")
	}
	if err := c.ConsumeLogs(ctx, ld); err != nil {
		t.Fatal(err)
	}
	if err := c.Shutdown(ctx); err != nil {
		t.Fatal(err)
	}
	if len(sink.AllMetrics()) != 1 {
		t.Fatalf("connector sent %d batches, want 1", len(sink.AllMetrics()))
	}
	m := sink.AllMetrics()[0].ResourceMetrics().At(0).ScopeMetrics().At(0).Metrics().At(0)
	if !m.Sum().IsMonotonic() {
		t.Fatalf("%s is not a monotonic sum", m.Name())
	}
	namer := otlptranslator.NewMetricNamer("", otlptranslator.UnderscoreEscapingWithSuffixes)
	metric, err = namer.Build(otlptranslator.Metric{Name: m.Name(), Unit: m.Unit(), Type: otlptranslator.MetricTypeMonotonicCounter})
	if err != nil {
		t.Fatal(err)
	}
	labels = map[string]string{}
	ln := otlptranslator.LabelNamer{}
	dps := m.Sum().DataPoints()
	for i := 0; i < dps.Len(); i++ {
		dps.At(i).Attributes().Range(func(k string, _ pcommon.Value) bool {
			if labels[k], err = ln.Build(k); err != nil {
				t.Fatal(err)
			}
			return true
		})
	}
	return metric, labels
}

// TestMetricsConnectorRules: the rules on k8s502.requests.failed use the names the
// connector's output gets in Prometheus.
func TestMetricsConnectorRules(t *testing.T) {
	path := examplePath(t, "alerts", "k8s502-metrics-rules.yaml")
	exprs := checkPrometheusRule(t, path, []string{"k8s502.metrics"})

	metric, labels := connectorPromNames(t)
	label := func(attr string) string {
		l, ok := labels[attr]
		if !ok {
			t.Fatalf("the connector wrote no %s attribute (it wrote %v)", attr, labels)
		}
		return l
	}
	for alert, must := range map[string][]string{
		"K8s502FailedRequestsByCause": {
			"rate(" + metric + "{",
			"[5m])",
			"sum by (" + label("k8s.namespace.name") + ", " + label("k8s.service.name") + ", " + label("k8s502.cause") + ")",
			label("k8s502.outcome") + `="failed"`,
		},
		"K8s502MetricsOverflow": {"rate(" + metric + "{", label("otel.metric.overflow") + `="true"`},
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
}

// connectorBinary is the built collector when it carries the k8s502metrics connector. A
// binary built before the connector existed skips (fails under K8S502_REQUIRE_BUILD=1).
func connectorBinary(t *testing.T) string {
	t.Helper()
	bin := collectorBinary(t)
	out, err := exec.Command(bin, "components").Output()
	if err != nil {
		t.Fatalf("%s components: %v", bin, err)
	}
	if !strings.Contains(string(out), "name: k8s502metrics") {
		if os.Getenv("K8S502_REQUIRE_BUILD") == "1" {
			t.Fatalf("%s has no k8s502metrics connector", bin)
		}
		t.Skipf("%s was built before the k8s502metrics connector; run `make build`", bin)
	}
	return bin
}

// TestMetricsConnectorConfigValidates: examples/metrics/connector.yaml on top of the gateway
// config of examples/kubernetes is a valid collector config.
func TestMetricsConnectorConfigValidates(t *testing.T) {
	bin := connectorBinary(t)
	gateway := gatewayConfigText(t)
	data, err := os.ReadFile(examplePath(t, "metrics", "connector.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	env := envFor(t, gateway, nil)
	for k, v := range envFor(t, string(data), nil) {
		env[k] = v
	}
	validateConfig(t, bin, t.TempDir(), env,
		writeTemp(t, "gateway.yaml", []byte(gateway)), writeTemp(t, "connector.yaml", data))
}

// TestMetricsConnectorFragmentFitsTheGateway merges the fragment over the gateway config as
// the collector does (maps merge, lists replace) and checks the wiring without the binary:
// every component a pipeline names is defined, the connector leaves a logs pipeline that runs
// correlate502 and enters a metrics pipeline, and the logs pipeline kept its exporters.
func TestMetricsConnectorFragmentFitsTheGateway(t *testing.T) {
	base := gatewayConfig(t)
	data, err := os.ReadFile(examplePath(t, "metrics", "connector.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	merged := mergeOverwrite(gatewayConfig(t), parseYAMLMap(t, "metrics/connector.yaml", data))

	names := func(v any) []string {
		var out []string
		list, _ := v.([]any)
		for _, x := range list {
			s, _ := x.(string)
			out = append(out, s)
		}
		return out
	}
	defined := func(kind, name string) bool {
		m, _ := merged[kind].(map[string]any)
		_, ok := m[name]
		return ok
	}
	pipelines, _ := dig(merged, "service", "pipelines").(map[string]any)
	var intoConnector, outOfConnector bool
	for id, p := range pipelines {
		for _, r := range names(dig(p.(map[string]any), "receivers")) {
			if !defined("receivers", r) && !defined("connectors", r) {
				t.Errorf("pipeline %s: receiver %s is not defined", id, r)
			}
			if r == "k8s502metrics" && strings.HasPrefix(id, "metrics") {
				outOfConnector = true
			}
		}
		for _, pr := range names(dig(p.(map[string]any), "processors")) {
			if !defined("processors", pr) {
				t.Errorf("pipeline %s: processor %s is not defined", id, pr)
			}
		}
		for _, e := range names(dig(p.(map[string]any), "exporters")) {
			if !defined("exporters", e) && !defined("connectors", e) {
				t.Errorf("pipeline %s: exporter %s is not defined", id, e)
			}
			if e == "k8s502metrics" && strings.HasPrefix(id, "logs") {
				intoConnector = true
				if !slices.Contains(names(dig(p.(map[string]any), "processors")), "correlate502") {
					t.Errorf("pipeline %s feeds the connector without correlate502: records would have no cause or target", id)
				}
			}
		}
	}
	if !intoConnector || !outOfConnector {
		t.Errorf("k8s502metrics: exporter of a logs pipeline %v, receiver of a metrics pipeline %v", intoConnector, outOfConnector)
	}
	kept := names(dig(merged, "service", "pipelines", "logs", "exporters"))
	for _, e := range names(dig(base, "service", "pipelines", "logs", "exporters")) {
		if !slices.Contains(kept, e) {
			t.Errorf("the fragment's logs exporters %v drop the gateway's %s (lists replace)", kept, e)
		}
	}
}

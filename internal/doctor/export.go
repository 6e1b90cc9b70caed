package doctor

import (
	"context"
	"fmt"
	"net"
	"net/url"
	"os"
	"strings"
	"time"

	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/exporter"
	"go.opentelemetry.io/collector/exporter/otlpexporter"
	"go.opentelemetry.io/collector/exporter/otlphttpexporter"
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/plog"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
	"go.uber.org/zap/zaptest/observer"

	"github.com/k8s502/otelcol-k8s502/internal/nop"
)

// DoctorAttribute marks the test record; a backend query or a filter can
// drop records carrying it.
const DoctorAttribute = "k8s502.doctor"

// otlpFactories are the OTLP exporters of the distribution, under their
// current and deprecated type names.
var otlpFactories = map[string]exporter.Factory{
	"otlp_grpc": otlpexporter.NewFactory(),
	"otlp":      otlpexporter.NewFactory(),
	"otlp_http": otlphttpexporter.NewFactory(),
	"otlphttp":  otlphttpexporter.NewFactory(),
}

// noRetry makes one attempt decide: no queue that would accept the record
// before the backend did, no retries that would hide the backend's answer.
var noRetry = map[string]any{
	"sending_queue":    map[string]any{"enabled": false},
	"retry_on_failure": map[string]any{"enabled": false},
}

// checkExports sends one marked log record through each OTLP exporter the
// pipelines use, built by the exporter's own factory from its own config
// (endpoint, TLS, headers, compression), so the answer is the backend's
// answer to this collector.
func checkExports(ctx context.Context, cfg *collectorConfig, o Options) []Result {
	var out []Result
	var others []string
	for _, id := range cfg.exporters {
		f, ok := otlpFactories[id.Type().String()]
		if !ok || !cfg.logsExporters[id] {
			// Not OTLP, or only in metrics or traces pipelines, which a
			// log record cannot test.
			others = append(others, id.String())
			continue
		}
		name := check("export", id)
		endpoint := endpointOf(cfg, id)
		if o.NoSend {
			out = append(out, Result{Warn, name, "not sent (--no-send): " + endpoint + " not checked"})
			continue
		}
		ecfg := f.CreateDefaultConfig()
		if err := cfg.decode("exporters", id, ecfg, noRetry); err != nil {
			out = append(out, Result{Fail, check("config", id), err.Error()})
			continue
		}
		out = append(out, send(ctx, f, id, ecfg, endpoint, o.Timeout))
	}
	if len(out) == 0 {
		out = append(out, Result{Warn, "export", fmt.Sprintf("no OTLP exporter in a logs pipeline (exporters: %s): no backend to check", strings.Join(others, ", "))})
	}
	return out
}

func send(ctx context.Context, f exporter.Factory, id component.ID, cfg component.Config, endpoint string, timeout time.Duration) Result {
	name := check("export", id)
	core, logs := observer.New(zapcore.WarnLevel)
	set := exporter.Settings{
		ID:                id,
		TelemetrySettings: nop.Telemetry(),
		BuildInfo:         component.BuildInfo{Command: "k8s502-doctor", Description: "k8s502 pre-flight check"},
	}
	set.Logger = zap.New(core)
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	exp, err := f.CreateLogs(ctx, set, cfg)
	if err != nil {
		return Result{Fail, name, fmt.Sprintf("cannot build the exporter: %v", err)}
	}
	if err := exp.Start(ctx, nop.Host{}); err != nil {
		return Result{Fail, name, fmt.Sprintf("cannot start the exporter: %v (the doctor loads no extensions, so an auth extension cannot be used)", err)}
	}
	start := time.Now()
	err = exp.ConsumeLogs(ctx, testRecord(id))
	took := time.Since(start).Round(time.Millisecond)
	_ = exp.Shutdown(context.Background())
	if err != nil {
		detail := fmt.Sprintf("%s did not accept the test record (%s): %v", endpoint, took, err)
		// Said only when the exporter's error does not say it already.
		if p := probe(endpoint, timeout); p != "" && !strings.Contains(err.Error(), p[len("TCP: "):]) {
			detail += "; " + p
		}
		return Result{Fail, name, detail}
	}
	detail := fmt.Sprintf("test record (%s=true) accepted by %s in %s", DoctorAttribute, endpoint, took)
	// OTLP partial success: the backend answered 200 but dropped records;
	// the exporters only log it.
	for _, e := range logs.All() {
		return Result{Warn, name, fmt.Sprintf("%s, but the exporter warned: %s %v", detail, e.Message, e.ContextMap())}
	}
	return Result{Pass, name, detail}
}

// probe says why an endpoint could not be reached when DNS or TCP is why
// ("DNS: ..." or "TCP: ..."): gRPC reports a name that does not resolve as
// "no children to pick from".
func probe(endpoint string, timeout time.Duration) string {
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	hostport := strings.TrimPrefix(endpoint, "dns:///")
	if strings.Contains(hostport, "://") {
		u, err := url.Parse(hostport)
		if err != nil || u.Host == "" {
			return ""
		}
		hostport = u.Host
		if u.Port() == "" {
			port := "80"
			if u.Scheme == "https" {
				port = "443"
			}
			hostport = net.JoinHostPort(u.Hostname(), port)
		}
	}
	host, _, err := net.SplitHostPort(hostport)
	if err != nil {
		return ""
	}
	if _, err := net.DefaultResolver.LookupHost(ctx, host); err != nil {
		return fmt.Sprintf("DNS: %v", err)
	}
	var d net.Dialer
	conn, err := d.DialContext(ctx, "tcp", hostport)
	if err != nil {
		return fmt.Sprintf("TCP: %v", err)
	}
	_ = conn.Close()
	return ""
}

// endpointOf is where the exporter sends logs, for messages.
func endpointOf(cfg *collectorConfig, id component.ID) string {
	if e := cfg.str("exporters", id, "logs_endpoint"); e != "" {
		return e
	}
	e := cfg.str("exporters", id, "endpoint")
	if e == "" {
		return "(no endpoint)"
	}
	if strings.Contains(id.Type().String(), "http") {
		return strings.TrimSuffix(e, "/") + "/v1/logs"
	}
	return e
}

// testRecord is one INFO record saying what it is, marked with
// k8s502.doctor=true. It carries no k8s502.outcome, so a gateway's
// correlate502 passes it through unjudged and no incident counts it.
func testRecord(id component.ID) plog.Logs {
	ld := plog.NewLogs()
	rl := ld.ResourceLogs().AppendEmpty()
	rl.Resource().Attributes().PutStr("service.name", "k8s502-doctor")
	if host, err := os.Hostname(); err == nil {
		rl.Resource().Attributes().PutStr("host.name", host)
	}
	sl := rl.ScopeLogs().AppendEmpty()
	sl.Scope().SetName("github.com/k8s502/otelcol-k8s502/cmd/k8s502-doctor")
	lr := sl.LogRecords().AppendEmpty()
	now := pcommon.NewTimestampFromTime(time.Now())
	lr.SetTimestamp(now)
	lr.SetObservedTimestamp(now)
	lr.SetSeverityNumber(plog.SeverityNumberInfo)
	lr.SetSeverityText("INFO")
	lr.Body().SetStr("k8s502-doctor test record: this collector's exporter reaches the backend; safe to ignore")
	lr.Attributes().PutBool(DoctorAttribute, true)
	lr.Attributes().PutStr(DoctorAttribute+".exporter", id.String())
	return ld
}

// Package bench compares the k8s502 receiver with what a user would build
// from stock contrib components (filelog receiver with the container and
// regex_parser operators, then the filter processor), in one process, on the
// same 201,527-line ingress-nginx CRI file. See README.md.
package bench

import (
	"context"
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	"github.com/open-telemetry/opentelemetry-collector-contrib/processor/filterprocessor"
	"github.com/open-telemetry/opentelemetry-collector-contrib/receiver/filelogreceiver"
	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/component/componenttest"
	"go.opentelemetry.io/collector/confmap"
	"go.opentelemetry.io/collector/consumer"
	"go.opentelemetry.io/collector/consumer/consumertest"
	"go.opentelemetry.io/collector/pdata/plog"
	"go.opentelemetry.io/collector/processor/processortest"
	"go.opentelemetry.io/collector/receiver/receivertest"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"

	"github.com/k8s502/otelcol-k8s502/receiver/k8s502receiver"
)

// receiverRecords is what the k8s502 receiver emits for the bench file:
// the 1,740 failed requests plus the 94 that recovered ("502, 200").
const receiverRecords = failedLines + 94

// pollInterval is set alike for both pipelines: fileconsumer first looks
// for files one interval after Start, and the default (200 ms) would be a
// large share of the receiver's whole run.
const pollInterval = 10 * time.Millisecond

// BenchmarkK8s502Receiver runs the whole receiver: Start, read the file from
// the beginning, Shutdown (which flushes the join). The clock runs from
// Start until the receiver has read every line and Shutdown has returned.
func BenchmarkK8s502Receiver(b *testing.B) {
	data, _ := load(b)
	path := writeFile(b, data)
	ctx := context.Background()
	factory := k8s502receiver.NewFactory()
	b.ReportAllocs()
	b.ResetTimer()
	var elapsed time.Duration
	for range b.N {
		b.StopTimer()
		tel := componenttest.NewTelemetry()
		cfg := factory.CreateDefaultConfig().(*k8s502receiver.Config)
		cfg.Include = []string{path}
		cfg.StartAt = "beginning"
		cfg.PollInterval = pollInterval
		if err := cfg.Validate(); err != nil {
			b.Fatal(err)
		}
		set := receivertest.NewNopSettings(factory.Type())
		set.TelemetrySettings = tel.NewTelemetrySettings()
		sink := new(consumertest.LogsSink)
		rcv, err := factory.CreateLogs(ctx, set, cfg, sink)
		if err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
		start := time.Now()
		if err := rcv.Start(ctx, componenttest.NewNopHost()); err != nil {
			b.Fatal(err)
		}
		waitUntil(b, "the receiver to read every line", func() bool {
			return counterValue(tel, "otelcol_k8s502_receiver_lines_read") >= totalLines
		})
		if err := rcv.Shutdown(ctx); err != nil {
			b.Fatal(err)
		}
		elapsed += time.Since(start)
		b.StopTimer()
		if n := sink.LogRecordCount(); n != receiverRecords {
			b.Fatalf("%d records, want %d", n, receiverRecords)
		}
		_ = tel.Shutdown(ctx)
		b.StartTimer()
	}
	reportLinesPerSecond(b, elapsed)
}

// counterValue reads a cumulative int64 counter; 0 until it is first set.
func counterValue(tel *componenttest.Telemetry, name string) int64 {
	m, err := tel.GetMetric(name)
	if err != nil {
		return 0
	}
	sum, ok := m.Data.(metricdata.Sum[int64])
	if !ok {
		return 0
	}
	var total int64
	for _, dp := range sum.DataPoints {
		total += dp.Value
	}
	return total
}

// accessRegex captures every field of ingress-nginx's default log format,
// as a user following the ingress-nginx docs would write it. The upstream
// fields hold one value per attempt, joined by ", ".
const accessRegex = `^(?P<remote_addr>\S+) - (?P<remote_user>\S+) \[(?P<time_local>[^\]]+)\] "(?P<request>[^"]*)" ` +
	`(?P<status>\d{3}) (?P<body_bytes_sent>\d+) "(?P<http_referer>[^"]*)" "(?P<http_user_agent>[^"]*)" ` +
	`(?P<request_length>\d+) (?P<request_time>\S+) \[(?P<proxy_upstream_name>[^\]]*)\] \[(?P<proxy_alternative_upstream_name>[^\]]*)\] ` +
	`(?P<upstream_addr>[^ ,]+(?:, [^ ,]+)*) (?P<upstream_response_length>[^ ,]+(?:, [^ ,]+)*) ` +
	`(?P<upstream_response_time>[^ ,]+(?:, [^ ,]+)*) (?P<upstream_status>[^ ,]+(?:, [^ ,]+)*) (?P<req_id>\S+)$`

// dropUnlessFailed is the filter processor's condition: drop every record
// whose final status is not 502, 503 or 504 (stderr lines have none).
const dropUnlessFailed = `attributes["status"] != "502" and attributes["status"] != "503" and attributes["status"] != "504"`

// countingConsumer counts the records the filelog receiver delivers, which
// is how the benchmark knows the file has been read.
type countingConsumer struct {
	next  consumer.Logs
	count atomic.Int64
}

func (c *countingConsumer) Capabilities() consumer.Capabilities {
	return consumer.Capabilities{MutatesData: true}
}

func (c *countingConsumer) ConsumeLogs(ctx context.Context, ld plog.Logs) error {
	n := int64(ld.LogRecordCount())
	err := c.next.ConsumeLogs(ctx, ld)
	c.count.Add(n)
	return err
}

// BenchmarkPeerPipeline is the stock-parts equivalent: filelog receiver
// (start_at beginning, container operator, regex_parser for the access
// line) into the filter processor (OTTL: keep 502/503/504) into a sink.
// The clock runs from Start until every line has passed the filter and
// Shutdown has returned.
func BenchmarkPeerPipeline(b *testing.B) {
	data, _ := load(b)
	path := writeFile(b, data)
	ctx := context.Background()
	flFactory := filelogreceiver.NewFactory()
	fpFactory := filterprocessor.NewFactory()
	b.ReportAllocs()
	b.ResetTimer()
	var elapsed time.Duration
	for range b.N {
		b.StopTimer()
		flCfg := flFactory.CreateDefaultConfig()
		unmarshal(b, flCfg, map[string]any{
			"include":           []string{path},
			"start_at":          "beginning",
			"include_file_path": true,
			"poll_interval":     pollInterval.String(),
			"operators": []any{
				map[string]any{"type": "container"},
				map[string]any{"type": "regex_parser", "regex": accessRegex, "on_error": "send_quiet"},
			},
		})
		fpCfg := fpFactory.CreateDefaultConfig()
		unmarshal(b, fpCfg, map[string]any{
			"error_mode": "ignore",
			"logs":       map[string]any{"log_record": []string{dropUnlessFailed}},
		})
		sink := new(consumertest.LogsSink)
		proc, err := fpFactory.CreateLogs(ctx, processortest.NewNopSettings(fpFactory.Type()), fpCfg, sink)
		if err != nil {
			b.Fatal(err)
		}
		counter := &countingConsumer{next: proc}
		rcv, err := flFactory.CreateLogs(ctx, receivertest.NewNopSettings(flFactory.Type()), flCfg, counter)
		if err != nil {
			b.Fatal(err)
		}
		host := componenttest.NewNopHost()
		if err := proc.Start(ctx, host); err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
		start := time.Now()
		if err := rcv.Start(ctx, host); err != nil {
			b.Fatal(err)
		}
		waitUntil(b, "the filelog receiver to deliver every line", func() bool {
			return counter.count.Load() >= totalLines
		})
		if err := rcv.Shutdown(ctx); err != nil {
			b.Fatal(err)
		}
		elapsed += time.Since(start)
		b.StopTimer()
		if err := proc.Shutdown(ctx); err != nil {
			b.Fatal(err)
		}
		if n := sink.LogRecordCount(); n != failedLines {
			b.Fatalf("%d records, want %d", n, failedLines)
		}
		b.StartTimer()
	}
	reportLinesPerSecond(b, elapsed)
}

func unmarshal(b *testing.B, cfg component.Config, m map[string]any) {
	b.Helper()
	if err := confmap.NewFromStringMap(m).Unmarshal(cfg); err != nil {
		b.Fatal(fmt.Errorf("config: %w", err))
	}
	if v, ok := cfg.(interface{ Validate() error }); ok {
		if err := v.Validate(); err != nil {
			b.Fatal(err)
		}
	}
}

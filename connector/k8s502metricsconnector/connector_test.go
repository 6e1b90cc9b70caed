package k8s502metricsconnector

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/open-telemetry/opentelemetry-collector-contrib/pkg/pdatatest/pmetrictest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/component/componenttest"
	"go.opentelemetry.io/collector/connector"
	"go.opentelemetry.io/collector/connector/connectortest"
	"go.opentelemetry.io/collector/consumer"
	"go.opentelemetry.io/collector/consumer/consumertest"
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/plog"
	"go.opentelemetry.io/collector/pdata/pmetric"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
	"go.uber.org/zap/zaptest/observer"

	"github.com/k8s502/otelcol-k8s502/connector/k8s502metricsconnector/internal/metadata"
	"github.com/k8s502/otelcol-k8s502/internal/schema"
)

// rec is one log record's string attributes, written with the schema's
// literal names: they are the contract with the receiver and processor.
type rec map[string]string

func logsOf(recs ...rec) plog.Logs {
	ld := plog.NewLogs()
	rl := ld.ResourceLogs().AppendEmpty()
	// The controller pod's namespace: it must not become the metric's namespace.
	rl.Resource().Attributes().PutStr("k8s.namespace.name", "ingress-nginx")
	lrs := rl.ScopeLogs().AppendEmpty().LogRecords()
	for _, r := range recs {
		a := lrs.AppendEmpty().Attributes()
		for k, v := range r {
			a.PutStr(k, v)
		}
	}
	return ld
}

// pt is one expected data point.
type pt struct {
	ns, svc, cause, gateway, outcome string
	n                                int64
}

// want builds the expected output by hand (not with buildMetrics), from the
// names a user's queries see.
func want(set connector.Settings, pts []pt, overflow int64) pmetric.Metrics {
	md := pmetric.NewMetrics()
	rm := md.ResourceMetrics().AppendEmpty()
	set.Resource.CopyTo(rm.Resource())
	sm := rm.ScopeMetrics().AppendEmpty()
	sm.Scope().SetName("github.com/k8s502/otelcol-k8s502/connector/k8s502metricsconnector")
	sm.Scope().SetVersion(set.BuildInfo.Version)
	m := sm.Metrics().AppendEmpty()
	m.SetName("k8s502.requests.failed")
	m.SetUnit("{request}")
	m.SetDescription(metricDescription)
	sum := m.SetEmptySum()
	sum.SetIsMonotonic(true)
	sum.SetAggregationTemporality(pmetric.AggregationTemporalityCumulative)
	for _, p := range pts {
		dp := sum.DataPoints().AppendEmpty()
		dp.SetIntValue(p.n)
		a := dp.Attributes()
		a.PutStr("k8s.namespace.name", p.ns)
		a.PutStr("k8s.service.name", p.svc)
		a.PutStr("k8s502.cause", p.cause)
		a.PutStr("k8s502.gateway", p.gateway)
		a.PutStr("k8s502.outcome", p.outcome)
	}
	if overflow > 0 {
		dp := sum.DataPoints().AppendEmpty()
		dp.SetIntValue(overflow)
		dp.Attributes().PutBool("otel.metric.overflow", true)
	}
	return md
}

func settings() connector.Settings {
	set := connectortest.NewNopSettings(metadata.Type)
	// The collector's own identity becomes the metrics' resource.
	set.Resource = pcommon.NewResource()
	set.Resource.Attributes().PutStr("service.name", "otelcol-k8s502")
	set.Resource.Attributes().PutStr("service.instance.id", "gateway-0")
	return set
}

func startConnector(t *testing.T, set connector.Settings, cfg *Config, next consumer.Metrics) connector.Logs {
	t.Helper()
	require.NoError(t, cfg.Validate())
	c, err := NewFactory().CreateLogsToMetrics(context.Background(), set, cfg, next)
	require.NoError(t, err)
	require.NoError(t, c.Start(context.Background(), componenttest.NewNopHost()))
	return c
}

// hour is an interval no test waits for: only Shutdown emits.
var hour = &Config{Interval: time.Hour, MaxSeries: 10000}

func checkout(outcome string) rec {
	return rec{
		"k8s502.outcome": outcome, "k8s502.gateway": "ingress-nginx", "k8s502.cause": "pod_crash",
		"k8s502.target.namespace": "shop", "k8s502.target.service": "checkout",
		"k8s502.upstream.name": "shop-checkout-8080",
	}
}

func TestCountsRecordsByTargetCauseGatewayOutcome(t *testing.T) {
	set := settings()
	sink := new(consumertest.MetricsSink)
	c := startConnector(t, set, hour, sink)

	ld := logsOf(
		checkout("failed"),
		checkout("failed"),
		checkout("recovered"),
		// No target: the Service the gateway named (HAProxy backend).
		rec{
			"k8s502.outcome": "failed", "k8s502.gateway": "haproxy", "k8s502.cause": "no_endpoints",
			"k8s502.upstream.service.namespace": "payments", "k8s502.upstream.service.name": "ledger",
		},
		// A target wins over the gateway's Service, both fields from the target.
		rec{
			"k8s502.outcome": "failed", "k8s502.gateway": "envoy", "k8s502.cause": "upstream_timeout",
			"k8s502.target.namespace": "shop", "k8s502.target.service": "cart",
			"k8s502.upstream.service.namespace": "other", "k8s502.upstream.service.name": "cart-canary",
		},
		// A target pod without a Service: the namespace only.
		rec{"k8s502.outcome": "failed", "k8s502.gateway": "nginx", "k8s502.cause": "pod_crash", "k8s502.target.namespace": "batch"},
		// Not judged (the connector sat before correlate502) and no Service named: empty strings.
		rec{"k8s502.outcome": "failed", "k8s502.gateway": "traefik"},
		rec{"k8s502.outcome": "failed"},
		// The processor judged it and could not tell: its own value, unchanged.
		rec{"k8s502.outcome": "unmatched", "k8s502.gateway": "ingress-nginx", "k8s502.cause": "unknown"},
		// Not k8s502 records: an event from k8sobjects, and a record with only a cause.
		rec{"k8s.namespace.name": "shop", "reason": "BackOff"},
		rec{"k8s502.cause": "pod_crash", "k8s502.target.namespace": "shop"},
	)
	// The processor's incident record sums up many requests: not one to count.
	incident := ld.ResourceLogs().At(0).ScopeLogs().At(0).LogRecords().AppendEmpty()
	incident.SetEventName(schema.EventNameIncident)
	incident.Attributes().PutStr("event.name", schema.EventNameIncident)
	for k, v := range checkout("failed") {
		incident.Attributes().PutStr(k, v)
	}
	ld.MarkReadOnly() // the connector only reads; pdata panics on a write
	require.NoError(t, c.ConsumeLogs(context.Background(), ld))
	require.NoError(t, c.ConsumeLogs(context.Background(), logsOf(checkout("failed"))))
	assert.Empty(t, sink.AllMetrics(), "nothing before the interval or shutdown")

	require.NoError(t, c.Shutdown(context.Background()))
	require.Len(t, sink.AllMetrics(), 1)
	got := sink.AllMetrics()[0]
	expected := want(set, []pt{
		{"shop", "checkout", "pod_crash", "ingress-nginx", "failed", 3},
		{"shop", "checkout", "pod_crash", "ingress-nginx", "recovered", 1},
		{"payments", "ledger", "no_endpoints", "haproxy", "failed", 1},
		{"shop", "cart", "upstream_timeout", "envoy", "failed", 1},
		{"batch", "", "pod_crash", "nginx", "failed", 1},
		{"", "", "", "traefik", "failed", 1},
		{"", "", "", "", "failed", 1},
		{"", "", "unknown", "ingress-nginx", "unmatched", 1},
	}, 0)
	require.NoError(t, pmetrictest.CompareMetrics(expected, got, pmetrictest.IgnoreTimestamp(), pmetrictest.IgnoreStartTimestamp()))
	checkTimes(t, got)
}

// checkTimes: every point starts at the connector's start and ends after it.
func checkTimes(t *testing.T, md pmetric.Metrics) {
	t.Helper()
	dps := md.ResourceMetrics().At(0).ScopeMetrics().At(0).Metrics().At(0).Sum().DataPoints()
	start := dps.At(0).StartTimestamp()
	require.NotZero(t, start)
	for i := 0; i < dps.Len(); i++ {
		assert.Equal(t, start, dps.At(i).StartTimestamp())
		assert.GreaterOrEqual(t, dps.At(i).Timestamp(), start)
	}
}

func TestOverflowSeries(t *testing.T) {
	set := settings()
	core, logs := observer.New(zapcore.WarnLevel)
	set.Logger = zap.New(core)
	sink := new(consumertest.MetricsSink)
	c := startConnector(t, set, &Config{Interval: time.Hour, MaxSeries: 2}, sink)

	ctx := context.Background()
	require.NoError(t, c.ConsumeLogs(ctx, logsOf(checkout("failed"), checkout("recovered"))))
	// Full: new sets go to the overflow series, known ones keep counting.
	require.NoError(t, c.ConsumeLogs(ctx, logsOf(
		rec{"k8s502.outcome": "failed", "k8s502.cause": "no_endpoints"},
		rec{"k8s502.outcome": "truncated"},
		checkout("failed"),
	)))
	require.NoError(t, c.ConsumeLogs(ctx, logsOf(rec{"k8s502.outcome": "failed", "k8s502.cause": "no_endpoints"})))
	require.NoError(t, c.Shutdown(ctx))

	require.Len(t, sink.AllMetrics(), 1)
	expected := want(set, []pt{
		{"shop", "checkout", "pod_crash", "ingress-nginx", "failed", 2},
		{"shop", "checkout", "pod_crash", "ingress-nginx", "recovered", 1},
	}, 3)
	require.NoError(t, pmetrictest.CompareMetrics(expected, sink.AllMetrics()[0], pmetrictest.IgnoreTimestamp(), pmetrictest.IgnoreStartTimestamp()))
	checkTimes(t, sink.AllMetrics()[0])
	warn := logs.FilterMessageSnippet("max_series").All()
	require.Len(t, warn, 1, "warned once, not per record")
	assert.Equal(t, int64(2), warn[0].ContextMap()["max_series"])
}

func TestEmitsCumulativeEveryInterval(t *testing.T) {
	set := settings()
	sink := new(consumertest.MetricsSink)
	c := startConnector(t, set, &Config{Interval: 10 * time.Millisecond, MaxSeries: 10}, sink)
	ctx := context.Background()

	time.Sleep(30 * time.Millisecond)
	assert.Empty(t, sink.AllMetrics(), "nothing counted, nothing sent")

	require.NoError(t, c.ConsumeLogs(ctx, logsOf(checkout("failed"))))
	require.Eventually(t, func() bool { return sink.DataPointCount() >= 2 }, 5*time.Second, 5*time.Millisecond,
		"the same count again each interval")
	require.NoError(t, c.ConsumeLogs(ctx, logsOf(checkout("failed"))))
	require.Eventually(t, func() bool { return lastValue(sink) == 2 }, 5*time.Second, 5*time.Millisecond)
	require.NoError(t, c.Shutdown(ctx))

	all := sink.AllMetrics()
	first := all[0].ResourceMetrics().At(0).ScopeMetrics().At(0).Metrics().At(0).Sum().DataPoints().At(0)
	prev := int64(0)
	prevTS := pcommon.Timestamp(0)
	for _, md := range all {
		dp := md.ResourceMetrics().At(0).ScopeMetrics().At(0).Metrics().At(0).Sum().DataPoints().At(0)
		assert.Equal(t, first.StartTimestamp(), dp.StartTimestamp(), "start time is the connector's start")
		assert.GreaterOrEqual(t, dp.IntValue(), prev, "cumulative")
		assert.GreaterOrEqual(t, dp.Timestamp(), prevTS)
		prev, prevTS = dp.IntValue(), dp.Timestamp()
	}
	assert.Equal(t, int64(2), prev, "the shutdown emission is the last and has everything")
}

func lastValue(sink *consumertest.MetricsSink) int64 {
	all := sink.AllMetrics()
	if len(all) == 0 {
		return 0
	}
	return all[len(all)-1].ResourceMetrics().At(0).ScopeMetrics().At(0).Metrics().At(0).Sum().DataPoints().At(0).IntValue()
}

func TestShutdown(t *testing.T) {
	ctx := context.Background()
	t.Run("nothing counted, nothing sent", func(t *testing.T) {
		sink := new(consumertest.MetricsSink)
		c := startConnector(t, settings(), hour, sink)
		require.NoError(t, c.ConsumeLogs(ctx, logsOf(rec{"reason": "BackOff"})))
		require.NoError(t, c.Shutdown(ctx))
		assert.Empty(t, sink.AllMetrics())
	})
	t.Run("twice sends once", func(t *testing.T) {
		sink := new(consumertest.MetricsSink)
		c := startConnector(t, settings(), hour, sink)
		require.NoError(t, c.ConsumeLogs(ctx, logsOf(checkout("failed"))))
		require.NoError(t, c.Shutdown(ctx))
		require.NoError(t, c.Shutdown(ctx))
		assert.Len(t, sink.AllMetrics(), 1)
	})
	t.Run("a refused send is only logged", func(t *testing.T) {
		set := settings()
		core, logs := observer.New(zapcore.WarnLevel)
		set.Logger = zap.New(core)
		c := startConnector(t, set, hour, consumertest.NewErr(errors.New("queue is full")))
		require.NoError(t, c.ConsumeLogs(ctx, logsOf(checkout("failed"))))
		require.NoError(t, c.Shutdown(ctx))
		assert.Equal(t, 1, logs.FilterMessageSnippet("next interval").Len())
	})
	t.Run("a blocked metrics pipeline does not hold shutdown", func(t *testing.T) {
		blocked := consumerFunc(func(ctx context.Context, _ pmetric.Metrics) error {
			<-ctx.Done()
			return ctx.Err()
		})
		c := startConnector(t, settings(), &Config{Interval: time.Millisecond, MaxSeries: 10}, blocked)
		require.NoError(t, c.ConsumeLogs(ctx, logsOf(checkout("failed"))))
		time.Sleep(20 * time.Millisecond) // an emission is now waiting on the pipeline
		sctx, cancel := context.WithTimeout(ctx, 50*time.Millisecond)
		defer cancel()
		require.NoError(t, c.Shutdown(sctx))
	})
}

type consumerFunc func(context.Context, pmetric.Metrics) error

func (f consumerFunc) ConsumeMetrics(ctx context.Context, md pmetric.Metrics) error {
	return f(ctx, md)
}
func (consumerFunc) Capabilities() consumer.Capabilities { return consumer.Capabilities{} }

func TestConcurrentConsumeAndEmit(t *testing.T) {
	sink := new(consumertest.MetricsSink)
	c := startConnector(t, settings(), &Config{Interval: time.Millisecond, MaxSeries: 3}, sink)
	causes := []string{"pod_crash", "no_endpoints", "readiness_probe", "upstream_timeout", "rollout_gap"}
	const workers, batches = 8, 200
	var wg sync.WaitGroup
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			for b := 0; b < batches; b++ {
				r := checkout("failed")
				r["k8s502.cause"] = causes[(w+b)%len(causes)]
				assert.NoError(t, c.ConsumeLogs(context.Background(), logsOf(r, rec{"reason": "BackOff"}, r)))
			}
		}(w)
	}
	wg.Wait()
	require.NoError(t, c.Shutdown(context.Background()))

	all := sink.AllMetrics()
	require.NotEmpty(t, all)
	last := all[len(all)-1].ResourceMetrics().At(0).ScopeMetrics().At(0).Metrics().At(0).Sum().DataPoints()
	var total int64
	overflow := false
	for i := 0; i < last.Len(); i++ {
		total += last.At(i).IntValue()
		_, ok := last.At(i).Attributes().Get("otel.metric.overflow")
		overflow = overflow || ok
	}
	assert.Equal(t, int64(workers*batches*2), total, "every k8s502 record counted once")
	assert.Equal(t, 4, last.Len(), "max_series 3 plus the overflow series")
	assert.True(t, overflow)
}

package correlate502processor

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/component/componenttest"
	"go.opentelemetry.io/collector/pdata/plog"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
	"go.opentelemetry.io/otel/sdk/metric/metricdata/metricdatatest"

	"github.com/k8s502/otelcol-k8s502/internal/schema"
	"github.com/k8s502/otelcol-k8s502/processor/correlate502processor/internal/metadatatest"
)

func dp(v int64, kv ...attribute.KeyValue) metricdata.DataPoint[int64] {
	return metricdata.DataPoint[int64]{Attributes: attribute.NewSet(kv...), Value: v}
}

// TestTelemetry: five records arrive while max_pending is 2; the three
// oldest leave at once, unjudged, cause unknown, with the reason; the two
// left are judged at shutdown. Evidence is counted by kind.
func TestTelemetry(t *testing.T) {
	tel := componenttest.NewTelemetry()
	defer func() { require.NoError(t, tel.Shutdown(context.Background())) }()
	t0 := time.Now().Truncate(time.Second)
	cfg := noCluster()
	cfg.DecisionWait = time.Minute
	cfg.MaxPending = 2
	p := newPair(t, cfg, metadatatest.NewSettings(tel))
	ctx := context.Background()

	require.NoError(t, p.logs.ConsumeLogs(ctx, sceneLogs(t, t0)))
	req := t0.Add(2 * time.Second)
	ld := plog.NewLogs()
	appendBackOff(ld, scenePodA, req.Add(time.Second))
	require.NoError(t, p.logs.ConsumeLogs(ctx, ld))
	require.NoError(t, p.metrics.ConsumeMetrics(ctx, restarts(scenePodA, 3, req)))
	metadatatest.AssertEqualCorrelate502EvidenceIndexed(t, tel, []metricdata.DataPoint[int64]{
		dp(2, attribute.String("kind", "Pod")),
		dp(1, attribute.String("kind", "Service")),
		dp(1, attribute.String("kind", "EndpointSlice")),
		dp(1, attribute.String("kind", "Event")),
		dp(1, attribute.String("kind", "restart")),
	}, metricdatatest.IgnoreTimestamp())

	ld = plog.NewLogs()
	addrs := []string{sceneIPB, sceneIPB, sceneIPB, sceneIPB, sceneIPA}
	for i, ip := range addrs {
		appendFailed(ld, req.Add(time.Duration(i)*time.Millisecond), ip+":8080")
	}
	require.NoError(t, p.logs.ConsumeLogs(ctx, ld))

	early := p.out.AllLogs()
	var out []plog.LogRecord
	for _, l := range early {
		for i := 0; i < l.ResourceLogs().Len(); i++ {
			lrs := l.ResourceLogs().At(i).ScopeLogs().At(0).LogRecords()
			for k := 0; k < lrs.Len(); k++ {
				if isK8s502Record(lrs.At(k)) {
					out = append(out, lrs.At(k))
				}
			}
		}
	}
	require.Len(t, out, 3, "released early, not dropped")
	for i, lr := range out {
		assert.Equal(t, req.Add(time.Duration(i)*time.Millisecond).UnixNano(), lr.Timestamp().AsTime().UnixNano(), "oldest first")
		assert.Equal(t, schema.CauseUnknown, str(lr.Attributes(), schema.Cause))
		assert.Contains(t, evidenceOf(lr), "max_pending (2)")
	}
	metadatatest.AssertEqualCorrelate502RecordsReleasedEarly(t, tel, []metricdata.DataPoint[int64]{dp(3)}, metricdatatest.IgnoreTimestamp())
	metadatatest.AssertEqualCorrelate502RecordsPending(t, tel, []metricdata.DataPoint[int64]{dp(2)}, metricdatatest.IgnoreTimestamp())
	metadatatest.AssertEqualCorrelate502RecordsAnnotated(t, tel, []metricdata.DataPoint[int64]{
		dp(3, attribute.String("cause", schema.CauseUnknown)),
	}, metricdatatest.IgnoreTimestamp())

	p.shutdown(t)
	// Judged at shutdown: pod B had nothing wrong (unknown), pod A crashed.
	metadatatest.AssertEqualCorrelate502RecordsAnnotated(t, tel, []metricdata.DataPoint[int64]{
		dp(4, attribute.String("cause", schema.CauseUnknown)),
		dp(1, attribute.String("cause", schema.CausePodCrash)),
	}, metricdatatest.IgnoreTimestamp())
	metadatatest.AssertEqualCorrelate502RecordsReleasedEarly(t, tel, []metricdata.DataPoint[int64]{dp(3)}, metricdatatest.IgnoreTimestamp())
	recs := p.records()
	assert.Equal(t, schema.CausePodCrash, str(recs[sceneIPA+":8080"].Attributes(), schema.Cause))
}

// TestTelemetryDecisionWaitZero: judged at once, nothing pending.
func TestTelemetryDecisionWaitZero(t *testing.T) {
	tel := componenttest.NewTelemetry()
	defer func() { require.NoError(t, tel.Shutdown(context.Background())) }()
	cfg := noCluster()
	cfg.DecisionWait = 0
	p := newPair(t, cfg, metadatatest.NewSettings(tel))
	defer p.shutdown(t)

	ld := plog.NewLogs()
	appendFailed(ld, time.Now(), sceneIPA+":8080")
	appendFailed(ld, time.Now(), sceneIPB+":8080")
	require.NoError(t, p.logs.ConsumeLogs(context.Background(), ld))
	metadatatest.AssertEqualCorrelate502RecordsAnnotated(t, tel, []metricdata.DataPoint[int64]{
		dp(2, attribute.String("cause", schema.CauseUnknown)),
	}, metricdatatest.IgnoreTimestamp())
	metadatatest.AssertEqualCorrelate502RecordsPending(t, tel, []metricdata.DataPoint[int64]{dp(0)}, metricdatatest.IgnoreTimestamp())
	_, err := tel.GetMetric("otelcol_correlate502_records_released_early")
	assert.Error(t, err, "nothing released early")
}

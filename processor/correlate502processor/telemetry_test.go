package correlate502processor

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/component/componenttest"
	"go.opentelemetry.io/collector/consumer/consumererror"
	"go.opentelemetry.io/collector/pdata/plog"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
	"go.opentelemetry.io/otel/sdk/metric/metricdata/metricdatatest"

	"github.com/k8s502/otelcol-k8s502/internal/schema"
	"github.com/k8s502/otelcol-k8s502/processor/correlate502processor/internal/metadatatest"
	"github.com/k8s502/otelcol-k8s502/processor/correlate502processor/internal/pending"
)

func dp(v int64, kv ...attribute.KeyValue) metricdata.DataPoint[int64] {
	return metricdata.DataPoint[int64]{Attributes: attribute.NewSet(kv...), Value: v}
}

// TestTelemetry: two records wait while max_pending is 2; a third batch is
// refused with a retryable error (the sender slows down; nothing leaves
// unjudged) and counted; the two are judged at shutdown. Evidence is
// counted by kind.
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
	appendFailed(ld, req, sceneIPB+":8080")
	appendFailed(ld, req.Add(time.Millisecond), sceneIPA+":8080")
	require.NoError(t, p.logs.ConsumeLogs(ctx, ld))
	ld = plog.NewLogs()
	for i := range 3 {
		appendFailed(ld, req.Add(time.Duration(2+i)*time.Millisecond), sceneIPB+":8080")
	}
	err := p.logs.ConsumeLogs(ctx, ld)
	require.ErrorIs(t, err, pending.ErrFull)
	assert.False(t, consumererror.IsPermanent(err), "the sender must retry")
	assert.Empty(t, p.records(), "nothing released before decision_wait")
	metadatatest.AssertEqualCorrelate502BatchesRefused(t, tel, []metricdata.DataPoint[int64]{dp(1)}, metricdatatest.IgnoreTimestamp())
	metadatatest.AssertEqualCorrelate502RecordsPending(t, tel, []metricdata.DataPoint[int64]{dp(2)}, metricdatatest.IgnoreTimestamp())

	p.shutdown(t)
	// Judged at shutdown: pod B had nothing wrong (unknown), pod A crashed.
	metadatatest.AssertEqualCorrelate502RecordsAnnotated(t, tel, []metricdata.DataPoint[int64]{
		dp(1, attribute.String("cause", schema.CauseUnknown)),
		dp(1, attribute.String("cause", schema.CausePodCrash)),
	}, metricdatatest.IgnoreTimestamp())
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
	_, err := tel.GetMetric("otelcol_correlate502_batches_refused")
	assert.Error(t, err, "nothing refused")
}

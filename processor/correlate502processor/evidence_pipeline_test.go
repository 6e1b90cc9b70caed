package correlate502processor

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/component/componenttest"
	"go.opentelemetry.io/collector/consumer/consumertest"
	"go.opentelemetry.io/collector/pdata/plog"

	"github.com/k8s502/otelcol-k8s502/internal/schema"
)

func evidenceOf(lr plog.LogRecord) string {
	v, ok := lr.Attributes().Get(schema.Evidence)
	if !ok {
		return ""
	}
	var out []string
	for i := 0; i < v.Slice().Len(); i++ {
		out = append(out, v.Slice().At(i).AsString())
	}
	return strings.Join(out, "\n")
}

// TestSharedInstance: the restart metric goes through the metrics pipeline,
// the failed request through the logs pipeline; one component ID is one
// state, so the metric explains the request.
func TestSharedInstance(t *testing.T) {
	t0 := time.Now().Truncate(time.Second)
	cfg := noCluster()
	cfg.DecisionWait = 0
	p := newPair(t, cfg, nopSettings())
	defer p.shutdown(t)
	ctx := context.Background()

	require.NoError(t, p.logs.ConsumeLogs(ctx, sceneLogs(t, t0)))
	require.NoError(t, p.metrics.ConsumeMetrics(ctx, restarts(scenePodA, 3, t0.Add(time.Second))))
	ld := plog.NewLogs()
	appendFailed(ld, t0.Add(2*time.Second), sceneIPA+":8080")
	appendFailed(ld, t0.Add(2*time.Second), sceneIPB+":8080")
	require.NoError(t, p.logs.ConsumeLogs(ctx, ld))

	assert.Equal(t, 4+2, requestRecords(p.out.AllLogs()), "object records pass through, k8s502 records come out")
	recs := p.records()
	require.Len(t, recs, 2)
	a := recs[sceneIPA+":8080"].Attributes()
	assert.Equal(t, schema.CausePodCrash, str(a, schema.Cause), evidenceOf(recs[sceneIPA+":8080"]))
	assert.Equal(t, scenePodA, str(a, schema.TargetPod))
	assert.Equal(t, "checkout", str(a, schema.TargetService))
	assert.Contains(t, evidenceOf(recs[sceneIPA+":8080"]), "restart metric")
	assert.Contains(t, evidenceOf(recs[sceneIPA+":8080"]), "OOMKilled")
	assert.NotContains(t, evidenceOf(recs[sceneIPA+":8080"]), "no cluster state")
	b := recs[sceneIPB+":8080"].Attributes()
	assert.Equal(t, scenePodB, str(b, schema.TargetPod))
	assert.NotEqual(t, schema.CausePodCrash, str(b, schema.Cause), "no restart of pod B")
}

// TestSeparateIDsDoNotShare: two component IDs are two states, even from
// one factory.
func TestSeparateIDsDoNotShare(t *testing.T) {
	t0 := time.Now().Truncate(time.Second)
	cfg := noCluster()
	cfg.DecisionWait = 0
	ctx := context.Background()
	f := NewFactory()
	p := &pair{out: new(consumertest.LogsSink)}
	var err error
	p.logs, err = f.CreateLogs(ctx, nopSettings(), cfg, p.out)
	require.NoError(t, err)
	other := nopSettings()
	other.ID = component.MustNewIDWithName("correlate502", "other")
	p.metrics, err = f.CreateMetrics(ctx, other, cfg, consumertest.NewNop())
	require.NoError(t, err)
	require.NoError(t, p.logs.Start(ctx, componenttest.NewNopHost()))
	require.NoError(t, p.metrics.Start(ctx, componenttest.NewNopHost()))
	defer p.shutdown(t)

	require.NoError(t, p.logs.ConsumeLogs(ctx, sceneLogs(t, t0)))
	require.NoError(t, p.metrics.ConsumeMetrics(ctx, restarts(scenePodA, 3, t0.Add(time.Second))))
	ld := plog.NewLogs()
	appendFailed(ld, t0.Add(2*time.Second), sceneIPA+":8080")
	require.NoError(t, p.logs.ConsumeLogs(ctx, ld))
	a := p.records()[sceneIPA+":8080"].Attributes()
	assert.NotEqual(t, schema.CausePodCrash, str(a, schema.Cause), "the restart went to another instance")
}

// TestDecisionWait: a record is held; a BackOff event recorded after the
// failure, while the record waits, decides its cause.
func TestDecisionWait(t *testing.T) {
	t0 := time.Now().Truncate(time.Second)
	cfg := noCluster()
	cfg.DecisionWait = time.Second
	p := newPair(t, cfg, nopSettings())
	defer p.shutdown(t)
	ctx := context.Background()

	require.NoError(t, p.logs.ConsumeLogs(ctx, sceneLogs(t, t0)))
	req := t0.Add(2 * time.Second)
	ld := plog.NewLogs()
	appendFailed(ld, req, sceneIPA+":8080")
	appendFailed(ld, req, sceneIPB+":8080")
	require.NoError(t, p.logs.ConsumeLogs(ctx, ld))
	assert.Empty(t, p.records(), "held for decision_wait")

	// The kubelet reports the back-off a moment after the failure.
	ld = plog.NewLogs()
	appendBackOff(ld, scenePodA, req.Add(time.Second))
	require.NoError(t, p.logs.ConsumeLogs(ctx, ld))

	require.Eventually(t, func() bool { return len(p.records()) == 2 }, 10*time.Second, 10*time.Millisecond)
	recs := p.records()
	a := recs[sceneIPA+":8080"]
	assert.Equal(t, schema.CausePodCrash, str(a.Attributes(), schema.Cause), evidenceOf(a))
	assert.Contains(t, evidenceOf(a), "BackOff")
	assert.NotEqual(t, schema.CausePodCrash, str(recs[sceneIPB+":8080"].Attributes(), schema.Cause))
}

// TestShutdownFlushes: records still waiting when the collector stops are
// judged and sent, not dropped.
func TestShutdownFlushes(t *testing.T) {
	t0 := time.Now().Truncate(time.Second)
	cfg := noCluster()
	cfg.DecisionWait = time.Minute
	p := newPair(t, cfg, nopSettings())
	ctx := context.Background()

	require.NoError(t, p.logs.ConsumeLogs(ctx, sceneLogs(t, t0)))
	req := t0.Add(2 * time.Second)
	ld := plog.NewLogs()
	appendFailed(ld, req, sceneIPA+":8080")
	appendFailed(ld, req, sceneIPB+":8080")
	require.NoError(t, p.logs.ConsumeLogs(ctx, ld))
	ld = plog.NewLogs()
	appendBackOff(ld, scenePodA, req.Add(time.Second))
	require.NoError(t, p.logs.ConsumeLogs(ctx, ld))
	assert.Empty(t, p.records())

	// The metrics pipeline stops first: the state stays until the last.
	require.NoError(t, p.metrics.Shutdown(ctx))
	assert.Empty(t, p.records())
	require.NoError(t, p.logs.Shutdown(ctx))

	recs := p.records()
	require.Len(t, recs, 2)
	a := recs[sceneIPA+":8080"]
	assert.Equal(t, schema.CausePodCrash, str(a.Attributes(), schema.Cause), "judged, not released unjudged")
	for addr, lr := range recs {
		assert.NotContains(t, evidenceOf(lr), "released before decision_wait", addr)
		assert.Equal(t, schema.OutcomeFailed, str(lr.Attributes(), schema.Outcome), "the receiver's attributes stay")
	}
}

// TestNoClusterState: with auth_type none, no snapshot and nothing from the
// pipelines, records still flow, judged unknown, and say why.
func TestNoClusterState(t *testing.T) {
	cfg := noCluster()
	cfg.DecisionWait = 0
	p := newPair(t, cfg, nopSettings())
	defer p.shutdown(t)

	ld := plog.NewLogs()
	appendFailed(ld, time.Now(), sceneIPA+":8080")
	want := plog.NewLogs()
	ld.CopyTo(want)
	require.NoError(t, p.logs.ConsumeLogs(context.Background(), ld))

	recs := p.records()
	require.Len(t, recs, 1)
	lr := recs[sceneIPA+":8080"]
	a := lr.Attributes()
	assert.Equal(t, schema.CauseUnknown, str(a, schema.Cause))
	assert.Equal(t, schema.ConfidenceLow, str(a, schema.CauseConfidence))
	assert.Contains(t, evidenceOf(lr), "no cluster state")
	assert.NotEmpty(t, str(a, schema.Remediation))
	// Only attributes were added.
	orig := want.ResourceLogs().At(0).ScopeLogs().At(0).LogRecords().At(0)
	for k, v := range orig.Attributes().All() {
		got, ok := a.Get(k)
		if assert.True(t, ok, k) {
			assert.Equal(t, v.AsRaw(), got.AsRaw(), k)
		}
	}
	assert.Equal(t, orig.Body().AsString(), lr.Body().AsString())
	assert.Equal(t, orig.Timestamp(), lr.Timestamp())
	out := p.out.AllLogs()[0].ResourceLogs().At(0)
	assert.Equal(t, want.ResourceLogs().At(0).Resource().Attributes().AsRaw(), out.Resource().Attributes().AsRaw())
	assert.Equal(t, want.ResourceLogs().At(0).ScopeLogs().At(0).Scope().Name(), out.ScopeLogs().At(0).Scope().Name())
}

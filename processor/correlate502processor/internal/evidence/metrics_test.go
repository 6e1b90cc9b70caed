package evidence

import (
	"testing"
	"time"

	"github.com/open-telemetry/opentelemetry-collector-contrib/pkg/pdatatest/pmetrictest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/plog"
	"go.opentelemetry.io/collector/pdata/pmetric"
	"go.opentelemetry.io/collector/pdata/xpdata/entity"
	corev1 "k8s.io/api/core/v1"

	"github.com/k8s502/otelcol-k8s502/processor/correlate502processor/internal/cluster"
)

// appendRestarts appends what k8s_cluster v0.151.0 sends for one container
// with its default resource attributes: container.id is enabled, so the
// container's attributes are a k8s.container entity's, which live in the
// resource attributes like the pod's. lastReason is written only when
// k8s.container.status.last_terminated_reason is enabled (it is not by
// default): pass "" for the default.
func appendRestarts(md pmetric.Metrics, pod, container, lastReason string, restarts int64, ts time.Time) {
	rm := md.ResourceMetrics().AppendEmpty()
	res := rm.Resource()
	ent := entity.ResourceEntities(res).PutEmpty("k8s.container")
	ent.IdentifyingAttributes().PutStr("container.id", "8d2f"+pod)
	ent.DescriptiveAttributes().PutStr("k8s.container.name", container)
	ent.DescriptiveAttributes().PutStr("container.image.name", "registry.example.com/shop/checkout")
	ent.DescriptiveAttributes().PutStr("container.image.tag", "1.42.0")
	if lastReason != "" {
		ent.DescriptiveAttributes().PutStr("k8s.container.status.last_terminated_reason", lastReason)
	}
	res.Attributes().PutStr("k8s.pod.uid", "uid-"+pod)
	res.Attributes().PutStr("k8s.pod.name", pod)
	res.Attributes().PutStr("k8s.namespace.name", "shop")
	res.Attributes().PutStr("k8s.node.name", "node-a")
	sm := rm.ScopeMetrics().AppendEmpty()
	sm.Scope().SetName(clusterScope)
	sm.Scope().SetVersion("0.151.0")
	// Other container metrics come in the same scope.
	ready := sm.Metrics().AppendEmpty()
	ready.SetName("k8s.container.ready")
	dp := ready.SetEmptyGauge().DataPoints().AppendEmpty()
	dp.SetIntValue(1)
	dp.SetTimestamp(pcommon.NewTimestampFromTime(ts))
	m := sm.Metrics().AppendEmpty()
	m.SetName("k8s.container.restarts")
	m.SetUnit("{restart}")
	dp = m.SetEmptyGauge().DataPoints().AppendEmpty()
	dp.SetStartTimestamp(pcommon.NewTimestampFromTime(at(-3600)))
	dp.SetTimestamp(pcommon.NewTimestampFromTime(ts))
	dp.SetIntValue(restarts)
}

// fromMetrics runs FromMetrics and checks it left md as it was.
func fromMetrics(t *testing.T, md pmetric.Metrics, s *cluster.Store) int {
	t.Helper()
	before := pmetric.NewMetrics()
	md.CopyTo(before)
	n := FromMetrics(md, s)
	require.NoError(t, pmetrictest.CompareMetrics(before, md), "FromMetrics must not change the metrics")
	return n
}

func TestRestartsGauge(t *testing.T) {
	s := cluster.NewStore(time.Hour)
	md := pmetric.NewMetrics()
	appendRestarts(md, "checkout-abcde", "app", "OOMKilled", 3, at(0))
	appendRestarts(md, "checkout-fghij", "app", "", 0, at(0)) // never restarted
	assert.Equal(t, 1, fromMetrics(t, md, s))

	got := s.Terminations("shop", "checkout-abcde", at(-60), at(60))
	require.Len(t, got, 1)
	assert.Equal(t, "app", got[0].Container)
	assert.Equal(t, "OOMKilled", got[0].Reason)
	assert.Equal(t, int32(3), got[0].RestartCount)
	sameTime(t, at(0), got[0].Seen)
	assert.Empty(t, s.Terminations("shop", "checkout-fghij", at(-60), at(60)))

	// Every scrape reports the count again: still one restart, dated when
	// it was first seen.
	md = pmetric.NewMetrics()
	appendRestarts(md, "checkout-abcde", "app", "OOMKilled", 3, at(30))
	fromMetrics(t, md, s)
	got = s.Terminations("shop", "checkout-abcde", at(-60), at(60))
	require.Len(t, got, 1)
	sameTime(t, at(0), got[0].Seen)

	// The next restart, without the optional reason attribute.
	md = pmetric.NewMetrics()
	appendRestarts(md, "checkout-abcde", "app", "", 4, at(60))
	fromMetrics(t, md, s)
	got = s.Terminations("shop", "checkout-abcde", at(-60), at(60))
	require.Len(t, got, 2)
	assert.Equal(t, int32(4), got[1].RestartCount)
	assert.Empty(t, got[1].Reason)
}

// TestRestartsSumOnDataPoint: after a pipeline moved the attributes onto
// the data point (or a Prometheus-style source), as a double sum.
func TestRestartsSumOnDataPoint(t *testing.T) {
	s := cluster.NewStore(time.Hour)
	md := pmetric.NewMetrics()
	m := md.ResourceMetrics().AppendEmpty().ScopeMetrics().AppendEmpty().Metrics().AppendEmpty()
	m.SetName(RestartsMetric)
	sum := m.SetEmptySum()
	sum.SetIsMonotonic(true)
	sum.SetAggregationTemporality(pmetric.AggregationTemporalityCumulative)
	for i, pod := range []string{"checkout-abcde", "checkout-fghij"} {
		dp := sum.DataPoints().AppendEmpty()
		dp.Attributes().PutStr("k8s.namespace.name", "shop")
		dp.Attributes().PutStr("k8s.pod.name", pod)
		dp.Attributes().PutStr("k8s.container.name", "app")
		dp.Attributes().PutStr("k8s.container.status.last_terminated_reason", "Error")
		dp.SetDoubleValue(float64(i + 1))
		dp.SetTimestamp(pcommon.NewTimestampFromTime(at(5)))
	}
	// A data point without a pod is not a container's.
	sum.DataPoints().AppendEmpty().SetDoubleValue(1)
	assert.Equal(t, 2, fromMetrics(t, md, s))

	got := s.Terminations("shop", "checkout-fghij", at(0), at(10))
	require.Len(t, got, 1)
	assert.Equal(t, "Error", got[0].Reason)
	assert.Equal(t, int32(2), got[0].RestartCount)
}

// TestRestartsMergeWithPodStatus: the metric and the pod's status tell of
// the same restart; the store keeps one, with the status's exit details.
func TestRestartsMergeWithPodStatus(t *testing.T) {
	s := cluster.NewStore(time.Hour)
	p := fullPod("checkout-abcde", "10.1.2.3", true, at(-10))
	p.Status.ContainerStatuses[0].RestartCount = 2
	p.Status.ContainerStatuses[0].LastTerminationState = corev1.ContainerState{Terminated: &corev1.ContainerStateTerminated{
		ExitCode: 137, Reason: "OOMKilled", StartedAt: mt(at(-300)), FinishedAt: mt(at(-20)),
	}}
	ld := plog.NewLogs()
	appendWatch(t, ld, "pods", "MODIFIED", p, at(-9))
	fromLogs(t, ld, s)

	md := pmetric.NewMetrics()
	appendRestarts(md, "checkout-abcde", "app", "OOMKilled", 2, at(0))
	fromMetrics(t, md, s)

	got := s.Terminations("shop", "checkout-abcde", at(-60), at(60))
	require.Len(t, got, 1)
	assert.Equal(t, int32(137), got[0].ExitCode)
	sameTime(t, at(-20), got[0].FinishedAt)
}

func TestOtherMetricsIgnored(t *testing.T) {
	s := cluster.NewStore(time.Hour)
	md := pmetric.NewMetrics()
	appendRestarts(md, "checkout-abcde", "app", "", 3, at(0))
	ms := md.ResourceMetrics().At(0).ScopeMetrics().At(0).Metrics()
	ms.At(1).SetName("k8s.container.restarts.total") // not ours
	h := ms.AppendEmpty()
	h.SetName(RestartsMetric)
	h.SetEmptyHistogram().DataPoints().AppendEmpty().SetCount(3) // wrong type
	assert.Zero(t, fromMetrics(t, md, s))
	assert.Zero(t, s.Stats()["terminations"])
}

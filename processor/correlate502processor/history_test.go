package correlate502processor

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/consumer/consumertest"
	"go.opentelemetry.io/collector/pdata/plog"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"

	"github.com/k8s502/otelcol-k8s502/internal/schema"
	"github.com/k8s502/otelcol-k8s502/internal/testing/teststorage"
	"github.com/k8s502/otelcol-k8s502/processor/correlate502processor/internal/cluster"
)

// gateway is one run of a collector whose correlate502 is in a logs and a
// metrics pipeline, with `storage` on a file_storage directory.
type gateway struct {
	logs    *logsProcessor
	metrics *metricsProcessor
	out     *consumertest.LogsSink
	stop    func()
}

func startGateway(t *testing.T, dir string, every time.Duration) *gateway {
	t.Helper()
	host, id, stopStorage := startStorage(t, dir)
	cfg := noCluster()
	cfg.DecisionWait = 0 // judged as it arrives: the records replayed after a restart
	cfg.StorageID = &id
	f := NewFactory()
	g := &gateway{out: new(consumertest.LogsSink)}
	lp, err := f.CreateLogs(context.Background(), nopSettings(), cfg, g.out)
	require.NoError(t, err)
	mp, err := f.CreateMetrics(context.Background(), nopSettings(), cfg, consumertest.NewNop())
	require.NoError(t, err)
	g.logs, g.metrics = lp.(*logsProcessor), mp.(*metricsProcessor)
	g.logs.c.historyEvery = every
	require.NoError(t, g.logs.Start(context.Background(), host))
	require.NoError(t, g.metrics.Start(context.Background(), host))
	g.stop = func() {
		require.NoError(t, g.metrics.Shutdown(context.Background()))
		require.NoError(t, g.logs.Shutdown(context.Background()))
		stopStorage()
	}
	return g
}

// crashHistory is what the gateway learns from the pipelines before its
// restart: the scene at t0; checkout-a OOMKilled at t0+10s (a restart
// metric, then the kubelet's BackOff event), NotReady from then on, and
// deleted at t0+20s.
func crashHistory(t *testing.T, g *gateway, t0 time.Time) {
	t.Helper()
	ctx := context.Background()
	require.NoError(t, g.logs.ConsumeLogs(ctx, sceneLogs(t, t0)))
	require.NoError(t, g.metrics.ConsumeMetrics(ctx, restarts(scenePodA, 3, t0.Add(10*time.Second))))
	ld := plog.NewLogs()
	appendBackOff(ld, scenePodA, t0.Add(11*time.Second))
	notReady := podA(t0, metav1.NewTime(t0.Add(10*time.Second)))
	appendObject(t, ld, "MODIFIED", notReady, t0.Add(10*time.Second))
	appendObject(t, ld, "DELETED", notReady, t0.Add(20*time.Second))
	require.NoError(t, g.logs.ConsumeLogs(ctx, ld))
}

// podA is the scene's checkout-a, NotReady since notReady.
func podA(t0 time.Time, notReady metav1.Time) *corev1.Pod {
	since := metav1.NewTime(t0.Add(-time.Hour))
	yes := true
	return &corev1.Pod{
		TypeMeta: metav1.TypeMeta{Kind: "Pod", APIVersion: "v1"},
		ObjectMeta: metav1.ObjectMeta{
			Namespace: "shop", Name: scenePodA, UID: types.UID("uid-" + scenePodA), CreationTimestamp: since,
			Labels:          map[string]string{"app": "checkout", "pod-template-hash": "7d9f8b6c5d"},
			OwnerReferences: []metav1.OwnerReference{{APIVersion: "apps/v1", Kind: "ReplicaSet", Name: "checkout-7d9f8b6c5d", UID: "uid-rs", Controller: &yes}},
		},
		Spec: corev1.PodSpec{NodeName: "node-a", Containers: []corev1.Container{{Name: "app", Ports: []corev1.ContainerPort{{ContainerPort: 8080}}}}},
		Status: corev1.PodStatus{
			Phase: corev1.PodRunning, PodIP: sceneIPA, PodIPs: []corev1.PodIP{{IP: sceneIPA}}, StartTime: &since,
			Conditions: []corev1.PodCondition{{Type: corev1.PodReady, Status: corev1.ConditionFalse, LastTransitionTime: notReady}},
			ContainerStatuses: []corev1.ContainerStatus{{Name: "app", RestartCount: 3, LastTerminationState: corev1.ContainerState{
				Terminated: &corev1.ContainerStateTerminated{Reason: "OOMKilled", ExitCode: 137, FinishedAt: notReady},
			}}},
		},
	}
}

// judgedBefore sends the records of requests made before the restart (the
// agents' queues replay them) and returns what the gateway concluded about
// each, by request time, without the incident bookkeeping.
func judgedBefore(t *testing.T, g *gateway, reqs ...time.Time) map[int64]map[string]any {
	t.Helper()
	ld := plog.NewLogs()
	for _, ts := range reqs {
		appendFailed(ld, ts, sceneIPA+":8080")
	}
	require.NoError(t, g.logs.ConsumeLogs(context.Background(), ld))
	out := map[int64]map[string]any{}
	for _, got := range g.out.AllLogs() {
		for i := 0; i < got.ResourceLogs().Len(); i++ {
			sls := got.ResourceLogs().At(i).ScopeLogs()
			for j := 0; j < sls.Len(); j++ {
				lrs := sls.At(j).LogRecords()
				for k := 0; k < lrs.Len(); k++ {
					if lr := lrs.At(k); isK8s502Record(lr) && !isIncident(lr) {
						a := lr.Attributes().AsRaw()
						for key := range a {
							if strings.HasPrefix(key, "k8s502.incident") {
								delete(a, key)
							}
						}
						out[lr.Timestamp().AsTime().UnixNano()] = a
					}
				}
			}
		}
	}
	require.Len(t, out, len(reqs))
	return out
}

// A gateway that restarts judges the requests of the minutes before its
// restart as one that never restarted does: it restores the history it
// wrote at shutdown.
func TestRestartedGatewayJudgesThePastAsBefore(t *testing.T) {
	t0 := time.Now().Add(-2 * time.Minute).Truncate(time.Second)
	reqs := []time.Time{t0.Add(5 * time.Second), t0.Add(10500 * time.Millisecond), t0.Add(15 * time.Second)}

	steady := startGateway(t, t.TempDir(), 0)
	crashHistory(t, steady, t0)
	want := judgedBefore(t, steady, reqs...)
	steady.stop()

	dir := t.TempDir()
	before := startGateway(t, dir, 0)
	crashHistory(t, before, t0)
	before.stop()
	after := startGateway(t, dir, 0)
	defer after.stop()
	got := judgedBefore(t, after, reqs...)

	for _, ts := range reqs {
		w, g := want[ts.UnixNano()], got[ts.UnixNano()]
		require.NotNil(t, w)
		assert.NotEqual(t, schema.CauseUnknown, w[schema.Cause], "the history decides the cause at %s", ts.Sub(t0))
		assert.Equal(t, w, g, "request at %s", ts.Sub(t0))
	}
}

// A killed gateway leaves what its last periodic write held: the restarted
// one judges with that, and knows nothing of what came after.
func TestKilledGatewayRestoresLastPeriodicWrite(t *testing.T) {
	t0 := time.Now().Add(-2 * time.Minute).Truncate(time.Second)
	reqs := []time.Time{t0.Add(5 * time.Second), t0.Add(10500 * time.Millisecond)}
	steady := startGateway(t, t.TempDir(), 0)
	crashHistory(t, steady, t0)
	want := judgedBefore(t, steady, reqs...)
	steady.stop()

	dir := t.TempDir()
	g := startGateway(t, dir, 200*time.Millisecond)
	crashHistory(t, g, t0)
	h := g.logs.c.history
	written := h.writes.Load()
	// Copied just after a write, as a kill between two writes leaves it.
	require.Eventually(t, func() bool { return h.writes.Load() >= written+2 }, 5*time.Second, time.Millisecond, "a periodic write after the history")
	killed := teststorage.KilledCopy(t, dir)
	ld := plog.NewLogs()
	appendObject(t, ld, "DELETED", podB(t0), time.Now()) // after the copy
	require.NoError(t, g.logs.ConsumeLogs(context.Background(), ld))
	g.stop()

	after := startGateway(t, killed, 0)
	defer after.stop()
	assert.True(t, after.logs.c.restoredHistory.Load())
	b, ok := after.logs.c.store.Pod("shop", scenePodB)
	require.True(t, ok)
	assert.True(t, b.Deleted.IsZero(), "checkout-b's deletion came after the last write")
	got := judgedBefore(t, after, reqs...)
	for _, ts := range reqs {
		require.NotNil(t, want[ts.UnixNano()])
		assert.Equal(t, want[ts.UnixNano()], got[ts.UnixNano()], "request at %s", ts.Sub(t0))
	}
}

func podB(t0 time.Time) *corev1.Pod {
	p := podA(t0, metav1.NewTime(t0))
	p.Name, p.UID = scenePodB, types.UID("uid-"+scenePodB)
	p.Status.PodIP, p.Status.PodIPs = sceneIPB, []corev1.PodIP{{IP: sceneIPB}}
	return p
}

// Storage that holds something this build cannot read is logged and
// ignored: the gateway starts, without history.
func TestUnreadableHistoryIsIgnored(t *testing.T) {
	dir := t.TempDir()
	client, closeClient := teststorage.Client(t, dir, component.KindProcessor, component.MustNewID("correlate502"), historyClientName)
	require.NoError(t, client.Set(context.Background(), cluster.HistoryKey, []byte("k5h\x63not a history")))
	closeClient()

	g := startGateway(t, dir, 0)
	defer g.stop()
	assert.False(t, g.logs.c.restoredHistory.Load())
	assert.Zero(t, g.logs.c.store.Stats()["pods"])
}

// Without `storage` nothing is written or restored.
func TestNoStorageNoHistory(t *testing.T) {
	p := newPair(t, noCluster(), nopSettings())
	defer p.shutdown(t)
	assert.Nil(t, p.logs.(*logsProcessor).c.history)
}

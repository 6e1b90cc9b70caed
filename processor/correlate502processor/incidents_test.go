package correlate502processor

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/k8s502/otelcol-k8s502/internal/schema"
)

// A storm of refused connections to one pod that crashes in the middle: the
// requests before the crash and those after it are judged on the state of
// their own time, so they are two incidents, not one; every request is
// counted once in its incident's final record.
func TestStormSplitsWhenStateChanges(t *testing.T) {
	t0 := time.Now().Add(-time.Minute).Truncate(time.Second)
	cfg := noCluster()
	cfg.DecisionWait = 50 * time.Millisecond
	p := newPair(t, cfg, nopSettings())
	ctx := context.Background()
	require.NoError(t, p.logs.ConsumeLogs(ctx, sceneLogs(t, t0)))
	crash := t0.Add(40 * time.Second)
	require.NoError(t, p.metrics.ConsumeMetrics(ctx, restarts(scenePodA, 3, crash)))

	ld := failedWithID(crash.Add(-25*time.Second), "before-1", "before-2", "before-3")
	require.NoError(t, p.logs.ConsumeLogs(ctx, ld))
	ld = failedWithID(crash.Add(time.Second), "after-1", "after-2")
	require.NoError(t, p.logs.ConsumeLogs(ctx, ld))
	p.shutdown(t)

	causes := map[string]string{} // request id -> cause
	incidentOf := map[string]string{}
	closed := map[string]int{} // incident id -> final count
	for _, ld := range p.out.AllLogs() {
		for i := 0; i < ld.ResourceLogs().Len(); i++ {
			lrs := ld.ResourceLogs().At(i).ScopeLogs().At(0).LogRecords()
			for k := 0; k < lrs.Len(); k++ {
				a := lrs.At(k).Attributes()
				if isIncident(lrs.At(k)) {
					if str(a, schema.IncidentState) == schema.IncidentStateClosed {
						closed[str(a, schema.IncidentID)] += int(mustInt(t, a, schema.IncidentCount))
					}
					continue
				}
				if !isK8s502Record(lrs.At(k)) {
					continue // the scene's object records, passed through
				}
				id := str(a, schema.RecordID)
				causes[id] = str(a, schema.Cause)
				incidentOf[id] = str(a, schema.IncidentID)
			}
		}
	}
	require.Len(t, causes, 5)
	assert.Equal(t, schema.CausePodCrash, causes["after-1"])
	assert.NotEqual(t, schema.CausePodCrash, causes["before-1"], "before the crash the pod was fine")
	assert.Equal(t, incidentOf["before-1"], incidentOf["before-3"])
	assert.Equal(t, incidentOf["after-1"], incidentOf["after-2"])
	assert.NotEqual(t, incidentOf["before-1"], incidentOf["after-1"], "the crash splits the storm")
	assert.Equal(t, map[string]int{incidentOf["before-1"]: 3, incidentOf["after-1"]: 2}, closed)
}

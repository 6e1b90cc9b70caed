package correlate502processor

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/pdata/plog"

	"github.com/k8s502/otelcol-k8s502/internal/schema"
)

// Incidents opened by the records of two gateways in one batch each carry
// their own gateway's resource, though incidents of one resource share a
// copy of it.
func TestIncidentsKeepTheirResource(t *testing.T) {
	cfg := noCluster()
	cfg.DecisionWait = 0
	p := newPair(t, cfg, nopSettings())
	ts := time.Now().Add(-time.Minute).Truncate(time.Second)
	ld := plog.NewLogs()
	appendFailed(ld, ts, "10.9.0.1:8080")
	appendFailed(ld, ts, "10.9.0.2:8080")
	rls := ld.ResourceLogs()
	rls.At(0).Resource().Attributes().PutStr(schema.K8sPodName, "gw-a")
	rls.At(1).Resource().Attributes().PutStr(schema.K8sPodName, "gw-b")
	// Each record fails at another address (no cluster: the incident's
	// target): gw-b's two open two incidents, with one resource.
	fillFailed(rls.At(1).ScopeLogs().At(0).LogRecords().AppendEmpty(), ts, "10.9.0.3:8080")
	require.NoError(t, p.logs.ConsumeLogs(context.Background(), ld))

	gatewayOf := map[string]string{} // incident id -> its record's gateway pod
	resourceOf := map[string]string{}
	for _, out := range p.out.AllLogs() {
		for i := 0; i < out.ResourceLogs().Len(); i++ {
			rl := out.ResourceLogs().At(i)
			lrs := rl.ScopeLogs().At(0).LogRecords()
			for k := 0; k < lrs.Len(); k++ {
				id := str(lrs.At(k).Attributes(), schema.IncidentID)
				if isIncident(lrs.At(k)) {
					resourceOf[id] = str(rl.Resource().Attributes(), schema.K8sPodName)
				} else {
					gatewayOf[id] = str(rl.Resource().Attributes(), schema.K8sPodName)
				}
			}
		}
	}
	require.Len(t, resourceOf, 3, "three incidents opened")
	assert.Equal(t, gatewayOf, resourceOf)
	p.shutdown(t)
}

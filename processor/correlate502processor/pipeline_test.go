package correlate502processor

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/open-telemetry/opentelemetry-collector-contrib/pkg/golden"
	"github.com/open-telemetry/opentelemetry-collector-contrib/pkg/pdatatest/plogtest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/component/componenttest"
	"go.opentelemetry.io/collector/consumer/consumertest"
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/plog"
	"go.opentelemetry.io/collector/processor/processortest"
	"go.opentelemetry.io/collector/receiver/receivertest"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"

	"github.com/k8s502/otelcol-k8s502/internal/schema"
	"github.com/k8s502/otelcol-k8s502/receiver/k8s502receiver"
)

// runDemo replays the demo's real ingress-nginx log through the real
// receiver into the processor loaded with the demo's cluster snapshot, the
// same wiring as `make demo`, and returns what reached the exporter.
func runDemo(t *testing.T) plog.Logs {
	t.Helper()
	logs, err := filepath.Glob("../../examples/demo/var/log/pods/*/controller/0.log")
	require.NoError(t, err)
	require.Len(t, logs, 1)
	dir := t.TempDir()
	podDir := filepath.Join(dir, filepath.Base(filepath.Dir(filepath.Dir(logs[0]))), "controller")
	require.NoError(t, os.MkdirAll(podDir, 0o755))
	data, err := os.ReadFile(logs[0])
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(filepath.Join(podDir, "0.log"), data, 0o644))

	sink := new(consumertest.LogsSink)
	pf := NewFactory()
	pcfg := pf.CreateDefaultConfig().(*Config)
	pcfg.AuthType = AuthTypeNone
	pcfg.ClusterSnapshot = "../../examples/demo/cluster-snapshot.yaml"
	pcfg.DecisionWait = 0
	require.NoError(t, pcfg.Validate())
	proc, err := pf.CreateLogs(context.Background(), processortest.NewNopSettings(pf.Type()), pcfg, sink)
	require.NoError(t, err)
	require.NoError(t, proc.Start(context.Background(), componenttest.NewNopHost()))

	rf := k8s502receiver.NewFactory()
	rcfg := rf.CreateDefaultConfig().(*k8s502receiver.Config)
	rcfg.Include = []string{filepath.Join(dir, "*", "controller", "*.log")}
	rcfg.StartAt = "beginning"
	rcfg.PollInterval = 10 * time.Millisecond
	tel := componenttest.NewTelemetry()
	t.Cleanup(func() { require.NoError(t, tel.Shutdown(context.Background())) })
	rset := receivertest.NewNopSettings(rf.Type())
	rset.TelemetrySettings = tel.NewTelemetrySettings()
	rcv, err := rf.CreateLogs(context.Background(), rset, rcfg, proc)
	require.NoError(t, err)
	require.NoError(t, rcv.Start(context.Background(), componenttest.NewNopHost()))
	// Once every line is read, shutdown flushes what the receiver's join
	// still holds (failed lines wait join.hold for late error lines).
	lines := int64(bytes.Count(data, []byte("\n")))
	require.Eventually(t, func() bool { return linesRead(tel) == lines }, 30*time.Second, 10*time.Millisecond)
	require.NoError(t, rcv.Shutdown(context.Background()))
	require.NoError(t, proc.Shutdown(context.Background()))
	// How records are batched depends on timing; the golden compares
	// content, so records are regrouped under their resource and scope.
	out := plog.NewLogs()
	groups := map[string]plog.LogRecordSlice{}
	for _, l := range sink.AllLogs() {
		for i := 0; i < l.ResourceLogs().Len(); i++ {
			rl := l.ResourceLogs().At(i)
			for j := 0; j < rl.ScopeLogs().Len(); j++ {
				sl := rl.ScopeLogs().At(j)
				key := groupKey(rl, sl)
				lrs, ok := groups[key]
				if !ok {
					nrl := out.ResourceLogs().AppendEmpty()
					rl.Resource().CopyTo(nrl.Resource())
					nsl := nrl.ScopeLogs().AppendEmpty()
					sl.Scope().CopyTo(nsl.Scope())
					lrs = nsl.LogRecords()
					groups[key] = lrs
				}
				sl.LogRecords().MoveAndAppendTo(lrs)
			}
		}
	}
	return out
}

// demoCauses is what each failure scenario of the demo log must be judged
// as, given the demo snapshot (see examples/demo/make-snapshot.py for the
// state behind each).
var demoCauses = map[string]string{
	"shop-inventory-8080":       schema.CausePodCrash,         // OOMKilled, crash looping
	"shop-shipping-8080":        schema.CausePodCrash,         // exits with an error
	"shop-wishlist-8080":        schema.CausePodCrash,         // incl. the no-live-upstreams requests
	"shop-cart-8080":            schema.CauseKeepaliveRace,    // healthy pod, close before the header
	"shop-reviews-8080":         schema.CauseReadinessProbe,   // Unhealthy events, NotReady
	"shop-assets-8080":          schema.CauseUpstreamAppError, // body cut by the app
	"shop-recommendations-9090": schema.CauseProtocolError,    // HTTP/0.9 reply
	"shop-search-http":          schema.CauseProtocolError,    // invalid header
	"shop-session-8080":         schema.CauseProtocolError,    // header above proxy-buffer-size
	"shop-quotes-8080":          schema.CauseProtocolError,    // bad status line
	"shop-stream-8080":          schema.CauseProtocolError,    // bad chunked body
	"shop-reports-8080":         schema.CauseUpstreamTimeout,  // read timeout
	"shop-export-8080":          schema.CauseUpstreamTimeout,  // read timeout mid-body
	"shop-legacy-8080":          schema.CauseNetworkPolicy,    // connect timeout, policy admits monitoring only
	"shop-payments-8443":        schema.CauseTLSHandshake,
	"shop-billing-https":        schema.CauseTLSHandshake,
	"shop-legacy-tls-443":       schema.CauseTLSHandshake,
	"shop-accounts-8443":        schema.CauseTLSHandshake,
	"shop-profile-8080":         schema.CauseTLSHandshake,
	"shop-orders-8080":          schema.CausePodTermination,   // retried off a pod being deleted
	"shop-tax-8080":             schema.CauseRolloutGap,       // maxSurge 0
	"shop-checkout-8080":        schema.CauseUpstreamAppError, // the app's own 502
	"shop-promotions-8080":      schema.CauseNoEndpoints,      // selector app=promotions, pods app=promotions-v2
	"shop-newsletter-8080":      schema.CauseRateLimited,
	"finance-ledger-8080":       schema.CauseUnknown, // not in the snapshot: nothing to resolve
}

func TestDemoCauses(t *testing.T) {
	out := runDemo(t)
	if os.Getenv("UPDATE_GOLDEN") != "" {
		require.NoError(t, golden.WriteLogsToFile(goldenDemo, out))
	}
	seen := map[string]bool{}
	requestsPer, closedCounts := map[string]int{}, map[string]int{}
	for i := 0; i < out.ResourceLogs().Len(); i++ {
		sls := out.ResourceLogs().At(i).ScopeLogs()
		for j := 0; j < sls.Len(); j++ {
			lrs := sls.At(j).LogRecords()
			for k := 0; k < lrs.Len(); k++ {
				a := lrs.At(k).Attributes()
				if isIncident(lrs.At(k)) {
					if str(a, schema.IncidentState) == schema.IncidentStateClosed {
						closedCounts[str(a, schema.IncidentID)] += int(mustInt(t, a, schema.IncidentCount))
					}
					continue
				}
				requestsPer[str(a, schema.IncidentID)]++
				up, cause := str(a, schema.UpstreamName), str(a, schema.Cause)
				want, ok := demoCauses[up]
				if assert.True(t, ok, "unexpected upstream %q", up) {
					assert.Equal(t, want, cause, "%s: %s", up, str(a, schema.ErrorMessage))
				}
				seen[cause] = true
				if cause != schema.CauseUnknown && cause != schema.CauseRateLimited {
					assert.NotEmpty(t, str(a, schema.TargetService), up)
				}
				ev, _ := a.Get(schema.Evidence)
				assert.Positive(t, ev.Slice().Len(), up)
				assert.NotEmpty(t, str(a, schema.Remediation), up)
			}
		}
	}
	assert.GreaterOrEqual(t, len(seen), 12, "distinct causes in the demo")
	assert.NotContains(t, requestsPer, "", "every request record names its incident")
	assert.Equal(t, requestsPer, closedCounts, "each incident's final count is the number of its request records")
	want, err := golden.ReadLogs(goldenDemo)
	require.NoError(t, err)
	require.NoError(t, plogtest.CompareLogs(want, out, plogtest.IgnoreObservedTimestamp(),
		plogtest.IgnoreResourceLogsOrder(), plogtest.IgnoreLogRecordsOrder()))
}

const goldenDemo = "testdata/golden/demo.yaml"

func linesRead(tel *componenttest.Telemetry) int64 {
	m, err := tel.GetMetric("otelcol_k8s502_receiver_lines_read")
	if err != nil {
		return 0
	}
	var n int64
	for _, dp := range m.Data.(metricdata.Sum[int64]).DataPoints {
		n += dp.Value
	}
	return n
}

func mustInt(t *testing.T, m pcommon.Map, k string) int64 {
	t.Helper()
	v, ok := m.Get(k)
	require.True(t, ok, k)
	return v.Int()
}

// groupKey identifies a resource and scope by content.
func groupKey(rl plog.ResourceLogs, sl plog.ScopeLogs) string {
	res, _ := json.Marshal(rl.Resource().Attributes().AsRaw())
	scope, _ := json.Marshal(sl.Scope().Attributes().AsRaw())
	return string(res) + "\x00" + rl.SchemaUrl() + "\x00" + sl.Scope().Name() + "\x00" + sl.Scope().Version() + "\x00" + string(scope)
}

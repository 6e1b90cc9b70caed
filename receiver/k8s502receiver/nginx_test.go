package k8s502receiver

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/component/componenttest"
	"go.opentelemetry.io/collector/consumer/consumertest"
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/plog"

	"github.com/k8s502/otelcol-k8s502/internal/schema"
	"github.com/k8s502/otelcol-k8s502/internal/testing/testcri"
	"github.com/k8s502/otelcol-k8s502/internal/testing/testnginx"
	"github.com/k8s502/otelcol-k8s502/internal/testing/testproc"
	"github.com/k8s502/otelcol-k8s502/internal/testing/testupstream"
	"github.com/k8s502/otelcol-k8s502/receiver/k8s502receiver/internal/metadatatest"
)

// TestRealNginx puts a real nginx, configured like an ingress-nginx
// controller, in front of failing upstreams and tails its container log
// while it serves: each kind of failure must become the record a user would
// expect, and healthy traffic none.
func TestRealNginx(t *testing.T) {
	testnginx.Require(t)
	const host = "shop.example.com"
	healthy := testupstream.Start(t, "127.0.0.10:0", testupstream.Healthy)
	app := testupstream.Start(t, "127.0.0.11:0", testupstream.App502)
	refused := testupstream.Start(t, testproc.FreeAddr(t, "127.0.0.12"), testupstream.Refused)
	slow := testupstream.Start(t, "127.0.0.13:0", testupstream.Slow)
	ng := testnginx.Start(t, testnginx.Config{
		Container: testcri.Container{
			Namespace: "ingress-nginx",
			Pod:       "ingress-nginx-controller-5c8d66c76d-4qxzt",
			PodUID:    "0b6a9c3e-52f1-4d7e-9a55-1c2d3e4f5a6b",
		},
		Locations: []testnginx.Location{
			{Host: host, Path: "/api/storefront/", UpstreamName: "shop-storefront-80", Servers: []string{healthy.Addr}},
			{Host: host, Path: "/api/checkout/", UpstreamName: "shop-checkout-8080", Servers: []string{app.Addr}},
			{Host: host, Path: "/api/inventory/", UpstreamName: "shop-inventory-8080", Servers: []string{refused.Addr}, ConnectTimeout: 2 * time.Second},
			{Host: host, Path: "/api/promotions/", UpstreamName: "shop-promotions-8080"},
			{Host: host, Path: "/api/reports/", UpstreamName: "shop-reports-8080", Servers: []string{slow.Addr}, ReadTimeout: time.Second},
		},
	})

	tt := componenttest.NewTelemetry()
	t.Cleanup(func() { require.NoError(t, tt.Shutdown(context.Background())) })
	sink := new(consumertest.LogsSink)
	r := startReceiver(t, metadatatest.NewSettings(tt), testConfig(ng.CRIPath), sink, nil)

	calls := []struct {
		id, path string
		status   int
	}{
		{"healthy-1", "/api/storefront/items/1", 200},
		{"app502", "/api/checkout/pay/2", 502},
		{"refused", "/api/inventory/items/3", 502},
		{"healthy-2", "/api/storefront/items/4?page=2", 200},
		{"no-endpoints", "/api/promotions/active", 503},
		{"slow", "/api/reports/daily/5", 504},
	}
	started := time.Now()
	for _, c := range calls {
		resp := ng.Do(t, "GET", host, c.path, map[string]string{"X-Request-ID": c.id, "X-Forwarded-For": "198.51.100.23"})
		require.Equal(t, c.status, resp.Status, c.path)
	}
	ng.WaitRequests(t)
	ng.WaitStderr(t, "Connection refused")
	ng.WaitStderr(t, "upstream timed out")
	// Stopping nginx flushes everything it will ever write; the receiver
	// has read the file once its line count matches.
	ng.Stop(t)
	records := int64(len(ng.Records(t)))
	require.Eventually(t, func() bool { return linesRead(tt) == records }, waitFor, 10*time.Millisecond)
	require.NoError(t, r.Shutdown(context.Background()))
	finished := time.Now()

	byID := map[string]plog.LogRecord{}
	for _, ld := range sink.AllLogs() {
		forEachRecord(ld, func(rl plog.ResourceLogs, lr plog.LogRecord) {
			assert.Equal(t, map[string]any{
				"k8s.namespace.name": "ingress-nginx",
				"k8s.pod.name":       "ingress-nginx-controller-5c8d66c76d-4qxzt",
				"k8s.pod.uid":        "0b6a9c3e-52f1-4d7e-9a55-1c2d3e4f5a6b",
				"k8s.container.name": "controller",
			}, rl.Resource().Attributes().AsRaw())
			id := attrStr(lr, schema.RequestID)
			require.NotContains(t, byID, id, "one record per request")
			byID[id] = lr
		})
	}
	require.ElementsMatch(t, []string{"app502", "refused", "no-endpoints", "slow"}, keys(byID), "healthy requests make no record")

	accessTimes := accessLineTimes(t, ng)
	for id, lr := range byID {
		assert.Equal(t, pcommon.NewTimestampFromTime(accessTimes[id]), lr.Timestamp(), "%s: the time the runtime logged the access line", id)
		assert.True(t, !lr.ObservedTimestamp().AsTime().Before(started) && !lr.ObservedTimestamp().AsTime().After(finished), "%s: observed while the test ran", id)
		assert.Equal(t, plog.SeverityNumberError, lr.SeverityNumber(), id)
		assert.Equal(t, "failed", attrStr(lr, schema.Outcome), id)
		assert.Equal(t, "ingress-nginx", attrStr(lr, schema.Gateway), id)
		assert.Equal(t, "198.51.100.23", attrStr(lr, schema.ClientAddress), id)
	}

	refusedRec := byID["refused"]
	assert.Equal(t, int64(502), attrInt(refusedRec, schema.HTTPResponseStatusCode))
	assert.Equal(t, "gateway", attrStr(refusedRec, schema.Origin))
	assert.Equal(t, "connect_refused", attrStr(refusedRec, schema.ErrorKind))
	assert.Equal(t, []any{refused.Addr}, attrSlice(refusedRec, schema.UpstreamAddresses))
	assert.Equal(t, refused.Addr, attrStr(refusedRec, schema.ErrorUpstream))
	assert.Equal(t, "shop-inventory-8080", attrStr(refusedRec, schema.UpstreamName))
	assert.Equal(t, host, attrStr(refusedRec, schema.ServerAddress), "from the error line")
	assert.Equal(t, "/api/inventory/items/3", attrStr(refusedRec, schema.URLPath))

	appRec := byID["app502"]
	assert.Equal(t, int64(502), attrInt(appRec, schema.HTTPResponseStatusCode))
	assert.Equal(t, "upstream", attrStr(appRec, schema.Origin), "the application answered 502 itself")
	assertNoAttr(t, appRec, schema.ErrorKind)
	assert.Equal(t, []any{app.Addr}, attrSlice(appRec, schema.UpstreamAddresses))
	assert.Equal(t, []any{int64(len(testupstream.App502Body))}, attrSlice(appRec, schema.UpstreamResponseLengths))
	assert.Equal(t, int64(len(testupstream.App502Body)), attrInt(appRec, schema.HTTPResponseBodySize))

	localRec := byID["no-endpoints"]
	assert.Equal(t, int64(503), attrInt(localRec, schema.HTTPResponseStatusCode))
	assert.Equal(t, "local", attrStr(localRec, schema.Origin), "no upstream was contacted")
	assertNoAttr(t, localRec, schema.ErrorKind)
	assertNoAttr(t, localRec, schema.UpstreamAddresses)
	assert.Equal(t, "shop-promotions-8080", attrStr(localRec, schema.UpstreamName))

	slowRec := byID["slow"]
	assert.Equal(t, int64(504), attrInt(slowRec, schema.HTTPResponseStatusCode))
	assert.Equal(t, "gateway", attrStr(slowRec, schema.Origin))
	assert.Equal(t, "read_timeout", attrStr(slowRec, schema.ErrorKind))
	// Debian's nginx is linked against glibc.
	assert.Contains(t, attrStr(slowRec, schema.ErrorMessage), "(110: Connection timed out)")
	assert.Equal(t, []any{slow.Addr}, attrSlice(slowRec, schema.UpstreamAddresses))
	assert.Equal(t, slow.Addr, attrStr(slowRec, schema.ErrorUpstream))
	assert.GreaterOrEqual(t, attrDouble(slowRec, schema.RequestDuration), 1.0, "the read timeout is 1s")
}

// accessLineTimes maps each request id ($req_id, the access line's last
// field) to the CRI time of its access line.
func accessLineTimes(t *testing.T, ng *testnginx.Nginx) map[string]time.Time {
	t.Helper()
	out := map[string]time.Time{}
	for _, rec := range ng.Records(t) {
		if rec.Stream == "stdout" && !rec.Partial {
			f := strings.Fields(rec.Msg)
			out[f[len(f)-1]] = rec.Time
		}
	}
	return out
}

func keys(m map[string]plog.LogRecord) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	return out
}

func attrInt(lr plog.LogRecord, key string) int64 {
	v, _ := lr.Attributes().Get(key)
	return v.Int()
}

func attrDouble(lr plog.LogRecord, key string) float64 {
	v, _ := lr.Attributes().Get(key)
	return v.Double()
}

func attrSlice(lr plog.LogRecord, key string) []any {
	v, ok := lr.Attributes().Get(key)
	if !ok || v.Type() != pcommon.ValueTypeSlice {
		return nil
	}
	return v.Slice().AsRaw()
}

func assertNoAttr(t *testing.T, lr plog.LogRecord, key string) {
	t.Helper()
	_, ok := lr.Attributes().Get(key)
	assert.False(t, ok, "unexpected attribute %s", key)
}

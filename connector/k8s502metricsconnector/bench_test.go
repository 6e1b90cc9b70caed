package k8s502metricsconnector

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/consumer/consumertest"
	"go.opentelemetry.io/collector/pdata/plog"
)

// mixedBatch is n records shaped like the processor's output (about twenty
// attributes each), spread over 50 attribute sets, with one in ten not a
// k8s502 record (an event from k8sobjects sharing the pipeline).
func mixedBatch(n int) plog.Logs {
	causes := []string{"pod_crash", "no_endpoints", "readiness_probe", "upstream_timeout", "rollout_gap"}
	recs := make([]rec, n)
	for i := range recs {
		if i%10 == 9 {
			recs[i] = rec{"k8s.namespace.name": "shop", "reason": "BackOff", "message": "Back-off restarting failed container"}
			continue
		}
		r := checkout("failed")
		r["k8s502.target.service"] = fmt.Sprintf("svc-%d", i%10)
		r["k8s502.cause"] = causes[i%len(causes)]
		for _, k := range []string{
			"http.request.method", "url.path", "http.response.status_code", "client.address", "server.address",
			"k8s502.request.id", "k8s502.record.id", "k8s502.origin", "k8s502.error.kind", "k8s502.error.message",
			"k8s502.target.pod", "k8s502.target.node", "k8s502.target.address", "k8s502.cause.confidence", "k8s502.remediation",
		} {
			r[k] = "x"
		}
		recs[i] = r
	}
	return logsOf(recs...)
}

// TestConsumeLogsDoesNotAllocate: counting records of known attribute sets
// allocates nothing, whatever the batch size.
func TestConsumeLogsDoesNotAllocate(t *testing.T) {
	c := newConnector(settings(), hour, consumertest.NewNop(), time.Now)
	ld := mixedBatch(1000)
	require.NoError(t, c.ConsumeLogs(context.Background(), ld))
	assert.Zero(t, testing.AllocsPerRun(100, func() { _ = c.ConsumeLogs(context.Background(), ld) }))
}

func BenchmarkConsumeLogs(b *testing.B) {
	const n = 1000
	c := newConnector(settings(), hour, consumertest.NewNop(), time.Now)
	ld := mixedBatch(n)
	ctx := context.Background()
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if err := c.ConsumeLogs(ctx, ld); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*n), "ns/record")
}

// BenchmarkEmit is one interval's work at the default max_series: snapshot
// and build 10,000 data points.
func BenchmarkEmit(b *testing.B) {
	c := newConnector(settings(), hour, consumertest.NewNop(), time.Now)
	for i := 0; i < createDefaultConfig().(*Config).MaxSeries; i++ {
		r := checkout("failed")
		r["k8s502.target.service"] = fmt.Sprintf("svc-%d", i)
		require.NoError(b, c.ConsumeLogs(context.Background(), logsOf(r)))
	}
	ctx := context.Background()
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		c.emit(ctx)
	}
}

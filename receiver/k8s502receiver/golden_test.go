package k8s502receiver

import (
	"context"
	"io"
	"os"
	"path/filepath"
	"strings"
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
	"go.opentelemetry.io/collector/receiver"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"

	"github.com/k8s502/otelcol-k8s502/internal/schema"
	"github.com/k8s502/otelcol-k8s502/receiver/k8s502receiver/internal/metadatatest"
)

// UPDATE_GOLDEN=1 go test -run TestGolden ./receiver/k8s502receiver/
// rewrites the expected records from the current receiver.
const updateGoldenEnv = "UPDATE_GOLDEN"

const (
	fixtureDir = "testdata/ingress-nginx/scenarios"
	// criFixture is the containerd CRI file; dockerFixture the same stream
	// as docker json-file.
	criFixture    = fixtureDir + "/var/log/pods/" + testPodDir + "/controller/0.log"
	dockerFixture = fixtureDir + "/var/lib/docker/containers/8d3f1c0b6a2e4f5d9c7b1a0e3f2d4c6b8a9e0f1d2c3b4a5968776f5e4d3c2b1a/" +
		"8d3f1c0b6a2e4f5d9c7b1a0e3f2d4c6b8a9e0f1d2c3b4a5968776f5e4d3c2b1a-json.log"
	goldenScenarios = "testdata/golden/scenarios.yaml"
)

// TestGolden runs the receiver over the real controller log and compares
// every record with the golden file.
func TestGolden(t *testing.T) {
	tt := componenttest.NewTelemetry()
	t.Cleanup(func() { require.NoError(t, tt.Shutdown(context.Background())) })
	got := runFixture(t, criFixture, metadatatest.NewSettings(tt), tt)
	if os.Getenv(updateGoldenEnv) != "" {
		require.NoError(t, os.MkdirAll(filepath.Dir(goldenScenarios), 0o755))
		require.NoError(t, golden.WriteLogsToFile(goldenScenarios, got))
		t.Logf("wrote %s", goldenScenarios)
	}
	compareGolden(t, got)
}

// With cri-dockerd, /var/log/pods/<pod>/<container>/0.log is a symlink to
// the docker json-file; the same stream must give the same records. The
// fixture's harness stamped each record twice (once per format), so the
// json-file times trail the CRI times by some microseconds: timestamps are
// compared with that tolerance, everything else exactly.
func TestGoldenDockerJSONFile(t *testing.T) {
	tt := componenttest.NewTelemetry()
	t.Cleanup(func() { require.NoError(t, tt.Shutdown(context.Background())) })
	got := runFixture(t, dockerFixture, metadatatest.NewSettings(tt), tt)
	// The docker file's timestamps differ from the CRI file's by up to a
	// millisecond, and the record identity hashes the runtime's timestamp.
	compareGolden(t, got, plogtest.IgnoreTimestamp(), plogtest.IgnoreLogRecordAttributeValue(schema.RecordID))

	want, err := golden.ReadLogs(goldenScenarios)
	require.NoError(t, err)
	wantTimes, gotTimes := recordTimes(t, want), recordTimes(t, got)
	require.Len(t, gotTimes, len(wantTimes))
	for id, w := range wantTimes {
		assert.InDelta(t, float64(w), float64(gotTimes[id]), float64(time.Millisecond), "timestamp of %s", id)
	}
}

// recordTimes maps each record (by request id, which every record of the
// fixture has) to its timestamp.
func recordTimes(t *testing.T, ld plog.Logs) map[string]pcommon.Timestamp {
	t.Helper()
	out := map[string]pcommon.Timestamp{}
	forEachRecord(ld, func(_ plog.ResourceLogs, lr plog.LogRecord) {
		id := attrStr(lr, schema.RequestID)
		require.NotEmpty(t, id)
		require.NotContains(t, out, id)
		require.NotZero(t, lr.Timestamp())
		out[id] = lr.Timestamp()
	})
	return out
}

func compareGolden(t *testing.T, got plog.Logs, opts ...plogtest.CompareLogsOption) {
	t.Helper()
	want, err := golden.ReadLogs(goldenScenarios)
	require.NoError(t, err)
	opts = append([]plogtest.CompareLogsOption{plogtest.IgnoreObservedTimestamp()}, opts...)
	opts = append(opts, plogtest.IgnoreResourceLogsOrder(), plogtest.IgnoreLogRecordsOrder())
	require.NoError(t, plogtest.CompareLogs(want, got, opts...))
}

// runFixture copies a fixture file to <tmp>/var/log/pods/<pod>/controller/0.log,
// runs the receiver over it from the beginning until every line is read,
// shuts it down (which flushes the join) and returns all records merged per
// resource, in a stable order, with observed timestamps cleared.
func runFixture(t *testing.T, fixture string, set receiver.Settings, tt *componenttest.Telemetry) plog.Logs {
	t.Helper()
	path := podLog(t, t.TempDir())
	lines := copyFile(t, fixture, path)

	sink := new(consumertest.LogsSink)
	cfg := testConfig(path)
	cfg.Join = NewFactory().CreateDefaultConfig().(*Config).Join
	r := startReceiver(t, set, cfg, sink, nil)
	require.Eventually(t, func() bool { return linesRead(tt) == lines }, waitFor, 10*time.Millisecond)
	require.NoError(t, r.Shutdown(context.Background()))
	return mergeLogs(sink.AllLogs())
}

func copyFile(t *testing.T, from, to string) (lines int64) {
	t.Helper()
	in, err := os.Open(from)
	require.NoError(t, err)
	defer in.Close()
	data, err := io.ReadAll(in)
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(to, data, 0o644))
	return int64(strings.Count(string(data), "\n"))
}

func linesRead(tt *componenttest.Telemetry) int64 {
	m, err := tt.GetMetric("otelcol_k8s502_receiver_lines_read")
	if err != nil {
		return 0
	}
	var n int64
	for _, dp := range m.Data.(metricdata.Sum[int64]).DataPoints {
		n += dp.Value
	}
	return n
}

// mergeLogs puts the records of all batches under one ResourceLogs per
// resource, sorted by time, then request id, then body.
func mergeLogs(batches []plog.Logs) plog.Logs {
	out := plog.NewLogs()
	byResource := map[string]plog.LogRecordSlice{}
	for _, ld := range batches {
		forEachRecord(ld, func(rl plog.ResourceLogs, lr plog.LogRecord) {
			key := resourceKey(rl)
			lrs, ok := byResource[key]
			if !ok {
				nrl := out.ResourceLogs().AppendEmpty()
				rl.Resource().CopyTo(nrl.Resource())
				sl := nrl.ScopeLogs().AppendEmpty()
				rl.ScopeLogs().At(0).Scope().CopyTo(sl.Scope())
				lrs = sl.LogRecords()
				byResource[key] = lrs
			}
			nlr := lrs.AppendEmpty()
			lr.CopyTo(nlr)
			nlr.SetObservedTimestamp(0)
		})
	}
	for _, lrs := range byResource {
		lrs.Sort(func(a, b plog.LogRecord) bool {
			if a.Timestamp() != b.Timestamp() {
				return a.Timestamp() < b.Timestamp()
			}
			if ai, bi := attrStr(a, schema.RequestID), attrStr(b, schema.RequestID); ai != bi {
				return ai < bi
			}
			return a.Body().Str() < b.Body().Str()
		})
	}
	return out
}

func resourceKey(rl plog.ResourceLogs) string {
	var b strings.Builder
	for k, v := range rl.Resource().Attributes().All() {
		b.WriteString(k + "=" + v.AsString() + ";")
	}
	return b.String()
}

func attrStr(lr plog.LogRecord, key string) string {
	v, _ := lr.Attributes().Get(key)
	return v.AsString()
}

package k8s502receiver

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/component/componenttest"
	"go.opentelemetry.io/collector/confmap/confmaptest"
	"go.opentelemetry.io/collector/consumer"
	"go.opentelemetry.io/collector/consumer/consumertest"
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/plog"
	"go.opentelemetry.io/collector/receiver"
	"go.opentelemetry.io/collector/receiver/receivertest"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
	"go.opentelemetry.io/otel/sdk/metric/metricdata/metricdatatest"

	"github.com/k8s502/otelcol-k8s502/internal/schema"
	"github.com/k8s502/otelcol-k8s502/internal/testing/teststorage"
	"github.com/k8s502/otelcol-k8s502/receiver/k8s502receiver/internal/metadata"
	"github.com/k8s502/otelcol-k8s502/receiver/k8s502receiver/internal/metadatatest"
)

// waitFor bounds every wait on the receiver; generous because -race on two
// cores is slow, and a pass never waits this long.
const waitFor = 30 * time.Second

const testPodDir = "ingress-nginx_ingress-nginx-controller-7d9f8b6c5d-x2x4z_3f5b2c1e-8a4d-4e2b-9c7f-1a2b3c4d5e6f"

func nopSettings() receiver.Settings { return receivertest.NewNopSettings(metadata.Type) }

// testConfig tails include from the beginning and reacts fast.
func testConfig(include string) *Config {
	cfg := NewFactory().CreateDefaultConfig().(*Config)
	cfg.Include = []string{include}
	cfg.StartAt = "beginning"
	cfg.PollInterval = 10 * time.Millisecond
	cfg.Join.Hold = 50 * time.Millisecond
	return cfg
}

// podLog makes <root>/var/log/pods/<testPodDir>/controller/ and returns the
// path of its 0.log (not created).
func podLog(t *testing.T, root string) string {
	t.Helper()
	dir := filepath.Join(root, "var", "log", "pods", testPodDir, "controller")
	require.NoError(t, os.MkdirAll(dir, 0o755))
	return filepath.Join(dir, "0.log")
}

func startReceiver(t *testing.T, set receiver.Settings, cfg *Config, next consumer.Logs, host component.Host) receiver.Logs {
	t.Helper()
	r, err := NewFactory().CreateLogs(context.Background(), set, cfg, next)
	require.NoError(t, err)
	if host == nil {
		host = componenttest.NewNopHost()
	}
	require.NoError(t, r.Start(context.Background(), host))
	return r
}

// t0 is the CRI time of the first generated line.
var t0 = time.Date(2026, 11, 25, 8, 46, 51, 0, time.UTC)

// failedLine is a CRI record holding an ingress-nginx access line of a 502
// whose $req_id (and path) is id, logged at ts.
func failedLine(ts time.Time, id string) string {
	access := fmt.Sprintf(`203.0.113.7 - - [%s] "GET /api/orders/%s HTTP/1.1" 502 150 "-" "curl/8.5.0" 98 0.001 [shop-orders-8080] [] 10.244.1.17:8080 0 0.001 502 %s`,
		ts.Format("02/Jan/2006:15:04:05 -0700"), id, id)
	return ts.Format(time.RFC3339Nano) + " stdout F " + access + "\n"
}

// appendLines writes lines i in [from, to) of a stream whose line i is
// logged at t0+i*step and has request id "req-<i>".
func appendLines(t *testing.T, path string, from, to int, step time.Duration) {
	t.Helper()
	var b strings.Builder
	for i := from; i < to; i++ {
		b.WriteString(failedLine(t0.Add(time.Duration(i)*step), reqID(i)))
	}
	f, err := os.OpenFile(path, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	require.NoError(t, err)
	_, err = f.WriteString(b.String())
	require.NoError(t, err)
	require.NoError(t, f.Close())
}

func reqID(i int) string { return fmt.Sprintf("req-%05d", i) }

func wantIDs(n int) map[string]int {
	want := map[string]int{}
	for i := 0; i < n; i++ {
		want[reqID(i)] = 1
	}
	return want
}

// idCounter counts every record it accepts by request id.
type idCounter struct {
	mu  sync.Mutex
	ids map[string]int
}

func newIDCounter() *idCounter { return &idCounter{ids: map[string]int{}} }

func (c *idCounter) add(ld plog.Logs) {
	c.mu.Lock()
	defer c.mu.Unlock()
	forEachRecord(ld, func(_ plog.ResourceLogs, lr plog.LogRecord) {
		id, _ := lr.Attributes().Get(schema.RequestID)
		c.ids[id.AsString()]++
	})
}

func (c *idCounter) Capabilities() consumer.Capabilities { return consumer.Capabilities{} }

func (c *idCounter) ConsumeLogs(_ context.Context, ld plog.Logs) error {
	c.add(ld)
	return nil
}

func (c *idCounter) snapshot() map[string]int {
	c.mu.Lock()
	defer c.mu.Unlock()
	out := make(map[string]int, len(c.ids))
	for k, v := range c.ids {
		out[k] = v
	}
	return out
}

func (c *idCounter) len() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.ids)
}

func forEachRecord(ld plog.Logs, f func(plog.ResourceLogs, plog.LogRecord)) {
	for i := 0; i < ld.ResourceLogs().Len(); i++ {
		rl := ld.ResourceLogs().At(i)
		for j := 0; j < rl.ScopeLogs().Len(); j++ {
			lrs := rl.ScopeLogs().At(j).LogRecords()
			for k := 0; k < lrs.Len(); k++ {
				f(rl, lrs.At(k))
			}
		}
	}
}

func TestShutdownWithoutStart(t *testing.T) {
	r, err := NewFactory().CreateLogs(context.Background(), nopSettings(), testConfig(filepath.Join(t.TempDir(), "*.log")), consumertest.NewNop())
	require.NoError(t, err)
	require.NoError(t, r.Shutdown(context.Background()))
	require.NoError(t, r.Shutdown(context.Background()))
}

// Two receivers, one after the other, over the same file: each starts and
// stops cleanly (goleak checks nothing is left behind), each delivers the
// file, and a second Shutdown is harmless.
func TestLifecycleTwice(t *testing.T) {
	path := podLog(t, t.TempDir())
	appendLines(t, path, 0, 3, time.Second)
	for run := 0; run < 2; run++ {
		sink := new(consumertest.LogsSink)
		r := startReceiver(t, nopSettings(), testConfig(path), sink, nil)
		require.Eventually(t, func() bool { return sink.LogRecordCount() == 3 }, waitFor, 5*time.Millisecond, "run %d", run)
		require.NoError(t, r.Shutdown(context.Background()))
		require.NoError(t, r.Shutdown(context.Background()), "a second Shutdown must be harmless")
		assert.Equal(t, 3, sink.LogRecordCount(), "run %d", run)
	}
}

var storageID = component.MustNewIDWithName("file_storage", "k8s502")

// startFileStorage runs the real file_storage extension on dir.
func startFileStorage(t *testing.T, dir string) (teststorage.Host, func()) {
	t.Helper()
	return teststorage.Start(t, storageID, dir)
}

// finalFlush marks the context of Shutdown, so stallingConsumer lets the
// flush through.
type finalFlush struct{}

// stallingConsumer accepts everything, but from call number stallAfter+1 on
// it stalls each call until the caller's context ends (then accepts it): a
// slow exporter at the moment the collector shuts down.
type stallingConsumer struct {
	*idCounter
	stallAfter int64
	calls      atomic.Int64
	stalled    chan struct{}
	once       sync.Once
}

func (c *stallingConsumer) ConsumeLogs(ctx context.Context, ld plog.Logs) error {
	if c.calls.Add(1) > c.stallAfter && ctx.Value(finalFlush{}) == nil {
		c.once.Do(func() { close(c.stalled) })
		<-ctx.Done()
	}
	c.add(ld)
	return nil
}

// A receiver stopped in the middle of a file resumes, after a restart with
// the same file_storage directory, exactly where it stopped: every request
// of the file (and of lines written while it was down) arrives once.
func TestRestartResumesFromStorage(t *testing.T) {
	root := t.TempDir()
	path := podLog(t, root)
	storageDir := t.TempDir()
	const before, during = 2000, 300
	// One line per second of log time, so each line's time releases the
	// previous one from the join and records flow while the file is read.
	appendLines(t, path, 0, before, time.Second)

	cfg := testConfig(path)
	cfg.StorageID = &storageID
	cfg.sendBatch = 50 // a send per fileconsumer callback or so: stalls mid-file
	cfg.Join.Hold = 500 * time.Millisecond

	// The storage client is keyed by the receiver's ID: the restarted
	// receiver is the same component.
	set := nopSettings()
	set.ID = component.NewIDWithName(metadata.Type, "restart")

	host, stopStorage := startFileStorage(t, storageDir)
	first := &stallingConsumer{idCounter: newIDCounter(), stallAfter: 3, stalled: make(chan struct{})}
	r1 := startReceiver(t, set, cfg, first, host)
	select {
	case <-first.stalled:
	case <-time.After(waitFor):
		t.Fatal("the receiver never reached its fourth batch")
	}
	shutdownWithin(t, r1, context.WithValue(context.Background(), finalFlush{}, true))
	stopStorage()
	got1 := first.snapshot()
	require.NotEmpty(t, got1)
	require.Less(t, len(got1), before, "the first run was meant to stop in the middle of the file")

	appendLines(t, path, before, before+during, time.Second)

	host, stopStorage = startFileStorage(t, storageDir)
	defer stopStorage()
	second := newIDCounter()
	r2 := startReceiver(t, set, cfg, second, host)
	union := func() map[string]int {
		all := first.snapshot()
		for id, n := range second.snapshot() {
			all[id] += n
		}
		return all
	}
	require.Eventually(t, func() bool { return len(union()) >= before+during }, waitFor, 10*time.Millisecond)
	require.NoError(t, r2.Shutdown(context.Background()))
	assertOnce(t, before+during, union())
}

// assertOnce checks that got holds request ids 0..n-1, each once, and
// lists only the offenders when not.
func assertOnce(t *testing.T, n int, got map[string]int) {
	t.Helper()
	var missing, repeated []string
	for id := range wantIDs(n) {
		if got[id] == 0 {
			missing = append(missing, id)
		}
	}
	for id, c := range got {
		if c > 1 || !strings.HasPrefix(id, "req-") {
			repeated = append(repeated, fmt.Sprintf("%s x%d", id, c))
		}
	}
	sort.Strings(missing)
	sort.Strings(repeated)
	assert.Empty(t, missing, "requests never delivered")
	assert.Empty(t, repeated, "requests delivered more than once (or unknown)")
	assert.Len(t, got, n)
}

// shutdownWithin fails the test instead of hanging when Shutdown does not
// return.
func shutdownWithin(t *testing.T, r component.Component, ctx context.Context) {
	t.Helper()
	done := make(chan error, 1)
	go func() { done <- r.Shutdown(ctx) }()
	select {
	case err := <-done:
		require.NoError(t, err)
	case <-time.After(waitFor):
		t.Fatal("Shutdown hung")
	}
}

// kubelet rotation: the file is renamed (0.log -> 0.log.<time>) and the
// runtime opens a new 0.log. Lines written just before the rename are read
// from the renamed file, lines after it from the new one; all once.
func TestRotation(t *testing.T) {
	path := podLog(t, t.TempDir())
	appendLines(t, path, 0, 50, time.Second)
	ids := newIDCounter()
	r := startReceiver(t, nopSettings(), testConfig(path), ids, nil)
	require.Eventually(t, func() bool { return ids.len() == 50 }, waitFor, 5*time.Millisecond)

	appendLines(t, path, 50, 80, time.Second)
	require.NoError(t, os.Rename(path, path+".20261125-084800"))
	appendLines(t, path, 80, 120, time.Second)

	require.Eventually(t, func() bool { return ids.len() == 120 }, waitFor, 5*time.Millisecond)
	require.NoError(t, r.Shutdown(context.Background()))
	assertOnce(t, 120, ids.snapshot())
}

// flakyConsumer refuses the first calls with a retryable error.
type flakyConsumer struct {
	refuse atomic.Int64 // calls left to refuse
	calls  atomic.Int64
	next   consumer.Logs
}

func (c *flakyConsumer) Capabilities() consumer.Capabilities { return consumer.Capabilities{} }

func (c *flakyConsumer) ConsumeLogs(ctx context.Context, ld plog.Logs) error {
	c.calls.Add(1)
	if c.refuse.Add(-1) >= 0 {
		return errors.New("queue is full")
	}
	return c.next.ConsumeLogs(ctx, ld)
}

func TestNonPermanentErrorIsRetried(t *testing.T) {
	path := podLog(t, t.TempDir())
	appendLines(t, path, 0, 1, time.Second)
	ids := newIDCounter()
	c := &flakyConsumer{next: ids}
	c.refuse.Store(3)
	r := startReceiver(t, nopSettings(), testConfig(path), c, nil)
	require.Eventually(t, func() bool { return ids.len() == 1 }, waitFor, 5*time.Millisecond)
	require.NoError(t, r.Shutdown(context.Background()))
	assert.Equal(t, wantIDs(1), ids.snapshot())
	assert.Equal(t, int64(4), c.calls.Load(), "three refusals, then the same batch again")
}

// A downstream that keeps refusing must not make Shutdown hang: the
// periodic release and the file reader both send, and both must give up
// when the receiver stops.
func TestShutdownWhileDownstreamRefuses(t *testing.T) {
	path := podLog(t, t.TempDir())
	appendLines(t, path, 0, 1, time.Second)
	c := &flakyConsumer{next: consumertest.NewNop()}
	c.refuse.Store(1 << 40)
	r := startReceiver(t, nopSettings(), testConfig(path), c, nil)
	// The held 502 is released by the wall-clock tick, whose send now retries.
	require.Eventually(t, func() bool { return c.calls.Load() > 0 }, waitFor, 5*time.Millisecond)
	// A new line makes the file reader want to send too; once it has read
	// the line it waits for the tick's send to finish.
	appendLines(t, path, 1, 2, time.Second)
	require.Eventually(t, func() bool { return r.(*k8s502Receiver).ingest.Counters.LinesRead.Load() == 2 }, waitFor, 5*time.Millisecond)
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	done := make(chan error, 1)
	go func() { done <- r.Shutdown(ctx) }()
	select {
	case err := <-done:
		// The records could not be delivered; saying so is right.
		assert.Error(t, err)
	case <-time.After(waitFor):
		t.Fatal("Shutdown hung while the downstream refused data")
	}
}

// The receiver's own metrics after reading the CRI fixture. Line counts come
// from the fixture's README: 1,788 CRI records, of which the controller's
// banner (8 stdout records, one of them empty) is not an access line, its
// 14 klog lines are skipped, and nginx's 37 notices are skipped.
func TestTelemetry(t *testing.T) {
	tt := componenttest.NewTelemetry()
	t.Cleanup(func() { require.NoError(t, tt.Shutdown(context.Background())) })
	logs := runFixture(t, criFixture, metadatatest.NewSettings(tt), tt)

	outcomes := map[string]int64{}
	forEachRecord(logs, func(_ plog.ResourceLogs, lr plog.LogRecord) {
		o, _ := lr.Attributes().Get(schema.Outcome)
		outcomes[o.Str()]++
	})
	var emitted []metricdata.DataPoint[int64]
	for o, n := range outcomes {
		emitted = append(emitted, metricdata.DataPoint[int64]{Attributes: attribute.NewSet(attribute.String("outcome", o)), Value: n})
	}
	opts := []metricdatatest.Option{metricdatatest.IgnoreTimestamp(), metricdatatest.IgnoreExemplars()}

	metadatatest.AssertEqualK8s502ReceiverLinesRead(t, tt, []metricdata.DataPoint[int64]{{Value: 1788}}, opts...)
	metadatatest.AssertEqualK8s502ReceiverRecordsEmitted(t, tt, emitted, opts...)
	metadatatest.AssertEqualK8s502ReceiverLinesFailed(t, tt, []metricdata.DataPoint[int64]{
		{Attributes: attribute.NewSet(attribute.String("line_kind", "access")), Value: 8},
	}, opts...)
	metadatatest.AssertEqualK8s502ReceiverLinesSkipped(t, tt, []metricdata.DataPoint[int64]{
		{Attributes: attribute.NewSet(attribute.String("reason", "klog")), Value: 14},
		{Attributes: attribute.NewSet(attribute.String("reason", "notice")), Value: 37},
	}, opts...)
	_, err := tt.GetMetric("otelcol_k8s502_receiver_lines_truncated")
	assert.Error(t, err, "no line of the fixture exceeds max_log_size")
	_, err = tt.GetMetric("otelcol_k8s502_receiver_join_overflow")
	assert.Error(t, err, "the fixture never fills the join")
}

// refuseUntilShutdown refuses every batch (retryably) until Shutdown's final
// flush, marked by finalFlush in its context.
type refuseUntilShutdown struct {
	*idCounter
	refused atomic.Int64
}

func (c *refuseUntilShutdown) ConsumeLogs(ctx context.Context, ld plog.Logs) error {
	if ctx.Value(finalFlush{}) == nil {
		c.refused.Add(1)
		return errors.New("exporter queue is full")
	}
	c.add(ld)
	return nil
}

// Records whose delivery is still being retried when the receiver stops are
// handed to Shutdown's final flush, not dropped: their lines are already
// behind the checkpoint, so nothing else would ever send them.
func TestShutdownDeliversRecordsInRetry(t *testing.T) {
	path := podLog(t, t.TempDir())
	appendLines(t, path, 0, 2, time.Second)
	c := &refuseUntilShutdown{idCounter: newIDCounter()}
	r := startReceiver(t, nopSettings(), testConfig(path), c, nil)
	require.Eventually(t, func() bool { return c.refused.Load() >= 2 }, waitFor, 5*time.Millisecond)
	shutdownWithin(t, r, context.WithValue(context.Background(), finalFlush{}, true))
	assert.Equal(t, wantIDs(2), c.snapshot())
}

func TestStartFailsWithoutStorageExtension(t *testing.T) {
	cfg := testConfig(filepath.Join(t.TempDir(), "*.log"))
	cfg.StorageID = &storageID
	r, err := NewFactory().CreateLogs(context.Background(), nopSettings(), cfg, consumertest.NewNop())
	require.NoError(t, err)
	err = r.Start(context.Background(), componenttest.NewNopHost())
	require.ErrorContains(t, err, "storage")
	require.ErrorContains(t, err, storageID.String())
	require.NoError(t, r.Shutdown(context.Background()))
}

// The custom gateway of testdata/config.yaml (JSON access log, extra
// variables, two watched statuses) read end to end.
func TestCustomJSONFormat(t *testing.T) {
	cm, err := confmaptest.LoadConf(filepath.Join("testdata", "config.yaml"))
	require.NoError(t, err)
	sub, err := cm.Sub(component.NewIDWithName(metadata.Type, "custom").String())
	require.NoError(t, err)
	cfg := NewFactory().CreateDefaultConfig().(*Config)
	require.NoError(t, sub.Unmarshal(cfg))
	path := filepath.Join(t.TempDir(), "var", "log", "pods", "edge_gateway-7f9c_6a1e2d3c-0000-4000-8000-000000000001", "nginx", "0.log")
	require.NoError(t, os.MkdirAll(filepath.Dir(path), 0o755))
	cfg.Include, cfg.Exclude = []string{path}, nil
	cfg.StorageID = nil
	cfg.PollInterval = 10 * time.Millisecond
	cfg.Join.Hold = 50 * time.Millisecond

	access := func(status int, id string) string {
		return fmt.Sprintf(`{"time":"2026-11-25T09:46:51+01:00","client":"192.0.2.14","request":"GET /v1/ledger/%s?from=2026 HTTP/1.1",`+
			`"status":%d,"bytes":160,"duration":3.001,"upstream_name":"finance-ledger-8080","upstream":"10.244.2.9:8080",`+
			`"upstream_status":"%d","request_id":"%s","namespace":"finance","ingress":"ledger \"v2\""}`, id, status, status, id)
	}
	lines := []string{
		t0.Format(time.RFC3339Nano) + " stdout F " + access(504, "timeout-1"),
		t0.Add(time.Second).Format(time.RFC3339Nano) + " stdout F " + access(503, "not-watched"),
		t0.Add(2*time.Second).Format(time.RFC3339Nano) + " stdout F " + access(200, "fine"),
	}
	require.NoError(t, os.WriteFile(path, []byte(strings.Join(lines, "\n")+"\n"), 0o644))

	sink := new(consumertest.LogsSink)
	r := startReceiver(t, nopSettings(), cfg, sink, nil)
	require.Eventually(t, func() bool { return sink.LogRecordCount() == 1 }, waitFor, 5*time.Millisecond)
	require.NoError(t, r.Shutdown(context.Background()))
	require.Equal(t, 1, sink.LogRecordCount(), "503 is not watched by this config")

	ld := sink.AllLogs()[0]
	assert.Equal(t, map[string]any{
		"k8s.namespace.name": "edge",
		"k8s.pod.name":       "gateway-7f9c",
		"k8s.pod.uid":        "6a1e2d3c-0000-4000-8000-000000000001",
		"k8s.container.name": "nginx",
	}, ld.ResourceLogs().At(0).Resource().Attributes().AsRaw())
	lr := ld.ResourceLogs().At(0).ScopeLogs().At(0).LogRecords().At(0)
	assert.Equal(t, "timeout-1", attrStr(lr, schema.RequestID))
	assert.Equal(t, int64(504), attrInt(lr, schema.HTTPResponseStatusCode))
	assert.Equal(t, "gateway", attrStr(lr, schema.Origin))
	assert.Equal(t, "from=2026", attrStr(lr, schema.URLQuery), "redact_query is off")
	assert.Equal(t, []any{"10.244.2.9:8080"}, attrSlice(lr, schema.UpstreamAddresses))
	assert.Equal(t, "finance", attrStr(lr, "k8s502.ingress.namespace"))
	assert.Equal(t, `ledger "v2"`, attrStr(lr, "k8s502.ingress.name"), "JSON escapes undone")
	assert.Equal(t, pcommon.NewTimestampFromTime(t0), lr.Timestamp())
}

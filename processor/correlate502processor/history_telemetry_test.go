package correlate502processor

import (
	"context"
	"errors"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/component/componenttest"
	"go.opentelemetry.io/collector/consumer/consumertest"
	"go.opentelemetry.io/collector/extension/xextension/storage"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"

	"github.com/k8s502/otelcol-k8s502/internal/testing/teststorage"
	"github.com/k8s502/otelcol-k8s502/processor/correlate502processor/internal/metadatatest"
)

// flakyStorage is file_storage whose writes fail while fail is set (a full
// disk).
type flakyStorage struct {
	component.StartFunc
	component.ShutdownFunc
	real storage.Extension
	fail *atomic.Bool
}

func (f flakyStorage) GetClient(ctx context.Context, kind component.Kind, id component.ID, name string) (storage.Client, error) {
	c, err := f.real.GetClient(ctx, kind, id, name)
	return flakyClient{Client: c, fail: f.fail}, err
}

type flakyClient struct {
	storage.Client
	fail *atomic.Bool
}

func (c flakyClient) Batch(ctx context.Context, ops ...*storage.Operation) error {
	if c.fail.Load() {
		return errors.New("no space left on device")
	}
	return c.Client.Batch(ctx, ops...)
}

func lastValue(tel *componenttest.Telemetry, name string) int64 {
	m, err := tel.GetMetric(name)
	if err != nil {
		return -1
	}
	switch d := m.Data.(type) {
	case metricdata.Gauge[int64]:
		return d.DataPoints[0].Value
	case metricdata.Sum[int64]:
		return d.DataPoints[0].Value
	}
	return -1
}

// A history write that fails is counted and retried at the next tick; the
// gateway keeps judging. The size of the last write is reported.
func TestHistoryTelemetry(t *testing.T) {
	tel := componenttest.NewTelemetry()
	defer func() { require.NoError(t, tel.Shutdown(context.Background())) }()
	id := component.MustNewID("file_storage")
	fs, stopStorage := teststorage.Start(t, id, t.TempDir())
	defer stopStorage()
	fail := new(atomic.Bool)
	fail.Store(true)
	host := teststorage.Host{id: flakyStorage{real: fs[id].(storage.Extension), fail: fail}}

	cfg := noCluster()
	cfg.DecisionWait = 0
	cfg.StorageID = &id
	p, err := NewFactory().CreateLogs(context.Background(), metadatatest.NewSettings(tel), cfg, consumertest.NewNop())
	require.NoError(t, err)
	lp := p.(*logsProcessor)
	lp.c.historyEvery = 10 * time.Millisecond
	require.NoError(t, lp.Start(context.Background(), host))
	require.NoError(t, lp.ConsumeLogs(context.Background(), sceneLogs(t, time.Now().Add(-time.Minute))))

	require.Eventually(t, func() bool { return lastValue(tel, "otelcol_correlate502_history_write_failures") >= 2 }, 5*time.Second, 5*time.Millisecond)
	assert.Zero(t, lastValue(tel, "otelcol_correlate502_history_bytes"), "nothing written yet")
	fail.Store(false)
	require.Eventually(t, func() bool { return lastValue(tel, "otelcol_correlate502_history_bytes") > 0 }, 5*time.Second, 5*time.Millisecond)
	require.NoError(t, lp.Shutdown(context.Background()))
}

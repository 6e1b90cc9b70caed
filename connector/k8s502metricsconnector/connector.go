package k8s502metricsconnector // import "github.com/k8s502/otelcol-k8s502/connector/k8s502metricsconnector"

import (
	"context"
	"sync"
	"time"

	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/connector"
	"go.opentelemetry.io/collector/consumer"
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/plog"
	"go.uber.org/zap"

	"github.com/k8s502/otelcol-k8s502/connector/k8s502metricsconnector/internal/metadata"
	"github.com/k8s502/otelcol-k8s502/connector/k8s502metricsconnector/internal/series"
)

// metricsConnector counts k8s502 records as they pass and sends the
// cumulative counts every interval and once at shutdown.
type metricsConnector struct {
	set  connector.Settings
	cfg  *Config
	next consumer.Metrics
	now  func() time.Time

	mu       sync.Mutex // guards table and warned
	table    *series.Table
	warned   bool
	start    pcommon.Timestamp
	cancel   context.CancelFunc
	done     chan struct{}
	shutdown sync.Once
}

func newConnector(set connector.Settings, cfg *Config, next consumer.Metrics, now func() time.Time) *metricsConnector {
	return &metricsConnector{
		set:   set,
		cfg:   cfg,
		next:  next,
		now:   now,
		table: series.New(cfg.MaxSeries),
		start: pcommon.NewTimestampFromTime(now()),
	}
}

// Capabilities: records are only read, so the logs fan-out need not copy them.
func (c *metricsConnector) Capabilities() consumer.Capabilities {
	return consumer.Capabilities{MutatesData: false}
}

// Start begins the interval loop. Its context is not kept: the collector
// cancels it once Start returns.
func (c *metricsConnector) Start(context.Context, component.Host) error {
	c.start = pcommon.NewTimestampFromTime(c.now())
	ctx, cancel := context.WithCancel(context.Background())
	c.cancel, c.done = cancel, make(chan struct{})
	go c.loop(ctx)
	return nil
}

func (c *metricsConnector) loop(ctx context.Context) {
	defer close(c.done)
	t := time.NewTicker(c.cfg.Interval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			c.emit(ctx)
		}
	}
}

// Shutdown stops the loop, waiting for an emission under way (cancelled, so a
// blocked metrics pipeline cannot hold it), then sends the final counts. The
// collector shuts the logs pipeline's receivers and processors down before
// this connector and the metrics pipeline after it, so the last counts include
// every record and still reach the exporters.
func (c *metricsConnector) Shutdown(ctx context.Context) error {
	c.shutdown.Do(func() {
		if c.cancel != nil {
			c.cancel()
			<-c.done
		}
		c.emit(ctx)
	})
	return nil
}

// ConsumeLogs counts each k8s502 record and ignores every other record. It
// never fails: a count cannot be refused.
func (c *metricsConnector) ConsumeLogs(_ context.Context, ld plog.Logs) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	rls := ld.ResourceLogs()
	for i := 0; i < rls.Len(); i++ {
		sls := rls.At(i).ScopeLogs()
		for j := 0; j < sls.Len(); j++ {
			lrs := sls.At(j).LogRecords()
			for k := 0; k < lrs.Len(); k++ {
				lr := lrs.At(k)
				if lr.EventName() == incidentEvent {
					continue
				}
				key, ok := keyOf(lr.Attributes())
				if !ok {
					continue
				}
				if !c.table.Inc(key) && !c.warned {
					c.warned = true
					c.set.Logger.Warn("max_series attribute sets reached: new ones are counted in the otel.metric.overflow=true series",
						zap.Int("max_series", c.cfg.MaxSeries))
				}
			}
		}
	}
	return nil
}

// emit sends the counts so far. A failed send is only logged: the counts are
// cumulative, so the next emission carries everything this one would have.
func (c *metricsConnector) emit(ctx context.Context) {
	c.mu.Lock()
	snap := c.table.Snapshot()
	c.mu.Unlock()
	if snap.Empty() {
		return
	}
	md := buildMetrics(snap, point{
		resource: c.set.Resource,
		scope:    metadata.ScopeName,
		version:  c.set.BuildInfo.Version,
		start:    c.start,
		now:      pcommon.NewTimestampFromTime(c.now()),
	})
	if err := c.next.ConsumeMetrics(ctx, md); err != nil {
		c.set.Logger.Warn("sending k8s502.requests.failed failed; the next interval sends the totals again", zap.Error(err))
	}
}

package correlate502processor // import "github.com/k8s502/otelcol-k8s502/processor/correlate502processor"

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/consumer"
	"go.opentelemetry.io/collector/pdata/plog"
	"go.opentelemetry.io/collector/pdata/pmetric"
	"go.opentelemetry.io/collector/processor"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"
	"go.uber.org/zap"

	"github.com/k8s502/otelcol-k8s502/internal/schema"
	"github.com/k8s502/otelcol-k8s502/processor/correlate502processor/internal/buffer"
	"github.com/k8s502/otelcol-k8s502/processor/correlate502processor/internal/cluster"
	"github.com/k8s502/otelcol-k8s502/processor/correlate502processor/internal/diagnose"
	"github.com/k8s502/otelcol-k8s502/processor/correlate502processor/internal/evidence"
	"github.com/k8s502/otelcol-k8s502/processor/correlate502processor/internal/kube"
	"github.com/k8s502/otelcol-k8s502/processor/correlate502processor/internal/metadata"
)

// held is one k8s502 record waiting for decision_wait, alone in its own
// Logs (with a copy of its resource and scope) so it can be judged and sent
// on independently.
type held struct {
	logs plog.Logs
	next consumer.Logs
}

func (h *held) record() plog.LogRecord {
	return h.logs.ResourceLogs().At(0).ScopeLogs().At(0).LogRecords().At(0)
}

// correlator is the state shared by the processor's pipelines.
type correlator struct {
	set    processor.Settings
	cfg    *Config
	store  *cluster.Store
	onLast func()
	diag   diagnose.Config

	// fedByPipelines is set once any Kubernetes object, event or restart
	// arrived through a pipeline; without it, informers or a snapshot, the
	// records say that no cluster state was available.
	fedByPipelines atomic.Bool

	mu    sync.Mutex
	refs  int
	buf   *buffer.Buffer[*held]
	tb    *metadata.TelemetryBuilder
	watch *kube.Watcher
	stop  chan struct{}
	done  chan struct{}
}

func newCorrelator(set processor.Settings, cfg *Config, onLast func()) (*correlator, error) {
	return &correlator{
		set:    set,
		cfg:    cfg,
		store:  cluster.NewStore(cfg.Lookback),
		onLast: onLast,
		buf:    buffer.New[*held](cfg.DecisionWait, cfg.MaxPending),
		diag: diagnose.Config{
			Lookback: cfg.Lookback,
			// Evidence recorded while the record waited still counts.
			After:      cfg.DecisionWait + 5*time.Second,
			Controller: diagnose.Controller{Namespace: cfg.IngressController.Namespace, PodLabels: cfg.IngressController.PodLabels},
		},
	}, nil
}

func (c *correlator) start(ctx context.Context, _ component.Host) (err error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.refs++
	if c.refs > 1 {
		return nil
	}
	defer func() {
		if err != nil {
			c.refs--
		}
	}()
	tb, err := metadata.NewTelemetryBuilder(c.set.TelemetrySettings)
	if err != nil {
		return err
	}
	c.tb = tb
	if err := c.registerGauges(); err != nil {
		return err
	}
	if c.cfg.ClusterSnapshot != "" {
		counts, err := cluster.LoadSnapshot(c.cfg.ClusterSnapshot, c.store)
		if err != nil {
			return fmt.Errorf("cluster_snapshot: %w", err)
		}
		c.set.Logger.Info("loaded cluster snapshot", zap.String("file", c.cfg.ClusterSnapshot), zap.Any("objects", counts))
	}
	if c.cfg.AuthType != AuthTypeNone {
		w, err := kube.Start(ctx, kube.Config{
			AuthType:   c.cfg.AuthType,
			Context:    c.cfg.Context,
			QPS:        c.cfg.KubeAPIQPS,
			Burst:      c.cfg.KubeAPIBurst,
			Namespaces: c.cfg.Namespaces,
			Logger:     c.set.Logger,
		}, c.store)
		if err != nil {
			// No cluster is not fatal: records still flow, judged on what
			// the pipelines and the snapshot provide, and say so.
			c.set.Logger.Warn("Kubernetes API unavailable; diagnosing from pipeline evidence only", zap.Error(err))
		}
		c.watch = w
	}
	c.stop, c.done = make(chan struct{}), make(chan struct{})
	go c.loop()
	return nil
}

func (c *correlator) registerGauges() error {
	if err := c.tb.RegisterCorrelate502RecordsPendingCallback(func(_ context.Context, o metric.Int64Observer) error {
		c.mu.Lock()
		n := c.buf.Len()
		c.mu.Unlock()
		o.Observe(int64(n))
		return nil
	}); err != nil {
		return err
	}
	if err := c.tb.RegisterCorrelate502ObjectsCallback(func(_ context.Context, o metric.Int64Observer) error {
		for kind, n := range c.store.Stats() {
			o.Observe(int64(n), metric.WithAttributes(attribute.String("kind", kind)))
		}
		return nil
	}); err != nil {
		return err
	}
	return c.tb.RegisterCorrelate502InformersSyncedCallback(func(_ context.Context, o metric.Int64Observer) error {
		v := int64(0)
		if c.watch != nil && c.watch.Synced() {
			v = 1
		}
		o.Observe(v)
		return nil
	})
}

func (c *correlator) shutdown(ctx context.Context) error {
	c.mu.Lock()
	c.refs--
	last := c.refs == 0
	c.mu.Unlock()
	if !last || c.stop == nil {
		return nil
	}
	close(c.stop)
	<-c.done
	if c.watch != nil {
		c.watch.Stop()
	}
	// Judge and send what still waits: shutdown must not swallow records.
	c.mu.Lock()
	rest := c.buf.Drain()
	c.mu.Unlock()
	err := c.release(ctx, rest, "")
	c.tb.Shutdown()
	c.onLast()
	return err
}

// loop judges records whose decision_wait is over and prunes history.
func (c *correlator) loop() {
	defer close(c.done)
	every := min(max(c.cfg.DecisionWait/4, 50*time.Millisecond), time.Second)
	t := time.NewTicker(every)
	defer t.Stop()
	prune := time.NewTicker(time.Minute)
	defer prune.Stop()
	for {
		select {
		case <-c.stop:
			return
		case now := <-prune.C:
			c.store.Prune(now)
		case now := <-t.C:
			c.mu.Lock()
			due := c.buf.Due(now)
			c.mu.Unlock()
			if err := c.release(context.Background(), due, ""); err != nil {
				c.set.Logger.Error("sending annotated records failed", zap.Error(err))
			}
		}
	}
}

// hold queues records; those pushed out by max_pending leave unjudged.
func (c *correlator) hold(ctx context.Context, hs []*held) error {
	now := time.Now()
	var early []*held
	c.mu.Lock()
	for _, h := range hs {
		early = append(early, c.buf.Add(h, now)...)
	}
	c.mu.Unlock()
	if len(early) == 0 {
		return nil
	}
	c.tb.Correlate502RecordsReleasedEarly.Add(ctx, int64(len(early)))
	return c.release(ctx, early, fmt.Sprintf("released before decision_wait: max_pending (%d) records were already waiting", c.cfg.MaxPending))
}

// release judges records (or marks them unjudged with the reason) and sends
// them on, one Logs per next consumer.
func (c *correlator) release(ctx context.Context, hs []*held, unjudged string) error {
	if len(hs) == 0 {
		return nil
	}
	out := map[consumer.Logs]plog.Logs{}
	var order []consumer.Logs
	groups := map[consumer.Logs]map[string]plog.LogRecordSlice{}
	for _, h := range hs {
		lr := h.record()
		var cause string
		if unjudged != "" {
			cause = annotateUnjudged(lr, unjudged)
		} else {
			cause = c.judge(h)
		}
		c.tb.Correlate502RecordsAnnotated.Add(ctx, 1, metric.WithAttributes(attribute.String("cause", cause)))
		dst, ok := out[h.next]
		if !ok {
			dst = plog.NewLogs()
			out[h.next] = dst
			order = append(order, h.next)
			groups[h.next] = map[string]plog.LogRecordSlice{}
		}
		// Records held one by one go out grouped again under their resource
		// and scope, as they came in.
		rl := h.logs.ResourceLogs().At(0)
		sl := rl.ScopeLogs().At(0)
		key := groupKey(rl, sl)
		lrs, ok := groups[h.next][key]
		if !ok {
			nrl := dst.ResourceLogs().AppendEmpty()
			rl.Resource().MoveTo(nrl.Resource())
			nrl.SetSchemaUrl(rl.SchemaUrl())
			nsl := nrl.ScopeLogs().AppendEmpty()
			sl.Scope().MoveTo(nsl.Scope())
			nsl.SetSchemaUrl(sl.SchemaUrl())
			lrs = nsl.LogRecords()
			groups[h.next][key] = lrs
		}
		lr.MoveTo(lrs.AppendEmpty())
	}
	var errs []error
	for _, next := range order {
		errs = append(errs, next.ConsumeLogs(ctx, out[next]))
	}
	return errors.Join(errs...)
}

func (c *correlator) judge(h *held) string {
	rl := h.logs.ResourceLogs().At(0)
	lr := h.record()
	f := factsOf(rl.Resource().Attributes(), lr)
	r := diagnose.Diagnose(f, c.store, c.diag)
	if c.watch == nil && c.cfg.ClusterSnapshot == "" && !c.fedByPipelines.Load() {
		r.Evidence = append(r.Evidence, "no cluster state: auth_type none, no cluster_snapshot, and no Kubernetes objects or events arrived through the pipelines")
	} else if c.watch != nil && !c.watch.Synced() {
		r.Evidence = append(r.Evidence, "Kubernetes API not synced when judged: state may be incomplete")
	}
	annotate(lr, r)
	return r.Cause
}

// groupKey identifies a resource and scope by content.
func groupKey(rl plog.ResourceLogs, sl plog.ScopeLogs) string {
	res, _ := json.Marshal(rl.Resource().Attributes().AsRaw())
	scope, _ := json.Marshal(sl.Scope().Attributes().AsRaw())
	return string(res) + "\x00" + rl.SchemaUrl() + "\x00" + sl.Scope().Name() + "\x00" + sl.Scope().Version() + "\x00" + string(scope)
}

// logsProcessor holds k8s502 records for judgement, indexes Kubernetes
// event records as evidence, and passes everything else through.
type logsProcessor struct {
	c       *correlator
	next    consumer.Logs
	started bool
}

func (p *logsProcessor) Start(ctx context.Context, host component.Host) error {
	if err := p.c.start(ctx, host); err != nil {
		return err
	}
	p.started = true
	return nil
}

// Shutdown without Start (or twice) must be harmless: only a started
// pipeline releases its hold on the shared state.
func (p *logsProcessor) Shutdown(ctx context.Context) error {
	if !p.started {
		return nil
	}
	p.started = false
	return p.c.shutdown(ctx)
}

func (p *logsProcessor) Capabilities() consumer.Capabilities {
	return consumer.Capabilities{MutatesData: true}
}

func (p *logsProcessor) ConsumeLogs(ctx context.Context, ld plog.Logs) error {
	var hs []*held
	indexed := evidence.FromLogs(ld, p.c.store)
	if len(indexed) > 0 {
		p.c.fedByPipelines.Store(true)
	}
	for kind, n := range indexed {
		p.c.tb.Correlate502EvidenceIndexed.Add(ctx, int64(n), metric.WithAttributes(attribute.String("kind", kind)))
	}
	ld.ResourceLogs().RemoveIf(func(rl plog.ResourceLogs) bool {
		rl.ScopeLogs().RemoveIf(func(sl plog.ScopeLogs) bool {
			sl.LogRecords().RemoveIf(func(lr plog.LogRecord) bool {
				if !isK8s502Record(lr) {
					return false
				}
				h := &held{logs: plog.NewLogs(), next: p.next}
				nrl := h.logs.ResourceLogs().AppendEmpty()
				rl.Resource().CopyTo(nrl.Resource())
				nrl.SetSchemaUrl(rl.SchemaUrl())
				nsl := nrl.ScopeLogs().AppendEmpty()
				sl.Scope().CopyTo(nsl.Scope())
				nsl.SetSchemaUrl(sl.SchemaUrl())
				lr.MoveTo(nsl.LogRecords().AppendEmpty())
				hs = append(hs, h)
				return true
			})
			return sl.LogRecords().Len() == 0
		})
		return rl.ScopeLogs().Len() == 0
	})
	var errs []error
	if ld.ResourceLogs().Len() > 0 {
		errs = append(errs, p.next.ConsumeLogs(ctx, ld))
	}
	if p.c.cfg.DecisionWait == 0 {
		errs = append(errs, p.c.release(ctx, hs, ""))
	} else {
		errs = append(errs, p.c.hold(ctx, hs))
	}
	return errors.Join(errs...)
}

// isK8s502Record recognises the receiver's records by their schema.
func isK8s502Record(lr plog.LogRecord) bool {
	_, ok := lr.Attributes().Get(schema.Outcome)
	return ok
}

// metricsProcessor indexes container restart metrics and passes them on.
type metricsProcessor struct {
	c       *correlator
	next    consumer.Metrics
	started bool
}

func (p *metricsProcessor) Start(ctx context.Context, host component.Host) error {
	if err := p.c.start(ctx, host); err != nil {
		return err
	}
	p.started = true
	return nil
}

// Shutdown without Start (or twice) must be harmless: only a started
// pipeline releases its hold on the shared state.
func (p *metricsProcessor) Shutdown(ctx context.Context) error {
	if !p.started {
		return nil
	}
	p.started = false
	return p.c.shutdown(ctx)
}

func (p *metricsProcessor) Capabilities() consumer.Capabilities {
	return consumer.Capabilities{MutatesData: false}
}

func (p *metricsProcessor) ConsumeMetrics(ctx context.Context, md pmetric.Metrics) error {
	if n := evidence.FromMetrics(md, p.c.store); n > 0 {
		p.c.fedByPipelines.Store(true)
		p.c.tb.Correlate502EvidenceIndexed.Add(ctx, int64(n), metric.WithAttributes(attribute.String("kind", "restart")))
	}
	return p.next.ConsumeMetrics(ctx, md)
}

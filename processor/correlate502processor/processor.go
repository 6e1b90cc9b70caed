package correlate502processor // import "github.com/k8s502/otelcol-k8s502/processor/correlate502processor"

import (
	"context"
	"fmt"
	"slices"
	"strconv"
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
	"github.com/k8s502/otelcol-k8s502/processor/correlate502processor/internal/cluster"
	"github.com/k8s502/otelcol-k8s502/processor/correlate502processor/internal/diagnose"
	"github.com/k8s502/otelcol-k8s502/processor/correlate502processor/internal/evidence"
	"github.com/k8s502/otelcol-k8s502/processor/correlate502processor/internal/incident"
	"github.com/k8s502/otelcol-k8s502/processor/correlate502processor/internal/kube"
	"github.com/k8s502/otelcol-k8s502/processor/correlate502processor/internal/metadata"
)

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

	mu     sync.Mutex
	refs   int
	queues []*logsProcessor // the logs pipelines' pending records
	memo   judgements

	incidents    *incident.Tracker
	incidentInfo sync.Map // incident id -> *incidentState
	tb           *metadata.TelemetryBuilder
	// watch is read by the informers-synced gauge's callback on the metrics
	// reader's goroutine while start and shutdown set it: atomic.
	watch atomic.Pointer[kube.Watcher]
	stop  chan struct{}
	done  chan struct{}

	// history writes the store to `storage` (history.go); restoredHistory
	// says a previous run's history was restored; historyEvery, when set,
	// overrides how often it is written (tests).
	history         *historyWriter
	restoredHistory atomic.Bool
	historyEvery    time.Duration
}

func newCorrelator(set processor.Settings, cfg *Config, onLast func()) (*correlator, error) {
	return &correlator{
		set:       set,
		cfg:       cfg,
		store:     cluster.NewStore(cfg.Lookback),
		onLast:    onLast,
		incidents: incident.New(cfg.Incidents.Idle, cfg.Incidents.MaxOpen),
		diag: diagnose.Config{
			Lookback: cfg.Lookback,
			// Evidence recorded while the record waited still counts.
			After:      cfg.DecisionWait + 5*time.Second,
			Controller: diagnose.Controller{Namespace: cfg.IngressController.Namespace, PodLabels: cfg.IngressController.PodLabels},
		},
	}, nil
}

func (c *correlator) start(ctx context.Context, host component.Host) (err error) {
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
	// Before the snapshot and the informers: live state lands on the
	// restored history.
	if err := c.startHistory(ctx, host); err != nil {
		return err
	}
	defer func() {
		if err != nil {
			_ = c.stopHistory(ctx, false)
		}
	}()
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
		c.watch.Store(w)
	}
	c.stop, c.done = make(chan struct{}), make(chan struct{})
	go c.loop()
	return nil
}

func (c *correlator) registerGauges() error {
	if err := c.tb.RegisterCorrelate502RecordsPendingCallback(func(_ context.Context, o metric.Int64Observer) error {
		o.Observe(int64(c.pendingRecords()))
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
		if w := c.watch.Load(); w != nil && w.Synced() {
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
	if w := c.watch.Load(); w != nil {
		w.Stop()
	}
	err := c.stopHistory(ctx, true)
	c.tb.Shutdown()
	c.onLast()
	return err
}

// loop judges records whose decision_wait is over and prunes history. Each
// pipeline's release runs under that pipeline's context, which its Shutdown
// ends, so a next consumer that blocks cannot hold up Shutdown.
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
			qs := slices.Clone(c.queues)
			c.mu.Unlock()
			for _, p := range qs {
				if err := p.releaseDue(p.relCtx, now, false); err != nil && p.relCtx.Err() == nil {
					c.set.Logger.Warn("judged records not accepted by the next consumer; they stay held and are tried again", zap.Error(err))
				}
			}
			c.closeIdle(now, false, func(p *logsProcessor) context.Context { return p.relCtx })
		}
	}
}

func (c *correlator) pendingRecords() int {
	c.mu.Lock()
	qs := slices.Clone(c.queues)
	c.mu.Unlock()
	n := 0
	for _, p := range qs {
		n += p.held()
	}
	return n
}

func (c *correlator) addQueue(p *logsProcessor) {
	c.mu.Lock()
	c.queues = append(c.queues, p)
	c.mu.Unlock()
}

func (c *correlator) removeQueue(p *logsProcessor) {
	c.mu.Lock()
	c.queues = slices.DeleteFunc(c.queues, func(q *logsProcessor) bool { return q == p })
	c.mu.Unlock()
}

// judgeAll judges every record of ld in place. Records that share what
// decides the cause and fall in the same second share one judgement, across
// batches: a storm of identical failures costs one Diagnose per second. Each
// record is counted in its incident; the records of incidents it opened or
// closed are appended to ld.
func (c *correlator) judgeAll(ctx context.Context, ld plog.Logs, owner *logsProcessor) {
	now := time.Now()
	full := c.cfg.RequestDetail != RequestDetailBrief
	causes := map[string]int64{}
	var incs []*incident.Incident
	key := make([]byte, 0, 512)
	var f diagnose.Facts // read anew for each record, its slices reused
	rls := ld.ResourceLogs()
	for i := 0; i < rls.Len(); i++ {
		rl := rls.At(i)
		res := rl.Resource().Attributes()
		rc := resourceCopy{src: res} // this resource's, not the last one's
		sls := rl.ScopeLogs()
		for j := 0; j < sls.Len(); j++ {
			lrs := sls.At(j).LogRecords()
			for k := 0; k < lrs.Len(); k++ {
				lr := lrs.At(k)
				readFacts(&f, res, lr)
				key = incidentKey(key, &f)
				// The judgement is kept for later records: it must not see
				// this one's slices change under it.
				jd := c.memo.get(key, func() diagnose.Result { return c.judge(ownFacts(f)) })
				r := jd.Result
				annotate(lr, r, full)
				incs = append(incs, c.observe(&rc, lr, &f, jd, owner, now)...)
				causes[r.Cause]++
			}
		}
	}
	c.appendIncidents(ld, incs, now)
	for cause, n := range causes {
		c.tb.Correlate502RecordsAnnotated.Add(ctx, n, metric.WithAttributes(attribute.String("cause", cause)))
	}
}

func (c *correlator) judge(f diagnose.Facts) diagnose.Result {
	r := diagnose.Diagnose(f, c.store, c.diag)
	w := c.watch.Load()
	if w == nil && c.cfg.ClusterSnapshot == "" && !c.fedByPipelines.Load() && !c.restoredHistory.Load() {
		r.Evidence = append(r.Evidence, "no cluster state: auth_type none, no cluster_snapshot, and no Kubernetes objects or events arrived through the pipelines")
	} else if w != nil && !w.Synced() {
		r.Evidence = append(r.Evidence, "Kubernetes API not synced when judged: state may be incomplete")
	}
	return r
}

// evidenceFromLogs indexes Kubernetes objects and events that arrive through
// the pipeline and returns how many of each kind.
func evidenceFromLogs(ld plog.Logs, c *correlator) map[string]int {
	indexed := evidence.FromLogs(ld, c.store)
	if len(indexed) > 0 {
		c.fedByPipelines.Store(true)
	}
	return indexed
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

// incidentKey is what decides a record's cause, plus its second: records
// with the same key are judged once. A pod that restarts or turns Ready
// inside a storm changes the state of later seconds, so later buckets are
// judged again.
func incidentKey(b []byte, f *diagnose.Facts) []byte {
	b = b[:0]
	for _, s := range [...]string{f.Gateway, f.ControllerNamespace, f.ControllerPod, f.Service.Namespace, f.Service.Name, f.Service.Port,
		f.UpstreamName, f.ErrorKind, f.ErrorUpstream, f.Origin, f.Outcome, f.FailureSignal, f.Host, f.Path} {
		b = append(b, s...)
		b = append(b, 0)
	}
	for _, s := range f.Addresses {
		b = append(b, s...)
		b = append(b, 1)
	}
	for _, s := range f.Statuses {
		b = append(b, s...)
		b = append(b, 1)
	}
	// The message is the text before nginx's ", client:" context, so it is
	// the same for every request failing the same way.
	b = append(b, f.ErrorMessage...)
	b = append(b, 0)
	b = strconv.AppendInt(b, int64(f.Status), 10)
	b = append(b, 0)
	return strconv.AppendInt(b, f.Time.Unix(), 10)
}

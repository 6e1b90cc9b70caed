package k8s502receiver // import "github.com/k8s502/otelcol-k8s502/receiver/k8s502receiver"

import (
	"cmp"
	"context"
	"errors"
	"os"
	"sync"
	"sync/atomic"
	"time"

	"github.com/open-telemetry/opentelemetry-collector-contrib/pkg/stanza/fileconsumer"
	"github.com/open-telemetry/opentelemetry-collector-contrib/pkg/stanza/operator"
	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/consumer"
	"go.opentelemetry.io/collector/consumer/consumererror"
	"go.opentelemetry.io/collector/extension/xextension/storage"
	"go.opentelemetry.io/collector/pdata/plog"
	"go.opentelemetry.io/collector/receiver"
	"go.opentelemetry.io/collector/receiver/receiverhelper"
	"go.opentelemetry.io/otel/metric"
	"go.uber.org/zap"

	"github.com/k8s502/otelcol-k8s502/receiver/k8s502receiver/internal/container"
	"github.com/k8s502/otelcol-k8s502/receiver/k8s502receiver/internal/ingest"
	"github.com/k8s502/otelcol-k8s502/receiver/k8s502receiver/internal/join"
	"github.com/k8s502/otelcol-k8s502/receiver/k8s502receiver/internal/metadata"
	"github.com/k8s502/otelcol-k8s502/receiver/k8s502receiver/internal/podpath"
	"github.com/k8s502/otelcol-k8s502/receiver/k8s502receiver/internal/record"
)

type k8s502Receiver struct {
	set     receiver.Settings
	cfg     *Config
	next    consumer.Logs
	obs     *receiverhelper.ObsReport
	tb      *metadata.TelemetryBuilder
	ingest  *ingest.Ingest
	joiner  *join.Joiner
	options record.Options

	fcCfg   fileconsumer.Config
	manager *fileconsumer.Manager
	storage storage.Client
	persist operator.Persister // scoped; nil without storage

	delivered delivered    // guarded by sendMu
	heldLines atomic.Int64 // lines written with the last checkpoint

	sourcesMu sync.Mutex
	sources   map[string]*fileSource // by file path

	lastSend atomic.Int64 // unix ns of the last send
	outMu    sync.Mutex
	out      []join.Request // emitted by the joiner, not yet sent

	sendMu    sync.Mutex // one batch at a time downstream; keeps metrics deltas simple
	published published

	stop chan struct{}
	done chan struct{}
}

type fileSource struct {
	in     *ingest.Source
	id     podpath.Identity
	path   string
	offset atomic.Int64 // read up to here, for the backlog gauge
}

// published remembers the counter values already reported.
type published struct {
	read, matched, accessFailed, errorFailed, wrapperFailed, truncated, klog, notice, other, overflow int64
}

func newReceiver(set receiver.Settings, cfg *Config, next consumer.Logs) (*k8s502Receiver, error) {
	g, err := lookupGateway(cfg.Format)
	if err != nil {
		return nil, err
	}
	zone, err := time.LoadLocation(cfg.ErrorLogTimezone)
	if err != nil {
		return nil, err
	}
	newParser, err := cfg.parsers(g, zone)
	if err != nil {
		return nil, err
	}
	wrapper, err := container.ParseFormat(cfg.Wrapper)
	if err != nil {
		return nil, err
	}
	obs, err := receiverhelper.NewObsReport(receiverhelper.ObsReportSettings{
		ReceiverID:             set.ID,
		Transport:              "file",
		ReceiverCreateSettings: set,
	})
	if err != nil {
		return nil, err
	}
	r := &k8s502Receiver{
		set:     set,
		cfg:     cfg,
		next:    next,
		obs:     obs,
		sources: map[string]*fileSource{},
		fcCfg:   cfg.fileConsumer(),
	}
	watched := ingest.NewStatuses(cfg.Statuses)
	r.options = record.Options{Gateway: cfg.Format, Statuses: watched.Has, RedactQuery: cfg.RedactQuery}
	r.joiner = join.New(join.Config{Window: cfg.Join.Window, Hold: cfg.Join.Hold, MaxPending: cfg.Join.MaxPending}, r.collect)
	r.ingest = ingest.New(ingest.Config{
		Wrapper:     wrapper,
		NewParser:   newParser,
		Watched:     watched,
		MaxLineSize: int(cfg.MaxLogSize),
	}, r.joiner)
	return r, nil
}

// collect runs under the joiner's lock: only queue here.
func (r *k8s502Receiver) collect(req join.Request) {
	r.outMu.Lock()
	r.out = append(r.out, req)
	r.outMu.Unlock()
}

func (r *k8s502Receiver) Start(ctx context.Context, host component.Host) error {
	tb, err := metadata.NewTelemetryBuilder(r.set.TelemetrySettings)
	if err != nil {
		return err
	}
	r.tb = tb
	r.warnEmptyIncludes()
	if err := tb.RegisterK8s502ReceiverPendingErrorsCallback(func(_ context.Context, o metric.Int64Observer) error {
		o.Observe(int64(r.joiner.Stats().Pending))
		return nil
	}); err != nil {
		return err
	}
	if err := tb.RegisterK8s502ReceiverLogBacklogCallback(func(_ context.Context, o metric.Int64Observer) error {
		o.Observe(r.backlog())
		return nil
	}); err != nil {
		return err
	}
	var persister operator.Persister
	if r.cfg.StorageID != nil {
		client, err := storageClient(ctx, host, *r.cfg.StorageID, r.set.ID)
		if err != nil {
			return err
		}
		r.storage = client
		r.persist = operator.NewScopedPersister("k8s502", client)
		resumed, err := r.restore(ctx)
		if err != nil {
			return err
		}
		if resumed {
			// start_at applies to the first start only: files that
			// appeared while the collector was away are read whole.
			r.fcCfg.StartAt = "beginning"
		}
		persister = &checkpointer{Persister: r.persist, r: r}
	}
	m, err := r.fcCfg.Build(r.set.TelemetrySettings, r.consume)
	if err != nil {
		return err
	}
	r.manager = m
	r.stop, r.done = make(chan struct{}), make(chan struct{})
	go r.tick(r.stop, r.done)
	return m.Start(persister)
}

func storageClient(ctx context.Context, host component.Host, id, owner component.ID) (storage.Client, error) {
	ext, ok := host.GetExtensions()[id]
	if !ok {
		return nil, errors.New("storage: extension " + id.String() + " not found")
	}
	se, ok := ext.(storage.Extension)
	if !ok {
		return nil, errors.New("storage: extension " + id.String() + " is not a storage extension")
	}
	return se.GetClient(ctx, component.KindReceiver, owner, "")
}

// tick releases join entries whose wait ran out by the wall clock, so a
// quiet log still gets its last records out. It gets its channels as
// arguments because Shutdown clears the fields.
func (r *k8s502Receiver) tick(stop <-chan struct{}, done chan<- struct{}) {
	defer close(done)
	every := min(max(r.cfg.Join.Hold/2, 100*time.Millisecond), time.Second)
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-stop:
			return
		case now := <-t.C:
			r.joiner.Tick(now)
			ctx, cancel := context.WithCancel(context.Background())
			go func() {
				select {
				case <-stop:
					cancel()
				case <-ctx.Done():
				}
			}()
			_ = r.send(ctx, now)
			cancel()
		}
	}
}

// consume is fileconsumer's callback: one batch of lines from one file.
//
// It returns only once the records of these lines are accepted downstream
// or held in the join (whose lines the next checkpoint carries): send
// retries a refusal until it is accepted or the receiver stops, so a full
// queue or a memory_limiter slows reading down and the lines wait in the
// file. An error returned here would only be logged by fileconsumer, which
// advances its offset anyway.
func (r *k8s502Receiver) consume(ctx context.Context, tokens [][]byte, attrs map[string]any, _ int64, offsets []int64) error {
	path, _ := attrs["log.file.path"].(string)
	src := r.source(path)
	now := time.Now()
	r.ingest.LinesAt(src.in, tokens, offsets, now)
	if len(offsets) > len(tokens) {
		src.offset.Store(offsets[len(tokens)]) // just after the last line
	}
	if r.outLen() >= cmp.Or(r.cfg.sendBatch, sendBatch) || now.UnixNano()-r.lastSend.Load() >= int64(sendEvery) {
		_ = r.send(ctx, now)
	}
	return nil
}

// fileconsumer calls back per 100 lines: sending each callback's few dozen
// records alone made a storm one ConsumeLogs (and one storage transaction
// at correlate502) per 50 records. Records wait for sendBatch of them, or
// sendEvery since the last send, or the tick; the checkpoint carries them
// meanwhile (see delivery.go), so waiting loses nothing.
const (
	sendBatch = 2048
	sendEvery = 100 * time.Millisecond
)

func (r *k8s502Receiver) outLen() int {
	r.outMu.Lock()
	defer r.outMu.Unlock()
	return len(r.out)
}

// backlog is how many bytes of the watched files are not read yet: it grows
// while the next consumer refuses and the data waits in the files.
func (r *k8s502Receiver) backlog() int64 {
	r.sourcesMu.Lock()
	srcs := make([]*fileSource, 0, len(r.sources))
	for _, s := range r.sources {
		srcs = append(srcs, s)
	}
	r.sourcesMu.Unlock()
	var n int64
	for _, s := range srcs {
		if fi, err := os.Stat(s.path); err == nil && fi.Size() > s.offset.Load() {
			n += fi.Size() - s.offset.Load()
		}
	}
	return n
}

func (r *k8s502Receiver) source(path string) *fileSource {
	r.sourcesMu.Lock()
	defer r.sourcesMu.Unlock()
	s := r.sources[path]
	if s == nil {
		id := podpath.Parse(path)
		s = &fileSource{in: r.ingest.NewSource(id.Key), id: id, path: path}
		s.in.Path = path
		r.sources[path] = s
	}
	return s
}

// send ships what the joiner emitted. A non-permanent error from the next
// consumer is retried (holding back the reader: back-pressure, not loss)
// until ctx ends; a permanent one drops the batch, counted by obsreport.
func (r *k8s502Receiver) send(ctx context.Context, now time.Time) error {
	r.sendMu.Lock()
	defer r.sendMu.Unlock()
	r.lastSend.Store(now.UnixNano())
	r.publish(ctx)
	r.outMu.Lock()
	reqs := r.out
	r.out = nil
	r.outMu.Unlock()
	if len(reqs) == 0 {
		return nil
	}
	kept, ids := r.undelivered(reqs)
	if len(kept) == 0 {
		return nil // all of them were delivered before a restart
	}
	logs, outcomes := r.build(kept, now)
	n := logs.LogRecordCount()
	backoff := 10 * time.Millisecond
	refusals := 0
	for {
		obsCtx := r.obs.StartLogsOp(ctx)
		err := r.next.ConsumeLogs(obsCtx, logs)
		r.obs.EndLogsOp(obsCtx, r.cfg.Format, n, err)
		if err == nil {
			for o, c := range outcomes {
				r.tb.K8s502ReceiverRecordsEmitted.Add(ctx, c, outcomeSets[o])
			}
			r.recordDelivered(ctx, ids)
			if refusals > 0 {
				r.set.Logger.Info("next consumer accepted records again", zap.Int("records", n), zap.Int("refusals", refusals))
			}
			return nil
		}
		refusals++
		if consumererror.IsPermanent(err) {
			r.set.Logger.Error("next consumer refused records permanently; dropping them", zap.Int("records", n), zap.Error(err))
			return err
		}
		select {
		case <-ctx.Done():
			// Only a stopping receiver cancels ctx: keep the records for
			// Shutdown's final send, which has the caller's deadline.
			r.outMu.Lock()
			r.out = append(reqs, r.out...)
			r.outMu.Unlock()
			return err
		case <-time.After(backoff):
		}
		backoff = min(backoff*2, time.Second)
		// A consumer that refuses may already have taken records out of
		// what it was given: the next try gets them built afresh. Building
		// only on refusal spares every accepted send a deep copy.
		logs, _ = r.build(kept, now)
	}
}

// build makes the records of reqs, leaving out those delivered before a
// restart, and returns their identities. Callers hold sendMu.
// undelivered sets each request's record id and returns the requests whose
// records were not delivered before a restart, with their ids.
func (r *k8s502Receiver) undelivered(reqs []join.Request) ([]join.Request, []string) {
	kept := reqs[:0:0]
	ids := make([]string, 0, len(reqs))
	for i := range reqs {
		req := &reqs[i]
		req.ID = record.ID(req)
		if _, done := r.delivered.skip[req.ID]; done {
			r.tb.K8s502ReceiverRecordsRepeated.Add(context.Background(), 1)
			continue
		}
		kept = append(kept, *req)
		ids = append(ids, req.ID)
	}
	return kept, ids
}

// build turns requests into records, one resource per log stream. It has no
// side effects, so a refused send can build the same records again.
func (r *k8s502Receiver) build(reqs []join.Request, now time.Time) (plog.Logs, map[string]int64) {
	logs := plog.NewLogs()
	bySource := map[string]plog.LogRecordSlice{}
	outcomes := map[string]int64{}
	for i := range reqs {
		req := &reqs[i]
		lrs, ok := bySource[req.Source]
		if !ok {
			rl := logs.ResourceLogs().AppendEmpty()
			r.fillResource(rl, req.Source)
			sl := rl.ScopeLogs().AppendEmpty()
			sl.Scope().SetName(metadata.ScopeName)
			lrs = sl.LogRecords()
			bySource[req.Source] = lrs
		}
		outcomes[record.Fill(lrs.AppendEmpty(), req, now, r.options)]++
	}
	return logs, outcomes
}

func (r *k8s502Receiver) fillResource(rl plog.ResourceLogs, key string) {
	r.sourcesMu.Lock()
	var id podpath.Identity
	for _, s := range r.sources {
		if s.id.Key == key {
			id = s.id
			break
		}
	}
	r.sourcesMu.Unlock()
	attrs := rl.Resource().Attributes()
	put := func(k, v string) {
		if v != "" {
			attrs.PutStr(k, v)
		}
	}
	put("k8s.namespace.name", id.Namespace)
	put("k8s.pod.name", id.Pod)
	put("k8s.pod.uid", id.UID)
	put("k8s.container.name", id.Container)
	put("container.id", id.ContainerID)
}

// publish reports counter deltas since the last call. Callers hold sendMu.
func (r *k8s502Receiver) publish(ctx context.Context) {
	c := &r.ingest.Counters
	p := &r.published
	add := func(last *int64, now int64, counter metric.Int64Counter, opts ...metric.AddOption) {
		if d := now - *last; d > 0 {
			counter.Add(ctx, d, opts...)
			*last = now
		}
	}
	tb := r.tb
	add(&p.read, c.LinesRead.Load(), tb.K8s502ReceiverLinesRead)
	add(&p.matched, c.LinesMatched.Load(), tb.K8s502ReceiverLinesMatched)
	add(&p.accessFailed, c.AccessFailed.Load(), tb.K8s502ReceiverLinesFailed, lineKind["access"])
	add(&p.errorFailed, c.ErrorFailed.Load(), tb.K8s502ReceiverLinesFailed, lineKind["error"])
	add(&p.wrapperFailed, c.WrapperFailed.Load(), tb.K8s502ReceiverLinesFailed, lineKind["wrapper"])
	add(&p.truncated, c.Truncated.Load(), tb.K8s502ReceiverLinesTruncated)
	add(&p.klog, c.SkippedKlog.Load(), tb.K8s502ReceiverLinesSkipped, skipReason["klog"])
	add(&p.notice, c.SkippedNotice.Load(), tb.K8s502ReceiverLinesSkipped, skipReason["notice"])
	add(&p.other, c.SkippedOther.Load(), tb.K8s502ReceiverLinesSkipped, skipReason["unrelated"])
	add(&p.overflow, r.joiner.Stats().Overflow, tb.K8s502ReceiverJoinOverflow)
}

func (r *k8s502Receiver) Shutdown(ctx context.Context) error {
	var errs []error
	// Stop the tick before the reader: a tick retrying a refused batch holds
	// sendMu, and a reader waiting for it would keep manager.Stop from
	// returning.
	if r.stop != nil {
		close(r.stop)
	}
	if r.manager != nil {
		errs = append(errs, r.manager.Stop())
		r.manager = nil
	}
	if r.stop != nil {
		<-r.done
		r.stop = nil
	}
	if r.tb != nil {
		// Whatever still waits in the join goes out now: a shutdown must not
		// swallow the last failures.
		r.joiner.Flush()
		if err := r.send(ctx, time.Now()); err != nil {
			r.outMu.Lock()
			n := len(r.out)
			r.out = nil
			r.outMu.Unlock()
			if n > 0 { // a permanent refusal was logged by send
				r.set.Logger.Error("gave up sending records at shutdown", zap.Int("records", n), zap.Error(err))
			}
			errs = append(errs, err)
		}
		r.tb.Shutdown()
		r.tb = nil
	}
	if r.storage != nil {
		errs = append(errs, r.storage.Close(ctx))
		r.storage = nil
	}
	return errors.Join(errs...)
}

package correlate502processor // import "github.com/k8s502/otelcol-k8s502/processor/correlate502processor"

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"sync"
	"time"

	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/consumer"
	"go.opentelemetry.io/collector/extension/xextension/storage"
	"go.opentelemetry.io/collector/pdata/plog"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"
	"go.uber.org/zap"

	"github.com/k8s502/otelcol-k8s502/processor/correlate502processor/internal/pending"
)

// logsProcessor holds k8s502 records for judgement, indexes Kubernetes
// event records as evidence, and passes everything else through.
//
// The delivery rule lives here: ConsumeLogs answers nil only once the
// records are held (in the storage extension when `storage` is set), and a
// held batch leaves the queue only after the next consumer accepted it.
type logsProcessor struct {
	c       *correlator
	next    consumer.Logs
	index   int // which logs pipeline of this processor ID, for the storage client's name
	started bool

	mu     sync.Mutex // guards q
	q      *pending.Queue
	client storage.Client

	relMu sync.Mutex // one releaser at a time keeps the queue's FIFO
	// inflight are the batches of a judged send the next consumer refused,
	// and their records: tried again as they are. Guarded by relMu.
	inflight     []*pending.Batch
	inflightLogs plog.Logs
	// stopRelease ends the background release's context at Shutdown, so a
	// next consumer that blocks cannot keep Shutdown waiting for relMu.
	relCtx      context.Context
	stopRelease context.CancelFunc
}

func (p *logsProcessor) Start(ctx context.Context, host component.Host) error {
	if err := p.c.start(ctx, host); err != nil {
		return err
	}
	cfg := p.c.cfg
	qc := pending.Config{Wait: cfg.DecisionWait, MaxRecords: cfg.MaxPending, MaxIDs: cfg.DedupeIDs}
	if cfg.StorageID != nil {
		client, err := storageClient(ctx, host, *cfg.StorageID, p.c.set.ID, p.index)
		if err != nil {
			_ = p.c.shutdown(ctx)
			return err
		}
		qc.Client = client
		p.client = client
	}
	p.q = pending.New(qc)
	if err := p.q.Restore(ctx, time.Now()); err != nil {
		_ = p.c.shutdown(ctx)
		return err
	}
	if n := p.q.Stats().Restored; n > 0 {
		p.c.set.Logger.Info("records held before a restart will be judged", zap.Int("records", n))
	}
	p.relCtx, p.stopRelease = context.WithCancel(context.Background())
	p.c.addQueue(p)
	p.started = true
	return nil
}

func storageClient(ctx context.Context, host component.Host, id, owner component.ID, index int) (storage.Client, error) {
	ext, ok := host.GetExtensions()[id]
	if !ok {
		return nil, fmt.Errorf("storage: extension %s not found", id)
	}
	se, ok := ext.(storage.Extension)
	if !ok {
		return nil, fmt.Errorf("storage: extension %s is not a storage extension", id)
	}
	name := "logs"
	if index > 0 {
		name += strconv.Itoa(index)
	}
	return se.GetClient(ctx, component.KindProcessor, owner, name)
}

// Shutdown releases what it can within ctx: everything when records are
// only in memory (judged now rather than lost), only what is due when they
// are in storage (the rest waits there for the next start).
func (p *logsProcessor) Shutdown(ctx context.Context) error {
	if !p.started {
		return nil
	}
	p.started = false
	p.c.removeQueue(p)
	p.stopRelease()
	errs := []error{p.releaseDue(ctx, time.Now(), !p.q.Durable())}
	p.c.closeIdle(time.Now(), true, func(*logsProcessor) context.Context { return ctx })
	if n := p.held(); n > 0 {
		if p.q.Durable() {
			p.c.set.Logger.Info("records kept in storage for the next start", zap.Int("records", n))
		} else {
			p.c.set.Logger.Error("records lost at shutdown: the next consumer did not accept them and no storage is configured", zap.Int("records", n))
		}
	}
	if p.client != nil {
		errs = append(errs, p.client.Close(ctx))
	}
	errs = append(errs, p.c.shutdown(ctx))
	return errors.Join(errs...)
}

func (p *logsProcessor) Capabilities() consumer.Capabilities {
	return consumer.Capabilities{MutatesData: true}
}

func (p *logsProcessor) held() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.q.Len()
}

func (p *logsProcessor) ConsumeLogs(ctx context.Context, ld plog.Logs) error {
	indexed := evidenceFromLogs(ld, p.c)
	for kind, n := range indexed {
		p.c.tb.Correlate502EvidenceIndexed.Add(ctx, int64(n), metric.WithAttributes(attribute.String("kind", kind)))
	}
	ours := splitK8s502(ld)
	if ld.ResourceLogs().Len() > 0 {
		if err := p.next.ConsumeLogs(ctx, ld); err != nil {
			// Nothing of ours is held yet: the caller retries all of it.
			return err
		}
	}
	if ours.ResourceLogs().Len() == 0 {
		return nil
	}
	if p.c.cfg.DecisionWait == 0 {
		p.c.judgeAll(ctx, ours, p)
		return p.next.ConsumeLogs(ctx, ours)
	}
	p.mu.Lock()
	before := p.q.Stats()
	err := p.q.Add(ctx, ours, time.Now())
	after := p.q.Stats()
	p.mu.Unlock()
	if err != nil {
		// Not taken: give the records back, so a sender that retries with
		// the same Logs (as the k8s502 receiver does) still has them.
		ours.ResourceLogs().MoveAndAppendTo(ld.ResourceLogs())
	}
	if d := after.Duplicates - before.Duplicates; d > 0 {
		p.c.tb.Correlate502RecordsDuplicate.Add(ctx, d)
	}
	if errors.Is(err, pending.ErrFull) {
		p.c.tb.Correlate502BatchesRefused.Add(ctx, 1)
	} else if err != nil {
		p.c.set.Logger.Error("could not hold records; the sender is asked to retry", zap.Error(err))
	}
	return err
}

// maxSend bounds the records of one send: due batches are merged up to it,
// so a storm leaves in a few large requests, not one per agent batch.
const maxSend = 8192

// releaseDue judges and sends the batches whose decision_wait is over (all
// of them when all is set), oldest first, merged into one plog.Logs per send.
// It stops at the first refusal: those batches stay held and are tried again.
func (p *logsProcessor) releaseDue(ctx context.Context, now time.Time, all bool) error {
	p.relMu.Lock()
	defer p.relMu.Unlock()
	for ctx.Err() == nil {
		due, ld := p.inflight, p.inflightLogs
		if due == nil {
			p.mu.Lock()
			due = p.q.Due(now, all, maxSend)
			p.mu.Unlock()
			if len(due) == 0 {
				return nil
			}
			m := newMerger()
			for _, b := range due {
				part, err := p.q.Records(ctx, b)
				if err != nil {
					return err
				}
				m.add(part)
			}
			ld = m.out
			// Judged once: a refused send is retried with the same records,
			// so incidents count each request once.
			p.c.judgeAll(ctx, ld, p)
			p.inflight, p.inflightLogs = due, ld
		}
		send := ld
		if p.next.Capabilities().MutatesData {
			// It may change the Logs even when it refuses; a retry must
			// send the records as judged.
			send = plog.NewLogs()
			ld.CopyTo(send)
		}
		if err := p.next.ConsumeLogs(ctx, send); err != nil {
			return err
		}
		p.inflight, p.inflightLogs = nil, plog.Logs{}
		p.mu.Lock()
		var err error
		for _, b := range due {
			if e := p.q.Done(ctx, b); e != nil {
				err = e
			}
		}
		p.mu.Unlock()
		if err != nil {
			p.c.set.Logger.Error("released records not yet recorded as released (retried); a restart before it lands sends them again", zap.Error(err))
		}
	}
	return ctx.Err()
}

// splitK8s502 moves the receiver's records out of ld into a Logs of their
// own, under copies of their resource and scope.
func splitK8s502(ld plog.Logs) plog.Logs {
	out := plog.NewLogs()
	ld.ResourceLogs().RemoveIf(func(rl plog.ResourceLogs) bool {
		var nrl plog.ResourceLogs
		hasRL := false
		rl.ScopeLogs().RemoveIf(func(sl plog.ScopeLogs) bool {
			var nsl plog.ScopeLogs
			hasSL := false
			sl.LogRecords().RemoveIf(func(lr plog.LogRecord) bool {
				if !isK8s502Record(lr) {
					return false
				}
				if !hasSL {
					hasSL = true
					if !hasRL {
						hasRL = true
						nrl = out.ResourceLogs().AppendEmpty()
						rl.Resource().CopyTo(nrl.Resource())
						nrl.SetSchemaUrl(rl.SchemaUrl())
					}
					nsl = nrl.ScopeLogs().AppendEmpty()
					sl.Scope().CopyTo(nsl.Scope())
					nsl.SetSchemaUrl(sl.SchemaUrl())
				}
				lr.MoveTo(nsl.LogRecords().AppendEmpty())
				return true
			})
			return sl.LogRecords().Len() == 0
		})
		return rl.ScopeLogs().Len() == 0
	})
	return out
}

// Package pending holds k8s502 records for decision_wait before they are
// judged. It is the processor's half of the delivery promise: a batch is
// acknowledged upstream only once it is held here, and it leaves only once
// the next consumer accepted its judged records.
//
// With a storage client (the storage extension API, e.g. file_storage) each
// accepted batch is written before the caller is answered and deleted only
// after release, so a killed collector replays what it held after restart.
// Without one, batches live in memory and a killed process loses them.
//
// Record identities (k8s502.record.id) of held and recently released records
// are remembered (bounded by MaxIDs, persisted with the batches), so a batch
// sent again — by an agent whose exporter queue could not know its last send
// was accepted, or by a receiver re-reading lines after a crash — is dropped
// instead of counted twice.
//
// Bounds: at most MaxRecords records are held; beyond it Add refuses with a
// retryable error and the upstream slows down (the receiver's data waits in
// the log files, an agent's in its own queue). Nothing is released unjudged.
package pending

import (
	"context"
	"errors"
	"fmt"
	"time"

	"go.opentelemetry.io/collector/extension/xextension/storage"
	"go.opentelemetry.io/collector/pdata/plog"

	"github.com/k8s502/otelcol-k8s502/internal/schema"
)

// ErrFull is returned by Add when MaxRecords records are already held. It is
// not permanent: the caller should try again later.
var ErrFull = errors.New("correlate502: max_pending records are waiting for decision_wait; retry later")

// Config bounds a Queue.
type Config struct {
	Wait       time.Duration  // decision_wait
	MaxRecords int            // records held at most
	MaxIDs     int            // released record identities remembered for dedupe
	Client     storage.Client // nil: memory only
}

// Batch is one accepted group of records, released as a whole.
type Batch struct {
	Seq   uint64
	Due   time.Time
	Count int
	ids   []string
	logs  plog.Logs // memory mode only; durable batches are read back on release
}

// Stats are counters since start.
type Stats struct {
	Held       int   // records held now
	Duplicates int64 // records dropped because their identity was seen
	Refused    int64 // batches refused because MaxRecords was reached
	Restored   int   // records found in storage at start
}

// Queue is a FIFO of batches. Not safe for concurrent use.
type Queue struct {
	cfg     Config
	batches []*Batch
	held    int
	ids     *idWindow
	meta    meta
	stats   Stats
	// unrecorded are released batches whose release storage has not taken
	// yet (a full disk); written before anything else.
	unrecorded []released
	unmar      plog.ProtoUnmarshaler
	marsh      plog.ProtoMarshaler
}

// New returns an empty queue; call Restore before use when it is durable.
func New(cfg Config) *Queue {
	return &Queue{cfg: cfg, ids: newIDWindow(cfg.MaxIDs)}
}

// Durable reports whether batches survive a restart.
func (q *Queue) Durable() bool { return q.cfg.Client != nil }

// Len is the number of records held.
func (q *Queue) Len() int { return q.held }

// Stats returns the counters.
func (q *Queue) Stats() Stats {
	s := q.stats
	s.Held = q.held
	return s
}

// Add takes the k8s502 records of ld (which it may modify: duplicates are
// removed). It returns nil once they are held (written, when durable), ErrFull
// when the queue is full, or the storage error; in both error cases nothing
// was taken and the caller should be asked to retry.
func (q *Queue) Add(ctx context.Context, ld plog.Logs, now time.Time) error {
	ids := q.dropSeen(ld)
	n := ld.LogRecordCount()
	if n == 0 {
		return nil
	}
	if q.held > 0 && q.held+n > q.cfg.MaxRecords {
		q.stats.Refused++
		return ErrFull
	}
	b := &Batch{Seq: q.meta.Tail, Due: now.Add(q.cfg.Wait), Count: n, ids: ids}
	if q.Durable() {
		if err := q.record(ctx); err != nil {
			// The index must not move past releases it has not recorded.
			return err
		}
		body, err := q.marsh.MarshalLogs(ld)
		if err != nil {
			return fmt.Errorf("correlate502: encoding held records: %w", err)
		}
		next := q.meta
		next.Tail++
		if err := q.cfg.Client.Batch(ctx,
			storage.SetOperation(batchKey(b.Seq), encodeBatch(b.Due, body)),
			storage.SetOperation(metaKey, next.encode()),
		); err != nil {
			return fmt.Errorf("correlate502: holding records in storage: %w", err)
		}
		q.meta = next
	} else {
		b.logs = ld
		q.meta.Tail++
	}
	for _, id := range ids {
		q.ids.hold(id)
	}
	q.batches = append(q.batches, b)
	q.held += n
	return nil
}

// dropSeen removes records whose identity is held or was released recently
// (and repeats within ld), and returns the identities of those kept.
func (q *Queue) dropSeen(ld plog.Logs) []string {
	var ids []string
	var local map[string]struct{}
	ld.ResourceLogs().RemoveIf(func(rl plog.ResourceLogs) bool {
		rl.ScopeLogs().RemoveIf(func(sl plog.ScopeLogs) bool {
			sl.LogRecords().RemoveIf(func(lr plog.LogRecord) bool {
				v, ok := lr.Attributes().Get(schema.RecordID)
				if !ok {
					return false
				}
				id := v.Str()
				if id == "" {
					return false
				}
				if q.ids.has(id) {
					q.stats.Duplicates++
					return true
				}
				if local == nil {
					local = map[string]struct{}{}
				}
				if _, dup := local[id]; dup {
					q.stats.Duplicates++
					return true
				}
				local[id] = struct{}{}
				ids = append(ids, id)
				return false
			})
			return sl.LogRecords().Len() == 0
		})
		return rl.ScopeLogs().Len() == 0
	})
	return ids
}

// Due returns the oldest batches whose wait is over (all of them if all is
// set), as many as fit in maxRecords (at least one), without removing them:
// they leave, in this order, through Done.
func (q *Queue) Due(now time.Time, all bool, maxRecords int) []*Batch {
	var out []*Batch
	n := 0
	for _, b := range q.batches {
		if !all && b.Due.After(now) {
			break
		}
		if len(out) > 0 && n+b.Count > maxRecords {
			break
		}
		out = append(out, b)
		n += b.Count
	}
	return out
}

// Records returns the batch's records, read back from storage when durable.
// The caller owns the result.
func (q *Queue) Records(ctx context.Context, b *Batch) (plog.Logs, error) {
	if !q.Durable() {
		return b.logs, nil
	}
	raw, err := q.cfg.Client.Get(ctx, batchKey(b.Seq))
	if err != nil {
		return plog.Logs{}, fmt.Errorf("correlate502: reading held records: %w", err)
	}
	_, body, err := decodeBatch(raw)
	if err != nil {
		return plog.Logs{}, err
	}
	return q.unmar.UnmarshalLogs(body)
}

// Done removes the oldest batch after the next consumer accepted it. Its
// identities move to the released window, so a repeat is still dropped.
//
// The batch leaves memory even when storage refuses the write (a full disk):
// sending it again would double it. The write is kept and retried by the
// next Done or Add; until it lands, a restart would replay the batch.
func (q *Queue) Done(ctx context.Context, b *Batch) error {
	if len(q.batches) == 0 || q.batches[0] != b {
		return errors.New("correlate502: pending batches released out of order")
	}
	evicted := q.ids.release(b.Seq, b.ids)
	q.batches[0] = nil
	q.batches = q.batches[1:]
	q.held -= b.Count
	if !q.Durable() {
		return nil
	}
	q.unrecorded = append(q.unrecorded, released{seq: b.Seq, ids: b.ids, evicted: evicted})
	return q.record(ctx)
}

// released is a batch the next consumer accepted, to be written as such.
type released struct {
	seq     uint64
	ids     []string
	evicted []uint64
}

// record writes the released batches not yet written, in one transaction.
func (q *Queue) record(ctx context.Context) error {
	if len(q.unrecorded) == 0 {
		return nil
	}
	next := q.meta
	var ops []*storage.Operation
	for _, r := range q.unrecorded {
		next.Head = r.seq + 1
		ops = append(ops, storage.DeleteOperation(batchKey(r.seq)), storage.SetOperation(releasedKey(r.seq), encodeIDs(r.ids)))
		for _, seq := range r.evicted {
			ops = append(ops, storage.DeleteOperation(releasedKey(seq)))
			next.Released = max(next.Released, seq+1)
		}
	}
	ops = append(ops, storage.SetOperation(metaKey, next.encode()))
	if err := q.cfg.Client.Batch(ctx, ops...); err != nil {
		return fmt.Errorf("correlate502: recording %d released batch(es), will retry: %w", len(q.unrecorded), err)
	}
	q.meta = next
	q.unrecorded = q.unrecorded[:0]
	return nil
}

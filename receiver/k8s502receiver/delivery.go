package k8s502receiver // import "github.com/k8s502/otelcol-k8s502/receiver/k8s502receiver"

import (
	"context"
	"encoding/json"
	"strconv"
	"strings"
	"time"

	"github.com/open-telemetry/opentelemetry-collector-contrib/pkg/stanza/operator"
	"go.opentelemetry.io/collector/extension/xextension/storage"
	"go.uber.org/zap"

	"github.com/k8s502/otelcol-k8s502/receiver/k8s502receiver/internal/join"
)

// The delivery rule: the log file is the agent's buffer. fileconsumer
// checkpoints the offset after each poll; a line read before that offset but
// still waiting in the join (or emitted and not yet accepted downstream)
// would be lost by a crash. So every checkpoint is written together with
// those lines (one storage Batch: one bbolt transaction with file_storage),
// and a restart feeds them through the path again before reading on.
//
// Records accepted downstream after the last checkpoint are re-read after a
// crash. Their identities (k8s502.record.id) are written as they are
// accepted and dropped the next time they are built; the checkpoint that
// passes their lines deletes them.
const (
	checkpointKey = "knownFiles" // fileconsumer's key, see pkg/stanza/fileconsumer/internal/checkpoint
	heldKey       = "k8s502.held"
	deliveredKey  = "k8s502.delivered." // + n, 0 <= n < count since the last checkpoint
)

// checkpointer hands fileconsumer's checkpoint writes through and adds the
// receiver's own state to the same batch.
type checkpointer struct {
	operator.Persister
	r *k8s502Receiver
}

func (p *checkpointer) Batch(ctx context.Context, ops ...*storage.Operation) error {
	for _, op := range ops {
		if op.Type == storage.Set && op.Key == checkpointKey {
			return p.r.checkpoint(ctx, p.Persister, ops)
		}
	}
	return p.Persister.Batch(ctx, ops...)
}

// checkpoint writes fileconsumer's offsets with the lines they passed but
// whose records are not delivered yet. It holds sendMu so no batch is in
// flight: every record is either delivered (its lines are behind the offset
// and its identity need not be kept) or in the snapshot.
func (r *k8s502Receiver) checkpoint(ctx context.Context, to operator.Persister, ops []*storage.Operation) error {
	r.sendMu.Lock()
	defer r.sendMu.Unlock()
	kept := r.joiner.Snapshot(func() []join.Kept {
		r.outMu.Lock()
		defer r.outMu.Unlock()
		var out []join.Kept
		for i := range r.out {
			out = append(out, r.out[i].Lines()...)
		}
		return out
	})
	body, err := json.Marshal(kept)
	if err != nil {
		return err
	}
	ops = append(ops, storage.SetOperation(heldKey, body))
	for i := 0; i < r.delivered.written; i++ {
		ops = append(ops, storage.DeleteOperation(deliveredKey+strconv.Itoa(i)))
	}
	if err := to.Batch(ctx, ops...); err != nil {
		return err
	}
	r.delivered.written = 0
	r.heldLines.Store(int64(len(kept)))
	return nil
}

// delivered tracks identities accepted downstream since the last checkpoint.
type delivered struct {
	written int                 // keys written since the last checkpoint
	skip    map[string]struct{} // identities delivered before a restart
}

// recordDelivered writes the identities of an accepted batch. Callers hold
// sendMu. A failed write is logged: the repeat it would have prevented is
// still dropped by the processor's dedupe and by the identity downstream.
func (r *k8s502Receiver) recordDelivered(ctx context.Context, ids []string) {
	if r.persist == nil || len(ids) == 0 {
		return
	}
	key := deliveredKey + strconv.Itoa(r.delivered.written)
	if err := r.persist.Set(ctx, key, []byte(strings.Join(ids, "\n"))); err != nil {
		r.set.Logger.Warn("could not record delivered records; after a crash they may be sent again", zap.Error(err))
		return
	}
	r.delivered.written++
}

// restore reads what the last run left and feeds its held lines back in.
// It runs in Start before fileconsumer reads anything.
func (r *k8s502Receiver) restore(ctx context.Context) (resumed bool, err error) {
	cp, err := r.persist.Get(ctx, checkpointKey)
	if err != nil {
		return false, err
	}
	r.delivered.skip = map[string]struct{}{}
	for n := 0; ; n++ {
		raw, err := r.persist.Get(ctx, deliveredKey+strconv.Itoa(n))
		if err != nil {
			return false, err
		}
		if raw == nil {
			r.delivered.written = n
			break
		}
		for _, id := range strings.Split(string(raw), "\n") {
			r.delivered.skip[id] = struct{}{}
		}
	}
	raw, err := r.persist.Get(ctx, heldKey)
	if err != nil {
		return false, err
	}
	var kept []join.Kept
	if len(raw) > 0 {
		if err := json.Unmarshal(raw, &kept); err != nil {
			r.set.Logger.Error("held lines in storage are unreadable; lines waiting in the join at the last stop are lost", zap.Error(err))
			kept = nil
		}
	}
	now := time.Now()
	for i := range kept {
		k := &kept[i]
		r.ingest.Replay(r.source(k.At.Path).in, k.At, []byte(k.Msg), now)
	}
	if len(kept) > 0 || len(r.delivered.skip) > 0 {
		r.set.Logger.Info("resumed after a stop",
			zap.Int("held_lines_replayed", len(kept)), zap.Int("delivered_since_checkpoint", len(r.delivered.skip)))
	}
	return cp != nil, nil
}

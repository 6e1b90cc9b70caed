package correlate502processor // import "github.com/k8s502/otelcol-k8s502/processor/correlate502processor"

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/extension/xextension/storage"
	"go.opentelemetry.io/otel/metric"
	"go.uber.org/zap"
)

// With `storage`, the state store's history (pods with their Ready
// transitions, IP spans, terminations, events, endpoint and ReplicaSet
// histories, the objects, the watched windows) is written to the storage
// extension every historyEvery and at shutdown, and read back at start,
// before the informers start. A restarted gateway then judges the records
// of the minutes before its restart (the agents' queues replay them)
// against what happened then, as a gateway that never restarted would,
// instead of against the state its informers list at start.

const (
	// historyEvery is how often the history is written: what a killed
	// gateway loses is what changed since the last write.
	historyEvery = 15 * time.Second
	// maxHistoryBytes bounds one write; a larger history (it is pruned to
	// lookback first) is not written and the previous one stays.
	maxHistoryBytes = 64 << 20
	// historyClientName names the storage client, next to the pending
	// records' clients ("logs", "logs1", ...).
	historyClientName = "history"
)

// historyWriter writes the store's history to storage.
type historyWriter struct {
	c      *correlator
	client storage.Client
	every  time.Duration
	stop   chan struct{}
	done   chan struct{}

	mu      sync.Mutex // one write at a time: the periodic one and the final one
	failing bool       // the last write failed (logged once, until one succeeds)
	writes  atomic.Int64
	bytes   atomic.Int64
}

// startHistory restores the history an earlier run wrote and starts the
// periodic writes. Without `storage` it does nothing. Storage that cannot be
// read, or holds a history this build cannot read, is logged and ignored:
// the gateway starts without history, as before this existed.
func (c *correlator) startHistory(ctx context.Context, host component.Host) error {
	if c.cfg.StorageID == nil {
		return nil
	}
	client, err := historyClient(ctx, host, *c.cfg.StorageID, c.set.ID)
	if err != nil {
		return err
	}
	// Informers list the cluster at start: the restored objects they do not
	// list are then marked deleted (cluster.Store.ForgetUnlisted).
	relist := c.cfg.AuthType != AuthTypeNone
	info, err := c.store.LoadHistory(ctx, client, time.Now(), relist)
	switch {
	case err != nil:
		c.set.Logger.Warn("cluster history in storage not restored; starting without it", zap.Error(err))
	case !info.Written.IsZero():
		c.restoredHistory.Store(true)
		c.set.Logger.Info("cluster history restored from storage",
			zap.Time("written", info.Written), zap.Duration("age", time.Since(info.Written)), zap.Any("objects", info.Stats))
	}
	h := &historyWriter{c: c, client: client, every: c.historyEvery, stop: make(chan struct{}), done: make(chan struct{})}
	if h.every <= 0 {
		h.every = historyEvery
	}
	if err := c.tb.RegisterCorrelate502HistoryBytesCallback(func(_ context.Context, o metric.Int64Observer) error {
		o.Observe(h.bytes.Load())
		return nil
	}); err != nil {
		return errors.Join(err, client.Close(ctx))
	}
	c.history = h
	go h.run()
	return nil
}

func historyClient(ctx context.Context, host component.Host, id, owner component.ID) (storage.Client, error) {
	ext, ok := host.GetExtensions()[id]
	if !ok {
		return nil, fmt.Errorf("storage: extension %s not found", id)
	}
	se, ok := ext.(storage.Extension)
	if !ok {
		return nil, fmt.Errorf("storage: extension %s is not a storage extension", id)
	}
	return se.GetClient(ctx, component.KindProcessor, owner, historyClientName)
}

// stopHistory ends the periodic writes and closes the client; final writes
// the history once more first (a graceful stop, after the informers
// stopped, so their window is closed in what is written).
func (c *correlator) stopHistory(ctx context.Context, final bool) error {
	h := c.history
	if h == nil {
		return nil
	}
	c.history = nil
	close(h.stop)
	<-h.done
	if final {
		h.write(ctx)
	}
	return h.client.Close(ctx)
}

func (h *historyWriter) run() {
	defer close(h.done)
	t := time.NewTicker(h.every)
	defer t.Stop()
	for {
		select {
		case <-h.stop:
			return
		case <-t.C:
			h.write(context.Background())
		}
	}
}

// write prunes the store to lookback (that bounds the size) and writes it.
// Only the copy holds the store's lock; encoding and the storage write do
// not hold up judgements.
func (h *historyWriter) write(ctx context.Context) {
	h.mu.Lock()
	defer h.mu.Unlock()
	now := time.Now()
	h.c.store.Prune(now)
	n, err := h.c.store.SaveHistory(ctx, h.client, now, maxHistoryBytes)
	if err != nil {
		h.c.tb.Correlate502HistoryWriteFailures.Add(ctx, 1)
		if !h.failing {
			h.c.set.Logger.Warn("cluster history not written to storage; a restart now restores the last one written", zap.Error(err))
		}
		h.failing = true
		return
	}
	if h.failing {
		h.c.set.Logger.Info("cluster history written to storage again", zap.Int("bytes", n))
	}
	h.failing = false
	h.bytes.Store(int64(n))
	h.writes.Add(1)
}

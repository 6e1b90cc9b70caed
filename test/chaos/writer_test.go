//go:build chaos

package chaos

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"time"
)

// podLog plays containerd for the controller container: it owns the open
// CRI log file and reopens it when the kubelet asks (ReopenContainerLog),
// after the kubelet has renamed it. Until then writes still go to the
// renamed file, as they do on a node.
type podLog struct {
	path string // <root>/var/log/pods/<ns>_<pod>_<uid>/controller/0.log

	mu      sync.Mutex
	f       *os.File
	reopens int // generation of the open file: 0 is the first 0.log
}

func createPodLog(root, namespace, pod, uid string) (*podLog, error) {
	dir := filepath.Join(root, "var", "log", "pods", namespace+"_"+pod+"_"+uid, "controller")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	l := &podLog{path: filepath.Join(dir, "0.log")}
	return l, l.open()
}

func (l *podLog) open() error {
	f, err := os.OpenFile(l.path, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o640)
	if err != nil {
		return err
	}
	l.f = f
	return nil
}

// reopen closes the current file (renamed by now) and creates a new 0.log.
func (l *podLog) reopen() error {
	l.mu.Lock()
	defer l.mu.Unlock()
	_ = l.f.Close()
	l.reopens++
	return l.open()
}

// write appends b in one write call and returns the file generation it
// went to.
func (l *podLog) write(b []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	_, err := l.f.Write(b)
	return l.reopens, err
}

func (l *podLog) close() {
	l.mu.Lock()
	defer l.mu.Unlock()
	_ = l.f.Close()
}

// written is one failed request the writer put into the log.
type written struct {
	id   string
	at   time.Time
	file int // podLog generation
}

// writer appends controller output at a fixed rate of requests per second,
// failPermille of them failed, and remembers every failed req_id.
type writer struct {
	log          *podLog
	rate         int
	failPermille int
	traffic      *traffic

	mu     sync.Mutex
	failed []written
	lines  int64
	bytes  int64
}

// tick is how often the writer catches up with its rate: small batches, so
// a kill can land between any two of them.
const tick = 10 * time.Millisecond

// run writes until ctx ends; it returns the first write error.
func (w *writer) run(ctx context.Context) error {
	start := time.Now()
	var sent int64
	var buf bytes.Buffer
	tk := time.NewTicker(tick)
	defer tk.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-tk.C:
		}
		now := time.Now()
		due := int64(now.Sub(start).Seconds()*float64(w.rate)) - sent
		buf.Reset()
		var ids []string
		var lines int64
		for i := int64(0); i < due; i++ {
			failed := w.traffic.rng.IntN(1000) < w.failPermille
			out, id := w.traffic.request(now, failed)
			for _, l := range out {
				// kubelet CRI format: <RFC3339Nano> <stream> <P|F> <message>
				buf.WriteString(now.UTC().Format(time.RFC3339Nano))
				buf.WriteString(" " + l.stream + " F ")
				buf.WriteString(l.text)
				buf.WriteByte('\n')
				lines++
			}
			if id != "" {
				ids = append(ids, id)
			}
		}
		sent += due
		if buf.Len() == 0 {
			continue
		}
		gen, err := w.log.write(buf.Bytes())
		if err != nil {
			return fmt.Errorf("writer: %w", err)
		}
		w.mu.Lock()
		for _, id := range ids {
			w.failed = append(w.failed, written{id: id, at: now, file: gen})
		}
		w.lines += lines
		w.bytes += int64(buf.Len())
		w.mu.Unlock()
	}
}

// failedRequests is every failed request written so far.
func (w *writer) failedRequests() []written {
	w.mu.Lock()
	defer w.mu.Unlock()
	return append([]written(nil), w.failed...)
}

func (w *writer) totals() (lines, bytes int64) {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.lines, w.bytes
}

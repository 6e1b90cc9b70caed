//go:build chaos

package chaos

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/k8s502/otelcol-k8s502/internal/testing/testotlp"
)

// run is one row of the report: a topology, its collectors and whether it
// gets faults.
type run struct {
	name    string
	mode    mode
	faults  bool
	root    string       // where var/log/pods lives
	start   []*collector // start order (gateway before agent)
	targets []*collector // kill alternation order (agent, then gateway)
	gateway *collector   // nil in topology a
	backend *testotlp.Backend
	disk    *smallDisk // nil: no full-disk fault
	notes   []string
}

// The ingress-nginx controller pod whose log the writer plays.
const (
	controllerNS  = "ingress-nginx"
	controllerPod = "ingress-nginx-controller-7d9f8b6c5d-x2x4z"
	controllerUID = "3f5b2c1e-8a4d-4e2b-9c7f-1a2b3c4d5e6f"
)

// seed makes a run repeatable: K8S502_CHAOS_SEED, else the clock.
func seed(t *testing.T) uint64 {
	if s := os.Getenv("K8S502_CHAOS_SEED"); s != "" {
		var v uint64
		if _, err := fmt.Sscan(s, &v); err != nil {
			t.Fatalf("K8S502_CHAOS_SEED=%q: %v", s, err)
		}
		return v
	}
	return uint64(time.Now().UnixNano())
}

func (r *run) play(t *testing.T) {
	began := time.Now()
	s := seed(t)
	rng := rand.New(rand.NewPCG(s, 1))
	for _, c := range r.start {
		if err := c.start(); err != nil {
			t.Fatalf("start %s: %v", c.name, err)
		}
		t.Cleanup(func() { c.stop(t) })
		if err := c.waitHealthy(time.Minute); err != nil {
			t.Fatal(err)
		}
	}
	// The shipped agent starts at the end of files it finds on its first
	// poll (one poll_interval, 200ms, after start): the log must appear
	// after that to be read from its first line.
	time.Sleep(time.Second)

	log, err := createPodLog(r.root, controllerNS, controllerPod, controllerUID)
	if err != nil {
		t.Fatal(err)
	}
	w := &writer{log: log, rate: r.mode.rate, failPermille: r.mode.failPermille, traffic: newTraffic(s)}
	rot := &rotator{log: log, maxSize: r.mode.rotateBytes, maxFiles: 5, every: r.mode.rotateCheck}
	dur := r.mode.baseline
	f := &faults{}
	if r.faults {
		dur = r.mode.run
		f = plan(rng, r.mode, len(r.targets), r.disk != nil)
	}
	t.Logf("%s: seed %d (K8S502_CHAOS_SEED), writing %v at %d requests/s", r.name, s, dur, r.mode.rate)

	start := time.Now()
	ctx, cancel := context.WithTimeout(context.Background(), dur)
	defer cancel()
	superCtx, stopSuper := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	var writeErr, rotErr error
	wg.Add(3)
	go func() { defer wg.Done(); writeErr = w.run(ctx) }()
	go func() { defer wg.Done(); rotErr = rot.run(ctx) }()
	go func() {
		defer wg.Done()
		if r.faults {
			f.play(ctx, start, r.targets, r.gateway, r.backend, r.disk)
		}
	}()
	supervised := make(chan struct{})
	go func() { defer close(supervised); r.supervise(superCtx, t) }()
	wg.Wait()
	log.close()
	if writeErr != nil || rotErr != nil {
		stopSuper()
		t.Fatalf("harness: writer %v, rotator %v", writeErr, rotErr)
	}

	ids := w.failedRequests()
	drained := r.drain(t, ids)
	stopSuper()
	<-supervised
	for i := len(r.start) - 1; i >= 0; i-- {
		r.start[i].stop(t) // the agent first, so it can hand its queue to the gateway
	}

	lines, bytes := w.totals()
	t.Logf("%s: wrote %d lines (%d MiB), %d failed requests; %d rotations (%d gzipped, %d removed); %s",
		r.name, lines, bytes>>20, len(ids), rot.rotations, rot.compressed, rot.removed, drained)
	row := r.judge(t, ids, f, start, rot.rotations)
	row.wall = time.Since(began)
	addRow(t, row)
	r.keep(t)
}

// keep copies each collector's config and log to $CHAOS_ARTIFACTS/<run>/,
// and on failure shows the error lines of each log.
func (r *run) keep(t *testing.T) {
	dest := os.Getenv("CHAOS_ARTIFACTS")
	if dest != "" {
		dest = filepath.Join(dest, strings.NewReplacer("/", "-", " ", "-", "→", "-").Replace(r.name))
		if err := os.MkdirAll(dest, 0o755); err != nil {
			t.Errorf("CHAOS_ARTIFACTS: %v", err)
			dest = ""
		}
	}
	for _, c := range r.start {
		if dest != "" {
			for _, p := range []string{c.log, c.config} {
				if b, err := os.ReadFile(p); err == nil {
					_ = os.WriteFile(filepath.Join(dest, filepath.Base(p)), b, 0o644)
				}
			}
		}
		if !t.Failed() {
			continue
		}
		var errs []string
		for _, l := range strings.Split(c.tail(1<<22), "\n") {
			if strings.Contains(l, "\terror\t") || strings.Contains(l, "\twarn\t") || strings.HasPrefix(l, "panic") {
				errs = append(errs, l)
			}
		}
		if len(errs) > 20 {
			errs = append(errs[:10], append([]string{fmt.Sprintf("… %d more …", len(errs)-20)}, errs[len(errs)-10:]...)...)
		}
		t.Logf("%s: %s warnings and errors:\n%s", r.name, c.name, strings.Join(errs, "\n"))
	}
	if dest != "" {
		t.Logf("%s: logs and configs in %s", r.name, dest)
	}
}

// supervise restarts a collector that exited by itself, as the kubelet
// restarts a crashed container; the crash is counted and fails the run.
func (r *run) supervise(ctx context.Context, t *testing.T) {
	tk := time.NewTicker(250 * time.Millisecond)
	defer tk.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-tk.C:
		}
		for _, c := range r.start {
			if err := c.ensure(); err != nil {
				t.Errorf("restart %s after a crash: %v", c.name, err)
			}
		}
	}
}

// drain waits until every failed request reached the backend, then a
// little longer for late duplicates; it gives up when nothing new arrived
// for mode.quiet, or after mode.drain.
func (r *run) drain(t *testing.T, ids []written) string {
	list := make([]string, len(ids))
	for i, w := range ids {
		list[i] = w.id
	}
	began := time.Now()
	last, changed := -1, time.Now()
	for {
		n := r.backend.Has(list)
		if n == len(list) {
			time.Sleep(r.mode.settle)
			return fmt.Sprintf("all arrived %.1fs after the writer stopped", time.Since(began).Seconds()-r.mode.settle.Seconds())
		}
		if n != last {
			last, changed = n, time.Now()
		}
		if time.Since(changed) > r.mode.quiet {
			return fmt.Sprintf("gave up: nothing new for %v (%d of %d arrived)", r.mode.quiet, n, len(list))
		}
		if time.Since(began) > r.mode.drain {
			return fmt.Sprintf("gave up after %v (%d of %d arrived)", r.mode.drain, n, len(list))
		}
		time.Sleep(250 * time.Millisecond)
	}
}

// judge compares what was written with what arrived and fails the run on
// any lost or doubled record, a crash, or a harness error.
func (r *run) judge(t *testing.T, ids []written, f *faults, start time.Time, rotations int) row {
	tally := r.backend.Tally()
	row := row{run: r.name, written: len(ids), rotations: rotations, notes: r.notes}
	var lost, doubled []written
	known := make(map[string]bool, len(ids))
	for _, w := range ids {
		known[w.id] = true
		switch n := tally.Counts[w.id]; {
		case n == 0:
			lost = append(lost, w)
		case n > 1:
			doubled = append(doubled, w)
			row.extra += n - 1
		}
	}
	row.reached, row.lost, row.doubled = len(ids)-len(lost), len(lost), len(doubled)
	var unknown int
	for id := range tally.Counts {
		if !known[id] {
			unknown++
		}
	}
	var kills []string
	var crashes []string
	for _, c := range r.targets {
		_, k, cr := c.counts()
		row.kills += k
		kills = append(kills, fmt.Sprintf("%d %s", k, c.name))
		crashes = append(crashes, cr...)
	}
	row.killsBy = strings.Join(kills, ", ")
	row.outages = f.outages
	if f.disk != "" {
		row.notes = append(row.notes, "full disk: "+f.disk)
	}
	if !f.outage.zero() && tally.Refused == 0 {
		row.notes = append(row.notes, "the backend outage refused nothing: no export was attempted while it lasted")
	}
	if tally.NoID > 0 {
		row.notes = append(row.notes, fmt.Sprintf("%d records without a request id", tally.NoID))
	}
	row.notes = append(row.notes, fmt.Sprintf("%d of %d arrivals carry k8s502.cause; %d exports refused",
		tally.Judged, sum(tally.Counts)+tally.NoID, tally.Refused))

	if len(f.log) > 0 {
		t.Logf("%s: timeline\n  %s", r.name, strings.Join(f.log, "\n  "))
	}
	for _, e := range f.errs {
		t.Errorf("%s: %s", r.name, e)
	}
	for _, c := range crashes {
		t.Errorf("%s: crash: %s", r.name, c)
	}
	if unknown > 0 {
		t.Errorf("harness: %d request ids arrived that the writer never wrote", unknown)
	}
	if row.lost > 0 {
		t.Errorf("%s: %d of %d failed requests lost\n%s", r.name, row.lost, len(ids), describe(lost, start, f, tally.Counts))
	}
	if row.doubled > 0 {
		t.Errorf("%s: %d failed requests delivered more than once (%d extra copies)\n%s",
			r.name, row.doubled, row.extra, describe(doubled, start, f, tally.Counts))
	}
	return row
}

// describe groups requests by the log file generation they were written
// to and shows a few with their write time and the kill before it: where
// in the run records go missing or come twice.
func describe(ws []written, start time.Time, f *faults, counts map[string]int) string {
	byFile := map[int]int{}
	for _, w := range ws {
		byFile[w.file]++
	}
	var files []int
	for k := range byFile {
		files = append(files, k)
	}
	sort.Ints(files)
	var parts []string
	for _, k := range files {
		parts = append(parts, fmt.Sprintf("0.log #%d: %d", k, byFile[k]))
	}
	var b strings.Builder
	fmt.Fprintf(&b, "  by log file (#0 is the first 0.log, +1 per rotation): %s\n", strings.Join(parts, ", "))
	for i, w := range ws {
		if i == 5 {
			fmt.Fprintf(&b, "  … %d more\n", len(ws)-5)
			break
		}
		at := w.at.Sub(start)
		prev := "none"
		for _, k := range f.killed {
			if k <= at {
				prev = fmt.Sprintf("%.2fs", k.Seconds())
			}
		}
		fmt.Fprintf(&b, "  %s written at %.2fs (last kill before: %s), arrived %d times\n", w.id, at.Seconds(), prev, counts[w.id])
	}
	return b.String()
}

func sum(m map[string]int) int {
	n := 0
	for _, v := range m {
		n += v
	}
	return n
}

// logGlob is the shipped agent's kind of include under root.
func logGlob(root string) string {
	return filepath.Join(root, "var", "log", "pods", controllerNS+"_*", "controller", "*.log")
}

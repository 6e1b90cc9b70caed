//go:build chaos

package chaos

import (
	"context"
	"fmt"
	"math/rand/v2"
	"sort"
	"sync"
	"time"

	"github.com/k8s502/otelcol-k8s502/internal/testing/testotlp"
)

// window is a span of a run, as offsets from its start.
type window struct{ from, to time.Duration }

func (w window) zero() bool { return w.to <= w.from }

// faults is one run's schedule and, once played, what happened.
type faults struct {
	kills       []time.Duration // SIGKILL instants
	target      []int           // whom each kill is for: an index into play's targets
	pauses      []time.Duration // restart delay after each kill
	outage      window          // backend refuses
	gatewayAway window          // gateway killed and kept down
	diskFull    window          // storage directory full

	mu      sync.Mutex
	log     []string        // what happened, with offsets
	killed  []time.Duration // when SIGKILLs really landed
	errs    []string        // harness or product failures seen while playing
	outages int
	disk    string // outcome of the full disk, for the report
}

// plan shares m.kills SIGKILLs among targets collectors (topology b: the
// agent, then the gateway) and spreads each one's kills over the run, one
// at a random instant in each of its equal slots, so kills never bunch up
// and both tiers get the same number. Half of the restarts follow at once,
// half after a random pause of up to a second.
func plan(rng *rand.Rand, m mode, targets int, canFillDisk bool) *faults {
	f := &faults{}
	f.outage = window{m.run / 5, m.run/5 + m.outage}
	twoTier := targets > 1
	if twoTier && m.gatewayAway > 0 {
		from := m.run * 9 / 20
		f.gatewayAway = window{from, from + m.gatewayAway}
	}
	if !twoTier && canFillDisk && m.diskFull > 0 {
		from := m.run * 3 / 5
		f.diskFull = window{from, from + m.diskFull}
	}
	// Kills live in [1s, run-1s) minus quiet stretches: the start of the
	// outage (decision_wait and a second around it, so records reach the
	// exporter while the backend refuses; later kills in the outage hit a
	// filling queue), the full disk (whether the collector survives it on
	// its own is the question there) and, for the gateway, its time away.
	var skip []window
	if !f.outage.zero() {
		skip = append(skip, window{f.outage.from - time.Second, f.outage.from + 6*time.Second})
	}
	if !f.diskFull.zero() {
		skip = append(skip, window{f.diskFull.from - time.Second, f.diskFull.to + 2*time.Second})
	}
	type kill struct {
		at     time.Duration
		target int
	}
	var all []kill
	for k := 0; k < targets; k++ {
		n := m.kills / targets
		if k < m.kills%targets {
			n++
		}
		sk := skip
		if k == 1 && !f.gatewayAway.zero() {
			sk = append(append([]window(nil), skip...), window{f.gatewayAway.from - time.Second, f.gatewayAway.to})
		}
		for _, at := range spread(rng, n, window{time.Second, m.run - time.Second}, sk) {
			all = append(all, kill{at, k})
		}
	}
	sort.Slice(all, func(i, j int) bool { return all[i].at < all[j].at })
	for _, k := range all {
		f.kills = append(f.kills, k.at)
		f.target = append(f.target, k.target)
		pause := time.Duration(0)
		if rng.IntN(2) == 1 {
			pause = time.Duration(rng.Int64N(int64(time.Second)))
		}
		f.pauses = append(f.pauses, pause)
	}
	return f
}

// spread puts n instants in span minus skip, one at a random point of each
// of n equal slots of the time that is left.
func spread(rng *rand.Rand, n int, span window, skip []window) []time.Duration {
	skip = merge(skip)
	left := span.to - span.from
	for _, w := range skip {
		left -= w.to - w.from
	}
	if n == 0 || left <= 0 {
		return nil
	}
	slot := left / time.Duration(n)
	var out []time.Duration
	for i := 0; i < n; i++ {
		at := span.from + time.Duration(i)*slot + time.Duration(rng.Int64N(int64(slot)))
		for _, w := range skip { // in time order: each shift can pass the next window
			if at >= w.from {
				at += w.to - w.from
			}
		}
		out = append(out, at)
	}
	return out
}

// merge sorts windows and joins those that overlap.
func merge(ws []window) []window {
	ws = append([]window(nil), ws...)
	sort.Slice(ws, func(i, j int) bool { return ws[i].from < ws[j].from })
	var out []window
	for _, w := range ws {
		if n := len(out); n > 0 && w.from <= out[n-1].to {
			out[n-1].to = max(out[n-1].to, w.to)
			continue
		}
		out = append(out, w)
	}
	return out
}

func (f *faults) note(start time.Time, format string, args ...any) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.log = append(f.log, fmt.Sprintf("%6.2fs ", time.Since(start).Seconds())+fmt.Sprintf(format, args...))
}

func (f *faults) fail(format string, args ...any) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.errs = append(f.errs, fmt.Sprintf(format, args...))
}

// event is one step of the timeline.
type event struct {
	at time.Duration
	do func()
}

// play runs the schedule against targets (a kill that finds the gateway
// held down, late, goes to the agent) until ctx ends, then undoes whatever
// is still in effect: the backend accepts, the disk has space, every
// collector runs.
func (f *faults) play(ctx context.Context, start time.Time, targets []*collector, gateway *collector,
	backend *testotlp.Backend, disk *smallDisk) {
	var evs []event
	for i, at := range f.kills {
		i := i
		evs = append(evs, event{at, func() {
			c := targets[f.target[i]]
			if c == gateway && !f.gatewayAway.zero() && inside(time.Since(start), f.gatewayAway, time.Second) {
				c = targets[0]
			}
			if c.kill() {
				f.mu.Lock()
				f.killed = append(f.killed, time.Since(start))
				f.mu.Unlock()
				f.note(start, "SIGKILL %s", c.name)
			}
			time.Sleep(f.pauses[i])
			if err := c.start(); err != nil {
				f.fail("restart %s: %v", c.name, err)
			}
		}})
	}
	if !f.outage.zero() {
		evs = append(evs, event{f.outage.from, func() {
			backend.Refuse(true)
			f.mu.Lock()
			f.outages++
			f.mu.Unlock()
			f.note(start, "backend refuses (503)")
		}}, event{f.outage.to, func() { backend.Refuse(false); f.note(start, "backend accepts") }})
	}
	if !f.gatewayAway.zero() && gateway != nil {
		evs = append(evs, event{f.gatewayAway.from, func() {
			gateway.holdDown()
			f.mu.Lock()
			f.outages++
			f.mu.Unlock()
			f.note(start, "gateway away")
		}}, event{f.gatewayAway.to, func() {
			if err := gateway.release(); err != nil {
				f.fail("restart gateway: %v", err)
			}
			f.note(start, "gateway back")
		}})
	}
	var diskCheck func()
	if !f.diskFull.zero() && disk != nil {
		evs = append(evs, event{f.diskFull.from, func() {
			diskCheck = f.fillDisk(start, disk, targets[0])
		}}, event{f.diskFull.to, func() {
			if diskCheck != nil {
				diskCheck()
				diskCheck = nil
			}
		}})
	}
	sort.SliceStable(evs, func(i, j int) bool { return evs[i].at < evs[j].at })

	for _, ev := range evs {
		wait := time.Until(start.Add(ev.at))
		select {
		case <-ctx.Done():
		case <-time.After(wait):
			ev.do()
			continue
		}
		break
	}
	<-ctx.Done()
	backend.Refuse(false)
	if diskCheck != nil {
		diskCheck()
	}
	for _, c := range targets {
		if err := c.release(); err != nil {
			f.fail("restart %s: %v", c.name, err)
		}
	}
}

func inside(at time.Duration, w window, margin time.Duration) bool {
	return at >= w.from-margin && at < w.to
}

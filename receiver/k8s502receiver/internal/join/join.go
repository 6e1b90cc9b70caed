// Package join pairs a proxy's failure lines with the request line of the
// same request, for every gateway whose parser returns gateway.Failure
// (nginx's error log, Traefik's debug "502 Bad Gateway" lines) by the key
// both carry. The proxy writes the failure first (nginx once per failed
// attempt, so a retried request can have several, up to one proxy timeout
// apart) and the request line when the request ends. The container runtime
// reads stdout and stderr through separate pipes, so a failure can also land
// a moment after its request line: failed request lines wait briefly, and
// each file remembers its latest unclaimed Candidates for a late failure.
//
// The whole protocol is behind a Stream per file (stream.go): Request and
// Failure take what the parser made of a line; Tick, Flush and Snapshot act
// on everything waiting. Formats without failure lines pass through it too
// and are emitted at once.
//
// Everything is bounded: failures wait at most Window, request lines at most
// Hold, and at most MaxPending items wait in total. Whatever times out is
// emitted alone, never dropped.
package join

import (
	"sync"
	"sync/atomic"
	"time"

	"github.com/k8s502/otelcol-k8s502/internal/schema"
	"github.com/k8s502/otelcol-k8s502/receiver/k8s502receiver/internal/event"
)

// Request is what the joiner emits: an access line with the error lines of
// the same request, or an error line that found no access line.
type Request struct {
	Source    string // which log stream (pod) it came from
	Time      time.Time
	Access    *event.Access // nil when an error line found no access line
	AccessRaw string
	Line      event.Line // where AccessRaw came from
	ID        string     // the record identity, once computed (record.ID)
	Errors    []event.UpstreamError
}

// Config bounds the joiner.
type Config struct {
	Window     time.Duration // how long an error line waits for its access line
	Hold       time.Duration // how long a failed access line waits for a late error line
	MaxPending int           // errors plus held access lines, across all sources
}

// Stats are the joiner's counters since start.
type Stats struct {
	Pending   int   // items waiting now
	Unmatched int64 // error lines emitted alone
	Overflow  int64 // items released early because MaxPending was reached
}

type item struct {
	src     string
	key     string
	seq     uint64    // arrival order across all sources
	at      time.Time // event time
	arrived time.Time // wall time
	req     *Request  // the held access line, or nil for an error
	err     event.UpstreamError
	done    bool
}

// source keeps one log stream's waiting items in arrival order, one queue
// per kind so each is ordered by its own deadline.
type source struct {
	latest     time.Time // newest event time seen
	latestWall time.Time // when a line last arrived, to forget idle sources
	errs       []*item
	held       []*item
}

// Joiner is safe for concurrent use.
type Joiner struct {
	cfg  Config
	emit func(Request)

	mu        sync.Mutex
	errs      map[string][]*item // src\x00key -> errors, oldest first
	truncated map[string][]*item // src -> errors whose key was cut short
	held      map[string][]*item // same key as errs -> access lines waiting
	sources   map[string]*source
	seq       uint64
	live      int
	stats     Stats

	// errsWaiting mirrors the number of waiting error lines so the hot path
	// can skip the lock when nothing waits.
	errsWaiting atomic.Int64

	keyBuf []byte // waiting's lookup key, reused under mu
}

// New returns a joiner that hands finished requests to emit. emit is called
// with the joiner's lock held: it must not call back into the joiner.
func New(cfg Config, emit func(Request)) *Joiner {
	return &Joiner{
		cfg:       cfg,
		emit:      emit,
		errs:      map[string][]*item{},
		truncated: map[string][]*item{},
		held:      map[string][]*item{},
		sources:   map[string]*source{},
	}
}

func fullKey(src string, key []byte) string {
	return src + "\x00" + string(key)
}

// anyErrorWaiting is a lock-free hint: false means no error line waits for
// any access line.
func (j *Joiner) anyErrorWaiting() bool { return j.errsWaiting.Load() > 0 }

// waiting reports whether an error line is waiting for an access line with
// this key. The hot path asks this before building the access event, so a
// line nobody waits for costs one map lookup.
func (j *Joiner) waiting(src string, key []byte) bool {
	j.mu.Lock()
	defer j.mu.Unlock()
	if len(j.errs) > 0 {
		j.keyBuf = append(append(append(j.keyBuf[:0], src...), 0), key...)
		if _, ok := j.errs[string(j.keyBuf)]; ok {
			return true
		}
	}
	for _, it := range j.truncated[src] {
		if !it.done && truncatedMatch(it, key) {
			return true
		}
	}
	return false
}

// truncatedMatch reports whether the error it, whose line the proxy cut
// inside its request (nginx's error-string limit), can be the request with
// key: what is left of its own key starts that key.
func truncatedMatch(it *item, key []byte) bool {
	own := it.key[len(it.src)+1:]
	return len(key) >= len(own) && string(key[:len(own)]) == own
}

// access offers a finished request. keep says whether it is worth emitting
// without any error line (its status is one of the watched ones). It returns
// whether the request was kept (emitted now or held).
func (j *Joiner) access(src string, key []byte, at, now time.Time, r Request, keep bool) bool {
	j.mu.Lock()
	defer j.mu.Unlock()
	s := j.source(src)
	s.latestWall = now
	j.advance(s, at)
	r.Errors = j.takeErrors(src, key, r.Access)
	switch {
	case len(r.Errors) > 0 && !r.Access.UpstreamUnlogged && countErrors(r.Errors) >= max(len(r.Access.Attempts), 1):
		j.emit(r)
	case keep || len(r.Errors) > 0:
		// Its error line (or a later attempt's) may still be in the other
		// pipe: hold it briefly.
		it := &item{src: src, key: fullKey(src, key), at: at, arrived: now, req: &r}
		j.held[it.key] = append(j.held[it.key], it)
		s.held = append(s.held, it)
		j.push(it)
	default:
		return false
	}
	return true
}

// attachToHeld gives e to a held access line of the same request, if one
// waits (its access line won the pipe race). It reports whether it did.
func (j *Joiner) attachToHeld(src string, key []byte, e event.UpstreamError) bool {
	j.mu.Lock()
	defer j.mu.Unlock()
	for _, it := range j.held[fullKey(src, key)] {
		if !it.done && compatible(&e, it.req.Access, countErrors(it.req.Errors)) {
			it.req.Errors = append(it.req.Errors, e)
			return true
		}
	}
	return false
}

// emitNow hands a request that is already complete to the emit func.
func (j *Joiner) emitNow(r Request) {
	j.mu.Lock()
	defer j.mu.Unlock()
	j.emit(r)
}

// failure makes an error line wait for its access line. Callers try
// attachToHeld first.
func (j *Joiner) failure(src string, key []byte, at, now time.Time, e event.UpstreamError) {
	j.mu.Lock()
	defer j.mu.Unlock()
	s := j.source(src)
	s.latestWall = now
	j.advance(s, at)
	k := fullKey(src, key)
	it := &item{src: src, key: k, at: at, arrived: now, err: e}
	if e.Truncated {
		j.truncated[src] = append(j.truncated[src], it)
	} else {
		j.errs[k] = append(j.errs[k], it)
	}
	s.errs = append(s.errs, it)
	j.errsWaiting.Add(1)
	j.push(it)
}

func (j *Joiner) source(src string) *source {
	s := j.sources[src]
	if s == nil {
		s = &source{}
		j.sources[src] = s
	}
	return s
}

// countErrors counts the error lines that stand for a failed attempt (warn
// lines such as "upstream server temporarily disabled" come on top).
func countErrors(errs []event.UpstreamError) int {
	n := 0
	for i := range errs {
		if errs[i].Level >= event.LevelError {
			n++
		}
	}
	return n
}

// compatible reports whether e can belong to the request a, which already
// has n attempt errors.
func compatible(e *event.UpstreamError, a *event.Access, n int) bool {
	if a == nil {
		return false
	}
	if e.RequestID != "" && a.RequestID != "" && e.RequestID != a.RequestID {
		// Kong names the request on its error lines: two identical requests
		// from one client at once are told apart by it.
		return false
	}
	if a.UpstreamUnlogged {
		// Nothing to check the error against: nginx logs one error line per
		// failed attempt and tries at most every peer, so any number fits.
		return e.Kind != schema.ErrRateLimited || e.Peer() == ""
	}
	if e.Level >= event.LevelError {
		attempts := len(a.Attempts)
		if attempts == 0 {
			attempts = 1
		}
		if n >= attempts {
			return false
		}
	}
	peer := e.Peer()
	if peer == "" {
		// Rate limits reject before any upstream is chosen; a cut line lost
		// its peer: either way the access line must agree.
		if e.Kind == schema.ErrRateLimited {
			return !a.Upstream()
		}
		return true
	}
	for _, at := range a.Attempts {
		if at.Addr == peer {
			return true
		}
	}
	return false
}

func (j *Joiner) takeErrors(src string, key []byte, a *event.Access) []event.UpstreamError {
	var out []event.UpstreamError
	take := func(m map[string][]*item, k string, match func(*item) bool) {
		list, ok := m[k]
		if !ok {
			return
		}
		rest := list[:0]
		for _, it := range list {
			if it.done {
				continue
			}
			if match(it) && compatible(&it.err, a, countErrors(out)) {
				out = append(out, it.err)
				j.finish(it)
				continue
			}
			rest = append(rest, it)
		}
		if len(rest) == 0 {
			delete(m, k)
		} else {
			m[k] = rest
		}
	}
	take(j.errs, fullKey(src, key), func(*item) bool { return true })
	take(j.truncated, src, func(it *item) bool { return truncatedMatch(it, key) })
	return out
}

func (j *Joiner) push(it *item) {
	j.seq++
	it.seq = j.seq
	j.live++
	for j.cfg.MaxPending > 0 && j.live > j.cfg.MaxPending {
		j.stats.Overflow++
		j.release(j.oldest())
	}
}

// oldest finds the item that arrived first, across sources.
func (j *Joiner) oldest() *item {
	var best *item
	for _, s := range j.sources {
		s.errs = trimDone(s.errs)
		s.held = trimDone(s.held)
		for _, q := range [][]*item{s.errs, s.held} {
			if len(q) > 0 && (best == nil || q[0].seq < best.seq) {
				best = q[0]
			}
		}
	}
	return best
}

// trimDone drops finished items from the head of a queue.
func trimDone(q []*item) []*item {
	for len(q) > 0 && q[0].done {
		q[0] = nil
		q = q[1:]
	}
	return q
}

func (j *Joiner) finish(it *item) {
	if !it.done {
		it.done = true
		j.live--
		if it.req == nil {
			j.errsWaiting.Add(-1)
		}
	}
}

// release emits a waiting item and forgets it.
func (j *Joiner) release(it *item) {
	if it == nil || it.done {
		return
	}
	j.finish(it)
	if it.req != nil {
		j.held[it.key] = removeDone(j.held[it.key])
		if len(j.held[it.key]) == 0 {
			delete(j.held, it.key)
		}
		j.emit(*it.req)
		return
	}
	if it.err.Truncated {
		if j.truncated[it.src] = removeDone(j.truncated[it.src]); len(j.truncated[it.src]) == 0 {
			delete(j.truncated, it.src)
		}
	} else if j.errs[it.key] = removeDone(j.errs[it.key]); len(j.errs[it.key]) == 0 {
		delete(j.errs, it.key)
	}
	j.stats.Unmatched++
	j.emit(Request{Source: it.src, Time: it.at, Errors: []event.UpstreamError{it.err}})
}

func removeDone(list []*item) []*item {
	rest := list[:0]
	for _, it := range list {
		if !it.done {
			rest = append(rest, it)
		}
	}
	for i := len(rest); i < len(list); i++ {
		list[i] = nil
	}
	return rest
}

// advance moves a source's event clock and releases what it outlived. Items
// of other sources wait for their own clock or for Tick.
func (j *Joiner) advance(s *source, at time.Time) {
	if at.IsZero() || !at.After(s.latest) {
		return
	}
	s.latest = at
	s.errs = j.expireQueue(s.errs, func(it *item) bool { return at.Sub(it.at) > j.cfg.Window })
	s.held = j.expireQueue(s.held, func(it *item) bool { return at.Sub(it.at) > j.cfg.Hold })
}

// expireQueue releases items from the head of q while old says so. Queues
// are in arrival order, which is (nearly) deadline order, so the scan stops
// at the first young item.
func (j *Joiner) expireQueue(q []*item, old func(*item) bool) []*item {
	for {
		q = trimDone(q)
		if len(q) == 0 || !old(q[0]) {
			return q
		}
		j.release(q[0])
	}
}

// Tick releases what has waited too long by the wall clock: the way out when
// a source goes quiet and its event clock stops.
func (j *Joiner) Tick(now time.Time) {
	j.mu.Lock()
	defer j.mu.Unlock()
	for name, s := range j.sources {
		s.errs = j.expireQueue(s.errs, func(it *item) bool { return now.Sub(it.arrived) > j.cfg.Window })
		s.held = j.expireQueue(s.held, func(it *item) bool { return now.Sub(it.arrived) > j.cfg.Hold })
		if len(s.errs) == 0 && len(s.held) == 0 && now.Sub(s.latestWall) > j.cfg.Window {
			delete(j.sources, name)
		}
	}
}

// Flush releases everything, oldest first (at shutdown).
func (j *Joiner) Flush() {
	j.mu.Lock()
	defer j.mu.Unlock()
	for it := j.oldest(); it != nil; it = j.oldest() {
		j.release(it)
	}
}

// Stats returns the counters.
func (j *Joiner) Stats() Stats {
	j.mu.Lock()
	defer j.mu.Unlock()
	s := j.stats
	s.Pending = j.live
	return s
}

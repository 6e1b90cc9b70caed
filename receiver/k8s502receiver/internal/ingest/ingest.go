// Package ingest is the receiver's per-line path: unwrap the container
// framing, reassemble split lines, route the message (access, error, klog),
// pre-filter, parse what is kept, and feed the join. It knows nothing about
// files or pdata, which keeps it testable and benchmarkable on its own.
package ingest

import (
	"bytes"
	"slices"
	"sync/atomic"
	"time"

	"github.com/k8s502/otelcol-k8s502/receiver/k8s502receiver/internal/container"
	"github.com/k8s502/otelcol-k8s502/receiver/k8s502receiver/internal/event"
	"github.com/k8s502/otelcol-k8s502/receiver/k8s502receiver/internal/gateway"
	"github.com/k8s502/otelcol-k8s502/receiver/k8s502receiver/internal/join"
	"github.com/k8s502/otelcol-k8s502/receiver/k8s502receiver/internal/nginx"
)

// Config is what the line path needs, already validated and compiled.
type Config struct {
	Wrapper container.Format
	Format  *nginx.Format // nginx-based formats; nil when NewParser is set
	// NewParser makes the parser of one file for every other proxy.
	NewParser   func() gateway.Parser
	Watched     *Statuses
	ErrorZone   *time.Location // zone of error-log timestamps
	MaxLineSize int            // bound on a reassembled line
}

// Counters are cumulative and safe to read concurrently.
type Counters struct {
	LinesRead     atomic.Int64
	LinesMatched  atomic.Int64 // lines that reached the join (kept or looked up)
	AccessFailed  atomic.Int64 // stdout lines that do not match log_format
	ErrorFailed   atomic.Int64 // error-log-shaped lines that could not be read
	WrapperFailed atomic.Int64 // framing expected but broken
	Truncated     atomic.Int64 // reassembled lines cut at MaxLineSize
	SkippedKlog   atomic.Int64
	SkippedNotice atomic.Int64 // below warn, or process-level
	SkippedOther  atomic.Int64 // error lines about clients, not upstreams; other stderr
}

// Ingest is shared by all sources. Each source (one file) has its own
// Source, used by one goroutine at a time.
type Ingest struct {
	cfg      Config
	joiner   *join.Joiner
	Counters Counters
}

// New builds the line path; emitted requests reach the joiner's emit func.
func New(cfg Config, joiner *join.Joiner) *Ingest {
	return &Ingest{cfg: cfg, joiner: joiner}
}

// Source is one file's state: split lines in reassembly and reused buffers.
type Source struct {
	Key     string // identifies the log stream (pod) for the join
	Path    string // the file, for the lines the join keeps (see event.Line)
	offset  int64  // byte offset after the line being read
	lines   container.Joiner
	scratch []byte
	keyBuf  []byte
	fields  nginx.Fields
	parser  gateway.Parser
	parsed  gateway.Parsed
	joins   bool
	watched func(int) bool // the method value, made once: per line it would allocate
	verify  nginx.Fields
	recent  *recent
	batch   batchCounts
}

// batchCounts accumulate locally and are published once per batch, so the
// hot path touches no shared cache line per line.
type batchCounts struct {
	read, matched, accessFailed int64
}

// NewSource starts the state of one file.
func (in *Ingest) NewSource(key string) *Source {
	// Each file remembers its own dropped lines: the stdout/stderr race the
	// memory covers happens within one container log file.
	s := &Source{Key: key, lines: container.Joiner{MaxSize: in.cfg.MaxLineSize}}
	if in.cfg.NewParser != nil {
		s.parser = in.cfg.NewParser()
		s.joins = gateway.Joins(s.parser)
		s.watched = in.cfg.Watched.Has
	} else {
		s.recent = newRecent()
	}
	return s
}

// Lines processes a batch of raw lines from one file. now is the wall time
// used for the join's timeouts and as observed time.
func (in *Ingest) Lines(s *Source, lines [][]byte, now time.Time) {
	in.LinesAt(s, lines, nil, now)
}

// LinesAt is Lines with fileconsumer's offsets: offsets[0] is where the
// batch starts and offsets[i+1] is the offset just after line i (the slice
// may be longer than that). Kept lines carry their offset so they can be
// replayed and named.
func (in *Ingest) LinesAt(s *Source, lines [][]byte, offsets []int64, now time.Time) {
	for i, raw := range lines {
		if i+1 < len(offsets) {
			s.offset = offsets[i+1]
		}
		in.line(s, raw, now)
	}
	in.Counters.LinesRead.Add(s.batch.read)
	in.Counters.LinesMatched.Add(s.batch.matched)
	in.Counters.AccessFailed.Add(s.batch.accessFailed)
	s.batch = batchCounts{}
}

func (in *Ingest) line(s *Source, raw []byte, now time.Time) {
	s.batch.read++
	s.scratch = s.scratch[:0]
	l, scratch, err := container.Unwrap(in.cfg.Wrapper, raw, s.scratch)
	s.scratch = scratch
	if err != nil {
		in.Counters.WrapperFailed.Add(1)
		return
	}
	msg, complete, cut := s.lines.Add(l)
	if !complete {
		return
	}
	if cut {
		in.Counters.Truncated.Add(1)
	}
	in.message(s, l, msg, now)
}

// Replay feeds a line kept before a restart (its message and where it came
// from) back through the path, as if read again.
func (in *Ingest) Replay(s *Source, at event.Line, msg []byte, now time.Time) {
	s.offset = at.Offset
	l := container.Line{Msg: msg, Stream: container.Stdout}
	if at.Time != "" {
		l.Time = []byte(at.Time)
	}
	if at.Stderr {
		l.Stream = container.Stderr
	}
	in.message(s, l, msg, now)
	in.Counters.LinesMatched.Add(s.batch.matched)
	in.Counters.AccessFailed.Add(s.batch.accessFailed)
	s.batch = batchCounts{}
}

// lineAt says where the current line came from; only kept lines pay for it.
func (s *Source) lineAt(l container.Line) event.Line {
	return event.Line{Path: s.Path, Offset: s.offset, Time: string(l.Time), Stderr: l.Stream == container.Stderr}
}

// message routes one complete message.
func (in *Ingest) message(s *Source, l container.Line, msg []byte, now time.Time) {
	if s.parser != nil {
		in.gatewayLine(s, l, msg, now)
		return
	}
	switch {
	case nginx.LooksLikeErrorLine(msg):
		in.errorLine(s, l, msg, now)
	case looksLikeKlog(msg):
		in.Counters.SkippedKlog.Add(1)
	case l.Stream == container.Stderr:
		in.Counters.SkippedOther.Add(1)
	default:
		in.accessLine(s, l, msg, now)
	}
}

// looksLikeKlog matches klog's header "Lmmdd hh:mm:ss.uuuuuu".
func looksLikeKlog(b []byte) bool {
	if len(b) < 21 || b[5] != ' ' || b[8] != ':' || b[11] != ':' || b[14] != '.' {
		return false
	}
	switch b[0] {
	case 'I', 'W', 'E', 'F':
		return isDigit(b[1]) && isDigit(b[4])
	}
	return false
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

func (in *Ingest) accessLine(s *Source, l container.Line, msg []byte, now time.Time) {
	f := in.cfg.Format
	if err := f.Scan(msg, &s.fields, false); err != nil {
		s.batch.accessFailed++
		return
	}
	status, ok := s.fields.Status()
	if !ok {
		s.batch.accessFailed++
		return
	}
	watched := in.cfg.Watched
	keep := watched.Has(status)
	maybe := !keep && f.MayHaveStatus(&s.fields, watched.Has, watched.firstDigits)
	s.keyBuf = f.AppendJoinKey(s.keyBuf[:0], &s.fields)
	if !keep && !maybe && (!in.joiner.AnyErrorWaiting() || !in.joiner.Waiting(s.Key, s.keyBuf)) {
		s.recent.add(s.keyBuf, msg, l.Time, s.offset)
		return
	}
	if err := f.Scan(msg, &s.fields, true); err != nil {
		s.batch.accessFailed++
		return
	}
	if maybe {
		// The quick look saw a watched number somewhere; the full scan
		// says whether it was an attempt's status.
		keep = s.fields.AnyUpstreamStatus(watched.Has)
		if !keep && (!in.joiner.AnyErrorWaiting() || !in.joiner.Waiting(s.Key, s.keyBuf)) {
			s.recent.add(s.keyBuf, msg, l.Time, s.offset)
			return
		}
	}
	s.batch.matched++
	r := in.request(s.Key, &s.fields, msg, l.Time)
	r.Line = s.lineAt(l)
	in.joiner.Access(s.Key, s.keyBuf, r.Time, now, r, keep)
}

// request builds the join's view of a fully scanned access line.
func (in *Ingest) request(src string, fl *nginx.Fields, msg, wrapperTime []byte) join.Request {
	a := in.cfg.Format.Access(fl)
	at := a.Time
	if t, ok := container.ParseTime(wrapperTime); ok {
		at = t
	}
	return join.Request{Source: src, Time: at, Access: &a, AccessRaw: string(msg)}
}

func (in *Ingest) errorLine(s *Source, l container.Line, msg []byte, now time.Time) {
	e, err := nginx.ParseError(msg, in.cfg.ErrorZone)
	switch err {
	case nil:
	case nginx.ErrBelowWarn, nginx.ErrNoRequest:
		in.Counters.SkippedNotice.Add(1)
		return
	case nginx.ErrUnrelated:
		in.Counters.SkippedOther.Add(1)
		return
	default:
		in.Counters.ErrorFailed.Add(1)
		return
	}
	s.batch.matched++
	at := e.Time
	if t, ok := container.ParseTime(l.Time); ok {
		at = t
	}
	e.Line = s.lineAt(l)
	key := join.Key(e.Client, e.Request)
	if in.joiner.AttachToHeld(s.Key, key, e) {
		return
	}
	if !e.Truncated {
		// The access line may have been written first (pipe race) and dropped.
		f := in.cfg.Format
		var r join.Request
		_, _, ok := s.recent.take(key, func(m []byte, wt []byte, offset int64) bool {
			if f.Scan(m, &s.verify, true) != nil {
				return false
			}
			s.keyBuf = f.AppendJoinKey(s.keyBuf[:0], &s.verify)
			if string(s.keyBuf) != string(key) {
				return false
			}
			r = in.request(s.Key, &s.verify, m, wt)
			r.Line = event.Line{Path: s.Path, Offset: offset, Time: string(wt), Stderr: false}
			return join.Compatible(&e, r.Access, 0)
		})
		if ok {
			r.Errors = []event.UpstreamError{e}
			in.joiner.Emit(r)
			return
		}
	}
	in.joiner.Error(s.Key, key, at, now, e)
}

// gatewayLine is the line path of the proxies that are not nginx.
func (in *Ingest) gatewayLine(s *Source, l container.Line, msg []byte, now time.Time) {
	p := &s.parsed
	p.Reset()
	switch s.parser.Parse(msg, l.Stream == container.Stderr, s.watched, p) {
	case gateway.Other:
		in.Counters.SkippedOther.Add(1)
	case gateway.Uninteresting:
	case gateway.Malformed:
		s.batch.accessFailed++
	case gateway.Failure:
		s.batch.matched++
		at := p.Error.Time
		if t, ok := container.ParseTime(l.Time); ok {
			at = t
		}
		e := p.Error
		e.Raw = string(msg)
		e.Line = s.lineAt(l)
		if in.joiner.AttachToHeld(s.Key, p.Key, e) {
			return
		}
		in.joiner.Error(s.Key, p.Key, at, now, e)
	case gateway.Request:
		waiting := s.joins && in.joiner.AnyErrorWaiting() && in.joiner.Waiting(s.Key, p.Key)
		if !p.Keep && !waiting {
			return
		}
		s.batch.matched++
		r := join.Request{Source: s.Key, Time: p.Access.Time, Access: detach(&p.Access), AccessRaw: string(msg), Line: s.lineAt(l)}
		if t, ok := container.ParseTime(l.Time); ok {
			r.Time = t
		}
		if len(p.Errors) > 0 || !s.joins {
			// The line states its own failure (or the format has no
			// failure lines to wait for): nothing to join.
			r.Errors = slices.Clone(p.Errors)
			for i := range r.Errors {
				if r.Errors[i].Raw == "" {
					r.Errors[i].Raw = r.AccessRaw
					r.Errors[i].Line = r.Line
				}
			}
			in.joiner.Emit(r)
			return
		}
		in.joiner.Access(s.Key, p.Key, r.Time, now, r, p.Keep)
	}
}

// detach copies a parsed access out of the reused buffers.
func detach(a *event.Access) *event.Access {
	c := *a
	c.Attempts = slices.Clone(a.Attempts)
	c.Extra = slices.Clone(a.Extra)
	return &c
}

// Statuses is a set of HTTP status codes with a constant-time test.
type Statuses struct {
	set         [1000]bool
	firstDigits []byte // leading digits of the codes, for the pre-filter
}

// NewStatuses builds the set; codes outside 100-999 are ignored (Validate
// rejects them earlier).
func NewStatuses(codes []int) *Statuses {
	s := &Statuses{}
	for _, c := range codes {
		if c >= 100 && c < len(s.set) {
			s.set[c] = true
			d := byte('0' + c/100)
			if bytes.IndexByte(s.firstDigits, d) < 0 {
				s.firstDigits = append(s.firstDigits, d)
			}
		}
	}
	return s
}

// Has reports whether code is in the set.
func (s *Statuses) Has(code int) bool { return code >= 0 && code < len(s.set) && s.set[code] }

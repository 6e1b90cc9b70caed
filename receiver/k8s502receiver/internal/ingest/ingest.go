// Package ingest is the receiver's per-line loop: unwrap the container
// framing, reassemble split lines, hand each message to the gateway's
// parser and what the parser made of it to the join, and count what became
// of every line. It knows no proxy (each is a gateway.Parser), no join rule
// (the join.Stream owns them), no file and no pdata, which keeps it
// testable and benchmarkable on its own.
package ingest

import (
	"sync/atomic"
	"time"

	"github.com/k8s502/otelcol-k8s502/receiver/k8s502receiver/internal/container"
	"github.com/k8s502/otelcol-k8s502/receiver/k8s502receiver/internal/event"
	"github.com/k8s502/otelcol-k8s502/receiver/k8s502receiver/internal/gateway"
	"github.com/k8s502/otelcol-k8s502/receiver/k8s502receiver/internal/join"
)

// Config is what the line path needs, already validated and compiled.
type Config struct {
	Wrapper container.Format
	// NewParser makes the parser of one file (gateway.Profile.Parsers).
	NewParser   func() gateway.Parser
	Watched     *Statuses
	MaxLineSize int // bound on a reassembled line
}

// Counters are cumulative and safe to read concurrently.
type Counters struct {
	LinesRead     atomic.Int64
	LinesMatched  atomic.Int64 // lines that reached the join (kept or looked up)
	AccessFailed  atomic.Int64 // request lines that do not match the format
	ErrorFailed   atomic.Int64 // error-log-shaped lines that could not be read
	WrapperFailed atomic.Int64 // framing expected but broken
	Truncated     atomic.Int64 // reassembled lines cut at MaxLineSize
	SkippedKlog   atomic.Int64 // the controller's own log
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

// Source is one file's state: split lines in reassembly, its parser and
// its side of the join.
type Source struct {
	Key     string // identifies the log stream (pod) for the join
	Path    string // the file, for the lines the join keeps (see event.Line)
	offset  int64  // byte offset after the line being read
	lines   container.Joiner
	scratch []byte
	parser  gateway.Parser
	parsed  gateway.Parsed
	watched func(int) bool // the method value, made once: per line it would allocate
	// keyOnly says parsed holds nothing but a Key: the last message was a
	// Candidate nobody claimed, which is what nearly every line of an
	// nginx log is, so clearing the whole Parsed for each would be waste.
	keyOnly bool
	stream  *join.Stream
	at      join.Line // the current message, reused
	batch   batchCounts
}

// batchCounts accumulate locally and are published once per batch, so the
// hot path touches no shared cache line per line.
type batchCounts struct {
	read, matched, accessFailed int64
}

// NewSource starts the state of one file.
func (in *Ingest) NewSource(key string) *Source {
	s := &Source{
		Key:     key,
		lines:   container.Joiner{MaxSize: in.cfg.MaxLineSize},
		parser:  in.cfg.NewParser(),
		watched: in.cfg.Watched.Has,
	}
	// Each file has its own stream: the stdout/stderr race the join's
	// memory of dropped lines covers happens within one container log file.
	s.stream = in.joiner.NewStream(key, s.parser, s.watched)
	return s
}

// Lines processes a batch of raw lines from one file. now is the wall time
// used for the join's timeouts and as observed time. The lines must not be
// changed after the call: dropped request lines are remembered by reference
// for a failure line that comes late (fileconsumer hands out each token as
// a fresh copy, so this costs the receiver nothing).
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
	in.publish(s)
}

func (in *Ingest) publish(s *Source) {
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
	in.publish(s)
}

// message hands one complete message to the parser and the result to the
// join.
func (in *Ingest) message(s *Source, l container.Line, msg []byte, now time.Time) {
	p := &s.parsed
	if s.keyOnly {
		p.Key = p.Key[:0]
	} else {
		p.Reset()
	}
	s.keyOnly = false
	at := &s.at
	at.Msg, at.Time, at.Stderr, at.Path, at.Offset = msg, l.Time, l.Stream == container.Stderr, s.Path, s.offset
	at.Stable = l.Format != container.Docker && len(msg) > 0 && len(l.Msg) == len(msg) && &msg[0] == &l.Msg[0]
	switch kind := s.parser.Parse(msg, at.Stderr, s.watched, p); kind {
	case gateway.Uninteresting:
	case gateway.Request, gateway.Candidate:
		switch s.stream.Request(kind, p, at, now) {
		case gateway.Request:
			s.batch.matched++
		case gateway.Malformed:
			s.batch.accessFailed++
		case gateway.Uninteresting:
			s.keyOnly = kind == gateway.Candidate
		}
	case gateway.Failure:
		s.batch.matched++
		s.stream.Failure(p, at, now)
	case gateway.Malformed:
		s.batch.accessFailed++
	case gateway.MalformedFailure:
		in.Counters.ErrorFailed.Add(1)
	case gateway.ControllerLog:
		in.Counters.SkippedKlog.Add(1)
	case gateway.Notice:
		in.Counters.SkippedNotice.Add(1)
	default:
		in.Counters.SkippedOther.Add(1)
	}
}

// Statuses is a set of HTTP status codes with a constant-time test.
type Statuses struct {
	set [1000]bool
}

// NewStatuses builds the set; codes outside 100-999 are ignored (Validate
// rejects them earlier).
func NewStatuses(codes []int) *Statuses {
	s := &Statuses{}
	for _, c := range codes {
		if c >= 100 && c < len(s.set) {
			s.set[c] = true
		}
	}
	return s
}

// Has reports whether code is in the set.
func (s *Statuses) Has(code int) bool { return code >= 0 && code < len(s.set) && s.set[code] }

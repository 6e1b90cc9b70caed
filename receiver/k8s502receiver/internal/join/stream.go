package join

import (
	"bytes"
	"slices"
	"time"

	"github.com/k8s502/otelcol-k8s502/receiver/k8s502receiver/internal/container"
	"github.com/k8s502/otelcol-k8s502/receiver/k8s502receiver/internal/event"
	"github.com/k8s502/otelcol-k8s502/receiver/k8s502receiver/internal/gateway"
)

// Stream is one log file's way into the join. The line path hands it what
// the gateway's parser made of each message, and the Stream decides, in
// this one place, what is emitted at once, what waits for its other half
// and what is remembered for a failure that comes late. A Stream is used by
// one goroutine at a time (its file's reader); the Joiner behind it is
// shared by all files.
type Stream struct {
	j        *Joiner
	src      string // the log stream (pod container) the file belongs to
	parser   gateway.Parser
	complete gateway.Completing // the parser's, when it returns Candidates
	watched  func(int) bool
	joins    bool           // the format has Failure lines
	recent   *recent        // unclaimed Candidates; made with the first
	verify   gateway.Parsed // a remembered line read again
}

// Line is one message and where it came from. The Stream copies what it
// keeps: the slices may be reused after the call.
type Line struct {
	Msg    []byte
	Time   []byte // the container runtime's timestamp; nil without one
	Stderr bool
	Path   string
	Offset int64 // just after the line
	// Stable says Msg and Time stay unchanged after the call (they point
	// into the caller's token, never into a reused buffer), so a dropped
	// line may be remembered by reference instead of copied.
	Stable bool
}

// at says where the line came from; only kept lines pay for it.
func (l *Line) at() event.Line {
	return event.Line{Path: l.Path, Offset: l.Offset, Time: string(l.Time), Stderr: l.Stderr}
}

// NewStream starts the join's side of one log file, whose lines belong to
// the log stream src and are read by parser with watched statuses (the
// same parser and function the line path uses for the file).
func (j *Joiner) NewStream(src string, parser gateway.Parser, watched func(int) bool) *Stream {
	s := &Stream{j: j, src: src, parser: parser, watched: watched, joins: gateway.Joins(parser)}
	s.complete, _ = parser.(gateway.Completing)
	return s
}

// Request takes a request line, kind Request or Candidate as the parser
// returned it in p. It returns what the line came to: Request when it
// reached the join (emitted, held, or joined with waiting failures),
// Uninteresting when nothing needed it, Malformed when the parser could
// not complete a claimed Candidate.
func (s *Stream) Request(kind gateway.Kind, p *gateway.Parsed, l *Line, now time.Time) gateway.Kind {
	if kind == gateway.Candidate || !p.Keep {
		// Worth a record only if a failure waits for it: the hint is one
		// atomic load, and a line nobody waits for allocates nothing.
		if !s.joins || !s.j.anyErrorWaiting() || !s.j.waiting(s.src, p.Key) {
			if kind == gateway.Candidate {
				s.remember(p.Key, l)
			}
			return gateway.Uninteresting
		}
		if kind == gateway.Candidate {
			if kind = s.complete.Complete(l.Msg, p); kind != gateway.Request {
				return kind
			}
		}
	}
	r := s.request(&p.Access, l)
	if len(p.Errors) > 0 || !s.joins {
		// The line states its own failure (or the format has no failure
		// lines to wait for): nothing to join.
		r.Errors = slices.Clone(p.Errors)
		for i := range r.Errors {
			if r.Errors[i].Raw == "" {
				r.Errors[i].Raw = r.AccessRaw
				r.Errors[i].Line = r.Line
			}
		}
		s.j.emitNow(r)
		return gateway.Request
	}
	s.j.access(s.src, p.Key, r.Time, now, r, p.Keep)
	return gateway.Request
}

// Failure takes a failure line, kind Failure as the parser returned it in
// p: it joins a held request line, else the request line it lost the pipe
// race to, else it waits for its request line.
func (s *Stream) Failure(p *gateway.Parsed, l *Line, now time.Time) {
	e := p.Error
	at := e.Time
	if t, ok := container.ParseTime(l.Time); ok {
		at = t
	}
	if e.Raw == "" {
		e.Raw = string(l.Msg)
	}
	e.Line = l.at()
	if s.j.attachToHeld(s.src, p.Key, e) {
		return
	}
	if !e.Truncated {
		if r, ok := s.recall(p.Key, &e, l.Path); ok {
			r.Errors = []event.UpstreamError{e}
			s.j.emitNow(r)
			return
		}
	}
	s.j.failure(s.src, p.Key, at, now, e)
}

// remember keeps an unclaimed Candidate for a failure that comes late.
func (s *Stream) remember(key []byte, l *Line) {
	if s.recent == nil {
		s.recent = newRecent()
	}
	s.recent.add(key, l.Msg, l.Time, l.Offset, l.Stable)
}

// recall finds the remembered Candidate e belongs to: the parser reads it
// again and it must have e's key and room for e's attempt.
func (s *Stream) recall(key []byte, e *event.UpstreamError, path string) (Request, bool) {
	if s.recent == nil {
		return Request{}, false
	}
	var r Request
	v := &s.verify
	ok := s.recent.take(key, func(msg, wt []byte, offset int64) bool {
		v.Reset()
		if s.parser.Parse(msg, false, s.watched, v) != gateway.Candidate || !bytes.Equal(v.Key, key) ||
			s.complete.Complete(msg, v) != gateway.Request {
			return false
		}
		r = s.request(&v.Access, &Line{Msg: msg, Time: wt, Path: path, Offset: offset})
		return compatible(e, r.Access, 0)
	})
	return r, ok
}

// request builds the join's view of a request line, copied out of the
// parser's reused buffers. The runtime's timestamp wins over the line's own.
func (s *Stream) request(a *event.Access, l *Line) Request {
	r := Request{Source: s.src, Time: a.Time, Access: detach(a), AccessRaw: string(l.Msg), Line: l.at()}
	if t, ok := container.ParseTime(l.Time); ok {
		r.Time = t
	}
	return r
}

// detach copies a parsed access out of the reused buffers.
func detach(a *event.Access) *event.Access {
	c := *a
	c.Attempts = slices.Clone(a.Attempts)
	c.Extra = slices.Clone(a.Extra)
	return &c
}

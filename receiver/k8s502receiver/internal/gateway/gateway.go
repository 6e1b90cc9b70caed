// Package gateway is the seam between the receiver's line path and the
// proxies whose logs it reads. Every proxy is one package that implements
// Parser and exports a Profile (profile.go), so the line path, the join,
// the record builder and the processor never learn which proxy wrote a
// line.
package gateway

import "github.com/k8s502/otelcol-k8s502/receiver/k8s502receiver/internal/event"

// Kind says what one log message is.
type Kind uint8

const (
	// Other is not a request line: a banner, the proxy's general log, a
	// health-check notice, an error line about a client rather than an
	// upstream. Counted, never emitted.
	Other Kind = iota
	// Uninteresting is a request line whose status is not watched and which
	// reports no failure. The parser may stop reading at the status.
	Uninteresting
	// Request is a request line to consider: Parsed.Access is filled.
	Request
	// Failure is a line about one failed upstream attempt, to be joined
	// with the request line that carries the same Parsed.Key: nginx's error
	// log, Traefik's debug "502 Bad Gateway" line.
	Failure
	// Malformed looks like a request line but could not be read.
	Malformed
	// Candidate is a request line that is not worth a record alone (its
	// status is not watched) but that a Failure may claim: Parsed.Key is
	// set and nothing else (Access is not built yet). The join asks the parser to
	// Complete it only when a Failure waits for that key, and otherwise
	// remembers the raw line for a Failure that comes a moment late. Only
	// parsers that implement Completing return it.
	Candidate
	// ControllerLog is the controller's own log (klog) interleaved with the
	// proxy's. Counted apart from Other.
	ControllerLog
	// Notice is a proxy error-log line below warn level, or one about the
	// process rather than a request (startup, reload, worker exit).
	Notice
	// MalformedFailure looks like an error-log line but could not be read.
	MalformedFailure
)

// Parsed is what one message yields. A Parser reuses it between calls, so
// the line path allocates nothing for lines it drops.
type Parsed struct {
	Access event.Access
	// Errors are the failures the request line itself states (HAProxy's
	// termination state, Envoy's response flags), in attempt order. The
	// record treats them exactly like joined error-log lines.
	Errors []event.UpstreamError
	// Error is the failure line for Kind Failure.
	Error event.UpstreamError
	// Key joins a Failure with its Request (or Candidate); formats without
	// failure lines leave it empty. A Failure whose Error.Truncated is set
	// lost the end of its key (nginx cut the line inside the request): it
	// joins a request whose key starts with its own.
	Key []byte
	// Keep marks a Request that must become a record on its own (watched
	// status, or a failure stated inline). A Request without Keep is only
	// recorded when a Failure waits for its Key (a 200 whose body copy
	// broke, logged by the proxy's general log).
	Keep bool
}

// Reset clears p for the next message, keeping its buffers.
func (p *Parsed) Reset() {
	extra := p.Access.Extra[:0]
	attempts := p.Access.Attempts[:0]
	p.Access = event.Access{Extra: extra, Attempts: attempts}
	p.Errors = p.Errors[:0]
	p.Error = event.UpstreamError{}
	p.Key = p.Key[:0]
	p.Keep = false
}

// Parser reads one proxy's log messages. A Parser is used by one goroutine
// at a time; New functions return one per log file.
type Parser interface {
	// Parse reads one complete message (container framing already removed).
	// stderr says which stream it came from; watched tells which final
	// statuses make a record, and is the same function on every call to
	// one Parser. p has been Reset.
	Parse(msg []byte, stderr bool, watched func(int) bool, p *Parsed) Kind
}

// Completing is implemented by parsers that return Candidate: their
// pre-filter decides on a few fields, and the rest of a line is read only
// when a Failure claims it.
type Completing interface {
	// Complete builds p.Access of the Candidate the last Parse call
	// returned; msg is that call's message and p its Parsed. It returns
	// Request, or Malformed when the whole line does not parse.
	Complete(msg []byte, p *Parsed) Kind
}

// Joining is implemented by parsers whose format has Failure lines. Other
// formats' records are emitted at once, without waiting for a join.
type Joining interface {
	Joins() bool
}

// Joins reports whether p's format needs the join.
func Joins(p Parser) bool {
	j, ok := p.(Joining)
	return ok && j.Joins()
}

// Package gateway is the seam between the receiver's line path and the
// proxies whose logs it reads. nginx-based gateways keep their own tuned
// path (package nginx: a compiled log_format and a separate error log);
// every other proxy is one package implementing Parser, so the join, the
// record builder and the processor never learn which proxy wrote a line.
package gateway

import "github.com/k8s502/otelcol-k8s502/receiver/k8s502receiver/internal/event"

// Kind says what one log message is.
type Kind uint8

const (
	// Other is not a request line: a banner, the proxy's general log, a
	// health-check notice. Counted, never emitted.
	Other Kind = iota
	// Uninteresting is a request line whose status is not watched and which
	// reports no failure. The parser may stop reading at the status.
	Uninteresting
	// Request is a request line to consider: Parsed.Access is filled.
	Request
	// Failure is a line about one failed upstream attempt that names no
	// request of its own (Traefik's debug "502 Bad Gateway" line): it is
	// joined with the request line that carries Parsed.Key.
	Failure
	// Malformed looks like a request line but could not be read.
	Malformed
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
	// Key joins a Failure with its Request; formats without failure lines
	// leave it empty.
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
	// statuses make a record. p has been Reset.
	Parse(msg []byte, stderr bool, watched func(int) bool, p *Parsed) Kind
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

// Format is what every parser package compiles a log format into.
type Format interface {
	NewParser() Parser
}

// Compiler adapts a parser package's Compile to one signature: the format
// string in, a maker of per-file parsers out.
func Compiler[F Format](compile func(logFormat string) (F, error)) func(logFormat string) (func() Parser, error) {
	return func(logFormat string) (func() Parser, error) {
		f, err := compile(logFormat)
		if err != nil {
			return nil, err
		}
		return f.NewParser, nil
	}
}

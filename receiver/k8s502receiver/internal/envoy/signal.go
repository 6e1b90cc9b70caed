package envoy

import (
	"bytes"
	"strings"

	"github.com/k8s502/otelcol-k8s502/internal/schema"
)

// signal is what one line says about its own failure: flags, details and
// the transport failure reason, read together because Envoy spreads one
// cause over all three.
type signal struct {
	flagsRaw, details, transport, termination []byte
	flags                                     flagSet
	cause                                     int  // index into flags; -1 when nothing is stated
	flagsLogged                               bool // the format has flags, even if this line's are "-"
	// startedResponse: the format logs no details, and a failure flag came
	// with a status Envoy never answers an upstream failure with (a 200):
	// the upstream's status had already gone to the client.
	startedResponse bool
}

func (pr *parser) signal(line []byte) signal {
	v := &pr.v
	s := signal{
		flagsRaw:    v.raw(line, fFlags),
		details:     v.raw(line, fDetails),
		transport:   v.raw(line, fTransport),
		termination: v.raw(line, fTermination),
	}
	if s.flagsRaw == nil {
		s.flagsRaw = v.raw(line, fFlagsLong)
	}
	s.flagsLogged = v[fFlags].set || v[fFlagsLong].set
	s.flags = parseFlags(s.flagsRaw)
	s.cause = s.flags.cause()
	if s.cause < 0 || s.cause == iURX {
		// Flags absent, or only URX: the details name the reset that
		// ended the last attempt.
		if c := detailsCause(s.details); c >= 0 && c != iURX {
			s.cause = c
		}
	}
	return s
}

func (s *signal) viaUpstream() bool { return string(s.details) == "via_upstream" }

// afterResponse is a reset once the upstream's status line had already
// gone to the client: the status is the application's, the body is cut.
func (s *signal) afterResponse() bool {
	return s.startedResponse || bytes.HasPrefix(s.details, []byte("upstream_reset_after_response_started"))
}

// upstreamStatus reports whether the final status came from the upstream.
// Without details in the format, an attempt with no flag set is the only
// evidence, and it is what Envoy's default format gives.
func (s *signal) upstreamStatus(detailsLogged bool) bool {
	if s.viaUpstream() || s.afterResponse() {
		return true
	}
	return !detailsLogged && s.cause < 0
}

// origin says who made the status. An upstream failure flag means Envoy
// synthesized it, unless the details say the upstream's status was already
// sent (a reset after the response started, or retries exhausted on a
// retriable status the app returned).
func (s *signal) origin(upstream bool) string {
	if s.cause >= 0 {
		f := &flags[s.cause]
		switch {
		case f.failure && (s.afterResponse() || s.viaUpstream()):
			return schema.OriginUpstream
		case f.failure:
			return f.origin
		case s.flags.has(iDC):
			return schema.OriginClient
		}
		return f.origin
	}
	if s.viaUpstream() || upstream {
		return schema.OriginUpstream
	}
	return schema.OriginLocal
}

// text is k8s502.gateway.failure_signal: the flags and the details as
// logged. "-" flags stay when details follow ("- via_upstream" is Envoy
// saying the app chose the status); alone they say nothing.
func (s *signal) text() string {
	flags := s.flagsRaw
	if flags == nil && s.flagsLogged && s.details != nil {
		flags = []byte("-")
	}
	switch {
	case flags != nil && s.details != nil:
		return string(flags) + " " + string(s.details)
	case flags != nil:
		return string(flags)
	case s.details != nil:
		return string(s.details)
	}
	return ""
}

// failure returns the error kind and a sentence for a line that states a
// failure; kind is empty otherwise (including an app's own status that was
// retried until the retry budget ran out).
func (s *signal) failure() (kind, msg string) {
	if s.cause < 0 || flags[s.cause].kind == "" || (s.cause == iURX && s.viaUpstream()) {
		return "", ""
	}
	f := &flags[s.cause]
	kind = f.kind
	if s.cause == iUF {
		kind = connectKind(s.details, s.transport)
	}
	var b strings.Builder
	if s.flagsRaw != nil {
		b.WriteString(`Envoy response flags "`)
		b.Write(s.flagsRaw)
	} else {
		b.WriteString(`Envoy response code details "`)
		b.Write(s.details)
	}
	b.WriteString(`": `)
	b.WriteString(f.meaning)
	if kind != f.kind {
		b.WriteString(connectWords[kind])
	}
	if s.flags.has(iURX) && s.cause != iURX {
		b.WriteString(" (retries exhausted)")
	}
	name, reason, rest := splitDetails(s.details)
	switch {
	case reason != nil && string(name) == "upstream_reset_after_response_started":
		b.WriteString("; the upstream reset after the response had started, reason ")
		b.Write(reason)
	case reason != nil:
		b.WriteString("; reset reason ")
		b.Write(reason)
	case s.details != nil && s.flagsRaw != nil && !s.viaUpstream():
		b.WriteString("; details ")
		b.Write(s.details)
	case s.startedResponse:
		b.WriteString("; after the upstream's status had been sent")
	}
	tfr := s.transport
	if tfr == nil {
		tfr = rest
	}
	if len(tfr) > 0 {
		b.WriteString("; transport failure: ")
		b.Write(tfr)
	}
	if s.termination != nil {
		b.WriteString("; connection termination: ")
		b.Write(s.termination)
	}
	return kind, b.String()
}

// connectWords name what the connection failure turned out to be.
var connectWords = map[string]string{
	schema.ErrTLSHandshake:    " (TLS handshake failed)",
	schema.ErrTLSCertificate:  " (the upstream's TLS certificate was rejected)",
	schema.ErrConnectTimeout:  " (connect timed out)",
	schema.ErrHostUnreachable: " (host unreachable)",
}

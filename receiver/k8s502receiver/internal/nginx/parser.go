package nginx

import (
	"time"

	"github.com/k8s502/otelcol-k8s502/receiver/k8s502receiver/internal/gateway"
)

// parser reads one log file of an nginx-based controller: access lines in
// the compiled log_format (stdout), error-log lines (stderr, or the same
// file for a plain nginx) and the controller's own klog lines.
//
// nginx writes a failed attempt to the error log before the request's
// access line, and a request can be worth a record only because of such a
// line (a 200 whose body copy broke). So an access line whose status is not
// watched is a Candidate: the pre-filter reads only $remote_addr, $request
// and $status, and the rest of the line is read (Complete) only when an
// error line claims it, which keeps the 99% of lines that are healthy free
// of allocations.
type parser struct {
	f      *Format
	zone   *time.Location // of error-log times
	fields Fields
	// full says fields hold a full scan of the last line, so Complete
	// need not scan it again.
	full bool
	// digits are the leading digits of the watched statuses, for the
	// pre-filter's look for an upstream status; made on the first line.
	digits []byte
}

// Joins is true: the error log's lines are Failures joined with their
// access lines.
func (p *parser) Joins() bool { return true }

// Parse routes one message: error-log line, klog line, other stderr output,
// or an access line.
func (p *parser) Parse(msg []byte, stderr bool, watched func(int) bool, out *gateway.Parsed) gateway.Kind {
	switch {
	case LooksLikeErrorLine(msg):
		return p.errorLine(msg, out)
	case looksLikeKlog(msg):
		return gateway.ControllerLog
	case stderr:
		return gateway.Other
	}
	return p.accessLine(msg, watched, out)
}

func (p *parser) accessLine(msg []byte, watched func(int) bool, out *gateway.Parsed) gateway.Kind {
	f, l := p.f, &p.fields
	p.full = false
	if f.Scan(msg, l, false) != nil {
		return gateway.Malformed
	}
	status, ok := l.Status()
	if !ok {
		return gateway.Malformed
	}
	keep := watched(status)
	out.Key = f.AppendJoinKey(out.Key, l)
	if p.digits == nil {
		p.digits = firstDigits(watched)
	}
	if !keep && f.MayHaveStatus(l, watched, p.digits) {
		// The quick look saw a watched number somewhere; the full scan
		// says whether it was an attempt's status.
		if f.Scan(msg, l, true) != nil {
			return gateway.Malformed
		}
		p.full = true
		keep = l.AnyUpstreamStatus(watched)
	}
	if !keep {
		return gateway.Candidate
	}
	if k := p.Complete(msg, out); k != gateway.Request {
		return k
	}
	out.Keep = true
	return gateway.Request
}

// Complete reads the rest of the line the last Parse call found a
// Candidate (or a kept request) and builds its Access.
func (p *parser) Complete(msg []byte, out *gateway.Parsed) gateway.Kind {
	if !p.full {
		if p.f.Scan(msg, &p.fields, true) != nil {
			return gateway.Malformed
		}
		p.full = true
	}
	p.f.fill(&out.Access, &p.fields)
	return gateway.Request
}

func (p *parser) errorLine(msg []byte, out *gateway.Parsed) gateway.Kind {
	e, err := ParseError(msg, p.zone)
	switch err {
	case nil:
	case ErrBelowWarn, ErrNoRequest:
		return gateway.Notice
	case ErrUnrelated:
		return gateway.Other
	default:
		return gateway.MalformedFailure
	}
	out.Error = e
	// The access line's key (AppendJoinKey): client and request line.
	out.Key = append(append(append(out.Key, e.Client...), 0), e.Request...)
	return gateway.Failure
}

// firstDigits returns the leading digits of the codes watched accepts
// (never nil). watched is the same function on every call to a parser, so
// they are worked out once.
func firstDigits(watched func(int) bool) []byte {
	digits := make([]byte, 0, 9)
	for d := 1; d <= 9; d++ {
		for c := d * 100; c < (d+1)*100; c++ {
			if watched(c) {
				digits = append(digits, byte('0'+d))
				break
			}
		}
	}
	return digits
}

// looksLikeKlog matches klog's header "Lmmdd hh:mm:ss.uuuuuu": the
// controller (ingress-nginx's Go process) logs this way on the same
// stream as nginx.
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

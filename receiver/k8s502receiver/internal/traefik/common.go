package traefik

import (
	"bytes"
	"strconv"
	"time"

	"github.com/k8s502/otelcol-k8s502/receiver/k8s502receiver/internal/event"
	"github.com/k8s502/otelcol-k8s502/receiver/k8s502receiver/internal/gateway"
)

var (
	quoteSpace = []byte(`" `)
	errorEq    = []byte(" error=")
)

// clfTime is the StartLocal layout of the common format.
const clfTime = "02/Jan/2006:15:04:05 -0700"

// parseCommon reads an access line of the common format:
//
//	ClientHost - ClientUsername [StartLocal] "Method Path Protocol" Status Size "Referer" "User-Agent" RequestCount "RouterName" "ServiceURL" Nms
//
// A message without the `host - user [` opening is not an access line (the
// continuation lines of a multi-line banner are not either) and is Other;
// one that has it but breaks later is Malformed. Traefik writes the path
// and the header values unescaped, so the request ends at the first `" `
// that a status follows, and the tail is read from the right.
func (p *parser) parseCommon(msg []byte, watched func(int) bool, out *gateway.Parsed) gateway.Kind {
	sp := bytes.IndexByte(msg, ' ')
	if sp <= 0 || !bytes.HasPrefix(msg[sp:], []byte(" - ")) {
		return gateway.Other
	}
	client := msg[:sp]
	rest := msg[sp+3:]
	lb := bytes.Index(rest, []byte(" ["))
	if lb < 0 {
		return gateway.Other
	}
	user := rest[:lb]
	rest = rest[lb+2:]
	rb := bytes.Index(rest, []byte(`] "`))
	if rb < 0 {
		return gateway.Other
	}
	ts := rest[:rb]
	rest = rest[rb+3:]

	// The request ends where `" <status> ` follows.
	var request []byte
	status := 0
	for off := 0; ; {
		k := bytes.Index(rest[off:], quoteSpace)
		if k < 0 {
			return gateway.Malformed
		}
		k += off
		after := rest[k+2:]
		if len(after) > 3 && after[3] == ' ' {
			if s, ok := status3(after[:3]); ok {
				request, status, rest = rest[:k], s, after[4:]
				break
			}
		}
		off = k + 1
	}
	if !watched(status) {
		// The common format cannot show a response cut mid-body (no
		// OriginStatus): an unwatched status is all there is to know.
		return gateway.Uninteresting
	}
	sizeEnd := bytes.IndexByte(rest, ' ')
	if sizeEnd < 0 {
		return gateway.Malformed
	}
	size, sizeOK := atoi(rest[:sizeEnd])
	tail := rest[sizeEnd+1:]

	// From the right: Nms, "ServiceURL", "RouterName", RequestCount.
	ls := bytes.LastIndexByte(tail, ' ')
	if ls < 0 || !bytes.HasSuffix(tail, []byte("ms")) {
		return gateway.Malformed
	}
	ms, msOK := atoi(tail[ls+1 : len(tail)-2])
	tail = tail[:ls]
	url, tail, ok1 := cutQuotedSuffix(tail)
	router, tail, ok2 := cutQuotedSuffix(tail)
	cs := bytes.LastIndexByte(tail, ' ')
	if !msOK || !ok1 || !ok2 || cs < 0 {
		return gateway.Malformed
	}
	headers := tail[:cs] // "Referer" "User-Agent"
	if len(headers) < 2 || headers[0] != '"' || headers[len(headers)-1] != '"' {
		return gateway.Malformed
	}
	referer, ua, ok := bytes.Cut(headers[1:len(headers)-1], []byte(`" "`))
	if !ok {
		return gateway.Malformed
	}

	p.bind(msg)
	a := &out.Access
	a.Status = status
	if t, err := time.Parse(clfTime, string(ts)); err == nil {
		a.Time = t
	}
	a.RequestLine = p.sub(request)
	a.Method, a.Path, a.Query, a.Protocol = event.SplitRequest(a.RequestLine)
	if a.Method == "" {
		return gateway.Malformed
	}
	a.Client = p.sub(client)
	a.RemoteUser = p.dash(user)
	a.Referer = p.dash(referer)
	a.UserAgent = p.dash(ua)
	a.BodyBytes, a.RequestLength = -1, -1
	if sizeOK {
		a.BodyBytes = size
	}
	a.Duration = float64(ms) / 1000
	f := upstreamFacts{router: p.dash(router), originSize: a.BodyBytes, originDur: -1}
	if u := p.dash(url); u != "" {
		f.addr = hostPort(u)
	}
	return p.judge(out, &f, a.Time, watched)
}

// cutQuotedSuffix takes `"value"` off the end of b and the space before it.
func cutQuotedSuffix(b []byte) (val, rest []byte, ok bool) {
	if len(b) < 2 || b[len(b)-1] != '"' {
		return nil, b, false
	}
	i := bytes.LastIndexByte(b[:len(b)-1], '"')
	if i < 0 {
		return nil, b, false
	}
	val, rest = b[i+1:len(b)-1], b[:i]
	if len(rest) == 0 || rest[len(rest)-1] != ' ' {
		return nil, b, false
	}
	return val, rest[:len(rest)-1], true
}

// dash is Traefik's "-" for an absent value.
func (p *parser) dash(b []byte) string {
	if len(b) == 0 || (len(b) == 1 && b[0] == '-') {
		return ""
	}
	return p.sub(b)
}

// parseConsole reads a general-log line of format common:
//
//	2026-11-25T10:09:25Z ERR 500 Internal Server Error error="tls: ..."
//
// colourised with ANSI escapes unless log.noColor is set. Only the proxy's
// error lines matter; everything else is Other.
func (p *parser) parseConsole(msg []byte, watched func(int) bool, out *gateway.Parsed) gateway.Kind {
	if !bytes.Contains(msg, []byte("error=")) {
		return gateway.Other
	}
	p.scratch = stripANSI(p.scratch[:0], msg)
	line := p.scratch
	sp := bytes.IndexByte(line, ' ')
	if sp < 0 {
		return gateway.Other
	}
	at := parseRFC3339(line[:sp])
	rest := line[sp+1:]
	if sp = bytes.IndexByte(rest, ' '); sp < 0 {
		return gateway.Other
	}
	rest = rest[sp+1:] // after the level
	e := bytes.Index(rest, errorEq)
	if e < 0 {
		return gateway.Other
	}
	// Most lines with an error field are health checks: look at the
	// message before decoding the value.
	if code, ok := proxyStatus(rest[:e]); !ok || !watched(code) {
		return gateway.Other
	}
	return p.proxyError(string(rest[:e]), consoleValue(rest[e+len(errorEq):]), at, watched, out)
}

// consoleValue reads a field value of the console writer: Go-quoted when
// it has spaces or quotes, bare otherwise.
func consoleValue(b []byte) string {
	if len(b) == 0 {
		return ""
	}
	if b[0] != '"' {
		if i := bytes.IndexByte(b, ' '); i >= 0 {
			b = b[:i]
		}
		return string(b)
	}
	for j := 1; j < len(b); j++ {
		switch b[j] {
		case '\\':
			j++
		case '"':
			if s, err := strconv.Unquote(string(b[:j+1])); err == nil {
				return s
			}
			return string(b[1:j])
		}
	}
	return string(b[1:])
}

// stripANSI appends b without its CSI escape sequences (ESC [ ... final).
func stripANSI(dst, b []byte) []byte {
	for i := 0; i < len(b); i++ {
		if b[i] == 0x1b && i+1 < len(b) && b[i+1] == '[' {
			j := i + 2
			for j < len(b) && (b[j] < 0x40 || b[j] > 0x7e) {
				j++
			}
			i = j
			continue
		}
		dst = append(dst, b[i])
	}
	return dst
}

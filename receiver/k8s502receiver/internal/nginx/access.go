package nginx

import (
	"bytes"
	"errors"
	"strconv"
	"strings"
	"time"

	"github.com/k8s502/otelcol-k8s502/receiver/k8s502receiver/internal/event"
	"github.com/k8s502/otelcol-k8s502/receiver/k8s502receiver/internal/jsonstr"
)

// ErrNoMatch means the line does not have the shape of the log_format.
var ErrNoMatch = errors.New("line does not match log_format")

type span struct{ start, end int32 }

// Fields holds where each variable sits in one line. It is reused across
// lines so the pre-filter allocates nothing.
type Fields struct {
	end    int32 // where the scan stopped
	line   []byte
	span   [numFields]span
	set    uint32
	extras []span // by position in Format.extras, filled on full scans
}

func (l *Fields) get(f field) []byte {
	if l.set&(1<<f) == 0 {
		return nil
	}
	s := l.span[f]
	return l.line[s.start:s.end]
}

// Scan locates the variables of line. With full unset it stops after the
// fields the pre-filter needs ($remote_addr, $request, $status); see
// MayHaveStatus for the upstream statuses behind them.
func (f *Format) Scan(line []byte, l *Fields, full bool) error {
	l.line, l.set = line, 0
	last := len(f.segs) - 1
	if !full {
		last = f.lastNeed
	}
	pos := 0
	for i := 0; i <= last; i++ {
		s := &f.segs[i]
		if !hasPrefixAt(line, pos, s.lit) {
			return ErrNoMatch
		}
		pos += len(s.lit)
		next := f.tail
		var nextB []byte
		if i+1 < len(f.segs) {
			next, nextB = f.segs[i+1].lit, f.segs[i+1].litB
		} else {
			nextB = []byte(next)
		}
		end := len(line)
		if next != "" {
			end = f.findDelim(line, pos, nextB, s.field.multiValued())
			if end < 0 {
				return ErrNoMatch
			}
		}
		for k, x := range f.extras {
			if x.seg == i {
				if len(l.extras) < len(f.extras) {
					l.extras = make([]span, len(f.extras))
				}
				l.extras[k] = span{int32(pos), int32(end)}
			}
		}
		// A repeated variable keeps its first occurrence.
		if s.field != fOther && l.set&(1<<s.field) == 0 {
			l.span[s.field] = span{int32(pos), int32(end)}
			l.set |= 1 << s.field
		}
		pos = end
	}
	l.end = int32(pos)
	if full && f.tail != "" && !bytes.HasPrefix(bytes.TrimRight(line[pos:], " \r"), f.tailB) {
		return ErrNoMatch
	}
	return nil
}

func hasPrefixAt(b []byte, pos int, lit string) bool {
	return len(b)-pos >= len(lit) && string(b[pos:pos+len(lit)]) == lit
}

// findDelim returns where the value starting at pos ends: the next occurrence
// of lit that is not part of the value itself. Literals are short and start
// with a rare byte (a quote, a bracket, a space), so finding the first byte
// and comparing the rest beats a general substring search.
func (f *Format) findDelim(b []byte, pos int, lit []byte, multi bool) int {
	first, rest := lit[0], lit[1:]
	for from := pos; from <= len(b); {
		k := bytes.IndexByte(b[from:], first)
		if k < 0 {
			return -1
		}
		idx := from + k
		if len(rest) > 0 && !bytes.HasPrefix(b[idx+1:], rest) {
			from = idx + 1
			continue
		}
		if f.escape == EscapeJSON && first == '"' && escapedAt(b, pos, idx) {
			from = idx + 1
			continue
		}
		if multi && isListSeparator(b, idx, lit) {
			from = idx + 1
			continue
		}
		return idx
	}
	return -1
}

// escapedAt reports whether b[idx] is preceded by an odd run of backslashes.
func escapedAt(b []byte, start, idx int) bool {
	n := 0
	for i := idx - 1; i >= start && b[i] == '\\'; i-- {
		n++
	}
	return n%2 == 1
}

// isListSeparator reports whether the delimiter match at idx is really the
// ", " or " : " between two upstream attempts.
func isListSeparator(b []byte, idx int, lit []byte) bool {
	rest := b[idx:]
	switch {
	case lit[0] == ' ' && idx > 0 && b[idx-1] == ',':
		return true
	case lit[0] == ' ' && idx > 1 && b[idx-1] == ':' && b[idx-2] == ' ':
		return true // the second space of " : "
	case bytes.HasPrefix(rest, []byte(" : ")) && !bytes.HasPrefix(lit, []byte(" : ")):
		return true
	case lit[0] == ',' && bytes.HasPrefix(rest, []byte(", ")) && !bytes.HasPrefix(lit, []byte(", ")):
		return true
	}
	return false
}

// Status returns the final status; ok is false when it is absent or not a
// number.
func (l *Fields) Status() (int, bool) { return event.ParseStatus(l.get(fStatus)) }

// MayHaveStatus is the pre-filter's test for the upstream statuses: false
// means no attempt's status satisfies match. When $upstream_status lies
// beyond what a partial Scan read, it looks for a watched three-digit
// number anywhere in the rest of the line (a status is logged as digits, so
// none can hide); firstDigits are the watched codes' leading digits, found
// with IndexByte. A true answer is confirmed by a full Scan.
func (f *Format) MayHaveStatus(l *Fields, match func(int) bool, firstDigits []byte) bool {
	if !f.upstreamLate {
		return l.AnyUpstreamStatus(match)
	}
	rest := l.line[l.end:]
	for _, d := range firstDigits {
		for from := 0; ; {
			k := bytes.IndexByte(rest[from:], d)
			if k < 0 {
				break
			}
			i := from + k
			from = i + 1
			if i+3 > len(rest) {
				break
			}
			if (i > 0 && isDigit(rest[i-1])) || !isDigit(rest[i+1]) || !isDigit(rest[i+2]) || (i+3 < len(rest) && isDigit(rest[i+3])) {
				continue
			}
			if match(int(rest[i]-'0')*100 + int(rest[i+1]-'0')*10 + int(rest[i+2]-'0')) {
				return true
			}
		}
	}
	return false
}

// AnyUpstreamStatus reports whether any attempt's status satisfies match.
func (l *Fields) AnyUpstreamStatus(match func(int) bool) bool {
	v := l.get(fUpstreamStatus)
	for len(v) > 0 {
		item, rest := nextItem(v)
		if n, ok := event.ParseStatus(item); ok && match(n) {
			return true
		}
		v = rest
	}
	return false
}

// nextItem splits the first value off a ", " / " : " separated list.
func nextItem(v []byte) (item, rest []byte) {
	for i := 0; i < len(v); i++ {
		switch v[i] {
		case ',':
			return v[:i], bytes.TrimLeft(v[i+1:], " ")
		case ' ':
			if i+1 < len(v) && v[i+1] == ':' {
				return v[:i], bytes.TrimLeft(v[i+2:], " ")
			}
		}
	}
	return v, nil
}

// AppendJoinKey appends the key the error log shares with this line: the
// client address and the request line, unescaped.
func (f *Format) AppendJoinKey(dst []byte, l *Fields) []byte {
	dst = append(dst, l.get(fRemoteAddr)...)
	dst = append(dst, 0)
	req := l.get(fRequest)
	if bytes.IndexByte(req, '\\') < 0 {
		return append(dst, req...)
	}
	return f.appendUnescaped(dst, req)
}

// Access builds the request the line describes. Call it only on kept lines:
// it allocates.
func (f *Format) Access(l *Fields) event.Access {
	var a event.Access
	f.fill(&a, l)
	return a
}

// fill writes the request the line describes into a, reusing a's Attempts
// and Extra buffers.
func (f *Format) fill(a *event.Access, l *Fields) {
	attempts, extra := a.Attempts[:0], a.Extra[:0]
	*a = event.Access{
		Client:          f.str(l, fRemoteAddr),
		RemoteUser:      f.str(l, fRemoteUser),
		Referer:         f.str(l, fReferer),
		UserAgent:       f.str(l, fUserAgent),
		Host:            f.str(l, fHost),
		RequestID:       f.str(l, fReqID),
		UpstreamName:    f.str(l, fUpstreamName),
		UpstreamAltName: f.str(l, fUpstreamAltName),
		BodyBytes:       parseInt(l.get(fBodyBytesSent)),
		RequestLength:   parseInt(l.get(fRequestLength)),
		Duration:        parseFloat(l.get(fRequestTime)),
	}
	if a.UpstreamName == "" {
		a.UpstreamName = proxyHostName(f.str(l, fProxyHost))
	}
	a.UpstreamUnlogged = !f.has[fUpstreamAddr]
	if a.BodyBytes < 0 {
		a.BodyBytes = parseInt(l.get(fBytesSent))
	}
	a.Status, _ = l.Status()
	a.Time = parseLogTime(l)
	if req := f.str(l, fRequest); req != "" {
		a.RequestLine = req
		a.Method, a.Path, a.Query, a.Protocol = event.SplitRequest(req)
	}
	if m := f.str(l, fMethod); m != "" {
		a.Method = m
	}
	if a.Path == "" {
		uri := f.str(l, fRequestURI)
		if uri == "" {
			uri = f.str(l, fURI)
		}
		a.Path, a.Query, _ = strings.Cut(uri, "?")
	}
	if q := f.str(l, fArgs); a.Query == "" && q != "" {
		a.Query = q
	}
	if p := f.str(l, fProtocol); a.Protocol == "" && p != "" {
		a.Protocol = event.ProtocolVersion(p)
	}
	a.Attempts = appendAttempts(attempts, l)
	for k, x := range f.extras {
		if k < len(l.extras) {
			sp := l.extras[k]
			if v := f.unescape(l.line[sp.start:sp.end]); v != "" {
				extra = append(extra, [2]string{x.attr, v})
			}
		}
	}
	a.Extra = extra
}

// proxyHostName reads $proxy_host as an upstream name. NGINX Gateway Fabric
// proxies to upstream blocks named after the Service port
// (proxy_pass http://<namespace>_<service>_<port>), so its $proxy_host
// names the Service; ingress-nginx's and Kong's name their one balancer,
// which names nothing.
func proxyHostName(h string) string {
	switch h {
	case "upstream_balancer", "kong_upstream":
		return ""
	}
	return h
}

// str returns a field unescaped, with nginx's "-" for "no value" as "".
func (f *Format) str(l *Fields, fd field) string { return f.unescape(l.get(fd)) }

func (f *Format) unescape(b []byte) string {
	if len(b) == 0 || (len(b) == 1 && b[0] == '-') {
		return ""
	}
	if f.escape == EscapeNone || bytes.IndexByte(b, '\\') < 0 {
		return string(b)
	}
	return string(f.appendUnescaped(nil, b))
}

func (f *Format) appendUnescaped(dst, b []byte) []byte {
	if f.escape == EscapeJSON {
		return jsonstr.AppendUnescaped(dst, b)
	}
	return appendUnescapedHex(dst, b)
}

func parseInt(b []byte) int64 {
	if len(b) == 0 || b[0] == '-' {
		return -1
	}
	n, err := strconv.ParseInt(string(b), 10, 64)
	if err != nil {
		return -1
	}
	return n
}

func parseFloat(b []byte) float64 {
	if len(b) == 0 || b[0] == '-' {
		return -1
	}
	x, err := strconv.ParseFloat(string(b), 64)
	if err != nil {
		return -1
	}
	return x
}

const timeLocalLayout = "02/Jan/2006:15:04:05 -0700"

func parseLogTime(l *Fields) time.Time {
	if b := l.get(fTimeLocal); len(b) > 0 {
		if t, err := time.Parse(timeLocalLayout, string(b)); err == nil {
			return t
		}
	}
	if b := l.get(fTimeISO8601); len(b) > 0 {
		if t, err := time.Parse(time.RFC3339, string(b)); err == nil {
			return t
		}
	}
	if b := l.get(fMsec); len(b) > 0 {
		if x, err := strconv.ParseFloat(string(b), 64); err == nil {
			sec := int64(x)
			return time.Unix(sec, int64((x-float64(sec))*1e9)).UTC()
		}
	}
	return time.Time{}
}

// appendAttempts appends one Attempt per upstream address to dst.
func appendAttempts(dst []event.Attempt, l *Fields) []event.Attempt {
	addrs := l.get(fUpstreamAddr)
	if len(addrs) == 0 || (len(addrs) == 1 && addrs[0] == '-') {
		return dst
	}
	start := len(dst)
	for v := addrs; len(v) > 0; {
		var item []byte
		item, v = nextItem(v)
		dst = append(dst, event.Attempt{Addr: string(item), Status: "-", ResponseTime: -1, ResponseLength: -1})
	}
	out := dst[start:]
	i := 0
	for v := l.get(fUpstreamStatus); len(v) > 0 && i < len(out); i++ {
		var item []byte
		item, v = nextItem(v)
		out[i].Status = string(item)
	}
	i = 0
	for v := l.get(fUpstreamRespTime); len(v) > 0 && i < len(out); i++ {
		var item []byte
		item, v = nextItem(v)
		out[i].ResponseTime = parseFloat(item)
	}
	i = 0
	for v := l.get(fUpstreamRespLength); len(v) > 0 && i < len(out); i++ {
		var item []byte
		item, v = nextItem(v)
		out[i].ResponseLength = parseInt(item)
	}
	return dst
}

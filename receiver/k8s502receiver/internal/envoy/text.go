package envoy

import (
	"bytes"
	"fmt"
	"strings"
)

// EnvoyDefaultFormat is Envoy's built-in format (usage.rst, "Default Format
// String"), which Contour logs unless accesslog-format-string is set.
const EnvoyDefaultFormat = `[%START_TIME%] "%REQ(:METHOD)% %REQ(X-ENVOY-ORIGINAL-PATH?:PATH)% %PROTOCOL%" %RESPONSE_CODE% %RESPONSE_FLAGS% %BYTES_RECEIVED% %BYTES_SENT% %DURATION% %RESP(X-ENVOY-UPSTREAM-SERVICE-TIME)% "%REQ(X-FORWARDED-FOR)%" "%REQ(USER-AGENT)%" "%REQ(X-REQUEST-ID)%" "%REQ(:AUTHORITY)%" "%UPSTREAM_HOST%"`

// IstioTextFormat is Istio's text format when meshConfig.accessLogFormat is
// empty (EnvoyTextLogFormat, Istio 1.9 onwards).
const IstioTextFormat = `[%START_TIME%] "%REQ(:METHOD)% %REQ(X-ENVOY-ORIGINAL-PATH?:PATH)% %PROTOCOL%" %RESPONSE_CODE% %RESPONSE_FLAGS% %RESPONSE_CODE_DETAILS% %CONNECTION_TERMINATION_DETAILS% "%UPSTREAM_TRANSPORT_FAILURE_REASON%" %BYTES_RECEIVED% %BYTES_SENT% %DURATION% %RESP(X-ENVOY-UPSTREAM-SERVICE-TIME)% "%REQ(X-FORWARDED-FOR)%" "%REQ(USER-AGENT)%" "%REQ(X-REQUEST-ID)%" "%REQ(:AUTHORITY)%" "%UPSTREAM_HOST%" %UPSTREAM_CLUSTER_RAW% %UPSTREAM_LOCAL_ADDRESS% %DOWNSTREAM_LOCAL_ADDRESS% %DOWNSTREAM_REMOTE_ADDRESS% %REQUESTED_SERVER_NAME% %ROUTE_NAME%`

// Istio's format is tried first: an Envoy default line fails it at the fifth
// token (a number where Istio has a quoted transport failure reason), while
// Istio lines would be misread by the shorter format's numeric fields.
var (
	istioText        = mustText(IstioTextFormat)
	envoyDefaultText = mustText(EnvoyDefaultFormat)
)

func mustText(s string) *textFormat {
	t, err := compileText(s)
	if err != nil {
		panic(err)
	}
	return t
}

// segment is a literal or a field. A quoted field (a '"' on both sides)
// runs to the next full literal, since Envoy does not escape header values;
// any other field ends at the literal's first byte, so a number or a token
// can never swallow the fields after it.
type segment struct {
	lit    []byte
	f      field
	field  bool
	quoted bool
	// skip is how many times the delimiter occurs inside the value itself:
	// a %START_TIME(%Y-%m-%d %H:%M:%S)% layout prints its own spaces.
	skip int
}

type textFormat struct {
	segs []segment
	// decideAt is the number of segments after which status and flags are
	// known: the rest is read only for lines worth a record.
	decideAt int
	// anchor is the number of segments a line must match before a failure
	// means a broken access line rather than some other log line (Envoy's
	// own "[2026-...][1][info]" lines share the leading '['): two literals,
	// or a valid status, whichever comes first.
	anchor int
}

func compileText(s string) (*textFormat, error) {
	toks, err := tokenize(s)
	if err != nil {
		return nil, err
	}
	t := &textFormat{}
	hasStatus, hasFlags, lits := false, false, 0
	detailsAt := 0
	for i, tk := range toks {
		if tk.op == "" {
			t.segs = append(t.segs, segment{lit: []byte(tk.lit)})
			if lits++; lits == 2 && t.anchor == 0 {
				t.anchor = len(t.segs)
			}
			continue
		}
		if i > 0 && toks[i-1].op != "" {
			return nil, fmt.Errorf("%s follows %s with nothing between them, so the line cannot be split there", tk.op, toks[i-1].op)
		}
		sg := segment{f: tk.f, field: true}
		sg.quoted = i > 0 && i+1 < len(toks) && endsWith(toks[i-1].lit, '"') && toks[i+1].lit != "" && toks[i+1].lit[0] == '"'
		if tk.f == fStartTime && !sg.quoted && i+1 < len(toks) {
			sg.skip = strings.Count(tk.arg, toks[i+1].lit[:1])
		}
		t.segs = append(t.segs, sg)
		switch tk.f {
		case fStatus:
			hasStatus = true
			t.decideAt = max(t.decideAt, len(t.segs))
			if t.anchor == 0 {
				t.anchor = len(t.segs)
			}
		case fFlags, fFlagsLong:
			hasFlags = true
			t.decideAt = max(t.decideAt, len(t.segs))
		case fDetails:
			detailsAt = len(t.segs)
		}
	}
	if !hasFlags {
		// Without flags the details are what states a failure.
		t.decideAt = max(t.decideAt, detailsAt)
	}
	if !hasStatus {
		return nil, errNoStatus
	}
	if t.anchor == 0 {
		t.anchor = len(t.segs)
	}
	return t, nil
}

// indexNth finds the (skip+1)th c in b.
func indexNth(b []byte, c byte, skip int) int {
	off := 0
	for {
		i := bytes.IndexByte(b[off:], c)
		if i < 0 || skip == 0 {
			if i < 0 {
				return -1
			}
			return off + i
		}
		skip--
		off += i + 1
	}
}

func endsWith(s string, c byte) bool { return s != "" && s[len(s)-1] == c }

// match reads segments [from, to) of line starting at pos into v. It
// returns the next segment and position, or ok=false with seg at the
// segment that failed.
func (t *textFormat) match(line []byte, v *values, from, to, pos int) (seg, next int, ok bool) {
	for seg = from; seg < to; seg++ {
		s := &t.segs[seg]
		if !s.field {
			if !bytes.HasPrefix(line[pos:], s.lit) {
				return seg, pos, false
			}
			pos += len(s.lit)
			continue
		}
		end := len(line)
		if seg+1 < len(t.segs) {
			lit := t.segs[seg+1].lit
			var i int
			if s.quoted {
				i = bytes.Index(line[pos:], lit)
			} else {
				i = indexNth(line[pos:], lit[0], s.skip)
			}
			if i < 0 {
				return seg, pos, false
			}
			end = pos + i
		}
		if s.f != fNone {
			if !v.setText(s.f, line, pos, end) {
				return seg, pos, false
			}
		}
		pos = end
	}
	if seg == len(t.segs) && pos != len(line) {
		return seg, pos, false
	}
	return seg, pos, true
}

package traefik

import (
	"bytes"
	"strings"
	"time"

	"github.com/k8s502/otelcol-k8s502/internal/schema"
	"github.com/k8s502/otelcol-k8s502/receiver/k8s502receiver/internal/event"
	"github.com/k8s502/otelcol-k8s502/receiver/k8s502receiver/internal/gateway"
	"github.com/k8s502/otelcol-k8s502/receiver/k8s502receiver/internal/jsonstr"
)

var (
	keyDownstreamStatus = []byte(`"DownstreamStatus":`)
	keyOriginStatus     = []byte(`"OriginStatus":`)
	keyServiceAddr      = []byte(`"ServiceAddr":"`)
	keyError            = []byte(`"error":"`)
	keyMessage          = []byte(`"message":"`)
	bodyCopyMessage     = []byte("httputil: ReverseProxy read error during body copy")
	bodyCopy            = []byte("read error during body copy")
)

// parseJSON reads a line of accessLog.format json or log.format json. Only
// access lines have DownstreamStatus; that test and the status are all an
// uninteresting line costs.
func (p *parser) parseJSON(msg []byte, watched func(int) bool, out *gateway.Parsed) gateway.Kind {
	st, ok := numberAfter(msg, keyDownstreamStatus)
	if !ok {
		if bytes.Contains(msg, keyDownstreamStatus) {
			return gateway.Malformed
		}
		return p.jsonGeneral(msg, watched, out)
	}
	if !watched(int(st)) && !mayBeCut(msg) {
		return gateway.Uninteresting
	}
	return p.jsonAccess(msg, watched, out)
}

// mayBeCut is the pre-filter's look for a response aborted mid-body: an
// upstream was chosen (ServiceAddr) but OriginStatus stayed 0.
func mayBeCut(msg []byte) bool {
	v, ok := numberAfter(msg, keyOriginStatus)
	return ok && v == 0 && bytes.Contains(msg, keyServiceAddr)
}

// jsonFields are the raw (still escaped) members of an access line.
type jsonFields struct {
	method, path, proto, client, user, host, ua, referer, reqID []byte
	router, service, addr, url, start, startLocal, logTime      []byte
	status, size, reqSize, dur, origin, originSize, originDur   int64
	retries                                                     int64
	hasStatus, hasSize, hasReqSize, hasDur, hasOrigin           bool
	hasOriginDur                                                bool
}

func (j *jsonFields) member(m member) {
	if m.str {
		switch string(m.key) {
		case "RequestMethod":
			j.method = m.val
		case "RequestPath":
			j.path = m.val
		case "RequestProtocol":
			j.proto = m.val
		case "ClientHost":
			j.client = m.val
		case "ClientUsername":
			j.user = m.val
		case "RequestHost":
			j.host = m.val
		case "request_User-Agent":
			j.ua = m.val
		case "request_Referer":
			j.referer = m.val
		case "request_X-Request-Id":
			j.reqID = m.val
		case "RouterName":
			j.router = m.val
		case "ServiceName":
			j.service = m.val
		case "ServiceAddr":
			j.addr = m.val
		case "ServiceURL":
			j.url = m.val
		case "StartUTC":
			j.start = m.val
		case "StartLocal":
			j.startLocal = m.val
		case "time":
			j.logTime = m.val
		}
		return
	}
	n, ok := atoi(m.val)
	switch string(m.key) {
	case "DownstreamStatus":
		j.status, j.hasStatus = n, ok
	case "DownstreamContentSize":
		j.size, j.hasSize = n, ok
	case "RequestContentSize":
		j.reqSize, j.hasReqSize = n, ok
	case "Duration":
		j.dur, j.hasDur = n, ok
	case "OriginStatus":
		j.origin, j.hasOrigin = n, ok
	case "OriginContentSize":
		j.originSize = n
	case "OriginDuration":
		j.originDur, j.hasOriginDur = n, ok
	case "RetryAttempts":
		j.retries = n
	}
}

func (p *parser) jsonAccess(msg []byte, watched func(int) bool, out *gateway.Parsed) gateway.Kind {
	var j jsonFields
	p.bind(msg)
	if !walkObject(msg, j.member) || !j.hasStatus || j.status < 100 || j.status > 999 {
		return gateway.Malformed
	}
	a := &out.Access
	a.Status = int(j.status)
	a.Method = p.str(j.method)
	uri := p.str(j.path)
	a.Path, a.Query, _ = strings.Cut(uri, "?")
	proto := p.str(j.proto)
	a.Protocol = event.ProtocolVersion(proto)
	if a.Method != "" {
		a.RequestLine = a.Method + " " + uri + " " + proto
	}
	a.Client = p.str(j.client)
	if u := p.str(j.user); u != "-" {
		a.RemoteUser = u
	}
	a.Host = p.str(j.host)
	a.UserAgent = p.str(j.ua)
	a.Referer = p.str(j.referer)
	a.RequestID = p.str(j.reqID)
	a.BodyBytes, a.RequestLength, a.Duration = -1, -1, -1
	if j.hasSize {
		a.BodyBytes = j.size
	}
	if j.hasReqSize {
		a.RequestLength = j.reqSize
	}
	if j.hasDur {
		a.Duration = float64(j.dur) / 1e9
	}
	switch {
	case len(j.start) > 0:
		a.Time = parseRFC3339(j.start)
	case len(j.startLocal) > 0:
		a.Time = parseRFC3339(j.startLocal)
	}
	f := upstreamFacts{
		router: p.str(j.router), service: p.str(j.service), addr: p.str(j.addr),
		originLogged: j.hasOrigin, originStatus: int(j.origin), originSize: j.originSize,
		originDur: -1, retries: j.retries,
	}
	if f.addr == "" && len(j.url) > 0 {
		f.addr = hostPort(p.str(j.url))
	}
	if j.hasOriginDur {
		f.originDur = float64(j.originDur) / 1e9
	}
	// The body-copy error precedes the access line's write, not the
	// request's start: match it against the line's own time.
	logged := a.Time
	if t := parseRFC3339(j.logTime); !t.IsZero() {
		logged = t
	}
	return p.judge(out, &f, logged, watched)
}

// jsonGeneral reads a general-log line. Two kinds matter: the proxy's
// "<code> <text>" error line, a Failure joined to its access line, and the
// body-copy error, which explains a later aborted access line.
func (p *parser) jsonGeneral(msg []byte, watched func(int) bool, out *gateway.Parsed) gateway.Kind {
	// Decide on the message alone, so a debug line costs one scan more
	// than the access test: "502 Bad Gateway" or the body-copy error.
	i := bytes.Index(msg, keyMessage)
	if i < 0 {
		return gateway.Other
	}
	m := msg[i+len(keyMessage):]
	isCut := bytes.HasPrefix(m, bodyCopyMessage)
	if !isCut && (len(m) < 5 || !isDigit(m[0]) || !isDigit(m[1]) || !isDigit(m[2]) || m[3] != ' ' || !bytes.Contains(msg, keyError)) {
		return gateway.Other
	}
	var message, errText, ts []byte
	ok := walkObject(msg, func(m member) {
		if !m.str {
			return
		}
		switch string(m.key) {
		case "message":
			message = m.val
		case "error":
			errText = m.val
		case "time":
			ts = m.val
		}
	})
	if !ok {
		return gateway.Other
	}
	at := parseRFC3339(ts)
	if isCut {
		p.addCut(p.str(message), at)
		return gateway.Other
	}
	return p.proxyError(p.str(message), p.str(errText), at, watched, out)
}

// addCut remembers a body-copy error ("httputil: ReverseProxy read error
// during body copy: unexpected EOF") for the aborted access line to come.
func (p *parser) addCut(message string, at time.Time) {
	_, detail, ok := strings.Cut(message, string(bodyCopy)+": ")
	if !ok {
		return
	}
	kind, sentence, _ := classify(detail)
	if kind == schema.ErrOther {
		sentence = "reading the upstream's body failed"
	}
	p.cuts.add(cut{at: at, kind: kind, sentence: "the upstream's body broke off: " + sentence, detail: message})
}

// proxyError builds the Failure of a proxy error line in either general
// log format. Statuses nobody watches are dropped here, as their access
// lines are: a Failure for them could only end up unmatched.
func (p *parser) proxyError(message, errText string, at time.Time, watched func(int) bool, out *gateway.Parsed) gateway.Kind {
	code, ok := proxyStatus([]byte(message))
	if !ok || errText == "" || !watched(code) {
		return gateway.Other
	}
	kind, sentence, peer := classify(errText)
	out.Error = event.UpstreamError{
		Time: at, Level: event.LevelError, Kind: kind, Upstream: peer,
		Message: "Traefik answered " + message + ": " + sentence + " (" + errText + ")",
	}
	out.Key = appendJoinKey(out.Key, code)
	return gateway.Failure
}

// str decodes a JSON string value; unescaped values share the line's copy.
func (p *parser) str(raw []byte) string {
	if len(raw) == 0 {
		return ""
	}
	if bytes.IndexByte(raw, '\\') < 0 {
		return p.sub(raw)
	}
	p.scratch = jsonstr.AppendUnescaped(p.scratch[:0], raw)
	return string(p.scratch)
}

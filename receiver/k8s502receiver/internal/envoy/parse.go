package envoy

import (
	"bytes"
	"strconv"
	"strings"
	"time"

	"github.com/k8s502/otelcol-k8s502/receiver/k8s502receiver/internal/event"
	"github.com/k8s502/otelcol-k8s502/receiver/k8s502receiver/internal/gateway"
)

// Extra attribute names: the few Envoy facts with no neutral home.
const (
	AttrRoute               = "k8s502.envoy.route"      // Envoy Gateway: the xRoute the cluster serves ("httproute/<ns>/<name>")
	AttrRouteName           = "k8s502.envoy.route_name" // %ROUTE_NAME%
	AttrTerminationDetails  = "k8s502.envoy.connection_termination_details"
	AttrTransportFailReason = "k8s502.envoy.upstream_transport_failure_reason"
)

// parser is one file's reader. It remembers which text layout matched last,
// so a file written in Envoy's default format stops paying for the Istio
// attempt after its first line.
type parser struct {
	f       *Format
	v       values
	last    int
	scratch []byte
}

// Parse reads one message. stderr is ignored: Istio and Contour can be
// pointed at /dev/stderr, and the line itself says what it is.
func (pr *parser) Parse(msg []byte, _ bool, watched func(int) bool, p *gateway.Parsed) gateway.Kind {
	line := bytes.TrimSpace(msg)
	if len(line) == 0 {
		return gateway.Other
	}
	pr.v = values{}
	switch {
	case line[0] == '{' && pr.f.keys != nil:
		switch scanJSON(line, pr.f.keys, &pr.v, watched) {
		case jsonBroken:
			return gateway.Malformed
		case jsonUndecided:
			return gateway.Uninteresting
		}
		if !pr.v[fStatus].set {
			return gateway.Other // some other JSON log in the same container
		}
	case len(pr.f.texts) > 0:
		if k := pr.text(line, watched); k != gateway.Request {
			return k
		}
	default:
		return gateway.Other
	}
	if !wanted(line, &pr.v, watched) {
		return gateway.Uninteresting
	}
	pr.fill(line, p)
	return gateway.Request
}

// text matches the line against the text layouts, stopping after status and
// flags when they say the line is not wanted.
func (pr *parser) text(line []byte, watched func(int) bool) gateway.Kind {
	texts := pr.f.texts
	kind := gateway.Other
	for k := range texts {
		ti := (pr.last + k) % len(texts)
		t := texts[ti]
		pr.v = values{}
		seg, pos, ok := t.match(line, &pr.v, 0, t.decideAt, 0)
		if ok {
			if !wanted(line, &pr.v, watched) {
				return gateway.Uninteresting
			}
			if seg, _, ok = t.match(line, &pr.v, seg, len(t.segs), pos); ok {
				pr.last = ti
				return gateway.Request
			}
		}
		if seg >= t.anchor {
			kind = gateway.Malformed
		}
	}
	return kind
}

// fill turns a wanted line's fields into p.
func (pr *parser) fill(line []byte, p *gateway.Parsed) {
	v, a := &pr.v, &p.Access
	str := func(f field) string { return v.str(line, f, &pr.scratch) }
	a.Status, _ = event.ParseStatus(v.raw(line, fStatus))
	a.Time = parseTime(v.raw(line, fStartTime))
	a.BodyBytes = atoi64(v.raw(line, fBytesOut))
	a.RequestLength = atoi64(v.raw(line, fBytesIn))
	a.Duration = millis(v.raw(line, fDuration))
	a.Method = str(fMethod)
	path := str(fPath)
	a.Path, a.Query, _ = strings.Cut(path, "?")
	proto := str(fProtocol)
	if proto != "" {
		a.Protocol = event.ProtocolVersion(proto)
	}
	if a.Method != "" || path != "" {
		a.RequestLine = joinNonEmpty(a.Method, path, proto)
	}
	a.Client = clientAddr(str(fDownstreamRemote), str(fXFF))
	if a.Host = str(fAuthority); a.Host == "" {
		a.Host = str(fSNI)
	}
	a.UserAgent = str(fUserAgent)
	a.RequestID = str(fRequestID)
	if a.UpstreamName = str(fClusterRaw); a.UpstreamName == "" {
		a.UpstreamName = str(fCluster)
	}
	var route string
	a.Service, route = clusterIdentity(a.UpstreamName)
	putExtra(a, AttrRoute, route)
	putExtra(a, AttrRouteName, str(fRouteName))
	putExtra(a, AttrTerminationDetails, str(fTermination))
	putExtra(a, AttrTransportFailReason, str(fTransport))
	host := strings.TrimPrefix(str(fUpstreamHost), "tcp://")

	s := pr.signal(line)
	if !v[fDetails].set && a.Status > 0 && a.Status < 500 && s.cause >= 0 && flags[s.cause].failure {
		// Formats without details (Envoy's default, Cilium's): Envoy answers
		// an upstream failure with 5xx, so a failure flag on a 200 is a
		// response the upstream started and then broke.
		s.startedResponse = true
	}
	if host != "" {
		at := event.Attempt{Addr: host, Status: "-", ResponseTime: millis(v.raw(line, fServiceTime)), ResponseLength: -1}
		if s.upstreamStatus(v[fDetails].set) && a.Status > 0 {
			at.Status = strconv.Itoa(a.Status)
		}
		a.Attempts = append(a.Attempts, at)
	}
	a.Origin = s.origin(host != "")
	a.FailureSignal = s.text()
	if kind, msg := s.failure(); kind != "" {
		p.Errors = append(p.Errors, event.UpstreamError{
			Time: a.Time, Level: event.LevelError, Kind: kind, Message: msg,
			Client: a.Client, Host: a.Host, Request: a.RequestLine, Upstream: host,
		})
	}
	p.Keep = true
}

func putExtra(a *event.Access, k, v string) {
	if v != "" {
		a.Extra = append(a.Extra, [2]string{k, v})
	}
}

func joinNonEmpty(parts ...string) string {
	var b strings.Builder
	for _, s := range parts {
		if s == "" {
			continue
		}
		if b.Len() > 0 {
			b.WriteByte(' ')
		}
		b.WriteString(s)
	}
	return b.String()
}

// parseTime reads %START_TIME%'s default RFC 3339 form; a custom strftime
// layout yields no time and the container's timestamp is used instead.
func parseTime(b []byte) time.Time {
	if len(b) == 0 {
		return time.Time{}
	}
	t, err := time.Parse(time.RFC3339Nano, string(b))
	if err != nil {
		return time.Time{}
	}
	return t
}

// millis converts Envoy's integer milliseconds to seconds; -1 when absent.
func millis(b []byte) float64 {
	n := atoi64(b)
	if n < 0 {
		return -1
	}
	return float64(n) / 1000
}

// clientAddr prefers the downstream peer (which Envoy already resolves from
// trusted X-Forwarded-For hops) and falls back to the first XFF entry for
// formats that only log the header.
func clientAddr(remote, xff string) string {
	if remote != "" {
		if remote[0] == '[' {
			if i := strings.IndexByte(remote, ']'); i > 0 {
				return remote[1:i]
			}
		}
		if i := strings.IndexByte(remote, ':'); i >= 0 && strings.LastIndexByte(remote, ':') == i {
			return remote[:i]
		}
		return remote
	}
	first, _, _ := strings.Cut(xff, ",")
	return strings.TrimSpace(first)
}

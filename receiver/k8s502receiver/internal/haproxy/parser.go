package haproxy

import (
	"strconv"
	"strings"
	"time"

	"github.com/k8s502/otelcol-k8s502/internal/schema"
	"github.com/k8s502/otelcol-k8s502/receiver/k8s502receiver/internal/event"
	"github.com/k8s502/otelcol-k8s502/receiver/k8s502receiver/internal/gateway"
)

// maxAttempts bounds the attempts built from %rc: HAProxy's retries are a
// small configured number, a larger one is a corrupt line.
const maxAttempts = 32

// Parser reads one log file. Its state is the health-check verdicts seen
// so far in that file, which explain later <NOSRV> lines.
type Parser struct {
	f    *Format
	sc   scanner
	down map[string]downState
}

// NewParser returns a parser for one log file.
func (f *Format) NewParser() gateway.Parser { return &Parser{f: f} }

// Parse reads one message: a traffic line, or one of HAProxy's own
// messages (Other). Lines with an unwatched status whose termination state
// reports nothing wrong are dropped after the status, termination state and
// retry count are delimited, before anything is allocated.
func (p *Parser) Parse(msg []byte, stderr bool, watched func(int) bool, out *gateway.Parsed) gateway.Kind {
	if p.stateLine(msg) {
		return gateway.Other
	}
	kind := gateway.Other
	for k := range p.f.alts {
		a := &p.f.alts[k]
		p.sc.reset(a.items)
		if !p.sc.run(msg, a.decide) {
			if p.sc.failed > a.sig {
				kind = gateway.Malformed
			}
			continue
		}
		if p.sc.sp[a.status].a < 0 && p.sc.cutAt <= a.sig {
			// An empty line, or one that ends before it could be traffic.
			continue
		}
		return p.line(msg, a, watched, out)
	}
	return kind
}

// fields are the decoded values of one line that the verdict needs.
type fields struct {
	status       int
	ts           string
	retries      int
	redispatched bool
	backend      string
	server       string
}

// value is item i's text; false when the format lacks it (i < 0) or the
// line ended before it.
func (p *Parser) value(msg []byte, i int) ([]byte, bool) {
	if i < 0 || p.sc.sp[i].a < 0 {
		return nil, false
	}
	return msg[p.sc.sp[i].a:p.sc.sp[i].b], true
}

func (p *Parser) line(msg []byte, al *alt, watched func(int) bool, out *gateway.Parsed) gateway.Kind {
	st, ok := p.value(msg, al.status)
	if !ok {
		return gateway.Malformed
	}
	status, ok := atoi(st)
	if !ok {
		return gateway.Malformed
	}
	if status < 0 {
		status = 0 // -1: no response at all
	}
	var c0, c1 byte
	ts, hasTS := p.value(msg, al.term)
	if hasTS && len(ts) >= 2 {
		c0, c1 = ts[0], ts[1]
	}
	retries, redispatched := 0, false
	if rc, ok := p.value(msg, al.retries); ok {
		if len(rc) > 0 && rc[0] == '+' {
			redispatched, rc = true, rc[1:]
		}
		if n, ok := atoi(rc); ok && n > 0 {
			retries = n
		}
	}
	srv, _ := p.value(msg, al.server)
	nosrv := string(srv) == "<NOSRV>"
	v := judge(c0, c1, nosrv, retries)
	if !watched(status) && !v.failure() {
		return gateway.Uninteresting
	}
	if !p.sc.run(msg, len(al.items)-1) {
		return gateway.Malformed
	}
	fl := fields{status: status, ts: string(ts), retries: retries, redispatched: redispatched, server: string(srv)}
	if nosrv {
		fl.server = ""
	}
	if !p.fill(msg, &fl, v, out) {
		return gateway.Malformed
	}
	out.Keep = watched(status) || len(out.Errors) > 0
	return gateway.Request
}

// fill builds the Access of a kept line and the failure it states.
func (p *Parser) fill(msg []byte, fl *fields, v verdict, out *gateway.Parsed) bool {
	a := &out.Access
	a.Status = fl.status
	a.BodyBytes, a.RequestLength, a.Duration = -1, -1, -1
	a.FailureSignal = fl.ts
	a.Origin = v.origin
	timers := [...]int{-2, -2, -2, -2, -2, -2} // TR Tw Tc Tr Ta Tt; -2 = not logged
	var serverIP, serverPort, reqStart, reqEnd = "", "", -1, -1
	for i, it := range p.sc.items {
		sp := p.sc.sp[i]
		if sp.a < 0 || it.f <= fIgnore {
			continue
		}
		b := msg[sp.a:sp.b]
		switch it.f {
		case fClientIP:
			a.Client = string(b)
		case fTime:
			t, ok := parseTime(b)
			if !ok {
				return false
			}
			a.Time = t
		case fFrontend:
			a.Extra = append(a.Extra, [2]string{"k8s502.haproxy.frontend", string(b)})
		case fBackend:
			fl.backend = string(b)
			a.UpstreamName = fl.backend
			if s, ok := service(fl.backend); ok {
				a.Service = s
			}
		case fServerIP:
			serverIP = string(b)
		case fServerPort:
			serverPort = string(b)
		case fTR, fTw, fTc, fTr, fTa, fTt:
			n, ok := atoi(b)
			if !ok {
				return false
			}
			timers[it.f-fTR] = n
		case fBytesRead:
			if n, ok := atoi(b); ok {
				a.BodyBytes = int64(n)
			}
		case fBytesUploaded:
			if n, ok := atoi(b); ok {
				a.RequestLength = int64(n)
			}
		case fRequest, fMethod, fURI, fPath, fVer, fBase:
			if reqStart < 0 {
				reqStart = sp.a
			}
			reqEnd = sp.b
			p.request(a, it.f, string(b))
		case fHost:
			a.Host = stripPort(string(b))
		case fAgent:
			a.UserAgent = string(b)
		case fID:
			if string(b) != "-" {
				a.RequestID = string(b)
			}
		}
	}
	if reqStart >= 0 {
		a.RequestLine = string(msg[reqStart:reqEnd])
	}
	switch {
	case timers[4] >= 0:
		a.Duration = float64(timers[4]) / 1000
	case timers[5] >= 0:
		a.Duration = float64(timers[5]) / 1000
	}
	if fl.retries > 0 {
		rc := strconv.Itoa(fl.retries)
		if fl.redispatched {
			rc = "+" + rc
		}
		a.Extra = append(a.Extra, [2]string{"k8s502.haproxy.retries", rc})
	}
	addr := fl.server
	if serverIP != "" && serverIP != "-" && fl.server != "" {
		addr = serverIP
		if serverPort != "" && serverPort != "-" {
			addr += ":" + serverPort
		}
		a.Extra = append(a.Extra, [2]string{"k8s502.haproxy.server", fl.server})
	}
	p.attempts(a, fl, v, addr, timers[3])
	if !v.failure() {
		return true
	}
	var down *downState
	if d, ok := p.down[fl.backend]; ok && (v.noServer || (v.kind == schema.ErrConnectRefused || v.kind == schema.ErrConnectTimeout) && d.server == fl.server && v.origin != schema.OriginUpstream) {
		down = &d
	}
	kind := v.kind
	if down != nil {
		kind = downKind(down)
	}
	e := event.UpstreamError{
		Time: a.Time, Level: event.LevelError, Kind: kind,
		Message: message(fl.ts, v, fl.backend, fl.server, down, fl.retries, fl.redispatched),
		Client:  a.Client, Request: a.RequestLine, Host: a.Host, Upstream: addr,
	}
	if v.fromServer && fl.retries > 0 {
		// The logged server answered; the failed connect was to the
		// server before the retry, named only when there was no redispatch.
		e.Upstream = ""
		if !fl.redispatched {
			e.Upstream = addr
		}
	}
	if e.Upstream == "" && down != nil {
		e.Upstream = down.server
	}
	out.Errors = append(out.Errors, e)
	return true
}

// attempts lists the tries: %rc retries before the logged server. Without
// redispatch HAProxy retries the same server; with it ("+N") the last try
// went to the logged server and the earlier ones to a server the line does
// not name ("-").
func (p *Parser) attempts(a *event.Access, fl *fields, v verdict, addr string, tr int) {
	n := min(fl.retries, maxAttempts-1)
	earlier := addr
	if fl.redispatched || addr == "" {
		earlier = "-"
	}
	for range n {
		a.Attempts = append(a.Attempts, event.Attempt{Addr: earlier, Status: "-", ResponseTime: -1, ResponseLength: -1})
	}
	if addr == "" {
		return
	}
	last := event.Attempt{Addr: addr, Status: "-", ResponseTime: -1, ResponseLength: -1}
	if v.fromServer {
		last.Status = strconv.Itoa(fl.status)
		last.ResponseLength = a.BodyBytes
	}
	if tr >= 0 {
		last.ResponseTime = float64(tr) / 1000
	}
	a.Attempts = append(a.Attempts, last)
}

// request reads the request fields. %r holds "GET /p?q HTTP/1.1", or for
// HTTP/2 the absolute URI; haproxytech logs "GET <base> HTTP/1.1" where the
// base is Host + path without the query. One reading of the target covers
// all three.
func (p *Parser) request(a *event.Access, f field, s string) {
	switch f {
	case fRequest:
		method, rest, ok := strings.Cut(s, " ")
		if !ok {
			a.Method = ""
			return
		}
		a.Method = method
		target := rest
		if i := strings.LastIndexByte(rest, ' '); i >= 0 && strings.HasPrefix(rest[i+1:], "HTTP/") {
			target, a.Protocol = rest[:i], event.ProtocolVersion(rest[i+1:])
		}
		p.target(a, target)
	case fMethod:
		a.Method = s
	case fURI, fBase:
		p.target(a, s)
	case fPath:
		a.Path = s
	case fVer:
		a.Protocol = event.ProtocolVersion(s)
	}
}

func (p *Parser) target(a *event.Access, t string) {
	if i := strings.Index(t, "://"); i > 0 && !strings.ContainsAny(t[:i], "/?") {
		t = t[i+3:]
		host, path, _ := strings.Cut(t, "/")
		a.Host, t = stripPort(host), "/"+path
	} else if t != "" && t[0] != '/' && t != "*" {
		host, path, ok := strings.Cut(t, "/")
		a.Host = stripPort(host)
		t = ""
		if ok {
			t = "/" + path
		}
	}
	a.Path, a.Query, _ = strings.Cut(t, "?")
}

// stripPort drops ":port" from a Host value: server.address is the name.
func stripPort(h string) string {
	i := strings.LastIndexByte(h, ':')
	if i < 0 || strings.IndexByte(h[i:], ']') >= 0 {
		return h
	}
	for _, c := range h[i+1:] {
		if c < '0' || c > '9' {
			return h
		}
	}
	return h[:i]
}

// atoi reads a signed decimal that fits an int without overflow concerns
// for log values (at most 18 digits).
func atoi(b []byte) (int, bool) {
	neg := false
	if len(b) > 0 && (b[0] == '-' || b[0] == '+') {
		neg, b = b[0] == '-', b[1:]
	}
	if len(b) == 0 || len(b) > 18 {
		return 0, false
	}
	n := 0
	for _, c := range b {
		if c < '0' || c > '9' {
			return 0, false
		}
		n = n*10 + int(c-'0')
	}
	if neg {
		n = -n
	}
	return n, true
}

var months = map[string]time.Month{
	"Jan": time.January, "Feb": time.February, "Mar": time.March, "Apr": time.April,
	"May": time.May, "Jun": time.June, "Jul": time.July, "Aug": time.August,
	"Sep": time.September, "Oct": time.October, "Nov": time.November, "Dec": time.December,
}

// parseTime reads %tr / %t, "25/Nov/2026:09:58:05.755". The date carries no
// zone; it is read as UTC (the container runtime's timestamp, when there is
// one, takes precedence).
func parseTime(b []byte) (time.Time, bool) {
	if len(b) < 20 || b[2] != '/' || b[6] != '/' || b[11] != ':' || b[14] != ':' || b[17] != ':' {
		return time.Time{}, false
	}
	num := func(s []byte) int {
		n, ok := atoi(s)
		if !ok || s[0] == '-' || s[0] == '+' {
			return -1
		}
		return n
	}
	day, year, hh, mm, ss := num(b[0:2]), num(b[7:11]), num(b[12:14]), num(b[15:17]), num(b[18:20])
	mon, ok := months[string(b[3:6])]
	if !ok || day < 1 || day > 31 || year < 0 || hh < 0 || hh > 23 || mm < 0 || mm > 59 || ss < 0 || ss > 60 {
		return time.Time{}, false
	}
	nsec := 0
	if len(b) > 20 {
		if b[20] != '.' || len(b) > 30 {
			return time.Time{}, false
		}
		frac := b[21:]
		f := num(frac)
		if f < 0 {
			return time.Time{}, false
		}
		for range 9 - len(frac) {
			f *= 10
		}
		nsec = f
	}
	return time.Date(year, mon, day, hh, mm, ss, nsec, time.UTC), true
}

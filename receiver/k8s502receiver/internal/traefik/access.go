package traefik

import (
	"strconv"
	"time"

	"github.com/k8s502/otelcol-k8s502/internal/schema"
	"github.com/k8s502/otelcol-k8s502/receiver/k8s502receiver/internal/event"
	"github.com/k8s502/otelcol-k8s502/receiver/k8s502receiver/internal/gateway"
)

// Extra attributes: few, and only what the shared schema has no place for.
const (
	attrRouter   = "k8s502.traefik.router"         // RouterName, verbatim
	attrProvider = "k8s502.traefik.provider"       // "kubernetes", "kubernetescrd", "file"...
	attrRetries  = "k8s502.traefik.retry_attempts" // RetryAttempts when > 0
)

// upstreamFacts is what an access line says about the upstream side, in
// either format, before judge decides what it means.
type upstreamFacts struct {
	router  string // RouterName; "" when no router matched
	service string // ServiceName; the common format does not log it
	addr    string // host:port of the chosen server; "" when none was chosen
	// The JSON format logs what the server itself answered (OriginStatus
	// and friends); the common format logs only what the client got.
	originLogged bool
	originStatus int
	originSize   int64   // the common format: the client's body size
	originDur    float64 // seconds; -1 when not logged
	retries      int64
}

// judge finishes an access line: attributes of the upstream, who made the
// status, the failure the line states on its own, the join key, and
// whether it is worth a record.
//
// The common format lacks OriginStatus, so it cannot tell a response cut
// mid-body (JSON: OriginStatus 0 after a 200) from a complete one; such
// lines read as plain successes. Who made a 5xx is decided for both formats
// from the body size alone (madeByTraefik); JSON's OriginStatus does not
// help there, Traefik records its own error status as the origin's.
func (p *parser) judge(out *gateway.Parsed, f *upstreamFacts, at time.Time, watched func(int) bool) gateway.Kind {
	a := &out.Access
	if f.router != "" {
		a.Extra = append(a.Extra, [2]string{attrRouter, f.router})
	}
	name, provider := splitProvider(f.service)
	if f.service == "" {
		_, provider = splitProvider(f.router)
	}
	a.UpstreamName = name
	if provider != "" {
		a.Extra = append(a.Extra, [2]string{attrProvider, provider})
	}
	if f.retries > 0 {
		a.Extra = append(a.Extra, [2]string{attrRetries, strconv.FormatInt(f.retries, 10)})
	}
	answered := f.originLogged && f.originStatus != 0
	if f.originLogged {
		a.FailureSignal = "OriginStatus=" + strconv.Itoa(f.originStatus)
	}
	if f.addr != "" {
		at := event.Attempt{Addr: f.addr, Status: "-", ResponseTime: -1, ResponseLength: -1}
		if answered {
			at.Status = strconv.Itoa(f.originStatus)
			at.ResponseTime = f.originDur
		}
		a.Attempts = append(a.Attempts, at)
	}
	keyed := false
	switch {
	case a.Status == 499:
		// Traefik's own code for a client that left; its proxy error
		// line ("499 Client Closed Request") joins like any other.
		a.Origin, keyed = schema.OriginClient, true
	case f.addr == "":
		a.Origin = schema.OriginLocal
		if f.router != "" && a.Status == 503 {
			// A router but no server: the service has no endpoints or
			// all failed their health check. Traefik logs nothing else.
			a.Origin = schema.OriginGateway
			out.Errors = append(out.Errors, p.lineError(a, schema.ErrNoLiveUpstreams,
				"Traefik found no available server for router "+strconv.Quote(f.router)+
					" (the service has no endpoints, or every server failed its health check)"))
		}
	case f.originLogged && f.originStatus == 0 && a.Status >= 200 && a.Status < 500:
		// The status was sent, then the response was aborted: Traefik
		// panics out of the body copy and never records the origin.
		a.Origin = schema.OriginUpstream
		c, ok := p.cuts.take(at)
		msg := "Traefik aborted the response after sending status " + strconv.Itoa(a.Status) + " (OriginStatus 0): "
		kind := schema.ErrOther
		if ok {
			kind = c.kind
			msg += c.sentence + ": " + c.detail
		} else {
			msg += "the body copy between upstream and client broke off; Traefik's DEBUG log says which side"
		}
		out.Errors = append(out.Errors, p.lineError(a, kind, msg))
	case madeByTraefik(a.Status, f.originSize):
		a.Origin, keyed = schema.OriginGateway, true
	default:
		a.Origin = schema.OriginUpstream
		if answered && len(a.Attempts) > 0 {
			a.Attempts[0].ResponseLength = f.originSize
		}
	}
	out.Keep = watched(a.Status) || len(out.Errors) > 0
	if !out.Keep {
		return gateway.Uninteresting
	}
	if keyed && len(out.Errors) == 0 {
		out.Key = appendJoinKey(out.Key, a.Status)
	}
	return gateway.Request
}

// lineError is a failure the access line itself states.
func (p *parser) lineError(a *event.Access, kind, msg string) event.UpstreamError {
	e := event.UpstreamError{
		Time: a.Time, Level: event.LevelError, Kind: kind, Message: msg,
		Client: a.Client, Request: a.RequestLine, Host: a.Host,
	}
	if len(a.Attempts) > 0 {
		e.Upstream = a.Attempts[0].Addr
	}
	return e
}

// cut is a body-copy error of the general log, waiting for the access line
// of the response it aborted. That line follows it on the same stream (the
// access log is written while the abort unwinds), but other requests' lines
// may come in between.
type cut struct {
	at                     time.Time
	kind, sentence, detail string
}

// cuts is a small FIFO: aborted responses are rare, and one whose access
// line never comes (access log elsewhere) must not pin memory.
type cuts struct {
	buf      [8]cut
	start, n int
}

// cutWindow bounds how long a body-copy error waits; the access line is
// written immediately after it.
const cutWindow = 10 * time.Second

func (c *cuts) add(x cut) {
	if c.n == len(c.buf) {
		c.start = (c.start + 1) % len(c.buf)
		c.n--
	}
	c.buf[(c.start+c.n)%len(c.buf)] = x
	c.n++
}

// take returns the oldest waiting error that can belong to an access line
// logged at at, dropping stale ones on the way.
func (c *cuts) take(at time.Time) (cut, bool) {
	for c.n > 0 {
		x := c.buf[c.start]
		if !at.IsZero() && !x.at.IsZero() && x.at.Sub(at) > time.Second {
			return cut{}, false // logged after this line: a later response's
		}
		c.buf[c.start] = cut{}
		c.start = (c.start + 1) % len(c.buf)
		c.n--
		if at.IsZero() || x.at.IsZero() || at.Sub(x.at) <= cutWindow {
			return x, true
		}
	}
	return cut{}, false
}

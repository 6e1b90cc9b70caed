package haproxy

import (
	"strconv"
	"strings"

	"github.com/k8s502/otelcol-k8s502/internal/schema"
)

// verdict is what the termination state says about a request. HAProxy
// writes no error log: the first two characters of %tsc are its only
// statement of who ended the session (first) and in which phase (second).
type verdict struct {
	kind   string // schema.Err*; empty when no upstream failure is stated
	origin string // schema.Origin*; empty leaves it to the record builder
	phrase string // what happened, for an SRE who does not know HAProxy
	// fromServer: the status the client saw is the server's own (the
	// failure, if any, came after the headers were forwarded).
	fromServer bool
	// noServer: HAProxy found no usable server at all; the health-check
	// state of the backend explains why.
	noServer bool
}

func (v verdict) failure() bool { return v.kind != "" }

// judge reads the termination state. nosrv is the <NOSRV> server name;
// retries counts %rc's connection retries.
func judge(c0, c1 byte, nosrv bool, retries int) verdict {
	phase := func(connect, headers, data string, kind string) verdict {
		switch c1 {
		case 'C':
			return verdict{kind: kind, origin: schema.OriginGateway, phrase: connect}
		case 'H':
			return verdict{kind: kind, origin: schema.OriginGateway, phrase: headers}
		case 'D', 'L':
			return verdict{kind: kind, origin: schema.OriginUpstream, phrase: data, fromServer: true}
		case 'Q':
			return verdict{kind: kind, origin: schema.OriginGateway, phrase: connect}
		}
		return verdict{origin: schema.OriginLocal}
	}
	switch c0 {
	case '-':
		if nosrv {
			// HAProxy answered by itself (redirect, http-request return).
			return verdict{origin: schema.OriginLocal}
		}
		v := verdict{origin: schema.OriginUpstream, fromServer: true}
		if retries > 0 {
			// retry-on defaults to conn-failure: only a failed connect
			// makes HAProxy retry, and the line does not say how it failed.
			v.kind = schema.ErrConnectRefused
			v.phrase = "a connection to a server failed (refused, timed out or a TLS failure; the log does not say which) and a retry was answered"
		}
		return v
	case 'C', 'c':
		return verdict{origin: schema.OriginClient, fromServer: c1 == 'D' || c1 == 'L'}
	case 'L':
		return verdict{origin: schema.OriginLocal}
	case 'S':
		switch c1 {
		case 'C':
			if nosrv {
				return verdict{kind: schema.ErrNoLiveUpstreams, origin: schema.OriginGateway, noServer: true}
			}
			return verdict{kind: schema.ErrConnectRefused, origin: schema.OriginGateway,
				phrase: "the connection to the server failed: refused or reset (a failed TLS handshake to the server is logged the same way)"}
		case 'H':
			return verdict{kind: schema.ErrPrematureClose, origin: schema.OriginGateway,
				phrase: "the server closed or reset the connection before sending complete response headers"}
		case 'D', 'L':
			return verdict{kind: schema.ErrPrematureClose, origin: schema.OriginUpstream, fromServer: true,
				phrase: "the server closed or reset the connection while sending the body; the client got a truncated response"}
		}
		return verdict{kind: schema.ErrOther, origin: schema.OriginGateway, phrase: "the server aborted the session"}
	case 's':
		switch c1 {
		case 'C':
			return verdict{kind: schema.ErrConnectTimeout, origin: schema.OriginGateway,
				phrase: "the TCP connection to the server timed out (timeout connect); HAProxy answers this with 503, not 504"}
		case 'H':
			return verdict{kind: schema.ErrReadTimeout, origin: schema.OriginGateway,
				phrase: "the server sent no response headers within timeout server (a client that gave up meanwhile is not noticed without option abortonclose)"}
		case 'D', 'L':
			return verdict{kind: schema.ErrReadTimeout, origin: schema.OriginUpstream, fromServer: true,
				phrase: "the server stopped sending the body for longer than timeout server; the client got a truncated response"}
		case 'Q':
			return verdict{kind: schema.ErrQueueTimeout, origin: schema.OriginGateway,
				phrase: "the request waited for a free server slot (maxconn) longer than timeout queue"}
		}
		return verdict{kind: schema.ErrOther, origin: schema.OriginGateway, phrase: "a server-side timeout ended the session"}
	case 'P':
		switch c1 {
		case 'H':
			return verdict{kind: schema.ErrProtocol, origin: schema.OriginGateway,
				phrase: "HAProxy rejected the server's response as invalid HTTP (bad status line, header or framing)"}
		case 'D', 'L':
			return verdict{kind: schema.ErrProtocol, origin: schema.OriginUpstream, fromServer: true,
				phrase: "HAProxy rejected the server's response body as invalid (bad chunk or length); the client got a truncated response"}
		case 'C':
			return verdict{kind: schema.ErrOverflow, origin: schema.OriginGateway,
				phrase: "HAProxy refused to open a connection to the server (a socket or connection limit was reached)"}
		}
		// PR/PT: HAProxy blocked the request itself (deny, tarpit, bad request).
		return verdict{origin: schema.OriginLocal}
	case 'R':
		if c1 == 'C' {
			return verdict{kind: schema.ErrOverflow, origin: schema.OriginGateway,
				phrase: "HAProxy ran out of a local resource (memory, sockets, source ports) while connecting to the server"}
		}
		return verdict{origin: schema.OriginLocal}
	case 'I':
		return phase("HAProxy hit an internal error while connecting to the server",
			"HAProxy hit an internal error while waiting for the response headers",
			"HAProxy hit an internal error while forwarding the body", schema.ErrOther)
	case 'D', 'K', 'U':
		return phase("HAProxy killed the session while connecting (server marked DOWN with shutdown-sessions, or an admin action)",
			"HAProxy killed the session before the response headers (server marked DOWN with shutdown-sessions, or an admin action)",
			"HAProxy killed the session during the body (server marked DOWN with shutdown-sessions, or an admin action)", schema.ErrOther)
	}
	return verdict{}
}

// message is the error message: the termination state verbatim with the
// retries, what it means, and what the health checks knew.
func message(ts string, v verdict, backend, server string, down *downState, retries int, redispatched bool) string {
	var b strings.Builder
	b.WriteString(`HAProxy termination state "`)
	b.WriteString(ts)
	b.WriteString(`"`)
	if retries > 0 {
		b.WriteString(" after ")
		b.WriteString(strconv.Itoa(retries))
		if retries == 1 {
			b.WriteString(" retry")
		} else {
			b.WriteString(" retries")
		}
		if redispatched {
			b.WriteString(", the last one redispatched to ")
			if server != "" {
				b.WriteString("server ")
				b.WriteString(server)
			} else {
				b.WriteString("another server")
			}
		}
	}
	b.WriteString(": ")
	switch {
	case v.noServer && retries == 0:
		b.WriteString(`no server of backend "`)
		b.WriteString(backend)
		b.WriteString(`" was usable, so none was tried`)
		if down == nil {
			b.WriteString(" (all servers DOWN, in maintenance, or the Service has no endpoints)")
		}
	case v.noServer:
		b.WriteString(`connections to the servers of backend "`)
		b.WriteString(backend)
		b.WriteString(`" failed, and when HAProxy redispatched no server was usable any more`)
	default:
		b.WriteString(v.phrase)
	}
	if down != nil {
		b.WriteString("; health checks marked server ")
		b.WriteString(down.server)
		b.WriteString(" DOWN (")
		b.WriteString(down.reason)
		if down.info != "" {
			b.WriteString(`: "`)
			b.WriteString(down.info)
			b.WriteString(`"`)
		}
		b.WriteString(")")
	}
	return b.String()
}

package haproxy

import (
	"bytes"
	"strings"

	"github.com/k8s502/otelcol-k8s502/internal/schema"
)

// downState is the last health-check verdict that took a server of a
// backend DOWN. A 503 <NOSRV> names no server and no cause; the DOWN line
// logged earlier in the same stream is what says why nothing was usable.
type downState struct {
	server, reason, info string
}

// maxBackends bounds the per-file memory if a stream is flooded with
// made-up server names.
const maxBackends = 4096

// stateLine reads HAProxy's own messages (not traffic): server state
// changes and proxies stopping at a reload. It reports false for lines
// that are none of them. The stderr copy carries a "[WARNING]  (pid) : "
// prefix; both copies say the same, so reading both is harmless.
func (p *Parser) stateLine(msg []byte) bool {
	if bytes.HasPrefix(msg, []byte("[NOTICE]")) || bytes.HasPrefix(msg, []byte("[WARNING]")) ||
		bytes.HasPrefix(msg, []byte("[ALERT]")) {
		msg = bytes.TrimLeft(msg[bytes.IndexByte(msg, ']')+1:], " ")
		if len(msg) > 0 && msg[0] == '(' {
			if j := bytes.Index(msg, []byte(") : ")); j >= 0 {
				msg = msg[j+4:]
			}
		}
		p.serverState(msg)
		return true
	}
	switch {
	case bytes.HasPrefix(msg, []byte("Server ")):
		p.serverState(msg)
		return true
	case bytes.HasPrefix(msg, []byte("Proxy ")), bytes.HasPrefix(msg, []byte("backend ")),
		bytes.HasPrefix(msg, []byte("Health check for ")), bytes.HasPrefix(msg, []byte("Stopping ")),
		bytes.HasPrefix(msg, []byte("Pausing ")), bytes.HasPrefix(msg, []byte("Resuming ")):
		p.serverState(msg)
		return true
	}
	return false
}

// serverState remembers "Server b/s is DOWN, reason: r, info: "i"", forgets
// the backend on "is UP" and when its proxy stops: after a reload the new
// worker starts with every server UP.
func (p *Parser) serverState(msg []byte) {
	if rest, ok := bytes.CutPrefix(msg, []byte("Proxy ")); ok {
		if name, _, ok := bytes.Cut(rest, []byte(" stopped")); ok && len(p.down) > 0 {
			delete(p.down, string(name))
		}
		return
	}
	rest, ok := bytes.CutPrefix(msg, []byte("Server "))
	if !ok {
		return
	}
	id, rest, ok := bytes.Cut(rest, []byte(" is "))
	if !ok {
		return
	}
	backend, server, ok := bytes.Cut(id, []byte("/"))
	if !ok || len(backend) == 0 {
		return
	}
	switch {
	case bytes.HasPrefix(rest, []byte("UP")):
		if len(p.down) > 0 {
			delete(p.down, string(backend))
		}
	case bytes.HasPrefix(rest, []byte("DOWN")), bytes.HasPrefix(rest, []byte("going DOWN")):
		d := downState{server: string(server), reason: "put in maintenance"}
		if _, r, ok := bytes.Cut(rest, []byte("reason: ")); ok {
			reason, r, _ := bytes.Cut(r, []byte(", "))
			d.reason = string(reason)
			if _, i, ok := bytes.Cut(r, []byte(`info: "`)); ok {
				if info, _, ok := bytes.Cut(i, []byte(`"`)); ok {
					d.info = string(info)
				}
			}
		}
		if p.down == nil || len(p.down) >= maxBackends {
			p.down = map[string]downState{}
		}
		p.down[string(backend)] = d
	}
}

// downKind says which failure a health check's reason describes, so a
// 503 <NOSRV> is classified by why its servers went DOWN.
func downKind(d *downState) string {
	r, info := d.reason, strings.ToLower(d.info)
	switch {
	case strings.HasPrefix(r, "Layer4 timeout"):
		return schema.ErrConnectTimeout
	case strings.HasPrefix(r, "Layer4"):
		switch {
		case strings.Contains(info, "no route"), strings.Contains(info, "unreachable"):
			return schema.ErrHostUnreachable
		case strings.Contains(info, "reset"):
			return schema.ErrConnectionReset
		}
		return schema.ErrConnectRefused
	case strings.HasPrefix(r, "Layer6"):
		if strings.Contains(info, "certificate") || strings.Contains(info, "verify") {
			return schema.ErrTLSCertificate
		}
		return schema.ErrTLSHandshake
	case strings.HasPrefix(r, "Layer7 timeout"):
		return schema.ErrReadTimeout
	case strings.HasPrefix(r, "Layer7 invalid response"):
		return schema.ErrProtocol
	}
	// Layer7 wrong status, maintenance, agent checks: the servers answer
	// but are not in service.
	return schema.ErrNoLiveUpstreams
}

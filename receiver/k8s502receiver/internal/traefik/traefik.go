// Package traefik reads the stdout of a Traefik v3 pod: its access log
// (format "common" or "json") interleaved with its general log (colourised
// text or JSON). Traefik names no request in its own error lines, and its
// access line carries no error text, so the two are joined (see appendJoinKey).
//
// Both access formats are detected per line rather than configured: one pod
// can switch format on a restart without the receiver's config following,
// and the two cannot be confused (a JSON object starts with '{', a CLF line
// with the client address).
package traefik

import (
	"errors"
	"strconv"
	"time"

	"github.com/k8s502/otelcol-k8s502/internal/schema"
	"github.com/k8s502/otelcol-k8s502/receiver/k8s502receiver/internal/gateway"
)

// Profile is Traefik as the receiver's format option selects it. Its pods
// are where the official Helm chart's release "traefik" (also k3s's bundled
// one) puts them: traefik-<hash>-<id>, the container named after the
// release. There is no format string to default: both formats are detected.
var Profile = gateway.Profile{
	Name:           schema.GatewayTraefik,
	DefaultInclude: []string{"/var/log/pods/*_traefik-*/traefik/*.log"},
	Compile:        gateway.Compiler(Compile),
}

// Format is the compiled log format. Traefik's formats are fixed, so there
// is nothing to compile; the type exists so every gateway is wired alike.
type Format struct{}

// Compile accepts only "": Traefik's access log has two fixed formats,
// recognised line by line, and no user-defined one to describe.
func Compile(logFormat string) (*Format, error) {
	if logFormat != "" {
		return nil, errors.New("must be empty for traefik: its access log is json or common (accessLog.format), and the format is detected per line")
	}
	return &Format{}, nil
}

// NewParser returns the parser of one log file.
func (f *Format) NewParser() gateway.Parser { return &parser{} }

// parser keeps what one file's earlier lines said that a later line needs:
// the body-copy errors of the general log wait here for the access line
// of the response they cut.
type parser struct {
	cuts    cuts
	scratch []byte // unescaped or de-coloured text of the current line

	// A kept line is copied to a string once and its fields are
	// substrings of it: one allocation instead of one per field.
	line  []byte
	whole string
}

// bind makes msg the line whose fields sub returns.
func (p *parser) bind(msg []byte) {
	p.line, p.whole = msg, string(msg)
}

// sub returns b, a part of the bound line, as a substring of its copy;
// anything else is copied.
func (p *parser) sub(b []byte) string {
	if len(b) == 0 {
		return ""
	}
	if i := cap(p.line) - cap(b); len(p.line) > 0 && i >= 0 && i+len(b) <= len(p.whole) && &p.line[i] == &b[0] {
		return p.whole[i : i+len(b)]
	}
	return string(b)
}

// Joins is true: Traefik's proxy error lines are separate Failure lines.
func (p *parser) Joins() bool { return true }

// Parse reads one message of the pod's stdout.
func (p *parser) Parse(msg []byte, _ bool, watched func(int) bool, out *gateway.Parsed) gateway.Kind {
	for len(msg) > 0 && (msg[len(msg)-1] == '\r' || msg[len(msg)-1] == ' ') {
		msg = msg[:len(msg)-1]
	}
	if len(msg) == 0 {
		return gateway.Other
	}
	p.line, p.whole = nil, ""
	switch {
	case msg[0] == '{':
		return p.parseJSON(msg, watched, out)
	case msg[0] == 0x1b || looksLikeTimestamp(msg):
		// The general log in format common: colourised unless log.noColor.
		return p.parseConsole(msg, watched, out)
	}
	return p.parseCommon(msg, watched, out)
}

// appendJoinKey is the join key of both sides: a proxy error line and the
// access line of the response Traefik made after it.
//
// The error line names no client, path or router, only the status Traefik
// answered with and, for dial and read errors, the peer address. The key is
// therefore the status alone; the peer is not part of it because the access
// line cannot know whether its error line will name one (EOF, TLS and
// malformed-response errors do not). The peer still keeps requests apart:
// the error's Upstream is the peer and the joiner only pairs it with an
// access line whose attempt has that address (the join checks it). Access lines
// whose status came from the application get no key at all (see judge), so
// an app's own 502 never takes a proxy error line.
func appendJoinKey(dst []byte, status int) []byte {
	return strconv.AppendInt(dst, int64(status), 10)
}

// looksLikeTimestamp matches the RFC 3339 time that starts a general-log
// line when colours are off ("2026-11-25T10:09:23Z INF ...").
func looksLikeTimestamp(b []byte) bool {
	return len(b) >= 20 && isDigit(b[0]) && isDigit(b[3]) && b[4] == '-' && b[7] == '-' && b[10] == 'T' && b[13] == ':'
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

// atoi reads a non-negative decimal; ok is false for anything else.
func atoi(b []byte) (int64, bool) {
	if len(b) == 0 || len(b) > 18 {
		return 0, false
	}
	var n int64
	for _, c := range b {
		if !isDigit(c) {
			return 0, false
		}
		n = n*10 + int64(c-'0')
	}
	return n, true
}

// status3 reads a three-digit HTTP status.
func status3(b []byte) (int, bool) {
	if len(b) != 3 {
		return 0, false
	}
	n, ok := atoi(b)
	return int(n), ok && n >= 100
}

func parseRFC3339(b []byte) time.Time {
	t, err := time.Parse(time.RFC3339Nano, string(b))
	if err != nil {
		return time.Time{}
	}
	return t
}

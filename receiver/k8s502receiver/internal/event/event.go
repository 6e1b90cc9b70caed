// Package event holds the gateway-neutral view of what a proxy logged: one
// finished request (Access) and one upstream failure (UpstreamError). Every
// gateway parser produces these; the join and the record builder consume only
// these, which is what lets a new gateway be one new parser.
package event

import (
	"strings"
	"time"
)

// Attempt is one try of the request against one upstream peer.
type Attempt struct {
	Addr           string  // "10.0.0.1:8080", or a group name such as "upstream_balancer"
	Status         string  // as logged: "502", "-" when no response was read
	ResponseTime   float64 // seconds; -1 when not logged
	ResponseLength int64   // bytes; -1 when not logged
}

// Access is one access-log line.
type Access struct {
	Time        time.Time // from the line itself ($time_local); zero when absent
	Status      int
	Method      string
	Path        string
	Query       string // without the leading '?'
	Protocol    string // "1.1", "2"
	RequestLine string // the request as nginx logged it, unescaped: the join key
	Client      string
	RemoteUser  string
	UserAgent   string
	Referer     string
	Host        string
	RequestID   string

	BodyBytes     int64   // -1 when not logged
	RequestLength int64   // -1 when not logged
	Duration      float64 // seconds; -1 when not logged

	UpstreamName    string
	UpstreamAltName string
	// Service is the Kubernetes Service the proxy routed to, when its naming
	// scheme states it unambiguously; zero otherwise.
	Service  Service
	Attempts []Attempt
	// UpstreamUnlogged is set when the access-log format has no upstream
	// fields at all (F5 NGINX Ingress Controller's default): no attempts
	// then means "not logged", not "none made", and the joined error lines
	// are the only record of the upstream.
	UpstreamUnlogged bool

	// Origin is set by parsers whose line itself says who made the status
	// (HAProxy's termination state, Envoy's response flags, Traefik's origin
	// status); empty means the record builder decides from the attempts and
	// the joined error lines, as for nginx.
	Origin string
	// FailureSignal is the proxy's own failure code, verbatim ("sC--",
	// "URX,UF upstream_reset_before_response_started{...}").
	FailureSignal string

	// Extra holds configured variables copied verbatim: {attribute, value}.
	Extra [][2]string
}

// Service names a Kubernetes Service port.
type Service struct {
	Namespace, Name string
	Port            string // number or port name
}

// Upstream reports whether the gateway contacted any upstream.
func (a *Access) Upstream() bool { return len(a.Attempts) > 0 }

// Level orders error-log severities; only Warn and above are kept.
type Level uint8

const (
	LevelDebug Level = iota
	LevelInfo
	LevelNotice
	LevelWarn
	LevelError
	LevelCrit
	LevelAlert
	LevelEmerg
)

// Line says where a kept line came from: enough to write it to storage and
// feed it again after a restart, and to name the record it becomes.
type Line struct {
	Path   string // the file it was read from
	Offset int64  // byte offset just after it in that file
	Time   string // the container runtime's timestamp; empty for plain files
	Stderr bool
}

// UpstreamError is one error-log line tied to a request.
type UpstreamError struct {
	Time     time.Time // from the line itself (second resolution, nginx's local zone)
	Level    Level
	Kind     string // schema.Err*
	Message  string // the text before ", client:"
	Client   string
	Server   string
	Request  string // the request line; a prefix when Truncated
	Upstream string // "http://10.0.0.1:8080/path" as logged; empty when none
	Host     string
	// RequestID is the request's id when the proxy appends it to its error
	// lines (Kong's `, request_id: "<kong_request_id>"`); empty otherwise.
	RequestID string
	Raw       string // the whole line
	Line      Line   // where Raw came from

	// Truncated is set when nginx cut the line at its error-string limit
	// before the request context ended; Request is then only a prefix.
	Truncated bool
}

// Peer returns the upstream's host:port (or group name) from Upstream.
func (e *UpstreamError) Peer() string {
	u := e.Upstream
	if i := strings.Index(u, "://"); i >= 0 {
		u = u[i+3:]
	}
	if i := strings.IndexByte(u, '/'); i >= 0 {
		return u[:i]
	}
	return u
}

// SplitRequest splits "GET /p?q HTTP/1.1". Anything else (garbage from a
// client that does not speak HTTP) keeps only what it can.
func SplitRequest(req string) (method, path, query, proto string) {
	method, rest, ok := strings.Cut(req, " ")
	if !ok {
		return "", "", "", ""
	}
	uri := rest
	if i := strings.LastIndexByte(rest, ' '); i >= 0 && strings.HasPrefix(rest[i+1:], "HTTP/") {
		uri, proto = rest[:i], ProtocolVersion(rest[i+1:])
	}
	path, query, _ = strings.Cut(uri, "?")
	return method, path, query, proto
}

// ProtocolVersion maps "HTTP/1.1" to "1.1" and "HTTP/2.0" to "2", the
// network.protocol.version spelling.
func ProtocolVersion(p string) string {
	p = strings.TrimPrefix(p, "HTTP/")
	switch p {
	case "2.0":
		return "2"
	case "3.0":
		return "3"
	}
	return p
}

// ParseStatus reads an HTTP status as proxies log it: up to three digits
// ("009" is nginx's HTTP/0.9 pass-through, "0" Envoy's "no response").
func ParseStatus(b []byte) (int, bool) {
	if len(b) == 0 || len(b) > 3 {
		return 0, false
	}
	n := 0
	for _, c := range b {
		if c < '0' || c > '9' {
			return 0, false
		}
		n = n*10 + int(c-'0')
	}
	return n, true
}

// IsDNSLabel reports whether s is an RFC 1123 label, what Kubernetes allows
// in namespace, Service and port names. Proxies that build upstream names
// from them with separators outside that alphabet ('_', '/', '|', '.') can
// be split without ambiguity.
func IsDNSLabel(s string) bool {
	if s == "" || len(s) > 63 || s[0] == '-' || s[len(s)-1] == '-' {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-') {
			return false
		}
	}
	return true
}

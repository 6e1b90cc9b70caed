package traefik

import (
	"net/http"
	"strings"

	"github.com/k8s502/otelcol-k8s502/internal/schema"
)

// classify maps the Go error text of a proxy error line to an error kind,
// a sentence an SRE reads without knowing Go's net/http, and the peer when
// the text names one. Traefik passes the transport's error through
// verbatim, so these are net/http's and crypto/tls's wordings. Order
// matters: "dial tcp ...: i/o timeout" is a connect timeout, a bare
// "i/o timeout" a read timeout.
func classify(text string) (kind, sentence, peer string) {
	peer = peerOf(text)
	switch {
	case strings.Contains(text, "connection refused"):
		return schema.ErrConnectRefused, "the upstream refused the TCP connection (nothing listens on that port: pod gone, not started, or wrong port)", peer
	case strings.Contains(text, "dial tcp") && strings.Contains(text, "timeout"):
		return schema.ErrConnectTimeout, "the TCP connection to the upstream timed out (serversTransport dialTimeout): packets dropped or the pod is unreachable", peer
	case strings.Contains(text, "timeout awaiting response headers"):
		return schema.ErrReadTimeout, "the upstream sent no response headers within serversTransport responseHeaderTimeout", peer
	case strings.Contains(text, "i/o timeout"):
		return schema.ErrReadTimeout, "reading from the upstream timed out", peer
	case strings.Contains(text, "connection reset by peer"):
		return schema.ErrConnectionReset, "the upstream reset the connection (RST) before answering", peer
	case strings.Contains(text, "no route to host"), strings.Contains(text, "network is unreachable"), strings.Contains(text, "host is unreachable"):
		return schema.ErrHostUnreachable, "the upstream's address is unreachable (no route)", peer
	case strings.Contains(text, "tls: failed to verify certificate"), strings.Contains(text, "x509:"):
		return schema.ErrTLSCertificate, "Traefik rejected the upstream's TLS certificate (expired, unknown CA or wrong name; Traefik answers 500, not 502)", peer
	case strings.Contains(text, "tls:"):
		return schema.ErrTLSHandshake, "the TLS handshake with the upstream failed (is the upstream speaking plain HTTP on a TLS port?)", peer
	case strings.Contains(text, "malformed MIME header"):
		return schema.ErrInvalidHeader, "the upstream sent an invalid response header (Traefik answers 500)", peer
	case strings.Contains(text, "chunk"):
		return schema.ErrInvalidChunked, "the upstream sent a malformed chunked body", peer
	case strings.Contains(text, "malformed HTTP"):
		return schema.ErrProtocol, "the upstream's response was not valid HTTP (Traefik answers 500)", peer
	case text == "EOF" || text == "unexpected EOF" || strings.HasSuffix(text, ": EOF") || strings.HasSuffix(text, ": unexpected EOF"):
		return schema.ErrPrematureClose, "the upstream closed the connection before the response was complete", peer
	case strings.Contains(text, "context canceled"):
		return schema.ErrOther, "the client went away before the upstream answered", peer
	}
	return schema.ErrOther, "the request to the upstream failed", peer
}

// peerOf finds the upstream address in a net error: "dial tcp 10.0.0.1:80:
// ..." or "read tcp 10.0.0.2:4711->10.0.0.1:80: ...".
func peerOf(text string) string {
	rest := ""
	if i := strings.Index(text, "->"); i >= 0 {
		rest = text[i+2:]
	} else if i := strings.Index(text, "dial tcp "); i >= 0 {
		rest = text[i+len("dial tcp "):]
	} else {
		return ""
	}
	if i := strings.Index(rest, ": "); i >= 0 {
		rest = rest[:i]
	}
	if i := strings.IndexByte(rest, ' '); i >= 0 {
		rest = rest[:i]
	}
	if strings.IndexByte(rest, ':') < 0 {
		return ""
	}
	return rest
}

// proxyStatus reads the message of a proxy error line, "502 Bad Gateway":
// the status Traefik answered with and its standard text (Traefik's own
// "Client Closed Request" for 499).
func proxyStatus(msg []byte) (int, bool) {
	if len(msg) < 5 || msg[3] != ' ' {
		return 0, false
	}
	code, ok := status3(msg[:3])
	if !ok {
		return 0, false
	}
	text := statusText(code)
	return code, text != "" && string(msg[4:]) == text
}

func statusText(code int) string {
	if code == 499 {
		return "Client Closed Request"
	}
	return http.StatusText(code)
}

// madeByTraefik tells Traefik's own error response from the application's.
// Traefik answers a failed proxy attempt with the bare status text as body
// (README: "502, 11 bytes Bad Gateway"), so a 500/502/504 whose body has
// exactly that length is Traefik's. An app that answers with the same
// bare text is misread; one with any other body (JSON, HTML, a trailing
// newline) is not.
func madeByTraefik(status int, size int64) bool {
	switch status {
	case 500, 502, 504:
		return size == int64(len(statusText(status)))
	}
	return false
}

// splitProvider splits "shop-cart-8080@kubernetes" into the service's own
// name and the provider that defined it.
func splitProvider(name string) (string, string) {
	if i := strings.LastIndexByte(name, '@'); i > 0 {
		return name[:i], name[i+1:]
	}
	return name, ""
}

// hostPort takes "10.0.0.1:8080" out of a server URL "http://10.0.0.1:8080".
func hostPort(url string) string {
	if i := strings.Index(url, "://"); i >= 0 {
		url = url[i+3:]
	}
	if i := strings.IndexAny(url, "/?#"); i >= 0 {
		url = url[:i]
	}
	return url
}

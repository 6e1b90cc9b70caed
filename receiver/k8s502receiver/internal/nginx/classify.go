package nginx

import (
	"strings"

	"github.com/k8s502/otelcol-k8s502/internal/schema"
)

// Classify names what an error-log message says went wrong. It matches
// nginx's own phrases and the errno number, never libc's wording: musl
// (the ingress-nginx image) prints "Operation timed out" where glibc prints
// "Connection timed out", but both print "(110: ".
func Classify(msg string) string {
	has := func(s string) bool { return strings.Contains(msg, s) }
	connecting := has("while connecting to upstream")
	switch {
	case has("no live upstreams"):
		return schema.ErrNoLiveUpstreams
	case has("limiting requests") || has("limiting connections"):
		return schema.ErrRateLimited
	case has("upstream server temporarily disabled"):
		return schema.ErrUpstreamDisabled
	case has("upstream SSL certificate") || has("SSL certificate verify") || has("SSL_get_verify_result"):
		return schema.ErrTLSCertificate
	case has("SSL_do_handshake() failed") || has("SSL handshak") || has("SSL_connect"):
		return schema.ErrTLSHandshake
	case has("upstream sent too big header"):
		return schema.ErrTooBigHeader
	case has("invalid chunked"):
		return schema.ErrInvalidChunked
	case has("upstream sent invalid header") || has("upstream sent no valid") || has("upstream sent invalid status") ||
		has("upstream sent duplicate header") || has("upstream sent unexpected") || has("upstream sent invalid"):
		return schema.ErrInvalidHeader
	case has("upstream prematurely closed"):
		return schema.ErrPrematureClose
	case has("(111: "):
		return schema.ErrConnectRefused
	case has("(110: ") || has("upstream timed out"):
		if connecting {
			return schema.ErrConnectTimeout
		}
		return schema.ErrReadTimeout
	case has("(104: ") || has("(32: "):
		return schema.ErrConnectionReset
	case has("(113: ") || has("(101: ") || has("(112: "):
		return schema.ErrHostUnreachable
	}
	return schema.ErrOther
}

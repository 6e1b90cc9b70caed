package diagnose

import (
	"fmt"
	"strings"

	"github.com/k8s502/otelcol-k8s502/internal/schema"
)

// tlsHandshake: the gateway and the upstream could not agree on TLS: plain
// HTTP spoken to an HTTPS port (or the reverse), protocol versions, or the
// upstream's certificate failed verification.
func tlsHandshake(j *judge) bool {
	if j.f.ErrorKind != schema.ErrTLSHandshake && j.f.ErrorKind != schema.ErrTLSCertificate {
		j.ruleOut("no TLS error between the gateway and %s", j.result.Target.Address)
		return false
	}
	msg := j.f.ErrorMessage
	rem := j.tlsRemediation(classifyTLS(j.f.ErrorKind, msg))
	return j.claim(schema.CauseTLSHandshake, schema.ConfidenceHigh, rem,
		fmt.Sprintf("TLS to %s (%s) failed at %s: %s", j.result.Target.Address, j.podRef(), ts(j.f.Time), msg))
}

// tlsProblem is what went wrong in a TLS handshake with the upstream.
type tlsProblem uint8

const (
	tlsPlainHTTP tlsProblem = iota // the upstream answered in plain HTTP
	tlsVersion                     // no protocol version in common
	tlsName                        // the certificate is for another name
	tlsExpired
	tlsUntrusted // the certificate's issuer is not trusted
	tlsOther
)

// classifyTLS reads the proxies' wordings: OpenSSL's (nginx), BoringSSL's
// (Envoy) and Go's crypto/tls (Traefik).
func classifyTLS(kind, msg string) tlsProblem {
	switch {
	case strings.Contains(msg, "wrong version number") || strings.Contains(msg, "http request") ||
		strings.Contains(msg, "WRONG_VERSION_NUMBER") || strings.Contains(msg, "does not look like a TLS handshake"):
		return tlsPlainHTTP
	case strings.Contains(msg, "protocol version") || strings.Contains(msg, "unsupported protocol"):
		return tlsVersion
	case strings.Contains(msg, "does not match") || strings.Contains(msg, "is valid for") || strings.Contains(msg, "not valid for"):
		return tlsName
	case strings.Contains(msg, "expired"):
		return tlsExpired
	case kind == schema.ErrTLSCertificate:
		return tlsUntrusted
	}
	return tlsOther
}

// upstreamTimeout: the upstream accepted the request but did not answer
// within proxy-read-timeout (or did not accept the connection within
// proxy-connect-timeout while no policy blocks it: overloaded).
func upstreamTimeout(j *judge) bool {
	if j.f.ErrorKind == schema.ErrQueueTimeout || j.f.ErrorKind == schema.ErrOverflow {
		return saturated(j)
	}
	if j.f.ErrorKind != schema.ErrReadTimeout && j.f.ErrorKind != schema.ErrConnectTimeout {
		j.ruleOut("no upstream timeout")
		return false
	}
	waited := ""
	if d, ok := j.attemptTime(); ok {
		waited = fmt.Sprintf(" after %.3fs", d)
	}
	ev := fmt.Sprintf("%s (%s) %s%s at %s: %s", j.result.Target.Address, j.podRef(), timeoutVerb(j.f.ErrorKind), waited, ts(j.f.Time), j.f.ErrorMessage)
	knob := j.knobs().readTimeout
	if j.f.ErrorKind == schema.ErrConnectTimeout {
		knob = j.knobs().connectTimeout
	}
	rem := fmt.Sprintf(`find out why the backend is slow (kubectl -n %s top pod %s; its latency metrics); if slow responses are expected, raise %s`,
		j.result.Target.Namespace, orDash(j.result.Target.Pod), knob)
	conf := schema.ConfidenceHigh
	if j.f.ErrorKind == schema.ErrConnectTimeout {
		conf = schema.ConfidenceMedium // could also be a dropped SYN elsewhere on the path
	}
	return j.claim(schema.CauseUpstreamTimeout, conf, rem, ev)
}

// raceMaxWait bounds how long a keep-alive race takes: nginx writes the
// request to a connection the upstream already closed and fails at once.
const raceMaxWait = 1.0

// attemptTime is $upstream_response_time of the judged attempt (the last
// one when the address is not among the attempts), in seconds.
func (j *judge) attemptTime() (float64, bool) {
	n := len(j.f.Addresses)
	i := n - 1
	for k := n - 1; k >= 0; k-- {
		if j.f.Addresses[k] == j.result.Target.Address {
			i = k
			break
		}
	}
	if i < 0 || i >= len(j.f.ResponseTimes) || j.f.ResponseTimes[i] < 0 {
		return 0, false
	}
	return j.f.ResponseTimes[i], true
}

// ingressRef names the Ingress by the Service it routes to (the store does
// not hold Ingresses).
func ingressRef(j *judge) string {
	if t := j.result.Target; t.Service != "" {
		return fmt.Sprintf("the Ingress routing to service %s/%s", t.Namespace, t.Service)
	}
	return "the Ingress"
}

func timeoutVerb(kind string) string {
	if kind == schema.ErrConnectTimeout {
		return "did not accept the connection"
	}
	return "did not answer"
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

// keepaliveRace: the upstream closed (or reset) a kept-alive connection just
// as nginx reused it, while the pod was healthy: the app's idle timeout is
// shorter than nginx's upstream-keepalive-timeout.
func keepaliveRace(j *judge) bool {
	if j.f.ErrorKind != schema.ErrPrematureClose && j.f.ErrorKind != schema.ErrConnectionReset {
		j.ruleOut("no premature close or reset by the upstream")
		return false
	}
	// A reused idle connection fails before any response byte arrives; a
	// close in the middle of the body is the app giving up, not a race.
	if !strings.Contains(j.f.ErrorMessage, "response header") && !strings.Contains(j.f.ErrorMessage, "sending request") {
		j.ruleOut("the connection broke mid-response (%s), not on reuse", j.f.ErrorMessage)
		return false
	}
	// The race fails at once; an upstream that held the request for a
	// while and then closed timed out or died on its own side.
	if d, ok := j.attemptTime(); ok && d > raceMaxWait {
		j.ruleOut("%s held the request %.3fs before closing: not a reused idle connection (the app's own timeout, or it died mid-request)", j.result.Target.Address, d)
		return false
	}
	ev := []string{fmt.Sprintf("%s (%s) closed the connection at %s: %s", j.result.Target.Address, j.podRef(), ts(j.f.Time), j.f.ErrorMessage)}
	conf := schema.ConfidenceMedium
	if j.pod != nil {
		if ready, known := j.s.ReadyAt(j.pod.Pod.Namespace, j.pod.Pod.Name, j.f.Time); known && ready {
			ev = append(ev, fmt.Sprintf("%s was Ready, not terminating and had no restart in the window", j.podRef()))
		}
	} else {
		conf = schema.ConfidenceLow
	}
	rem := `make the app's HTTP keep-alive idle timeout longer than ingress-nginx's upstream-keepalive-timeout (60s by default), or lower nginx's: kubectl -n ingress-nginx patch configmap ingress-nginx-controller --type merge -p '{"data":{"upstream-keepalive-timeout":"30"}}'`
	if k := j.knobs().keepalive; k != "" {
		rem = "make the app's HTTP keep-alive idle timeout longer than the gateway's, or shorten the gateway's: " + k
	} else if j.f.ControllerNamespace != "" && j.f.ControllerNamespace != "ingress-nginx" {
		rem = strings.Replace(rem, "-n ingress-nginx", "-n "+j.f.ControllerNamespace, 1)
	}
	return j.claim(schema.CauseKeepaliveRace, conf, rem, ev...)
}

// protocolError: the upstream answered, but not with valid HTTP that nginx
// could pass on (bad header, header larger than proxy-buffer-size, broken
// chunked encoding, HTTP/0.9). The pod is up; the response is the problem.
func protocolError(j *judge) bool {
	var rem string
	switch j.f.ErrorKind {
	case schema.ErrTooBigHeader:
		rem = "the response headers (often large Set-Cookie) exceed the gateway's header buffer: " + j.knobs().headerBuffer
		if j.ingressNginx() {
			rem = "the response headers (often large Set-Cookie) exceed proxy-buffer-size (4k by default): " + j.knobs().headerBuffer
		}
	case schema.ErrInvalidHeader, schema.ErrProtocol:
		rem = "the application sent a malformed status line or header (see the message); fix the app, or its proxy/sidecar, so it speaks HTTP/1.x correctly"
	case schema.ErrInvalidChunked:
		rem = "the application's chunked body is malformed: fix its streaming code (or set Content-Length)"
	default:
		j.ruleOut("the upstream's responses were valid HTTP")
		return false
	}
	return j.claim(schema.CauseProtocolError, schema.ConfidenceHigh, rem,
		fmt.Sprintf("%s (%s) answered with invalid HTTP at %s: %s", j.result.Target.Address, j.podRef(), ts(j.f.Time), j.f.ErrorMessage))
}

// saturated: the gateway refused to queue the request any longer for a
// free connection slot (HAProxy maxconn + timeout queue) or its circuit
// breaker was open (Envoy UO): the backend has too little capacity for the
// load, though each pod may be healthy.
func saturated(j *judge) bool {
	what := "waited for a free connection slot to the backend and gave up"
	if j.f.ErrorKind == schema.ErrOverflow {
		what = "refused the request because the backend's circuit breaker (connection or pending-request limit) was open"
	}
	target := "service " + j.result.Target.Namespace + "/" + orDash(j.result.Target.Service)
	return j.claim(schema.CauseUpstreamTimeout, schema.ConfidenceHigh,
		fmt.Sprintf("add capacity to %s (more replicas, kubectl -n %s get hpa), or raise the gateway's per-server connection limit if the pods can take more", target, j.result.Target.Namespace),
		fmt.Sprintf("%s %s at %s: %s", j.gatewayName(), what, ts(j.f.Time), j.f.ErrorMessage))
}

package diagnose

import (
	"fmt"
	"strings"

	"github.com/k8s502/otelcol-k8s502/internal/schema"
	"github.com/k8s502/otelcol-k8s502/processor/correlate502processor/internal/gateways"
)

// tlsHandshake: the gateway and the upstream could not agree on TLS: plain
// HTTP spoken to an HTTPS port (or the reverse), protocol versions, or the
// upstream's certificate failed verification.
func tlsHandshake(j *judge) bool {
	if j.f.ErrorKind != schema.ErrTLSHandshake && j.f.ErrorKind != schema.ErrTLSCertificate {
		j.ruledOut("no TLS error between the gateway and " + j.result.Target.Address)
		return false
	}
	msg := j.f.ErrorMessage
	rem := j.tlsRemediation(classifyTLS(j.f.ErrorKind, msg))
	return j.claim(schema.CauseTLSHandshake, schema.ConfidenceHigh, rem,
		fmt.Sprintf("TLS to %s (%s) failed at %s: %s", j.result.Target.Address, j.podRef(), j.ts(j.f.Time), msg))
}

// classifyTLS reads the proxies' wordings: OpenSSL's (nginx), BoringSSL's
// (Envoy) and Go's crypto/tls (Traefik).
func classifyTLS(kind, msg string) gateways.TLSProblem {
	switch {
	case strings.Contains(msg, "wrong version number") || strings.Contains(msg, "http request") ||
		strings.Contains(msg, "WRONG_VERSION_NUMBER") || strings.Contains(msg, "does not look like a TLS handshake"):
		return gateways.TLSPlainHTTP
	case strings.Contains(msg, "protocol version") || strings.Contains(msg, "unsupported protocol"):
		return gateways.TLSVersion
	case strings.Contains(msg, "does not match") || strings.Contains(msg, "is valid for") || strings.Contains(msg, "not valid for"):
		return gateways.TLSName
	case strings.Contains(msg, "expired"):
		return gateways.TLSExpired
	case kind == schema.ErrTLSCertificate:
		return gateways.TLSUntrusted
	}
	return gateways.TLSOther
}

// tlsRemediation says how to fix p in the gateway's own settings: the
// profile's own sentence when it has one (ingress-nginx's annotations name
// the value), else one built from its knobs.
func (j *judge) tlsRemediation(p gateways.TLSProblem) string {
	r := j.route()
	if fix := j.gw.TLSFix; fix != nil {
		if s := fix(p, r); s != "" {
			return s
		}
	}
	k := j.gw.Knobs(r)
	switch p {
	case gateways.TLSPlainHTTP:
		return "the upstream speaks plain HTTP but the gateway talks TLS to it: turn backend TLS off with " + k.BackendTLS + " (or serve TLS on the pod)"
	case gateways.TLSVersion:
		return "the gateway and the upstream share no TLS version: align the backend TLS versions (" + k.BackendTLS + ") with what the pod accepts"
	case gateways.TLSName:
		return "the upstream certificate does not carry the name the gateway checks: set the expected server name (" + k.TrustCA + "), or reissue the certificate for that name"
	case gateways.TLSExpired:
		return "the upstream's certificate has expired: renew it (kubectl get certificate -A if cert-manager issues it)"
	case gateways.TLSUntrusted:
		return "the gateway does not trust the upstream certificate: give it the CA through " + k.TrustCA + ", or turn verification off deliberately"
	}
	return "compare the backend TLS settings (" + k.BackendTLS + ") with what the pod serves: openssl s_client -connect " + r.Address
}

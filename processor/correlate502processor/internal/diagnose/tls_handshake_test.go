package diagnose

import (
	"testing"

	"github.com/k8s502/otelcol-k8s502/internal/schema"
)

func TestTLSHandshake(t *testing.T) {
	refA := "pod shop/" + podA
	ing := "the Ingress routing to service shop/checkout"
	kind := func(k, msg string) func(f *Facts) {
		return func(f *Facts) { f.ErrorKind, f.ErrorMessage = k, msg }
	}
	cases := []testCase{}
	for _, c := range []struct {
		name, kind, msg string
		rem             []string
	}{
		{"plain HTTP behind backend-protocol HTTPS", schema.ErrTLSHandshake,
			"SSL_do_handshake() failed (SSL: error:0A00010B:SSL routines::wrong version number) while SSL handshaking to upstream",
			[]string{"remove nginx.ingress.kubernetes.io/backend-protocol: HTTPS from " + ing}},
		{"protocol versions disagree", schema.ErrTLSHandshake,
			"SSL_do_handshake() failed (SSL: error:0A000102:SSL routines::unsupported protocol) while SSL handshaking to upstream",
			[]string{`nginx.ingress.kubernetes.io/proxy-ssl-protocols: "TLSv1.2 TLSv1.3" on ` + ing}},
		{"upstream alerts protocol version", schema.ErrTLSHandshake,
			"SSL_do_handshake() failed (SSL: error:0A00042E:SSL routines::tlsv1 alert protocol version:SSL alert number 70) while SSL handshaking to upstream",
			[]string{"proxy-ssl-protocols"}},
		{"certificate name mismatch", schema.ErrTLSCertificate,
			`upstream SSL certificate does not match "checkout.shop.svc" while SSL handshaking to upstream`,
			[]string{"nginx.ingress.kubernetes.io/proxy-ssl-name", "on " + ing}},
		{"certificate expired", schema.ErrTLSCertificate,
			"upstream SSL certificate verify error: (10:certificate has expired) while SSL handshaking to upstream",
			[]string{"has expired: renew it"}},
		{"untrusted issuer", schema.ErrTLSCertificate,
			"upstream SSL certificate verify error: (20:unable to get local issuer certificate) while SSL handshaking to upstream",
			[]string{"nginx.ingress.kubernetes.io/proxy-ssl-secret on " + ing, "ca.crt"}},
		{"anything else: compare with s_client", schema.ErrTLSHandshake,
			"peer closed connection in SSL handshake (104: Connection reset by peer) while SSL handshaking to upstream",
			[]string{"annotations on " + ing, "openssl s_client -connect 10.1.2.3:8080"}},
	} {
		cases = append(cases, testCase{
			name:  c.name,
			facts: kind(c.kind, c.msg),
			want: want{
				cause: schema.CauseTLSHandshake, confidence: schema.ConfidenceHigh, target: &targetA,
				evidence:    []string{"TLS to 10.1.2.3:8080 (" + refA + ") failed at " + rfc(t0) + ": " + c.msg},
				remediation: c.rem,
			},
		})
	}
	cases = append(cases,
		testCase{
			// The pod crashed: its TLS listener was down too, but the crash
			// explains it.
			name:  "TLS error from a crashed pod",
			facts: kind(schema.ErrTLSHandshake, "peer closed connection in SSL handshake while SSL handshaking to upstream"),
			setup: func(w *world) {
				w.pod(mkPod(podA, ipA, lastTerminated("Error", 1, 1, at(-6)), withReady(false, at(-6))), at(-5))
			},
			want: want{cause: schema.CausePodCrash},
		},
		testCase{
			name: "not a TLS error",
			want: want{cause: schema.CauseUnknown, ruledOut: []string{"no TLS error between the gateway and 10.1.2.3:8080"}},
		},
	)
	run(t, schema.ErrConnectRefused, msgRefused, cases)
}

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

func TestProtocolError(t *testing.T) {
	kind := func(k, msg string) func(f *Facts) {
		return func(f *Facts) { f.ErrorKind, f.ErrorMessage = k, msg }
	}
	ev := func(msg string) []string {
		return []string{"10.1.2.3:8080 (pod shop/" + podA + ") answered with invalid HTTP at " + rfc(t0) + ": " + msg}
	}
	const (
		bigHeader = "upstream sent too big header while reading response header from upstream"
		badHeader = `upstream sent invalid header: "X-Trace\x00..." while reading response header from upstream`
		badChunk  = "upstream sent invalid chunked response while reading upstream"
	)
	run(t, schema.ErrInvalidHeader, badHeader, []testCase{
		{
			name:  "headers beyond proxy-buffer-size",
			facts: kind(schema.ErrTooBigHeader, bigHeader),
			want: want{
				cause: schema.CauseProtocolError, confidence: schema.ConfidenceHigh, target: &targetA,
				evidence:    ev(bigHeader),
				remediation: []string{"kubectl -n shop annotate ingress <ingress for checkout> nginx.ingress.kubernetes.io/proxy-buffer-size=16k --overwrite"},
			},
		},
		{
			name: "invalid header",
			want: want{
				cause: schema.CauseProtocolError, evidence: ev(badHeader),
				remediation: []string{"malformed status line or header"},
			},
		},
		{
			name: "invalid chunked body, answer already passed on",
			facts: func(f *Facts) {
				kind(schema.ErrInvalidChunked, badChunk)(f)
				f.Origin, f.Status = schema.OriginUpstream, 200
			},
			want: want{
				cause: schema.CauseProtocolError, evidence: ev(badChunk),
				remediation: []string{"chunked body is malformed"},
			},
		},
		{
			name:  "valid HTTP, refused connection",
			facts: kind(schema.ErrConnectRefused, msgRefused),
			want:  want{cause: schema.CauseUnknown, ruledOut: []string{"the upstream's responses were valid HTTP"}},
		},
	})
}

func TestUpstreamTimeout(t *testing.T) {
	refA := "pod shop/" + podA
	run(t, schema.ErrReadTimeout, msgReadTO, []testCase{
		{
			name:  "no answer within proxy-read-timeout",
			facts: func(f *Facts) { f.Status, f.ResponseTimes = 504, []float64{60.001} },
			want: want{
				cause: schema.CauseUpstreamTimeout, confidence: schema.ConfidenceHigh, target: &targetA,
				evidence: []string{"10.1.2.3:8080 (" + refA + ") did not answer after 60.001s at " + rfc(t0) + ": " + msgReadTO},
				remediation: []string{
					"kubectl -n shop top pod " + podA,
					"nginx.ingress.kubernetes.io/proxy-read-timeout on the Ingress routing to service shop/checkout",
				},
			},
		},
		{
			// Two attempts timed out; the one the error line names is judged,
			// with its own wait.
			name: "the named attempt's wait",
			facts: func(f *Facts) {
				f.Status = 504
				f.Addresses, f.Statuses, f.ResponseTimes = []string{addrA, ipB + ":8080"}, []string{"504", "504"}, []float64{30.002, 30.001}
			},
			want: want{cause: schema.CauseUpstreamTimeout, evidence: []string{"did not answer after 30.002s"}},
		},
		{
			name: "connect timeout with no policy in the way",
			facts: func(f *Facts) {
				f.ErrorKind, f.ErrorMessage, f.ResponseTimes = schema.ErrConnectTimeout, msgConnTO, []float64{5.0}
			},
			want: want{
				cause: schema.CauseUpstreamTimeout, confidence: schema.ConfidenceMedium,
				evidence:    []string{"did not accept the connection after 5.000s at " + rfc(t0)},
				ruledOut:    []string{"no NetworkPolicy isolates " + refA},
				remediation: []string{"nginx.ingress.kubernetes.io/proxy-connect-timeout"},
			},
		},
		{
			name:  "response time not logged",
			facts: func(f *Facts) { f.ResponseTimes = []float64{-1} },
			want:  want{cause: schema.CauseUpstreamTimeout, evidence: []string{"did not answer at " + rfc(t0)}},
		},
		{
			name:  "not a timeout",
			facts: func(f *Facts) { f.ErrorKind, f.ErrorMessage = schema.ErrConnectRefused, msgRefused },
			want:  want{cause: schema.CauseUnknown, ruledOut: []string{"no upstream timeout"}},
		},
	})
}

func TestKeepaliveRace(t *testing.T) {
	refA := "pod shop/" + podA
	const (
		sendReset = "writev() failed (32: Broken pipe) while sending request to upstream"
	)
	rem := `kubectl -n ingress-nginx patch configmap ingress-nginx-controller --type merge -p '{"data":{"upstream-keepalive-timeout":"30"}}'`
	run(t, schema.ErrPrematureClose, msgPremHdr, []testCase{
		{
			name: "closed before the header, at once",
			want: want{
				cause: schema.CauseKeepaliveRace, confidence: schema.ConfidenceMedium, target: &targetA,
				evidence: []string{
					"10.1.2.3:8080 (" + refA + ") closed the connection at " + rfc(t0) + ": " + msgPremHdr,
					refA + " was Ready, not terminating and had no restart in the window",
				},
				remediation: []string{"keep-alive idle timeout longer than ingress-nginx's upstream-keepalive-timeout", rem},
			},
		},
		{
			name:  "reset while reading the header",
			facts: func(f *Facts) { f.ErrorKind, f.ErrorMessage = schema.ErrConnectionReset, msgReset },
			want:  want{cause: schema.CauseKeepaliveRace, evidence: []string{msgReset}},
		},
		{
			name: "broken pipe sending the request, controller in its own namespace",
			facts: func(f *Facts) {
				f.ErrorKind, f.ErrorMessage, f.ControllerNamespace = schema.ErrConnectionReset, sendReset, "ingress"
			},
			want: want{
				cause:          schema.CauseKeepaliveRace,
				remediation:    []string{"kubectl -n ingress patch configmap"},
				notRemediation: []string{"-n ingress-nginx"},
			},
		},
		{
			name:  "no pod known at the address",
			facts: func(f *Facts) { f.ErrorUpstream, f.Addresses = "10.9.9.9:8080", []string{"10.9.9.9:8080"} },
			want:  want{cause: schema.CauseKeepaliveRace, confidence: schema.ConfidenceLow},
		},
		{
			name:  "closed mid-body",
			facts: func(f *Facts) { f.ErrorMessage = msgPremBody },
			want: want{
				cause:    schema.CauseUnknown,
				ruledOut: []string{"the connection broke mid-response (" + msgPremBody + "), not on reuse"},
			},
		},
		{
			// The app's own 30s write timeout closes without answering:
			// same message, but the connection was busy, not idle.
			name:  "closed after holding the request 30s",
			facts: func(f *Facts) { f.ResponseTimes = []float64{30.004} },
			want: want{
				cause:    schema.CauseUnknown,
				ruledOut: []string{"10.1.2.3:8080 held the request 30.004s before closing"},
			},
		},
		{
			name: "reset by a pod being deleted",
			setup: func(w *world) {
				w.pod(mkPod(podA, ipA, deleting(at(-2), 30)), at(-2))
			},
			want: want{cause: schema.CausePodTermination},
		},
	})
}

func TestUnknown(t *testing.T) {
	refA := "pod shop/" + podA
	run(t, schema.ErrConnectRefused, msgRefused, []testCase{
		{
			name: "refused by a healthy pod",
			want: want{
				cause: schema.CauseUnknown, confidence: schema.ConfidenceLow, target: &targetA,
				ruledOut: []string{
					"service shop/checkout had 2 of 2 endpoint(s) ready at " + rfc(t0),
					refA + " was not being deleted at " + rfc(t0),
					refA + " had no container restart",
					"deployment shop/checkout had no rollout",
					refA + " was Ready at " + rfc(t0),
					"no TLS error",
					"no upstream timeout",
					"no premature close or reset",
				},
				remediation: []string{"kubectl -n shop describe pod " + podA, "kubectl -n shop logs " + podA + " --since=15m"},
			},
		},
		{
			name: "nothing known about the upstream",
			facts: func(f *Facts) {
				f.UpstreamName, f.ErrorUpstream, f.Addresses = "default-nginx-80", "10.9.9.9:80", []string{"10.9.9.9:80"}
			},
			want: want{
				cause: schema.CauseUnknown, target: &Target{Address: "10.9.9.9:80"},
				remediation: []string{"no Service or pod matched this upstream", "default-nginx-80"},
			},
		},
	})
}

package diagnose

import (
	"testing"

	"github.com/k8s502/otelcol-k8s502/internal/schema"
)

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

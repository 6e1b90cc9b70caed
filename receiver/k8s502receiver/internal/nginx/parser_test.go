package nginx

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/k8s502/otelcol-k8s502/internal/schema"
	"github.com/k8s502/otelcol-k8s502/receiver/k8s502receiver/internal/gateway"
)

func watched5xx(n int) bool { return n == 502 || n == 503 || n == 504 }

func newParser(t testing.TB, p gateway.Profile) gateway.Parser {
	t.Helper()
	np, err := p.Parsers(gateway.Options{ErrorZone: time.UTC})
	require.NoError(t, err)
	return np()
}

const (
	okAccess    = `10.14.113.191 - - [25/Nov/2026:08:40:09 +0000] "GET /api/tax/calc/96070 HTTP/1.1" 200 150 "-" "curl/8.5.0" 116 0.000 [shop-tax-8080] [] 127.0.0.1:9005 150 0.000 200 ed87f27cd770abc639de7bfb6958dbd5`
	failAccess  = `10.14.113.191 - - [25/Nov/2026:08:40:09 +0000] "GET /api/tax/calc/96070 HTTP/1.1" 502 150 "-" "curl/8.5.0" 116 0.000 [shop-tax-8080] [] 127.0.0.1:9005, 127.0.0.1:9004 0, 0 0.000, 0.000 502, 502 ed87f27cd770abc639de7bfb6958dbd5`
	retryAccess = `10.14.113.191 - - [25/Nov/2026:08:40:09 +0000] "GET /api/tax/calc/96070 HTTP/1.1" 200 150 "-" "curl/8.5.0" 116 0.000 [shop-tax-8080] [] 127.0.0.1:9005, 127.0.0.1:9004 0, 150 0.000, 0.000 502, 200 ed87f27cd770abc639de7bfb6958dbd5`
	refusedLine = `2026/11/25 08:40:09 [error] 6710#6710: *12921 connect() failed (111: Connection refused) while connecting to upstream, client: 10.14.113.191, server: shop.example.com, request: "GET /api/tax/calc/96070 HTTP/1.1", upstream: "http://127.0.0.1:9005/api/tax/calc/96070", host: "shop.example.com"`
)

// Each kind of message an nginx-based controller's log holds is routed to
// its Kind, which decides the counter it lands in.
func TestParseKinds(t *testing.T) {
	tests := []struct {
		name   string
		msg    string
		stderr bool
		want   gateway.Kind
	}{
		{"healthy request", okAccess, false, gateway.Candidate},
		{"failed request", failAccess, false, gateway.Request},
		{"retry rescued a 502", retryAccess, false, gateway.Request},
		{"upstream error", refusedLine, true, gateway.Failure},
		{"error log in a plain file", refusedLine, false, gateway.Failure},
		{"klog", `I1125 08:46:50.978811   32333 main.go:195] "Creating API client"`, true, gateway.ControllerLog},
		{"notice", `2026/11/25 08:46:50 [notice] 1#1: start worker processes`, true, gateway.Notice},
		{"about a client", `2026/11/25 08:46:50 [error] 1#1: *1 client intended to send too large body, client: 1.2.3.4, server: _, request: "POST / HTTP/1.1", host: "h"`, true, gateway.Other},
		{"other stderr", `something else on stderr`, true, gateway.Other},
		{"unreadable error line", `2026/11/25 08:46:50 [nonsense] 1#1: *1 x`, true, gateway.MalformedFailure},
		{"banner on stdout", `  Release:       v1.15.1`, false, gateway.Malformed},
	}
	p := newParser(t, IngressNginx)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var out gateway.Parsed
			assert.Equal(t, tt.want, p.Parse([]byte(tt.msg), tt.stderr, watched5xx, &out))
		})
	}
}

// The join pairs an error line with its access line by key: both must
// give the same one, and a kept access line comes complete.
func TestParseJoinKeys(t *testing.T) {
	p := newParser(t, IngressNginx)
	var e, a gateway.Parsed
	require.Equal(t, gateway.Failure, p.Parse([]byte(refusedLine), true, watched5xx, &e))
	assert.Equal(t, schema.ErrConnectRefused, e.Error.Kind)
	assert.Equal(t, "127.0.0.1:9005", e.Error.Peer())

	require.Equal(t, gateway.Request, p.Parse([]byte(failAccess), false, watched5xx, &a))
	assert.True(t, a.Keep)
	assert.Equal(t, string(e.Key), string(a.Key))
	assert.Equal(t, 502, a.Access.Status)
	assert.Len(t, a.Access.Attempts, 2)

	a.Reset()
	require.Equal(t, gateway.Candidate, p.Parse([]byte(okAccess), false, watched5xx, &a))
	assert.Equal(t, string(e.Key), string(a.Key))
	assert.False(t, a.Keep)
	assert.Zero(t, a.Access.Status, "a Candidate's Access is built only on Complete")
	require.Equal(t, gateway.Request, p.(gateway.Completing).Complete([]byte(okAccess), &a))
	assert.Equal(t, 200, a.Access.Status)
	assert.Equal(t, "ed87f27cd770abc639de7bfb6958dbd5", a.Access.RequestID)
}

// Completing a Candidate whose line breaks after the fields the pre-filter
// reads is Malformed.
func TestCompleteMalformed(t *testing.T) {
	p := newParser(t, IngressNginx)
	var out gateway.Parsed
	cut := []byte(okAccess[:len(okAccess)-60])
	require.Equal(t, gateway.Candidate, p.Parse(cut, false, watched5xx, &out))
	assert.Equal(t, gateway.Malformed, p.(gateway.Completing).Complete(cut, &out))
}

// Healthy lines are nearly all lines: reading them must not allocate.
func TestCandidateDoesNotAllocate(t *testing.T) {
	p := newParser(t, IngressNginx)
	var out gateway.Parsed
	msg := []byte(okAccess)
	p.Parse(msg, false, watched5xx, &out)
	assert.Zero(t, testing.AllocsPerRun(100, func() {
		out.Key = out.Key[:0]
		p.Parse(msg, false, watched5xx, &out)
	}))
}

// Each variant's default format reads its own default lines, and the
// options' errors name the key at fault.
func TestProfiles(t *testing.T) {
	for _, pr := range []gateway.Profile{IngressNginx, F5NginxIngress, Plain} {
		np, err := pr.Parsers(gateway.Options{})
		require.NoError(t, err, pr.Name)
		require.NotNil(t, np(), pr.Name)
	}
	for opt, o := range map[string]gateway.Options{
		"log_format":          {LogFormat: `$remote_addr $ $status`},
		"log_format_escape":   {Escape: "yaml"},
		"variable_attributes": {Variables: map[string]string{"namespace": "k8s502.ingress.namespace"}},
	} {
		_, err := IngressNginx.Parsers(o)
		require.Error(t, err, opt)
		assert.Contains(t, err.Error(), opt+": ")
	}
}

func TestLooksLikeKlog(t *testing.T) {
	for line, want := range map[string]bool{
		`I1125 08:46:50.978811   32333 main.go:195] "Creating API client"`:                       true,
		`W1125 08:47:17.000000   32333 controller.go:1] Service "shop/promotions" does not have`: true,
		`E1125 08:47:17.000000 1 x.go:1] boom`:                                                   true,
		`F1125 08:47:17.000000 1 x.go:1] fatal`:                                                  true,
		`X1125 08:47:17.000000 1 x.go:1] not a level`:                                            false,
		`I1125 08:47:17`: false,
		`2026/11/25 08:47:21 [error] 2007#2007: *1015 connect() failed`: false,
		`Ixx25 08:47:17.000000 1 x.go:1] digits`:                        false,
	} {
		assert.Equal(t, want, looksLikeKlog([]byte(line)), line)
	}
}

package nginx

import (
	"bytes"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/k8s502/otelcol-k8s502/internal/schema"
	"github.com/k8s502/otelcol-k8s502/receiver/k8s502receiver/internal/event"
)

const fixtures = "../../testdata/ingress-nginx"

// errorLineRE is an independent, slow reading of the error-line grammar in
// the fixtures' README, used as the oracle for ParseError.
var errorLineRE = regexp.MustCompile(`^(\d{4}/\d\d/\d\d \d\d:\d\d:\d\d) \[(\w+)\] \d+#\d+: \*\d+ (.*?), client: ([^,]+), server: ([^,]*), request: "(.*?)"(?:, upstream: "(.*?)")?, host: "(.*?)"(?:, referrer: "(.*?)")?$`)

// fixtureKinds names the kind of every message the fixtures hold, by the
// message's first words.
var fixtureKinds = []struct{ prefix, kind string }{
	{"connect() failed (111: Connection refused)", schema.ErrConnectRefused},
	{"upstream timed out (110: Operation timed out) while connecting", schema.ErrConnectTimeout},
	{"upstream timed out (110: Connection timed out) while connecting", schema.ErrConnectTimeout},
	{"upstream timed out (110: Operation timed out) while reading", schema.ErrReadTimeout},
	{"upstream timed out (110: Connection timed out) while reading", schema.ErrReadTimeout},
	{"recv() failed (104: Connection reset by peer)", schema.ErrConnectionReset},
	{"upstream prematurely closed connection", schema.ErrPrematureClose},
	{"upstream sent invalid header", schema.ErrInvalidHeader},
	{"upstream sent no valid HTTP/1.0 header", schema.ErrInvalidHeader},
	{"upstream sent too big header", schema.ErrTooBigHeader},
	{"upstream sent invalid chunked response", schema.ErrInvalidChunked},
	{"SSL_do_handshake() failed", schema.ErrTLSHandshake},
	{"upstream SSL certificate verify error", schema.ErrTLSCertificate},
	{"upstream SSL certificate does not match", schema.ErrTLSCertificate},
	{"no live upstreams", schema.ErrNoLiveUpstreams},
	{"upstream server temporarily disabled", schema.ErrUpstreamDisabled},
	{"limiting requests, excess:", schema.ErrRateLimited},
}

func kindOf(t *testing.T, msg string) string {
	for _, k := range fixtureKinds {
		if strings.HasPrefix(msg, k.prefix) {
			return k.kind
		}
	}
	t.Fatalf("no expected kind for %q", msg)
	return ""
}

func readFixture(t testing.TB, name string) [][]byte {
	data, err := os.ReadFile(filepath.Join(fixtures, name))
	require.NoError(t, err)
	return bytes.Split(bytes.TrimSuffix(data, []byte("\n")), []byte("\n"))
}

func TestParseErrorFixtures(t *testing.T) {
	for _, name := range []string{"scenarios/error.log", "scenarios-glibc/error.log"} {
		t.Run(name, func(t *testing.T) {
			counts := map[error]int{}
			truncated := 0
			for n, line := range readFixture(t, name) {
				e, err := ParseError(line, time.UTC)
				counts[err]++
				if bytes.Contains(line, []byte(" [notice] ")) {
					assert.ErrorIs(t, err, ErrBelowWarn, "line %d", n+1)
					continue
				}
				require.NoError(t, err, "line %d", n+1)
				assert.Equal(t, string(line), e.Raw)
				m := errorLineRE.FindSubmatch(line)
				if m == nil {
					// The one line nginx cut at NGX_MAX_ERROR_STR (2048 with
					// the trailing NUL) inside the request.
					require.Len(t, line, 2047, "line %d does not match the grammar", n+1)
					truncated++
					assert.True(t, e.Truncated)
					assert.Equal(t, "192.0.2.78", e.Client)
					assert.Equal(t, "shop.example.com", e.Server)
					assert.True(t, strings.HasPrefix(e.Request, "GET /api/inventory/search?q=aaaa"), e.Request)
					assert.True(t, bytes.HasSuffix(line, []byte(e.Request)), "the request runs to the end of the line")
					assert.Empty(t, e.Upstream)
					assert.Empty(t, e.Host)
					assert.Equal(t, schema.ErrConnectRefused, e.Kind)
					continue
				}
				ts, _ := time.Parse("2006/01/02 15:04:05", string(m[1]))
				want := event.UpstreamError{
					Time: ts, Level: levels[string(m[2])], Message: string(m[3]), Kind: kindOf(t, string(m[3])),
					Client: string(m[4]), Server: string(m[5]), Request: string(m[6]), Upstream: string(m[7]),
					Host: string(m[8]), Raw: string(line),
				}
				assert.Equal(t, want, e, "line %d", n+1)
			}
			assert.Equal(t, 1, truncated, "truncated lines")
			assert.Zero(t, counts[ErrNotErrorLine]+counts[ErrNoRequest]+counts[ErrUnrelated], "%v", counts)
		})
	}
}

func TestParseErrorLevels(t *testing.T) {
	const tail = ` 7#7: *3 connect() failed (111: Connection refused) while connecting to upstream, client: 10.0.0.1, server: _, request: "GET / HTTP/1.1", upstream: "http://10.1.0.1:80/", host: "a"`
	tests := []struct {
		level string
		want  event.Level
		err   error
	}{
		{"debug", 0, ErrBelowWarn},
		{"info", 0, ErrBelowWarn},
		{"notice", 0, ErrBelowWarn},
		{"warn", event.LevelWarn, nil},
		{"error", event.LevelError, nil},
		{"crit", event.LevelCrit, nil},
		{"alert", event.LevelAlert, nil},
		{"emerg", event.LevelEmerg, nil},
		{"fatal", 0, ErrNotErrorLine},
		{"", 0, ErrNotErrorLine},
	}
	for _, tt := range tests {
		e, err := ParseError([]byte("2026/11/25 08:47:21 ["+tt.level+"]"+tail), time.UTC)
		assert.ErrorIs(t, err, tt.err, tt.level)
		if tt.err == nil {
			assert.Equal(t, tt.want, e.Level, tt.level)
		}
	}
}

func TestParseError(t *testing.T) {
	const head = "2026/11/25 08:47:21 [error] 2007#2007: *1008 "
	tests := []struct {
		name string
		line string
		want event.UpstreamError // Raw, Time and Level are checked apart
		err  error
	}{
		{
			name: "raw quotes in the request",
			line: head + `connect() failed (111: Connection refused) while connecting to upstream, client: 127.0.0.1, server: shop.example.com, request: "GET /a"b", c HTTP/1.1", upstream: "http://127.0.0.1:9001/a"b", c", host: "shop.example.com", referrer: "x"`,
			want: event.UpstreamError{
				Kind: schema.ErrConnectRefused, Message: "connect() failed (111: Connection refused) while connecting to upstream",
				Client: "127.0.0.1", Server: "shop.example.com", Request: `GET /a"b", c HTTP/1.1`, Upstream: `http://127.0.0.1:9001/a"b", c`, Host: "shop.example.com",
			},
		},
		{
			name: "request ending in a quote, line ends after host",
			line: head + `upstream prematurely closed connection while reading response header from upstream, client: 10.0.0.1, server: _, request: "GET /x" HTTP/1.1", upstream: "http://10.1.0.1:80/x"", host: "h"` + "\r",
			want: event.UpstreamError{
				Kind: schema.ErrPrematureClose, Message: "upstream prematurely closed connection while reading response header from upstream",
				Client: "10.0.0.1", Server: "_", Request: `GET /x" HTTP/1.1`, Upstream: `http://10.1.0.1:80/x"`, Host: "h",
			},
		},
		{
			name: "truncated in upstream: peer dropped",
			line: head + `connect() failed (111: Connection refused) while connecting to upstream, client: 10.0.0.1, server: _, request: "GET /y HTTP/1.1", upstream: "http://10.1.0`,
			want: event.UpstreamError{
				Kind: schema.ErrConnectRefused, Message: "connect() failed (111: Connection refused) while connecting to upstream",
				Client: "10.0.0.1", Server: "_", Request: "GET /y HTTP/1.1", Truncated: true,
			},
		},
		{
			name: "subrequest",
			line: head + `upstream timed out (110: Operation timed out) while reading response header from upstream, client: 10.0.0.1, server: _, request: "GET /p HTTP/1.1", subrequest: "/_auth", upstream: "http://10.1.0.9:80/auth", host: "h"`,
			want: event.UpstreamError{
				Kind: schema.ErrReadTimeout, Message: "upstream timed out (110: Operation timed out) while reading response header from upstream",
				Client: "10.0.0.1", Server: "_", Request: "GET /p HTTP/1.1", Upstream: "http://10.1.0.9:80/auth", Host: "h",
			},
		},
		{
			name: "rate limit: no upstream, still kept",
			line: head + `limiting requests, excess: 2.880 by zone "shop_newsletter_rps", client: 198.51.100.77, server: shop.example.com, request: "POST /api/newsletter/subscribe HTTP/1.1", host: "shop.example.com"`,
			want: event.UpstreamError{
				Kind: schema.ErrRateLimited, Message: `limiting requests, excess: 2.880 by zone "shop_newsletter_rps"`,
				Client: "198.51.100.77", Server: "shop.example.com", Request: "POST /api/newsletter/subscribe HTTP/1.1", Host: "shop.example.com",
			},
		},
		{
			name: "about the client, not an upstream",
			line: head + `client intended to send too large body: 20971520 bytes, client: 10.0.0.1, server: _, request: "POST /up HTTP/1.1", host: "h"`,
			err:  ErrUnrelated,
		},
		{
			name: "process-level error",
			line: "2026/11/25 08:47:21 [emerg] 1#1: bind() to 0.0.0.0:80 failed (98: Address in use)",
			err:  ErrNoRequest,
		},
		{
			name: "connection without request context",
			line: head + "SSL_do_handshake() failed (SSL: error:0A00006C:SSL routines::bad key share) while SSL handshaking",
			err:  ErrNoRequest,
		},
		{name: "klog", line: `E1125 08:47:21.000000   32333 nginx.go:5] "boom"`, err: ErrNotErrorLine},
		{name: "access line", line: `127.0.0.1 - - [25/Nov/2026:08:47:21 +0000] "GET / HTTP/1.1" 502 150`, err: ErrNotErrorLine},
		{name: "no closing bracket", line: "2026/11/25 08:47:21 [error 1#1: *1 x", err: ErrNotErrorLine},
		{name: "no pid colon", line: "2026/11/25 08:47:21 [error] 1#1 *1 x", err: ErrNotErrorLine},
		{name: "connection number only", line: "2026/11/25 08:47:21 [error] 1#1: *1", err: ErrNoRequest},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e, err := ParseError([]byte(tt.line), time.UTC)
			if tt.err != nil {
				assert.ErrorIs(t, err, tt.err)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tt.line, e.Raw)
			assert.Equal(t, time.Date(2026, 11, 25, 8, 47, 21, 0, time.UTC), e.Time)
			e.Raw, e.Time, e.Level = "", time.Time{}, 0
			assert.Equal(t, tt.want, e)
		})
	}
}

func TestParseErrorZone(t *testing.T) {
	zone := time.FixedZone("CET", 3600)
	line := []byte(`2026/11/25 08:47:21 [error] 1#1: *1 no live upstreams while connecting to upstream, client: 1.2.3.4, server: _, request: "GET / HTTP/1.1", upstream: "http://upstream_balancer/", host: "h"`)
	e, err := ParseError(line, zone)
	require.NoError(t, err)
	assert.Equal(t, time.Date(2026, 11, 25, 7, 47, 21, 0, time.UTC), e.Time.UTC())
	assert.Equal(t, "upstream_balancer", e.Peer())
	e, err = ParseError(line, nil)
	require.NoError(t, err)
	assert.Equal(t, time.UTC, e.Time.Location(), "nil zone means UTC")
}

func TestLooksLikeErrorLine(t *testing.T) {
	assert.True(t, LooksLikeErrorLine([]byte("2026/11/25 08:47:21 [error] x")))
	assert.False(t, LooksLikeErrorLine([]byte("2026/11/25 08:47:21 [")), "too short")
	assert.False(t, LooksLikeErrorLine([]byte("2026-11-25 08:47:21 [error] x")))
	assert.False(t, LooksLikeErrorLine([]byte("x026/11/25 08:47:21 [error] x")))
}

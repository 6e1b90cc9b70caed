package nginx

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/k8s502/otelcol-k8s502/receiver/k8s502receiver/internal/event"
)

func mustCompile(t testing.TB, format string) *Format {
	t.Helper()
	f, err := Compile(format, EscapeDefault)
	require.NoError(t, err)
	return f
}

func attempt(addr, status string, rt float64, rl int64) event.Attempt {
	return event.Attempt{Addr: addr, Status: status, ResponseTime: rt, ResponseLength: rl}
}

func TestScanDefaultFormat(t *testing.T) {
	tests := []struct {
		name     string
		line     string
		want     event.Access
		joinKey  string
		upstream []int // upstream statuses AnyUpstreamStatus must find
	}{
		{
			name: "connect refused",
			line: `127.0.0.1 - - [25/Nov/2026:08:47:21 +0000] "GET /api/inventory/items/quoted HTTP/1.1" 502 150 "-" "Bot \x22x\x22 \xC3\xA9" 105 0.000 [shop-inventory-8080] [] 127.0.0.1:9001 0 0.000 502 73cd3dbe8ec6dbcf399c5d4cb703d621`,
			want: event.Access{
				Time: time.Date(2026, 11, 25, 8, 47, 21, 0, time.UTC), Status: 502, Method: "GET", Path: "/api/inventory/items/quoted",
				Protocol: "1.1", RequestLine: "GET /api/inventory/items/quoted HTTP/1.1", Client: "127.0.0.1", UserAgent: `Bot "x" é`,
				RequestID: "73cd3dbe8ec6dbcf399c5d4cb703d621", BodyBytes: 150, RequestLength: 105, Duration: 0,
				UpstreamName: "shop-inventory-8080", Attempts: []event.Attempt{attempt("127.0.0.1:9001", "502", 0, 0)},
			},
			joinKey:  "127.0.0.1\x00GET /api/inventory/items/quoted HTTP/1.1",
			upstream: []int{502},
		},
		{
			name: "retry list, escaped referer and agent",
			line: `203.0.113.9 - alice [25/Nov/2026:08:47:21 +0000] "GET /s?q=%22lamp%22&n=caf%C3%A9 HTTP/2.0" 200 341 "https://example.org/?q=\x22x\x22&a=<b>" "Mozilla/5.0 (compatible; \x22Quoted\x22Bot/1.0; caf\xC3\xA9 \x5C backslash)" 249 0.015 [shop-orders-8080] [shop-orders-canary-8080] 127.0.0.1:9001, 127.0.0.1:9002 0, 143 0.000, 0.011 502, 200 99b54c47721b31521b61534b102a85f9`,
			want: event.Access{
				Time: time.Date(2026, 11, 25, 8, 47, 21, 0, time.UTC), Status: 200, Method: "GET", Path: "/s", Query: "q=%22lamp%22&n=caf%C3%A9",
				Protocol: "2", RequestLine: "GET /s?q=%22lamp%22&n=caf%C3%A9 HTTP/2.0", Client: "203.0.113.9", RemoteUser: "alice",
				Referer: `https://example.org/?q="x"&a=<b>`, UserAgent: `Mozilla/5.0 (compatible; "Quoted"Bot/1.0; café \ backslash)`,
				RequestID: "99b54c47721b31521b61534b102a85f9", BodyBytes: 341, RequestLength: 249, Duration: 0.015,
				UpstreamName: "shop-orders-8080", UpstreamAltName: "shop-orders-canary-8080",
				Attempts: []event.Attempt{attempt("127.0.0.1:9001", "502", 0, 0), attempt("127.0.0.1:9002", "200", 0.011, 143)},
			},
			joinKey:  "203.0.113.9\x00GET /s?q=%22lamp%22&n=caf%C3%A9 HTTP/2.0",
			upstream: []int{502, 200},
		},
		{
			name: "internal redirect list with ' : '",
			line: `10.0.0.9 - - [25/Nov/2026:08:47:21 +0000] "GET /r HTTP/1.1" 502 150 "-" "curl/8.5.0" 80 1.500 [ns-svc-80] [] 10.1.0.1:80, 10.1.0.2:80 : 10.1.0.3:80 0, 0 : 0 0.500, 0.500 : 0.500 502, 504 : 502 abc`,
			want: event.Access{
				Time: time.Date(2026, 11, 25, 8, 47, 21, 0, time.UTC), Status: 502, Method: "GET", Path: "/r", Protocol: "1.1",
				RequestLine: "GET /r HTTP/1.1", Client: "10.0.0.9", UserAgent: "curl/8.5.0", RequestID: "abc",
				BodyBytes: 150, RequestLength: 80, Duration: 1.5, UpstreamName: "ns-svc-80",
				Attempts: []event.Attempt{
					attempt("10.1.0.1:80", "502", 0.5, 0), attempt("10.1.0.2:80", "504", 0.5, 0), attempt("10.1.0.3:80", "502", 0.5, 0),
				},
			},
			joinKey:  "10.0.0.9\x00GET /r HTTP/1.1",
			upstream: []int{502, 504},
		},
		{
			name: "no upstream (no endpoints, rate limit)",
			line: `203.0.113.7 - - [25/Nov/2026:08:47:17 +0000] "GET /api/promotions/active?region=eu-1 HTTP/1.1" 503 190 "-" "Go-http-client/1.1" 267 0.000 [shop-promotions-8080] [] - - - - 6be7541b770dbd802fc14ff1c6456eaa`,
			want: event.Access{
				Time: time.Date(2026, 11, 25, 8, 47, 17, 0, time.UTC), Status: 503, Method: "GET", Path: "/api/promotions/active", Query: "region=eu-1",
				Protocol: "1.1", RequestLine: "GET /api/promotions/active?region=eu-1 HTTP/1.1", Client: "203.0.113.7", UserAgent: "Go-http-client/1.1",
				RequestID: "6be7541b770dbd802fc14ff1c6456eaa", BodyBytes: 190, RequestLength: 267, Duration: 0, UpstreamName: "shop-promotions-8080",
			},
			joinKey: "203.0.113.7\x00GET /api/promotions/active?region=eu-1 HTTP/1.1",
		},
		{
			name: "client abort, upstream status '-'",
			line: `198.51.100.5 - - [25/Nov/2026:08:47:30 +0000] "POST /api/reports HTTP/1.1" 499 0 "-" "curl/7.88.1" 120 1.000 [shop-reports-8080] [] 127.0.0.1:9015 0 1.000 - 1f`,
			want: event.Access{
				Time: time.Date(2026, 11, 25, 8, 47, 30, 0, time.UTC), Status: 499, Method: "POST", Path: "/api/reports", Protocol: "1.1",
				RequestLine: "POST /api/reports HTTP/1.1", Client: "198.51.100.5", UserAgent: "curl/7.88.1", RequestID: "1f",
				BodyBytes: 0, RequestLength: 120, Duration: 1, UpstreamName: "shop-reports-8080",
				Attempts: []event.Attempt{attempt("127.0.0.1:9015", "-", 1, 0)},
			},
			joinKey: "198.51.100.5\x00POST /api/reports HTTP/1.1",
		},
		{
			name: "garbage request (not HTTP)",
			line: `192.0.2.1 - - [25/Nov/2026:08:47:30 +0000] "\x16\x03\x01" 400 150 "-" "-" 0 0.001 [] [] - - - - 2a`,
			want: event.Access{
				Time: time.Date(2026, 11, 25, 8, 47, 30, 0, time.UTC), Status: 400, RequestLine: "\x16\x03\x01", Client: "192.0.2.1",
				RequestID: "2a", BodyBytes: 150, RequestLength: 0, Duration: 0.001,
			},
			joinKey: "192.0.2.1\x00\x16\x03\x01",
		},
	}
	f := mustCompile(t, IngressNginxFormat)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var fl Fields
			require.NoError(t, f.Scan([]byte(tt.line), &fl, false), "pre-filter scan")
			st, ok := fl.Status()
			require.True(t, ok)
			assert.Equal(t, tt.want.Status, st)
			for _, u := range tt.upstream {
				assert.True(t, f.MayHaveStatus(&fl, func(n int) bool { return n == u }, []byte{byte('0' + u/100)}), "upstream status %d", u)
			}
			assert.False(t, f.MayHaveStatus(&fl, func(n int) bool { return n == 201 }, []byte("2")))
			assert.Equal(t, tt.joinKey, string(f.AppendJoinKey(nil, &fl)), "join key from the pre-filter scan")
			assert.Nil(t, fl.get(fReqID), "the pre-filter stops after $upstream_status")

			require.NoError(t, f.Scan([]byte(tt.line), &fl, true))
			got, want := f.Access(&fl), tt.want
			assert.True(t, want.Time.Equal(got.Time), "time %v, want %v", got.Time, want.Time)
			got.Time, want.Time = time.Time{}, time.Time{}
			assert.Equal(t, want, got)
			assert.Equal(t, tt.joinKey, string(f.AppendJoinKey(nil, &fl)))
		})
	}
}

func TestScanNoMatch(t *testing.T) {
	f := mustCompile(t, IngressNginxFormat)
	for _, line := range []string{
		"",
		"-------------------------------------------------------------------------------",
		"  Release:       v1.15.1",
		`127.0.0.1 - - [25/Nov/2026:08:47:21 +0000] "GET / HTTP/1.1`,
		`127.0.0.1 - - 25/Nov/2026:08:47:21 +0000 "GET / HTTP/1.1" 502 150`,
		`2026/11/25 08:47:21 [error] 2007#2007: *1015 connect() failed`,
	} {
		var fl Fields
		assert.ErrorIs(t, f.Scan([]byte(line), &fl, false), ErrNoMatch, line)
		assert.ErrorIs(t, f.Scan([]byte(line), &fl, true), ErrNoMatch, line)
	}
}

func TestScanBadStatus(t *testing.T) {
	f := mustCompile(t, `$status $request_time`)
	for _, line := range []string{"5020 1.0", "5x2 1.0", "- 1.0"} {
		var fl Fields
		require.NoError(t, f.Scan([]byte(line), &fl, false))
		_, ok := fl.Status()
		assert.False(t, ok, line)
	}
}

func TestScanTail(t *testing.T) {
	f := mustCompile(t, `[$status] "$request".`)
	var fl Fields
	require.NoError(t, f.Scan([]byte(`[502] "GET / HTTP/1.1".`), &fl, true))
	require.NoError(t, f.Scan([]byte("[502] \"GET / HTTP/1.1\".  \r"), &fl, true), "trailing blanks are tolerated")
	assert.ErrorIs(t, f.Scan([]byte(`[502] "GET / HTTP/1.1"!`), &fl, true), ErrNoMatch)
}

const jsonFormat = `escape=json {"time":"$time_iso8601","remote_addr":"$remote_addr","request":"$request","status":$status,` +
	`"ua":"$http_user_agent","upstream_addr":"$upstream_addr","upstream_status":"$upstream_status",` +
	`"upstream_response_time":"$upstream_response_time","req_id":"$req_id"}`

func TestScanJSONFormat(t *testing.T) {
	f := mustCompile(t, jsonFormat)
	line := `{"time":"2026-11-25T08:47:21+01:00","remote_addr":"10.0.0.1","request":"GET /q?a=\"b\" HTTP/1.1","status":502,` +
		`"ua":"say \"hi\", \\ \u00e9 \ud83d\ude00","upstream_addr":"10.1.0.1:80, 10.1.0.2:80","upstream_status":"502, 502",` +
		`"upstream_response_time":"0.001, 0.002","req_id":"r\\"}`
	var fl Fields
	require.NoError(t, f.Scan([]byte(line), &fl, false))
	st, _ := fl.Status()
	assert.Equal(t, 502, st)
	assert.Equal(t, "10.0.0.1\x00GET /q?a=\"b\" HTTP/1.1", string(f.AppendJoinKey(nil, &fl)))
	require.NoError(t, f.Scan([]byte(line), &fl, true))
	a := f.Access(&fl)
	assert.Equal(t, `say "hi", \ é 😀`, a.UserAgent)
	assert.Equal(t, `GET /q?a="b" HTTP/1.1`, a.RequestLine)
	assert.Equal(t, "/q", a.Path)
	assert.Equal(t, `a="b"`, a.Query)
	assert.Equal(t, `r\`, a.RequestID)
	assert.Equal(t, time.Date(2026, 11, 25, 7, 47, 21, 0, time.UTC), a.Time.UTC())
	assert.Equal(t, []event.Attempt{attempt("10.1.0.1:80", "502", 0.001, -1), attempt("10.1.0.2:80", "502", 0.002, -1)}, a.Attempts)
	assert.EqualValues(t, -1, a.BodyBytes)
	assert.EqualValues(t, -1, a.Duration)
}

func TestAccessTime(t *testing.T) {
	tests := []struct {
		format, line string
		want         time.Time
	}{
		{`[$time_local] $status`, `[25/Nov/2026:08:47:21 +0100] 502`, time.Date(2026, 11, 25, 7, 47, 21, 0, time.UTC)},
		{`$time_iso8601 $status`, `2026-11-25T08:47:21+00:00 502`, time.Date(2026, 11, 25, 8, 47, 21, 0, time.UTC)},
		{`$msec $status`, `1795596441.250 502`, time.Date(2026, 11, 25, 8, 47, 21, 250000000, time.UTC)},
		{`$msec $status`, `- 502`, time.Time{}},
		{`[$time_local] $status`, `[yesterday] 502`, time.Time{}},
		{`$status`, `502`, time.Time{}},
	}
	for _, tt := range tests {
		f := mustCompile(t, tt.format)
		var fl Fields
		require.NoError(t, f.Scan([]byte(tt.line), &fl, true), tt.line)
		got := f.Access(&fl).Time
		assert.True(t, tt.want.Equal(got), "%s: got %v want %v", tt.line, got, tt.want)
		assert.InDelta(t, 0, got.Sub(tt.want).Abs().Seconds(), 0.001, tt.line)
	}
}

func TestAccessFromParts(t *testing.T) {
	f := mustCompile(t, `$request_method $request_uri $server_protocol $host $bytes_sent $status`)
	var fl Fields
	require.NoError(t, f.Scan([]byte(`POST /a/b?x=1 HTTP/2.0 api.example.com 812 504`), &fl, true))
	a := f.Access(&fl)
	assert.Equal(t, "POST", a.Method)
	assert.Equal(t, "/a/b", a.Path)
	assert.Equal(t, "x=1", a.Query)
	assert.Equal(t, "2", a.Protocol)
	assert.Equal(t, "api.example.com", a.Host)
	assert.EqualValues(t, 812, a.BodyBytes, "$bytes_sent stands in for $body_bytes_sent")
	assert.Equal(t, 504, a.Status)
}

func TestScanNoAllocs(t *testing.T) {
	f := mustCompile(t, IngressNginxFormat)
	line := []byte(`203.0.113.7 - - [25/Nov/2026:08:46:52 +0000] "GET / HTTP/1.1" 200 297 "https://www.google.com/" "Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0" 203 0.039 [shop-storefront-80] [] 127.0.0.1:9003 297 0.038 200 df20d299a526590cfaf19e75b64d87bb`)
	var fl Fields
	key := make([]byte, 0, 256)
	n := testing.AllocsPerRun(100, func() {
		_ = f.Scan(line, &fl, false)
		_, _ = fl.Status()
		_ = fl.AnyUpstreamStatus(func(n int) bool { return n >= 502 && n <= 504 })
		key = f.AppendJoinKey(key[:0], &fl)
	})
	assert.Zero(t, n)
}

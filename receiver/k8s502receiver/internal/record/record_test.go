package record

import (
	"testing"
	"time"
	"unicode/utf8"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/plog"

	"github.com/k8s502/otelcol-k8s502/internal/schema"
	"github.com/k8s502/otelcol-k8s502/receiver/k8s502receiver/internal/event"
	"github.com/k8s502/otelcol-k8s502/receiver/k8s502receiver/internal/join"
)

func watched(n int) bool { return n == 502 || n == 503 || n == 504 }

func try(addr, status string, length int64) event.Attempt {
	return event.Attempt{Addr: addr, Status: status, ResponseTime: 0.001, ResponseLength: length}
}

func acc(status int, attempts ...event.Attempt) *event.Access {
	return &event.Access{Status: status, Attempts: attempts}
}

var (
	connErr = event.UpstreamError{Level: event.LevelError, Kind: schema.ErrConnectRefused}
	warnErr = event.UpstreamError{Level: event.LevelWarn, Kind: schema.ErrUpstreamDisabled}
)

func TestOrigin(t *testing.T) {
	tests := []struct {
		name string
		a    *event.Access
		errs []event.UpstreamError
		want string
	}{
		{"client abort", acc(499, try("a:1", "-", 0)), nil, schema.OriginClient},
		{"client abort without upstream", acc(499), nil, schema.OriginClient},
		{"no endpoints 503", acc(503), nil, schema.OriginLocal},
		{"rate limited 503", acc(503), []event.UpstreamError{{Level: event.LevelError, Kind: schema.ErrRateLimited}}, schema.OriginLocal},
		{"connect refused 502", acc(502, try("a:1", "502", 0)), []event.UpstreamError{connErr}, schema.OriginGateway},
		{"502 without error log", acc(502, try("a:1", "502", 0)), nil, schema.OriginGateway},
		{"504 without error log", acc(504, try("a:1", "504", 0)), nil, schema.OriginGateway},
		{"app 502 with a body", acc(502, try("a:1", "502", 82)), nil, schema.OriginUpstream},
		{"app 503 with a body", acc(503, try("a:1", "503", 82)), nil, schema.OriginUpstream},
		{"empty-bodied 503 without error", acc(503, try("a:1", "503", 0)), nil, schema.OriginUpstream},
		{"empty-bodied 503 with error", acc(503, try("a:1", "503", 0)), []event.UpstreamError{connErr}, schema.OriginGateway},
		{"empty-bodied 500 with error", acc(500, try("a:1", "500", 0)), []event.UpstreamError{connErr}, schema.OriginGateway},
		{"200 cut mid-body", acc(200, try("a:1", "200", 4096)), []event.UpstreamError{connErr}, schema.OriginUpstream},
		{"200 with empty body", acc(200, try("a:1", "200", 0)), nil, schema.OriginUpstream},
		{"HTTP/0.9 pass-through", acc(9, try("a:1", "200", 0)), []event.UpstreamError{connErr}, schema.OriginUpstream},
		{"retried, last answered", acc(502, try("a:1", "502", 0), try("b:1", "502", 82)), []event.UpstreamError{connErr}, schema.OriginUpstream},
		{"retried, all failed", acc(502, try("a:1", "502", 0), try("b:1", "502", 0)), []event.UpstreamError{connErr, connErr}, schema.OriginGateway},
		{"no live upstreams", acc(502, try("upstream_balancer", "502", 0)), []event.UpstreamError{{Level: event.LevelError, Kind: schema.ErrNoLiveUpstreams}}, schema.OriginGateway},
		{"not logged length", acc(502, try("a:1", "502", -1)), nil, schema.OriginGateway},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assert.Equal(t, tt.want, Origin(tt.a, tt.errs))
		})
	}
}

func TestOutcome(t *testing.T) {
	tests := []struct {
		name string
		a    *event.Access
		errs []event.UpstreamError
		want string
	}{
		{"watched final status", acc(502, try("a:1", "502", 0)), nil, schema.OutcomeFailed},
		{"watched, no upstream", acc(503), nil, schema.OutcomeFailed},
		{"retry answered after 502", acc(200, try("a:1", "502", 0), try("b:1", "200", 10)), nil, schema.OutcomeRecovered},
		{"retry answered after 504", acc(200, try("a:1", "504", 0), try("b:1", "200", 10)), []event.UpstreamError{connErr}, schema.OutcomeRecovered},
		{"retry after a status-less failure", acc(200, try("a:1", "-", 0), try("b:1", "200", 10)), []event.UpstreamError{connErr}, schema.OutcomeRecovered},
		{"retry with unwatched first status, no error", acc(200, try("a:1", "500", 0), try("b:1", "200", 10)), nil, schema.OutcomeTruncated},
		{"body cut", acc(200, try("a:1", "200", 4096)), []event.UpstreamError{connErr}, schema.OutcomeTruncated},
		{"HTTP/0.9", acc(9, try("a:1", "200", 0)), []event.UpstreamError{connErr}, schema.OutcomeTruncated},
		{"client abort", acc(499, try("a:1", "-", 0)), []event.UpstreamError{connErr}, schema.OutcomeTruncated},
		{"last attempt's watched status is the final one", acc(200, try("a:1", "200", 10), try("b:1", "502", 0)), nil, schema.OutcomeTruncated},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assert.Equal(t, tt.want, Outcome(tt.a, tt.errs, watched))
		})
	}
}

func fill(t *testing.T, r *join.Request, o Options) (plog.LogRecord, string) {
	t.Helper()
	lr := plog.NewLogRecord()
	if o.Statuses == nil {
		o.Statuses = watched
	}
	o.Gateway = "ingress-nginx"
	out := Fill(lr, r, time.Unix(100, 0), o)
	got, ok := lr.Attributes().Get(schema.Outcome)
	require.True(t, ok)
	assert.Equal(t, out, got.Str())
	return lr, out
}

func str(t *testing.T, m pcommon.Map, k string) string {
	t.Helper()
	v, ok := m.Get(k)
	if !ok {
		return "<absent>"
	}
	return v.AsString()
}

const accessRaw = `10.0.0.1 - - [25/Nov/2026:08:47:21 +0000] "GET /pay?token=s3cret&x=1 HTTP/1.1" 502 150 "https://shop.example.com/cart?session=abc" "curl/8" 100 0.001 [shop-pay-80] [] 10.1.0.1:80 0 0.001 502 id1`

func accessRequest() *join.Request {
	a := &event.Access{
		Time: time.Unix(50, 0), Status: 502, Method: "GET", Path: "/pay", Query: "token=s3cret&x=1", Protocol: "1.1",
		Client: "10.0.0.1", UserAgent: "curl/8", RequestID: "id1", BodyBytes: 150, RequestLength: 100, Duration: 0.001,
		UpstreamName: "shop-pay-80", Attempts: []event.Attempt{try("10.1.0.1:80", "502", 0)},
		Extra: [][2]string{{"k8s.ingress.name", "pay"}},
	}
	return &join.Request{Source: "pod", Time: time.Unix(60, 0), Access: a, AccessRaw: accessRaw}
}

func TestFillAccess(t *testing.T) {
	r := accessRequest()
	e := connErr
	e.Message, e.Upstream, e.Host = "connect() failed (111: Connection refused) while connecting to upstream", "http://10.1.0.1:80/pay?token=s3cret", "shop.example.com"
	r.Errors = []event.UpstreamError{warnErr, e}
	lr, outcome := fill(t, r, Options{RedactQuery: false})
	assert.Equal(t, schema.OutcomeFailed, outcome)
	attrs := lr.Attributes()
	assert.Equal(t, time.Unix(60, 0).UTC(), lr.Timestamp().AsTime(), "the request's time, not the access line's")
	assert.Equal(t, time.Unix(100, 0).UTC(), lr.ObservedTimestamp().AsTime())
	assert.Equal(t, accessRaw, lr.Body().Str())
	assert.Equal(t, "ingress-nginx", str(t, attrs, schema.Gateway))
	assert.Equal(t, "token=s3cret&x=1", str(t, attrs, schema.URLQuery))
	assert.Equal(t, "502", str(t, attrs, schema.HTTPResponseStatusCode))
	assert.Equal(t, "shop.example.com", str(t, attrs, schema.ServerAddress), "host from the error line when the format has none")
	assert.Equal(t, schema.OriginGateway, str(t, attrs, schema.Origin))
	assert.Equal(t, schema.ErrConnectRefused, str(t, attrs, schema.ErrorKind), "the error-level line is chosen over the warning")
	assert.Equal(t, "10.1.0.1:80", str(t, attrs, schema.ErrorUpstream))
	assert.Equal(t, "2", str(t, attrs, schema.ErrorCount))
	assert.Equal(t, `["upstream_disabled","connect_refused"]`, str(t, attrs, schema.ErrorKinds))
	assert.Equal(t, `["10.1.0.1:80"]`, str(t, attrs, schema.UpstreamAddresses))
	assert.Equal(t, `["502"]`, str(t, attrs, schema.UpstreamStatuses))
	assert.Equal(t, "pay", str(t, attrs, "k8s.ingress.name"))
	assert.Equal(t, "<absent>", str(t, attrs, schema.UserAgentOriginal+"x"))
}

func TestRedact(t *testing.T) {
	r := accessRequest()
	lr, _ := fill(t, r, Options{RedactQuery: true})
	assert.Equal(t, `10.0.0.1 - - [25/Nov/2026:08:47:21 +0000] "GET /pay?REDACTED HTTP/1.1" 502 150 "https://shop.example.com/cart?REDACTED" "curl/8" 100 0.001 [shop-pay-80] [] 10.1.0.1:80 0 0.001 502 id1`, lr.Body().Str())
	assert.Equal(t, "<absent>", str(t, lr.Attributes(), schema.URLQuery))
	assert.Equal(t, "/pay", str(t, lr.Attributes(), schema.URLPath))

	tests := []struct{ in, want string }{
		{"no query here", "no query here"},
		{"/a?b=1 /c?d", "/a?REDACTED /c?REDACTED"},
		{`"?leading" ? alone`, `"?leading" ? alone`},
		{"/a? empty", "/a? empty"},
		{"?start", "?start"},
		{`upstream: "http://h/a?x=1", host: "h"`, `upstream: "http://h/a?REDACTED", host: "h"`},
		{`/a?b=\x22c\x22 d`, `/a?REDACTED d`},
		{"/a?b", "/a?REDACTED"},
	}
	for _, tt := range tests {
		assert.Equal(t, tt.want, redact(tt.in, true), tt.in)
		assert.Equal(t, tt.in, redact(tt.in, false), tt.in)
	}
}

func TestFillUnmatched(t *testing.T) {
	raw := `2026/11/25 08:47:21 [error] 7#7: *3 connect() failed (111: Connection refused) while connecting to upstream, client: 10.0.0.1, server: _, request: "GET /caf\xC3 HTTP/2.0", upstream: "http://10.1.0.1:80/caf\xC3?k=v", host: "h\xff"`
	e := event.UpstreamError{
		Level: event.LevelError, Kind: schema.ErrConnectRefused, Message: "connect() failed (111: Connection refused) while connecting to upstream",
		Client: "10.0.0.1", Request: "GET /caf\xC3?k=v HTTP/2.0", Upstream: "http://10.1.0.1:80/caf\xC3?k=v", Host: "h\xff", Raw: raw,
	}
	r := &join.Request{Source: "pod", Time: time.Unix(60, 0), Errors: []event.UpstreamError{e}}
	lr, outcome := fill(t, r, Options{})
	assert.Equal(t, schema.OutcomeUnmatched, outcome)
	attrs := lr.Attributes()
	assert.Equal(t, schema.OriginGateway, str(t, attrs, schema.Origin))
	assert.Equal(t, "GET", str(t, attrs, schema.HTTPRequestMethod))
	assert.Equal(t, "/caf\uFFFD", str(t, attrs, schema.URLPath))
	assert.Equal(t, "k=v", str(t, attrs, schema.URLQuery))
	assert.Equal(t, "2", str(t, attrs, schema.NetworkProtocolVersion))
	assert.Equal(t, "h\uFFFD", str(t, attrs, schema.ServerAddress))
	assert.Equal(t, `["10.1.0.1:80"]`, str(t, attrs, schema.UpstreamAddresses))
	assert.Equal(t, "<absent>", str(t, attrs, schema.HTTPResponseStatusCode))
	assertValidUTF8(t, lr)

	lr, _ = fill(t, r, Options{RedactQuery: true})
	assert.Equal(t, "<absent>", str(t, lr.Attributes(), schema.URLQuery))
	assert.NotContains(t, lr.Body().Str(), "k=v")
}

func TestInvalidUTF8MadeValid(t *testing.T) {
	r := accessRequest()
	r.AccessRaw = "10.0.0.1 \xff\xfe \"GET /\xC3 HTTP/1.1\""
	a := r.Access
	a.Path, a.UserAgent, a.Host, a.RequestID, a.UpstreamName = "/\xC3", "bot\xff", "h\xff", "id\xff", "up\xff"
	a.Extra = [][2]string{{"x", "v\xff"}}
	a.Attempts = []event.Attempt{try("a\xff", "5\xff", 0)}
	e := connErr
	e.Message = "bad \xff"
	r.Errors = []event.UpstreamError{e}
	lr, _ := fill(t, r, Options{})
	assertValidUTF8(t, lr)
	assert.Equal(t, "10.0.0.1 \uFFFD \"GET /\uFFFD HTTP/1.1\"", lr.Body().Str(), "a run of invalid bytes becomes one U+FFFD")
}

func assertValidUTF8(t *testing.T, lr plog.LogRecord) {
	t.Helper()
	assert.True(t, utf8.ValidString(lr.Body().Str()), "body %q", lr.Body().Str())
	lr.Attributes().Range(func(k string, v pcommon.Value) bool {
		assert.True(t, utf8.ValidString(v.AsString()), "%s = %q", k, v.AsString())
		return true
	})
}

func TestSeverity(t *testing.T) {
	tests := []struct {
		name string
		r    *join.Request
		want plog.SeverityNumber
		text string
	}{
		{"5xx access", &join.Request{Access: acc(502)}, plog.SeverityNumberError, "ERROR"},
		{"recovered 200", &join.Request{Access: acc(200, try("a:1", "502", 0), try("b:1", "200", 1)), Errors: []event.UpstreamError{connErr}}, plog.SeverityNumberWarn, "WARN"},
		{"client abort", &join.Request{Access: acc(499)}, plog.SeverityNumberWarn, "WARN"},
		{"unmatched error", &join.Request{Errors: []event.UpstreamError{connErr}}, plog.SeverityNumberError, "ERROR"},
		{"unmatched warning", &join.Request{Errors: []event.UpstreamError{warnErr}}, plog.SeverityNumberWarn, "WARN"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			lr, _ := fill(t, tt.r, Options{})
			assert.Equal(t, tt.want, lr.SeverityNumber())
			assert.Equal(t, tt.text, lr.SeverityText())
			assert.Zero(t, lr.Timestamp(), "no event time, no timestamp")
		})
	}
}

func TestChooseError(t *testing.T) {
	assert.Nil(t, chooseError(nil))
	w2 := warnErr
	w2.Message = "second warning"
	assert.Equal(t, "second warning", chooseError([]event.UpstreamError{warnErr, w2}).Message, "the last warning when there is no error")
	e1, e2 := connErr, connErr
	e1.Message, e2.Message = "first", "last"
	assert.Equal(t, "last", chooseError([]event.UpstreamError{e1, warnErr, e2, w2}).Message)
}

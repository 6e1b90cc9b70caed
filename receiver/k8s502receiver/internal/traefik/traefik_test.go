package traefik

import (
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/k8s502/otelcol-k8s502/internal/schema"
	"github.com/k8s502/otelcol-k8s502/receiver/k8s502receiver/internal/event"
	"github.com/k8s502/otelcol-k8s502/receiver/k8s502receiver/internal/gateway"
)

// Real lines from testdata/traefik (json/stdout.log.gz and text/stdout.log),
// named after the README's scenarios.
const (
	jsonS1aError    = `{"level":"debug","error":"dial tcp 127.0.0.1:9001: connect: connection refused","time":"2026-11-25T10:06:45Z","caller":"github.com/traefik/traefik/v3/pkg/proxy/httputil/proxy.go:121","message":"502 Bad Gateway"}`
	jsonS1aAccess   = `{"ClientAddr":"127.0.0.1:37352","ClientHost":"10.12.4.19","ClientPort":"37352","ClientUsername":"-","DownstreamContentSize":11,"DownstreamStatus":502,"Duration":274205,"OriginContentSize":11,"OriginDuration":161571,"OriginStatus":502,"Overhead":112634,"RequestAddr":"shop.example.com","RequestContentSize":0,"RequestCount":2,"RequestHost":"shop.example.com","RequestMethod":"GET","RequestPath":"/api/inventory/items/SKU-22471","RequestPort":"-","RequestProtocol":"HTTP/1.1","RequestScheme":"http","RetryAttempts":0,"RouterName":"shop-inventory-ingress-shop-example-com-api-inventory@file","ServiceAddr":"127.0.0.1:9001","ServiceName":"shop-inventory-8080@file","ServiceURL":"http://127.0.0.1:9001","StartLocal":"2026-11-25T10:06:45.625840578Z","StartUTC":"2026-11-25T10:06:45.625840578Z","entryPointName":"web","level":"info","msg":"","time":"2026-11-25T10:06:45Z"}`
	jsonS1bRetry    = `{"level":"debug","middlewareName":"shop-retry@file","middlewareType":"Retry","time":"2026-11-25T10:06:49Z","caller":"github.com/traefik/traefik/v3/pkg/middlewares/retry/retry.go:172","message":"New attempt 2 for request: /api/orders/15824"}`
	jsonS1bAccess   = `{"ClientAddr":"127.0.0.1:45990","ClientHost":"192.0.2.14","ClientPort":"45990","ClientUsername":"-","DownstreamContentSize":121,"DownstreamStatus":200,"Duration":122292309,"OriginContentSize":121,"OriginDuration":5764627,"OriginStatus":200,"Overhead":116527682,"RequestAddr":"shop.example.com","RequestContentSize":0,"RequestCount":15,"RequestHost":"shop.example.com","RequestMethod":"GET","RequestPath":"/api/orders/15824","RequestPort":"-","RequestProtocol":"HTTP/1.1","RequestScheme":"http","RetryAttempts":0,"RouterName":"shop-orders-ingress-shop-example-com-api-orders@file","ServiceAddr":"127.0.0.1:9002","ServiceName":"shop-orders-8080@file","ServiceURL":"http://127.0.0.1:9002","StartLocal":"2026-11-25T10:06:49.321403413Z","StartUTC":"2026-11-25T10:06:49.321403413Z","entryPointName":"web","level":"info","msg":"","time":"2026-11-25T10:06:49Z"}`
	jsonS2aError    = `{"level":"debug","error":"EOF","time":"2026-11-25T10:06:45Z","caller":"github.com/traefik/traefik/v3/pkg/proxy/httputil/proxy.go:121","message":"502 Bad Gateway"}`
	jsonS2bError    = `{"level":"debug","error":"read tcp 127.0.0.1:47316->127.0.0.1:9011: read: connection reset by peer","time":"2026-11-25T10:06:52Z","caller":"github.com/traefik/traefik/v3/pkg/proxy/httputil/proxy.go:121","message":"502 Bad Gateway"}`
	jsonS2cBodyCopy = `{"time":"2026-11-25T10:06:53Z","caller":"log/log.go:244","level":"debug","message":"httputil: ReverseProxy read error during body copy: unexpected EOF"}`
	jsonS2cAccess   = `{"ClientAddr":"127.0.0.1:46418","ClientHost":"203.0.113.250","ClientPort":"46418","ClientUsername":"-","DownstreamContentSize":4096,"DownstreamStatus":200,"Duration":51144296,"GzipRatio":0,"OriginContentSize":0,"OriginDuration":0,"OriginStatus":0,"Overhead":51144296,"RequestAddr":"shop.example.com","RequestContentSize":0,"RequestCount":65,"RequestHost":"shop.example.com","RequestMethod":"GET","RequestPath":"/downloads/catalog-03663.pdf","RequestPort":"-","RequestProtocol":"HTTP/1.1","RequestScheme":"http","RetryAttempts":0,"RouterName":"shop-assets-ingress-shop-example-com-downloads@file","ServiceAddr":"127.0.0.1:9016","ServiceName":"shop-assets-8080@file","ServiceURL":"http://127.0.0.1:9016","StartLocal":"2026-11-25T10:06:53.301254337Z","StartUTC":"2026-11-25T10:06:53.301254337Z","entryPointName":"web","level":"info","msg":"","time":"2026-11-25T10:06:53Z"}`
	jsonS2cRecovery = `{"level":"debug","middlewareName":"traefik-internal-recovery","middlewareType":"Recovery","time":"2026-11-25T10:06:53Z","caller":"github.com/traefik/traefik/v3/pkg/middlewares/recovery/recovery.go:45","message":"Request has been aborted [127.0.0.1:46418 - /downloads/catalog-03663.pdf]: net/http: abort Handler"}`
	jsonS3aError    = `{"level":"debug","error":"net/http: HTTP/1.x transport connection broken: malformed HTTP response \"\\x15\\x03\\x01\\x00\\x02\\x02\"","time":"2026-11-25T10:06:53Z","caller":"github.com/traefik/traefik/v3/pkg/proxy/httputil/proxy.go:121","message":"500 Internal Server Error"}`
	jsonS3bError    = `{"level":"debug","error":"net/http: HTTP/1.x transport connection broken: malformed MIME header line: \"X-Debug Info: broken\\x01value\"","time":"2026-11-25T10:06:54Z","caller":"github.com/traefik/traefik/v3/pkg/proxy/httputil/proxy.go:121","message":"500 Internal Server Error"}`
	jsonS3dError    = `{"level":"debug","error":"net/http: HTTP/1.x transport connection broken: malformed HTTP status code \"2x0\"","time":"2026-11-25T10:06:55Z","caller":"github.com/traefik/traefik/v3/pkg/proxy/httputil/proxy.go:121","message":"500 Internal Server Error"}`
	jsonS3eBodyCopy = `{"time":"2026-11-25T10:06:55Z","caller":"log/log.go:244","level":"debug","message":"httputil: ReverseProxy read error during body copy: invalid byte in chunk length"}`
	jsonS3eAccess   = `{"ClientAddr":"127.0.0.1:46676","ClientHost":"10.12.7.33","ClientPort":"46676","ClientUsername":"-","DownstreamContentSize":5,"DownstreamStatus":200,"Duration":1563695,"GzipRatio":0,"OriginContentSize":0,"OriginDuration":0,"OriginStatus":0,"Overhead":1563695,"RequestAddr":"shop.example.com","RequestContentSize":0,"RequestCount":96,"RequestHost":"shop.example.com","RequestMethod":"GET","RequestPath":"/api/stream/events/09290","RequestPort":"-","RequestProtocol":"HTTP/1.1","RequestScheme":"http","RetryAttempts":0,"RouterName":"shop-stream-ingress-shop-example-com-api-stream@file","ServiceAddr":"127.0.0.1:9020","ServiceName":"shop-stream-8080@file","ServiceURL":"http://127.0.0.1:9020","StartLocal":"2026-11-25T10:06:55.398738083Z","StartUTC":"2026-11-25T10:06:55.398738083Z","entryPointName":"web","level":"info","msg":"","time":"2026-11-25T10:06:55Z"}`
	jsonS4aError    = `{"level":"debug","error":"net/http: timeout awaiting response headers","time":"2026-11-25T10:06:58Z","caller":"github.com/traefik/traefik/v3/pkg/proxy/httputil/proxy.go:121","message":"504 Gateway Timeout"}`
	jsonS4aAccess   = `{"ClientAddr":"127.0.0.1:46718","ClientHost":"172.20.1.5","ClientPort":"46718","ClientUsername":"-","DownstreamContentSize":15,"DownstreamStatus":504,"Duration":3003928466,"OriginContentSize":15,"OriginDuration":3001926668,"OriginStatus":504,"Overhead":2001798,"RequestAddr":"shop.example.com","RequestContentSize":0,"RequestCount":102,"RequestHost":"shop.example.com","RequestMethod":"GET","RequestPath":"/api/reports/daily/02740","RequestPort":"-","RequestProtocol":"HTTP/1.1","RequestScheme":"http","RetryAttempts":0,"RouterName":"shop-reports-ingress-shop-example-com-api-reports@file","ServiceAddr":"127.0.0.1:9015","ServiceName":"shop-reports-8080@file","ServiceURL":"http://127.0.0.1:9015","StartLocal":"2026-11-25T10:06:55.765040458Z","StartUTC":"2026-11-25T10:06:55.765040458Z","entryPointName":"web","level":"info","msg":"","time":"2026-11-25T10:06:58Z"}`
	jsonS5Error     = `{"level":"debug","error":"dial tcp 127.0.0.1:9017: i/o timeout","time":"2026-11-25T10:07:03Z","caller":"github.com/traefik/traefik/v3/pkg/proxy/httputil/proxy.go:121","message":"504 Gateway Timeout"}`
	jsonS6bError    = `{"level":"error","error":"tls: failed to verify certificate: x509: certificate has expired or is not yet valid: current time 2026-11-25T10:06:45Z is after 2024-01-01T00:00:00Z","time":"2026-11-25T10:06:45Z","caller":"github.com/traefik/traefik/v3/pkg/proxy/httputil/proxy.go:119","message":"500 Internal Server Error"}`
	jsonS6bAccess   = `{"ClientAddr":"127.0.0.1:37344","ClientHost":"198.51.100.101","ClientPort":"37344","ClientUsername":"-","DownstreamContentSize":21,"DownstreamStatus":500,"Duration":5128418,"OriginContentSize":21,"OriginDuration":5011704,"OriginStatus":500,"Overhead":116714,"RequestAddr":"shop.example.com","RequestContentSize":0,"RequestCount":1,"RequestHost":"shop.example.com","RequestMethod":"GET","RequestPath":"/api/billing/invoices/INV-08678","RequestPort":"-","RequestProtocol":"HTTP/1.1","RequestScheme":"http","RetryAttempts":0,"RouterName":"shop-billing-ingress-shop-example-com-api-billing@file","ServiceAddr":"127.0.0.1:9444","ServiceName":"shop-billing-https@file","ServiceURL":"https://127.0.0.1:9444","StartLocal":"2026-11-25T10:06:45.625189753Z","StartUTC":"2026-11-25T10:06:45.625189753Z","entryPointName":"web","level":"info","msg":"","time":"2026-11-25T10:06:45Z"}`
	jsonS6dError    = `{"level":"error","error":"tls: failed to verify certificate: x509: certificate is valid for payments.shop.svc.cluster.local, not accounts.shop.svc.cluster.local","time":"2026-11-25T10:07:04Z","caller":"github.com/traefik/traefik/v3/pkg/proxy/httputil/proxy.go:119","message":"500 Internal Server Error"}`
	jsonS6eError    = `{"level":"error","error":"tls: first record does not look like a TLS handshake","time":"2026-11-25T10:07:04Z","caller":"github.com/traefik/traefik/v3/pkg/proxy/httputil/proxy.go:119","message":"500 Internal Server Error"}`
	jsonS7Access    = `{"ClientAddr":"127.0.0.1:38910","ClientHost":"203.0.113.250","ClientPort":"38910","ClientUsername":"-","DownstreamContentSize":11,"DownstreamStatus":502,"Duration":510359,"OriginContentSize":11,"OriginDuration":391377,"OriginStatus":502,"Overhead":118982,"RequestAddr":"shop.example.com","RequestContentSize":0,"RequestCount":185,"RequestHost":"shop.example.com","RequestMethod":"GET","RequestPath":"/api/catalog/items/07387","RequestPort":"-","RequestProtocol":"HTTP/1.1","RequestScheme":"http","RetryAttempts":0,"RouterName":"shop-catalog-ingress-shop-example-com-api-catalog@file","ServiceAddr":"127.0.0.1:9021","ServiceName":"shop-catalog-8080@file","ServiceURL":"http://127.0.0.1:9021","StartLocal":"2026-11-25T10:07:05.561517228Z","StartUTC":"2026-11-25T10:07:05.561517228Z","entryPointName":"web","level":"info","msg":"","time":"2026-11-25T10:07:05Z"}`
	jsonS8App502    = `{"ClientAddr":"127.0.0.1:60356","ClientHost":"172.20.1.5","ClientPort":"60356","ClientUsername":"-","DownstreamContentSize":82,"DownstreamStatus":502,"Duration":44764916,"OriginContentSize":82,"OriginDuration":44639507,"OriginStatus":502,"Overhead":125409,"RequestAddr":"shop.example.com","RequestContentSize":19,"RequestCount":330,"RequestHost":"shop.example.com","RequestMethod":"POST","RequestPath":"/api/checkout/pay/app502/21123","RequestPort":"-","RequestProtocol":"HTTP/1.1","RequestScheme":"http","RetryAttempts":0,"RouterName":"shop-checkout-ingress-shop-example-com-api-checkout@file","ServiceAddr":"127.0.0.1:9002","ServiceName":"shop-checkout-8080@file","ServiceURL":"http://127.0.0.1:9002","StartLocal":"2026-11-25T10:07:21.828044167Z","StartUTC":"2026-11-25T10:07:21.828044167Z","entryPointName":"web","level":"info","msg":"","time":"2026-11-25T10:07:21Z"}`
	jsonS8App500    = `{"ClientAddr":"127.0.0.1:60496","ClientHost":"203.0.113.7","ClientPort":"60496","ClientUsername":"-","DownstreamContentSize":75,"DownstreamStatus":500,"Duration":834825,"OriginContentSize":75,"OriginDuration":730410,"OriginStatus":500,"Overhead":104415,"RequestAddr":"api.example.com","RequestContentSize":0,"RequestCount":349,"RequestHost":"api.example.com","RequestMethod":"GET","RequestPath":"/v1/ledger/app500/29089","RequestPort":"-","RequestProtocol":"HTTP/1.1","RequestScheme":"http","RetryAttempts":0,"RouterName":"finance-ledger-ingress-api-example-com@file","ServiceAddr":"127.0.0.1:9003","ServiceName":"finance-ledger-8080@file","ServiceURL":"http://127.0.0.1:9003","StartLocal":"2026-11-25T10:07:23.21603596Z","StartUTC":"2026-11-25T10:07:23.21603596Z","entryPointName":"web","level":"info","msg":"","time":"2026-11-25T10:07:23Z"}`
	jsonS9aAccess   = `{"ClientAddr":"127.0.0.1:60538","ClientHost":"192.0.2.14","ClientPort":"60538","ClientUsername":"-","DownstreamContentSize":20,"DownstreamStatus":503,"Duration":49770,"GzipRatio":0,"OriginContentSize":0,"OriginDuration":0,"OriginStatus":0,"Overhead":49770,"RequestAddr":"shop.example.com","RequestContentSize":0,"RequestCount":352,"RequestHost":"shop.example.com","RequestMethod":"GET","RequestPath":"/api/promotions/active?region=eu-1","RequestPort":"-","RequestProtocol":"HTTP/1.1","RequestScheme":"http","RetryAttempts":0,"RouterName":"shop-promotions-ingress-shop-example-com-api-promotions@file","StartLocal":"2026-11-25T10:07:23.447474052Z","StartUTC":"2026-11-25T10:07:23.447474052Z","entryPointName":"web","level":"info","msg":"","time":"2026-11-25T10:07:23Z"}`
	jsonS9bHealth   = `{"level":"warn","serviceName":"shop-wishlist-8080@file","targetURL":"http://127.0.0.1:9004","error":"checking HTTP health: HTTP request failed: Get \"http://127.0.0.1:9004/healthz\": dial tcp 127.0.0.1:9004: connect: connection refused","time":"2026-11-25T10:06:45Z","caller":"github.com/traefik/traefik/v3/pkg/healthcheck/healthcheck.go:185","message":"Health check failed."}`
	jsonS11Error    = `{"level":"debug","error":"context canceled","time":"2026-11-25T10:07:25Z","caller":"github.com/traefik/traefik/v3/pkg/proxy/httputil/proxy.go:121","message":"499 Client Closed Request"}`
	jsonS11Access   = `{"ClientAddr":"127.0.0.1:60690","ClientHost":"198.51.100.101","ClientPort":"60690","ClientUsername":"-","DownstreamContentSize":21,"DownstreamStatus":499,"Duration":1000997542,"OriginContentSize":21,"OriginDuration":1000887591,"OriginStatus":499,"Overhead":109951,"RequestAddr":"shop.example.com","RequestContentSize":0,"RequestCount":369,"RequestHost":"shop.example.com","RequestMethod":"GET","RequestPath":"/api/reports/monthly/18937","RequestPort":"-","RequestProtocol":"HTTP/1.1","RequestScheme":"http","RetryAttempts":0,"RouterName":"shop-reports-ingress-shop-example-com-api-reports@file","ServiceAddr":"127.0.0.1:9015","ServiceName":"shop-reports-8080@file","ServiceURL":"http://127.0.0.1:9015","StartLocal":"2026-11-25T10:07:24.603712582Z","StartUTC":"2026-11-25T10:07:24.603712582Z","entryPointName":"web","level":"info","msg":"","time":"2026-11-25T10:07:25Z"}`
	jsonS12NoRouter = `{"ClientAddr":"127.0.0.1:60784","ClientHost":"10.12.7.33","ClientPort":"60784","ClientUsername":"-","DownstreamContentSize":19,"DownstreamStatus":404,"Duration":21349,"GzipRatio":0,"OriginContentSize":0,"OriginDuration":0,"OriginStatus":0,"Overhead":21349,"RequestAddr":"unknown.example.net","RequestContentSize":0,"RequestCount":377,"RequestHost":"unknown.example.net","RequestMethod":"GET","RequestPath":"/","RequestPort":"-","RequestProtocol":"HTTP/1.1","RequestScheme":"http","RetryAttempts":0,"StartLocal":"2026-11-25T10:07:25.618008765Z","StartUTC":"2026-11-25T10:07:25.618008765Z","entryPointName":"web","level":"info","msg":"","time":"2026-11-25T10:07:25Z"}`
	jsonS12Odd      = `{"ClientAddr":"127.0.0.1:60800","ClientHost":"127.0.0.1","ClientPort":"60800","ClientUsername":"-","DownstreamContentSize":627,"DownstreamStatus":200,"Duration":11131184,"OriginContentSize":627,"OriginDuration":11007740,"OriginStatus":200,"Overhead":123444,"RequestAddr":"shop.example.com","RequestContentSize":0,"RequestCount":378,"RequestHost":"shop.example.com","RequestMethod":"GET","RequestPath":"/api/checkout/search?q=%22lamp%22\u0026name=caf%C3%A9\u0026raw=\"q\"","RequestPort":"-","RequestProtocol":"HTTP/1.1","RequestScheme":"http","RetryAttempts":0,"RouterName":"shop-checkout-ingress-shop-example-com-api-checkout@file","ServiceAddr":"127.0.0.1:9002","ServiceName":"shop-checkout-8080@file","ServiceURL":"http://127.0.0.1:9002","StartLocal":"2026-11-25T10:07:25.625625889Z","StartUTC":"2026-11-25T10:07:25.625625889Z","entryPointName":"web","level":"info","msg":"","time":"2026-11-25T10:07:25Z"}`
	jsonS10HTTP2    = `{"ClientAddr":"127.0.0.1:54658","ClientHost":"203.0.113.45","ClientPort":"54658","ClientUsername":"-","DownstreamContentSize":341,"DownstreamStatus":200,"Duration":10550932,"OriginContentSize":341,"OriginDuration":10440441,"OriginStatus":200,"Overhead":110491,"RequestAddr":"shop.example.com:18443","RequestContentSize":0,"RequestCount":13,"RequestHost":"shop.example.com","RequestMethod":"GET","RequestPath":"/api/checkout/cart/30347","RequestPort":"18443","RequestProtocol":"HTTP/2.0","RequestScheme":"https","RetryAttempts":0,"RouterName":"shop-checkout-ingress-shop-example-com-api-checkout-tls@file","ServiceAddr":"127.0.0.1:9002","ServiceName":"shop-checkout-8080@file","ServiceURL":"http://127.0.0.1:9002","StartLocal":"2026-11-25T10:06:49.185101223Z","StartUTC":"2026-11-25T10:06:49.185101223Z","TLSCipher":"TLS_AES_128_GCM_SHA256","TLSVersion":"1.3","entryPointName":"websecure","level":"info","msg":"","time":"2026-11-25T10:06:49Z"}`

	textS1aAccess   = `198.51.100.23 - - [25/Nov/2026:10:09:25 +0000] "GET /api/inventory/items/SKU-13512 HTTP/1.1" 502 11 "-" "-" 1 "shop-inventory-ingress-shop-example-com-api-inventory@file" "http://127.0.0.1:9001" 0ms`
	textS6bError    = "\x1b[90m2026-11-25T10:09:25Z\x1b[0m \x1b[31mERR\x1b[0m \x1b[1m500 Internal Server Error\x1b[0m \x1b[36merror=\x1b[0m\x1b[31m\x1b[1m\"tls: failed to verify certificate: x509: certificate has expired or is not yet valid: current time 2026-11-25T10:09:25Z is after 2024-01-01T00:00:00Z\"\x1b[0m\x1b[0m"
	textS6bAccess   = `10.12.7.33 - - [25/Nov/2026:10:09:25 +0000] "GET /api/billing/invoices/INV-18020 HTTP/1.1" 500 21 "-" "-" 2 "shop-billing-ingress-shop-example-com-api-billing@file" "https://127.0.0.1:9444" 1ms`
	textS8App502    = `203.0.113.7 - - [25/Nov/2026:10:10:01 +0000] "POST /api/checkout/pay/app502/08874 HTTP/1.1" 502 82 "-" "-" 328 "shop-checkout-ingress-shop-example-com-api-checkout@file" "http://127.0.0.1:9002" 1ms`
	textS9aAccess   = `192.0.2.14 - - [25/Nov/2026:10:10:02 +0000] "GET /api/promotions/active?region=eu-1 HTTP/1.1" 503 20 "-" "-" 349 "shop-promotions-ingress-shop-example-com-api-promotions@file" "-" 0ms`
	textS12Odd      = `127.0.0.1 - - [25/Nov/2026:10:10:05 +0000] "GET /api/checkout/search?q=%22lamp%22&name=caf%C3%A9&raw="q" HTTP/1.1" 200 517 "-" "-" 375 "shop-checkout-ingress-shop-example-com-api-checkout@file" "http://127.0.0.1:9002" 14ms`
	textS9bHealth   = "\x1b[90m2026-11-25T10:09:25Z\x1b[0m \x1b[33mWRN\x1b[0m \x1b[1mHealth check failed.\x1b[0m \x1b[36merror=\x1b[0m\x1b[31m\"checking HTTP health: HTTP request failed: Get \\\"http://127.0.0.1:9005/healthz\\\": dial tcp 127.0.0.1:9005: connect: connection refused\"\x1b[0m \x1b[36mserviceName=\x1b[0mshop-wishlist-8080@file \x1b[36mtargetURL=\x1b[0mhttp://127.0.0.1:9005"
	textBannerCont  = `Version check is disabled.`
	textBannerStart = "\x1b[90m2026-11-25T10:09:23Z\x1b[0m \x1b[32mINF\x1b[0m \x1b[1m"
)

var (
	defaultStatuses = statusSet(502, 503, 504)
	with500         = statusSet(500, 502, 503, 504)
	with499And404   = statusSet(404, 499, 502, 503, 504)
)

func statusSet(codes ...int) func(int) bool {
	return func(n int) bool {
		for _, c := range codes {
			if c == n {
				return true
			}
		}
		return false
	}
}

// parse feeds lines through one parser, as one file's lines arrive, and
// returns what the last one yielded.
func parse(t *testing.T, watched func(int) bool, lines ...string) (gateway.Kind, *gateway.Parsed) {
	t.Helper()
	f, err := Compile("")
	require.NoError(t, err)
	p := f.NewParser()
	var out gateway.Parsed
	var kind gateway.Kind
	for _, l := range lines {
		out.Reset()
		kind = p.Parse([]byte(l), false, watched, &out)
	}
	return kind, &out
}

func extra(a *event.Access, name string) string {
	for _, kv := range a.Extra {
		if kv[0] == name {
			return kv[1]
		}
	}
	return ""
}

func TestCompile(t *testing.T) {
	f, err := Compile("")
	require.NoError(t, err)
	assert.True(t, gateway.Joins(f.NewParser()))
	for _, bad := range []string{"json", "common", `$remote_addr - $status`} {
		_, err := Compile(bad)
		require.Error(t, err, bad)
		assert.Contains(t, err.Error(), "detected per line")
	}
}

func TestFullAccessJSON(t *testing.T) {
	kind, out := parse(t, defaultStatuses, jsonS1aAccess)
	require.Equal(t, gateway.Request, kind)
	assert.True(t, out.Keep)
	assert.Equal(t, "502", string(out.Key))
	assert.Empty(t, out.Errors)
	assert.Equal(t, event.Access{
		Time:   time.Date(2026, 11, 25, 10, 6, 45, 625840578, time.UTC),
		Status: 502, Method: "GET", Path: "/api/inventory/items/SKU-22471", Protocol: "1.1",
		RequestLine: "GET /api/inventory/items/SKU-22471 HTTP/1.1", Client: "10.12.4.19", Host: "shop.example.com",
		BodyBytes: 11, RequestLength: 0, Duration: 274205e-9,
		UpstreamName: "shop-inventory-8080",
		Attempts:     []event.Attempt{{Addr: "127.0.0.1:9001", Status: "502", ResponseTime: 161571e-9, ResponseLength: -1}},
		Origin:       schema.OriginGateway, FailureSignal: "OriginStatus=502",
		Extra: [][2]string{
			{attrRouter, "shop-inventory-ingress-shop-example-com-api-inventory@file"},
			{attrProvider, "file"},
		},
	}, out.Access)
}

func TestFullAccessCommon(t *testing.T) {
	kind, out := parse(t, defaultStatuses, textS1aAccess)
	require.Equal(t, gateway.Request, kind)
	assert.True(t, out.Keep)
	assert.Equal(t, "502", string(out.Key))
	assert.True(t, time.Date(2026, 11, 25, 10, 9, 25, 0, time.UTC).Equal(out.Access.Time), "time %v", out.Access.Time)
	out.Access.Time = time.Time{}
	assert.Equal(t, event.Access{
		Status: 502, Method: "GET", Path: "/api/inventory/items/SKU-13512", Protocol: "1.1",
		RequestLine: "GET /api/inventory/items/SKU-13512 HTTP/1.1", Client: "198.51.100.23",
		BodyBytes: 11, RequestLength: -1, Duration: 0,
		Attempts: []event.Attempt{{Addr: "127.0.0.1:9001", Status: "-", ResponseTime: -1, ResponseLength: -1}},
		Origin:   schema.OriginGateway,
		Extra: [][2]string{
			{attrRouter, "shop-inventory-ingress-shop-example-com-api-inventory@file"},
			{attrProvider, "file"},
		},
	}, out.Access)
}

func TestParse(t *testing.T) {
	type want struct {
		kind     gateway.Kind
		keep     bool
		key      string
		status   int
		origin   string
		upstream string // UpstreamName
		addr     string // the attempt's address; "" for none
		errKind  string // the line's own error (Errors[0]) or the Failure's
		errPeer  string
		errText  string // a part of the error message
	}
	tests := []struct {
		name    string
		watched func(int) bool
		lines   []string // earlier lines set the parser's state; the last is checked
		want    want
	}{
		{"S1a proxy error: dial refused", defaultStatuses, []string{jsonS1aError},
			want{kind: gateway.Failure, key: "502", errKind: schema.ErrConnectRefused, errPeer: "127.0.0.1:9001", errText: "dial tcp 127.0.0.1:9001: connect: connection refused"}},
		{"S1b retry notice is general log", defaultStatuses, []string{jsonS1bRetry}, want{kind: gateway.Other}},
		{"S1b retried 200 (RetryAttempts 0) is uninteresting", defaultStatuses, []string{jsonS1aError, jsonS1bRetry, jsonS1bAccess}, want{kind: gateway.Uninteresting}},
		{"S2a EOF names no peer", defaultStatuses, []string{jsonS2aError},
			want{kind: gateway.Failure, key: "502", errKind: schema.ErrPrematureClose, errText: "(EOF)"}},
		{"S2b reset names the peer after ->", defaultStatuses, []string{jsonS2bError},
			want{kind: gateway.Failure, key: "502", errKind: schema.ErrConnectionReset, errPeer: "127.0.0.1:9011"}},
		{"S2c body-copy error is remembered, not emitted", defaultStatuses, []string{jsonS2cBodyCopy}, want{kind: gateway.Other}},
		{"S2c 200 cut mid-body (OriginStatus 0) states its failure", defaultStatuses, []string{jsonS2cBodyCopy, jsonS2cAccess},
			want{kind: gateway.Request, keep: true, status: 200, origin: schema.OriginUpstream, upstream: "shop-assets-8080", addr: "127.0.0.1:9016",
				errKind: schema.ErrPrematureClose, errPeer: "127.0.0.1:9016", errText: "read error during body copy: unexpected EOF"}},
		{"S2c cut without the DEBUG line: kind unknown", defaultStatuses, []string{jsonS2cAccess},
			want{kind: gateway.Request, keep: true, status: 200, origin: schema.OriginUpstream, upstream: "shop-assets-8080", addr: "127.0.0.1:9016",
				errKind: schema.ErrOther, errPeer: "127.0.0.1:9016", errText: "OriginStatus 0"}},
		{"S2c a body-copy error is used once", defaultStatuses, []string{jsonS2cBodyCopy, jsonS2cAccess, jsonS2cRecovery, jsonS2cAccess},
			want{kind: gateway.Request, keep: true, status: 200, origin: schema.OriginUpstream, upstream: "shop-assets-8080", addr: "127.0.0.1:9016", errKind: schema.ErrOther}},
		{"S2c a stale body-copy error is not used", defaultStatuses, []string{strings.Replace(jsonS2cBodyCopy, "10:06:53", "10:06:40", 1), jsonS3eAccess},
			want{kind: gateway.Request, keep: true, status: 200, origin: schema.OriginUpstream, upstream: "shop-stream-8080", addr: "127.0.0.1:9020", errKind: schema.ErrOther}},
		{"S2c recovery notice is general log", defaultStatuses, []string{jsonS2cRecovery}, want{kind: gateway.Other}},
		{"S3a trap: malformed response is a 500, unwatched by default", defaultStatuses, []string{jsonS3aError}, want{kind: gateway.Other}},
		{"S3a malformed HTTP response with 500 watched", with500, []string{jsonS3aError},
			want{kind: gateway.Failure, key: "500", errKind: schema.ErrProtocol, errText: `malformed HTTP response "\x15\x03\x01\x00\x02\x02"`}},
		{"S3b malformed MIME header", with500, []string{jsonS3bError}, want{kind: gateway.Failure, key: "500", errKind: schema.ErrInvalidHeader}},
		{"S3d malformed status code", with500, []string{jsonS3dError}, want{kind: gateway.Failure, key: "500", errKind: schema.ErrProtocol}},
		{"S3e invalid chunk length cuts a 200", defaultStatuses, []string{jsonS3eBodyCopy, jsonS3eAccess},
			want{kind: gateway.Request, keep: true, status: 200, origin: schema.OriginUpstream, upstream: "shop-stream-8080", addr: "127.0.0.1:9020", errKind: schema.ErrInvalidChunked}},
		{"S4a response header timeout", defaultStatuses, []string{jsonS4aError}, want{kind: gateway.Failure, key: "504", errKind: schema.ErrReadTimeout}},
		{"S4a 504 access line", defaultStatuses, []string{jsonS4aAccess},
			want{kind: gateway.Request, keep: true, key: "504", status: 504, origin: schema.OriginGateway, upstream: "shop-reports-8080", addr: "127.0.0.1:9015"}},
		{"S5 dial i/o timeout is a connect timeout", defaultStatuses, []string{jsonS5Error},
			want{kind: gateway.Failure, key: "504", errKind: schema.ErrConnectTimeout, errPeer: "127.0.0.1:9017"}},
		{"S6b TLS expired at ERROR level", with500, []string{jsonS6bError}, want{kind: gateway.Failure, key: "500", errKind: schema.ErrTLSCertificate}},
		{"S6b trap: Traefik answers TLS failures with 500", with500, []string{jsonS6bAccess},
			want{kind: gateway.Request, keep: true, key: "500", status: 500, origin: schema.OriginGateway, upstream: "shop-billing-https", addr: "127.0.0.1:9444"}},
		{"S6b 500 unwatched by default", defaultStatuses, []string{jsonS6bAccess}, want{kind: gateway.Uninteresting}},
		{"S6d TLS name mismatch", with500, []string{jsonS6dError}, want{kind: gateway.Failure, key: "500", errKind: schema.ErrTLSCertificate}},
		{"S6e TLS to plain HTTP", with500, []string{jsonS6eError}, want{kind: gateway.Failure, key: "500", errKind: schema.ErrTLSHandshake}},
		{"S6b text ERR line, colourised", with500, []string{textS6bError},
			want{kind: gateway.Failure, key: "500", errKind: schema.ErrTLSCertificate, errText: "certificate has expired"}},
		{"S6b text ERR line without colours", with500, []string{stripped(textS6bError)}, want{kind: gateway.Failure, key: "500", errKind: schema.ErrTLSCertificate}},
		{"S6b text 500 access line", with500, []string{textS6bAccess},
			want{kind: gateway.Request, keep: true, key: "500", status: 500, origin: schema.OriginGateway, addr: "127.0.0.1:9444"}},
		{"S7 crashed endpoint", defaultStatuses, []string{jsonS7Access},
			want{kind: gateway.Request, keep: true, key: "502", status: 502, origin: schema.OriginGateway, upstream: "shop-catalog-8080", addr: "127.0.0.1:9021"}},
		{"S8 app's own 502 gets no join key", defaultStatuses, []string{jsonS8App502},
			want{kind: gateway.Request, keep: true, status: 502, origin: schema.OriginUpstream, upstream: "shop-checkout-8080", addr: "127.0.0.1:9002"}},
		{"S8 app's own 500", with500, []string{jsonS8App500},
			want{kind: gateway.Request, keep: true, status: 500, origin: schema.OriginUpstream, upstream: "finance-ledger-8080", addr: "127.0.0.1:9003"}},
		{"S8 text app 502 (body 82 bytes)", defaultStatuses, []string{textS8App502},
			want{kind: gateway.Request, keep: true, status: 502, origin: schema.OriginUpstream, addr: "127.0.0.1:9002"}},
		{"S9a no available server (no Service* keys)", defaultStatuses, []string{jsonS9aAccess},
			want{kind: gateway.Request, keep: true, status: 503, origin: schema.OriginGateway, errKind: schema.ErrNoLiveUpstreams, errText: "no available server"}},
		{"S9a text: ServiceURL \"-\"", defaultStatuses, []string{textS9aAccess},
			want{kind: gateway.Request, keep: true, status: 503, origin: schema.OriginGateway, errKind: schema.ErrNoLiveUpstreams}},
		{"S9a 503 unwatched", statusSet(502), []string{jsonS9aAccess}, want{kind: gateway.Uninteresting}},
		{"S9b health-check warning is general log", defaultStatuses, []string{jsonS9bHealth}, want{kind: gateway.Other}},
		{"S9b text health-check warning", defaultStatuses, []string{textS9bHealth}, want{kind: gateway.Other}},
		{"S11 client abort unwatched", defaultStatuses, []string{jsonS11Access}, want{kind: gateway.Uninteresting}},
		{"S11 its error line unwatched", defaultStatuses, []string{jsonS11Error}, want{kind: gateway.Other}},
		{"S11 client abort watched", with499And404, []string{jsonS11Access},
			want{kind: gateway.Request, keep: true, key: "499", status: 499, origin: schema.OriginClient, upstream: "shop-reports-8080", addr: "127.0.0.1:9015"}},
		{"S11 context canceled watched", with499And404, []string{jsonS11Error}, want{kind: gateway.Failure, key: "499", errKind: schema.ErrOther, errText: "client went away"}},
		{"S12 unknown host: no router, local", with499And404, []string{jsonS12NoRouter},
			want{kind: gateway.Request, keep: true, status: 404, origin: schema.OriginLocal}},
		{"S12 odd characters, unwatched", defaultStatuses, []string{jsonS12Odd}, want{kind: gateway.Uninteresting}},
		{"S12 text odd characters (raw quote in path)", statusSet(200), []string{textS12Odd},
			want{kind: gateway.Request, keep: true, status: 200, origin: schema.OriginUpstream, addr: "127.0.0.1:9002"}},
		{"S10 HTTP/2 over websecure", statusSet(200), []string{jsonS10HTTP2},
			want{kind: gateway.Request, keep: true, status: 200, origin: schema.OriginUpstream, upstream: "shop-checkout-8080", addr: "127.0.0.1:9002"}},
		{"banner continuation line", defaultStatuses, []string{textBannerCont}, want{kind: gateway.Other}},
		{"banner first line", defaultStatuses, []string{textBannerStart}, want{kind: gateway.Other}},
		{"empty", defaultStatuses, []string{""}, want{kind: gateway.Other}},
		{"common line cut before the tail", defaultStatuses, []string{textS1aAccess[:len(textS1aAccess)-60]}, want{kind: gateway.Malformed}},
		{"common line without its request", defaultStatuses, []string{`10.0.0.1 - - [25/Nov/2026:10:09:25 +0000] "GET`}, want{kind: gateway.Malformed}},
		{"json access line cut short", defaultStatuses, []string{jsonS1aAccess[:400]}, want{kind: gateway.Malformed}},
		{"json status not a number", defaultStatuses, []string{`{"DownstreamStatus":"502"}`}, want{kind: gateway.Malformed}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			kind, out := parse(t, tt.watched, tt.lines...)
			w := tt.want
			require.Equal(t, w.kind, kind)
			assert.Equal(t, w.key, string(out.Key), "key")
			switch kind {
			case gateway.Failure:
				e := out.Error
				assert.Equal(t, event.LevelError, e.Level)
				assert.Equal(t, w.errKind, e.Kind)
				assert.Equal(t, w.errPeer, e.Peer())
				assert.Contains(t, e.Message, w.errText)
				assert.Contains(t, e.Message, "Traefik answered ")
				assert.False(t, e.Time.IsZero(), "time")
			case gateway.Request:
				a := &out.Access
				assert.Equal(t, w.keep, out.Keep, "keep")
				assert.Equal(t, w.status, a.Status)
				assert.Equal(t, w.origin, a.Origin)
				assert.Equal(t, w.upstream, a.UpstreamName)
				assert.Equal(t, event.Service{}, a.Service, "Traefik's service names are ambiguous")
				if w.addr == "" {
					assert.Empty(t, a.Attempts)
				} else if assert.Len(t, a.Attempts, 1) {
					assert.Equal(t, w.addr, a.Attempts[0].Addr)
				}
				if w.errKind == "" {
					assert.Empty(t, out.Errors)
					break
				}
				if assert.Len(t, out.Errors, 1) {
					e := out.Errors[0]
					assert.Equal(t, w.errKind, e.Kind)
					assert.Equal(t, event.LevelError, e.Level)
					assert.Contains(t, e.Message, w.errText)
					assert.Equal(t, a.RequestLine, e.Request)
					assert.Equal(t, a.Client, e.Client)
					if w.errPeer != "" {
						assert.Equal(t, w.errPeer, e.Peer())
					}
				}
			}
		})
	}
}

func stripped(s string) string { return string(stripANSI(nil, []byte(s))) }

// TestJoinKeyAgrees pins that an error line and the access line Traefik
// wrote after it build the same key, for every format pairing.
func TestJoinKeyAgrees(t *testing.T) {
	for _, pair := range [][2]string{
		{jsonS1aError, jsonS1aAccess},
		{jsonS4aError, jsonS4aAccess},
		{jsonS6bError, jsonS6bAccess},
		{textS6bError, textS6bAccess},
		{jsonS11Error, jsonS11Access},
	} {
		watched := statusSet(499, 500, 502, 503, 504)
		_, e := parse(t, watched, pair[0])
		_, a := parse(t, watched, pair[1])
		assert.NotEmpty(t, e.Key)
		assert.Equal(t, string(e.Key), string(a.Key), "%.60s", pair[1])
	}
}

func TestAccessDetails(t *testing.T) {
	_, out := parse(t, statusSet(200), jsonS12Odd)
	a := &out.Access
	assert.Equal(t, "/api/checkout/search", a.Path)
	assert.Equal(t, `q=%22lamp%22&name=caf%C3%A9&raw="q"`, a.Query)
	assert.Equal(t, `GET /api/checkout/search?q=%22lamp%22&name=caf%C3%A9&raw="q" HTTP/1.1`, a.RequestLine)

	_, out = parse(t, statusSet(200), textS12Odd)
	a = &out.Access
	assert.Equal(t, `q=%22lamp%22&name=caf%C3%A9&raw="q"`, a.Query)
	assert.Equal(t, int64(517), a.BodyBytes)
	assert.InDelta(t, 0.014, a.Duration, 1e-9)

	_, out = parse(t, statusSet(200), jsonS10HTTP2)
	assert.Equal(t, "2", out.Access.Protocol)
	assert.Equal(t, "shop-checkout-ingress-shop-example-com-api-checkout-tls@file", extra(&out.Access, attrRouter))

	_, out = parse(t, defaultStatuses, jsonS9aAccess)
	assert.Equal(t, "region=eu-1", out.Access.Query)
	assert.Equal(t, "OriginStatus=0", out.Access.FailureSignal)
	assert.Equal(t, "file", extra(&out.Access, attrProvider), "provider from the router when no service is logged")
	assert.Equal(t, "", out.Access.UpstreamName)
}

func TestProviders(t *testing.T) {
	for _, tc := range []struct{ in, name, provider string }{
		{"shop-cart-8080@kubernetes", "shop-cart-8080", "kubernetes"},
		{"shop-cart-web@kubernetescrd", "shop-cart-web", "kubernetescrd"},
		{"api@internal", "api", "internal"},
		{"plain", "plain", ""},
	} {
		n, p := splitProvider(tc.in)
		assert.Equal(t, tc.name, n)
		assert.Equal(t, tc.provider, p)
	}
}

func TestClassify(t *testing.T) {
	for _, tc := range []struct{ text, kind, peer string }{
		{"dial tcp [fd00::1]:8080: connect: connection refused", schema.ErrConnectRefused, "[fd00::1]:8080"},
		{"dial tcp 10.0.0.7:80: connect: no route to host", schema.ErrHostUnreachable, "10.0.0.7:80"},
		{"read tcp 10.0.0.2:4711->10.0.0.7:80: i/o timeout", schema.ErrReadTimeout, "10.0.0.7:80"},
		{"unexpected EOF", schema.ErrPrematureClose, ""},
		{"something new", schema.ErrOther, ""},
	} {
		kind, _, peer := classify(tc.text)
		assert.Equal(t, tc.kind, kind, tc.text)
		assert.Equal(t, tc.peer, peer, tc.text)
	}
}

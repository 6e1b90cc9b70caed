package haproxy

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/k8s502/otelcol-k8s502/internal/schema"
	"github.com/k8s502/otelcol-k8s502/receiver/k8s502receiver/internal/event"
	"github.com/k8s502/otelcol-k8s502/receiver/k8s502receiver/internal/gateway"
)

// Lines copied from the fixtures' stdout.log / stderr.log.
const (
	techDownRefused  = `Server shop_svc_inventory_8080/SRV_1 is DOWN, reason: Layer4 connection problem, info: "Connection refused", check duration: 0ms. 0 active and 0 backup servers left. 0 sessions active, 0 requeued, 0 remaining in queue.`
	techDownTLS      = `Server shop_svc_payments_8443/SRV_1 is DOWN, reason: Layer6 invalid response, info: "SSL handshake failure", check duration: 2ms. 0 active and 0 backup servers left. 0 sessions active, 0 requeued, 0 remaining in queue.`
	techStderrDown   = `[WARNING]  (23641) : Server shop_svc_payments_8443/SRV_1 is DOWN, reason: Layer6 invalid response, info: "SSL handshake failure", check duration: 2ms. 0 active and 0 backup servers left. 0 sessions active, 0 requeued, 0 remaining in queue.`
	techCatalogDown  = `Server shop_svc_catalog_8080/SRV_1 is DOWN, reason: Layer4 connection problem, info: "Connection refused", check duration: 0ms. 1 active and 0 backup servers left. 0 sessions active, 0 requeued, 0 remaining in queue.`
	techCatalogUp    = `Server shop_svc_catalog_8080/SRV_1 is UP, reason: Layer4 check passed, check duration: 0ms. 2 active and 0 backup servers online. 0 sessions requeued, 0 total in queue.`
	techNoServer     = `backend shop_svc_inventory_8080 has no server available!`
	techStopped      = `Proxy shop_svc_inventory_8080 stopped (cumulated conns: FE: 0, BE: 8).`
	techNosrvInv     = `198.51.100.23:56558 [25/Nov/2026:09:58:05.755] http shop_svc_inventory_8080/<NOSRV> 0/-1/-1/-1/0 503 217 - - SC-- 2/2/0/0/0 0/0 "GET shop.example.com/api/inventory/items/SKU-14429 HTTP/1.1"`
	techNosrvPay     = `203.0.113.7:39726 [25/Nov/2026:09:58:54.205] http shop_svc_payments_8443/<NOSRV> 0/-1/-1/-1/0 503 217 - - SC-- 1/1/0/0/0 0/0 "POST shop.example.com/api/payments/charge HTTP/1.1"`
	techNosrvPromo   = `10.12.7.33:60970 [25/Nov/2026:09:59:25.107] http shop_svc_promotions_8080/<NOSRV> 0/-1/-1/-1/0 503 217 - - SC-- 1/1/0/0/0 0/0 "GET shop.example.com/api/promotions/active HTTP/1.1"`
	techRefused3     = `192.0.2.14:44036 [25/Nov/2026:09:59:27.106] http shop_svc_inventory_8080/SRV_1 0/0/-1/-1/3004 503 217 - - SC-- 4/4/1/0/3 0/0 "GET shop.example.com/api/inventory/items/SKU-09759 HTTP/1.1"`
	techPayRefused   = `198.51.100.101:56582 [25/Nov/2026:09:58:05.757] http shop_svc_payments_8443/SRV_1 0/0/-1/-1/3006 503 217 - - SC-- 2/2/0/0/3 0/0 "POST shop.example.com/api/payments/charge HTTP/1.1"`
	techTLSNoCheck   = `192.0.2.14:39792 [25/Nov/2026:09:58:55.161] http shop_svc_legacy-tls_443/SRV_1 0/0/-1/-1/3011 503 217 - - SC-- 6/6/1/0/3 0/0 "GET shop.example.com/api/legacy-tls/status/09150 HTTP/1.1"`
	techCatalogSC    = `192.0.2.14:41598 [25/Nov/2026:09:59:03.679] http shop_svc_catalog_8080/SRV_1 0/0/-1/-1/3002 503 217 - - SC-- 1/1/0/0/3 0/0 "GET shop.example.com/api/catalog/items/15283 HTTP/1.1"`
	techSH           = `172.20.1.5:56562 [25/Nov/2026:09:58:05.757] http shop_svc_cart_8080/SRV_1 0/0/1/-1/1 502 209 - - SH-- 4/4/0/0/0 0/0 "GET shop.example.com/api/cart/items/31209 HTTP/1.1"`
	techSHReset      = `192.0.2.14:37594 [25/Nov/2026:09:58:39.577] http shop_svc_reviews_8080/SRV_1 0/0/0/-1/2 502 209 - - SH-- 1/1/0/0/0 0/0 "GET shop.example.com/api/reviews/product/22341 HTTP/1.1"`
	techSD           = `198.51.100.101:37718 [25/Nov/2026:09:58:40.395] http shop_svc_assets_8080/SRV_1 0/0/0/3/53 200 4186 - - SD-- 1/1/0/0/0 0/0 "GET shop.example.com/downloads/catalog-15378.pdf HTTP/1.1"`
	techPH           = `198.51.100.23:37790 [25/Nov/2026:09:58:41.163] http shop_svc_recommendations_9090/SRV_1 0/0/0/-1/2 502 209 - - PH-- 1/1/0/0/0 0/0 "GET shop.example.com/api/recommendations/user/07954 HTTP/1.1"`
	techSQ           = `192.0.2.200:38042 [25/Nov/2026:09:58:43.257] http shop_svc_exports-queue_8080/<NOSRV> 0/1000/-1/-1/1000 503 217 - - sQ-- 8/8/2/0/0 0/1 "GET shop.example.com/api/batch/job-16373 HTTP/1.1"`
	techSH504        = `192.0.2.14:37986 [25/Nov/2026:09:58:43.055] http shop_svc_reports_8080/SRV_1 0/0/0/-1/3000 504 198 - - sH-- 6/6/2/2/0 0/0 "GET shop.example.com/api/reports/daily/14581 HTTP/1.1"`
	techClientAbort  = `203.0.113.7:32850 [25/Nov/2026:09:59:25.744] http shop_svc_reports_8080/SRV_1 0/0/0/-1/3001 504 198 - - sH-- 2/2/1/1/0 0/0 "GET shop.example.com/api/reports/monthly/11360 HTTP/1.1"`
	techSDTimeout    = `198.51.100.23:38028 [25/Nov/2026:09:58:43.076] http shop_svc_export_8080/SRV_1 0/0/0/0/3000 200 1073 - - sD-- 3/3/1/1/0 0/0 "GET shop.example.com/api/export/orders-11476.csv HTTP/1.1"`
	techSC503        = `198.51.100.23:38174 [25/Nov/2026:09:58:46.121] http shop_svc_legacy_8080/SRV_1 0/0/-1/-1/8004 503 217 - - sC-- 2/2/1/1/3 0/0 "GET shop.example.com/api/legacy/orders/03353 HTTP/1.1"`
	techLR           = `172.20.1.5:44202 [25/Nov/2026:09:59:30.160] http haproxy-controller_svc_default-local-service_http/<NOSRV> 0/-1/-1/-1/0 404 97 - - LR-- 1/1/0/0/0 0/0 "GET unknown.example.net/ HTTP/1.1"`
	techH2           = `192.0.2.14:50030 [25/Nov/2026:09:58:16.019] https~ shop_svc_checkout_8080/SRV_1 0/0/0/24/24 200 803 - - ---- 1/1/0/0/0 0/0 "GET shop.example.com:18443/api/checkout/cart/16986 HTTP/2.0"`
	techHTTP09       = `10.12.7.33:44228 [25/Nov/2026:09:59:30.244] http shop_svc_inventory_8080/<NOSRV> 0/-1/-1/-1/0 503 217 - - SC-- 1/1/0/0/0 0/0 "GET shop.example.com/api/inventory/search HTTP/0.9"`
	ingNosrvRedisp   = `127.0.0.1:34910 [25/Nov/2026:09:59:53.758] _front_http shop_payments_8443/<NOSRV> 0/0/-1/-1/3005 503 217 - - SC-- 2/2/0/0/+3 0/0 "POST /api/payments/charge HTTP/1.1"`
	ingDownTLS       = `Server shop_payments_8443/srv001 is DOWN, reason: Layer6 invalid response, info: "SSL handshake failure", check duration: 2ms. 0 active and 0 backup servers left. 0 sessions active, 0 requeued, 0 remaining in queue.`
	ingTaxRedisp     = `127.0.0.1:35592 [25/Nov/2026:10:00:05.976] _front_http shop_tax_8080/srv002 0/0/-1/-1/0 503 217 - - SC-- 1/1/0/0/+3 0/0 "GET /api/tax/calc/17846 HTTP/1.1"`
	ingRecovered     = `127.0.0.1:52862 [25/Nov/2026:10:00:05.204] _front_http shop_orders_8080/srv002 0/0/1/12/13 200 164 - - ---- 1/1/0/0/+1 0/0 "GET /api/orders/27109 HTTP/1.1"`
	ingApp502        = `127.0.0.1:48560 [25/Nov/2026:10:00:35.561] _front_http shop_checkout_8080/srv001 0/0/0/2/2 502 222 - - ---- 1/1/0/0/0 0/0 "GET /app502 HTTP/1.1"`
	ingH2            = `127.0.0.1:54816 [25/Nov/2026:10:00:04.044] _front_https~ shop_checkout_8080/srv001 0/0/0/24/24 200 803 - - ---- 1/1/0/0/0 0/0 "GET https://shop.example.com:18443/api/checkout/cart/05194 HTTP/2.0"`
	ingOdd           = `127.0.0.1:44034 [25/Nov/2026:10:00:52.087] _front_http shop_checkout_8080/srv001 0/0/0/17/17 200 429 - - ---- 1/1/0/0/0 0/0 "GET /api/checkout/search?q=%22lamp%22&name=caf%C3%A9&raw=#22q#22 HTTP/1.1"`
	ingDefaultLR     = `127.0.0.1:44010 [25/Nov/2026:10:00:51.990] _front_http _default_backend/<NOSRV> 0/-1/-1/-1/0 404 126 - - LR-- 1/1/0/0/0 0/0 "GET / HTTP/1.1"`
	stderrNotice     = `[NOTICE]   (23637) : New worker (23641) forked`
	stderrWorkerExit = `[WARNING]  (23637) : Former worker (23641) exited with code 0 (Exit)`
)

func all(int) bool { return true }

// parse runs lines through one parser (the state lines first) and returns
// what the last one yields.
func parse(t *testing.T, watch func(int) bool, lines ...string) (gateway.Kind, *gateway.Parsed) {
	t.Helper()
	f, err := Compile("")
	require.NoError(t, err)
	p := f.NewParser()
	var out gateway.Parsed
	var k gateway.Kind
	for _, l := range lines {
		out.Reset()
		k = p.Parse([]byte(l), l[0] == '[', watch, &out)
	}
	return k, &out
}

func TestTerminationStates(t *testing.T) {
	tests := []struct {
		name     string
		lines    []string
		kind     string // error kind; "" = no error
		origin   string
		status   string // last attempt's status
		attempts int
		msg      []string // the message must say these
		upstream string   // the failed peer the error names
	}{
		{"S1a NOSRV after Layer4 DOWN", []string{techDownRefused, techNoServer, techNosrvInv}, schema.ErrConnectRefused, schema.OriginGateway, "", 0,
			[]string{`"SC--"`, "no server", "shop_svc_inventory_8080", "SRV_1 DOWN", `"Connection refused"`}, "SRV_1"},
		{"S1a NOSRV cleared by reload", []string{techDownRefused, techStopped, techNosrvInv}, schema.ErrNoLiveUpstreams, schema.OriginGateway, "", 0,
			[]string{"no endpoints"}, ""},
		{"S1a E1 SC with 3 retries on a server later marked DOWN", []string{techDownRefused, techRefused3}, schema.ErrConnectRefused, schema.OriginGateway, "-", 4,
			[]string{"after 3 retries", "Layer4 connection problem"}, "SRV_1"},
		{"S6a E0 SC while the check already said TLS", []string{techDownTLS, techPayRefused}, schema.ErrTLSHandshake, schema.OriginGateway, "-", 4,
			[]string{"TLS", `"SSL handshake failure"`}, "SRV_1"},
		{"S6a NOSRV after Layer6 DOWN", []string{techDownTLS, techNosrvPay}, schema.ErrTLSHandshake, schema.OriginGateway, "", 0,
			[]string{"Layer6 invalid response", `"SSL handshake failure"`}, "SRV_1"},
		{"S6a DOWN from the stderr copy", []string{techStderrDown, techNosrvPay}, schema.ErrTLSHandshake, schema.OriginGateway, "", 0,
			[]string{`"SSL handshake failure"`}, "SRV_1"},
		{"S6a E0 haproxy-ingress NOSRV after redispatch", []string{ingDownTLS, ingNosrvRedisp}, schema.ErrTLSHandshake, schema.OriginGateway, "", 3,
			[]string{"after 3 retries", "redispatched to another server", "no server was usable any more"}, "srv001"},
		{"S6c TLS without checks looks like a refused connect", []string{techTLSNoCheck}, schema.ErrConnectRefused, schema.OriginGateway, "-", 4,
			[]string{"TLS handshake", "after 3 retries"}, "SRV_1"},
		{"S1c haproxy-ingress SC +3 redispatched", []string{ingTaxRedisp}, schema.ErrConnectRefused, schema.OriginGateway, "-", 4,
			[]string{"redispatched to server srv002"}, "srv002"},
		{"S1b haproxy-ingress 200 ---- +1 recovered", []string{ingRecovered}, schema.ErrConnectRefused, schema.OriginUpstream, "200", 2,
			[]string{`"----" after 1 retry`, "server srv002", "retry was answered"}, ""},
		{"S7 DOWN then UP forgets the reason", []string{techCatalogDown, techCatalogUp, techCatalogSC}, schema.ErrConnectRefused, schema.OriginGateway, "-", 4,
			[]string{"refused or reset"}, "SRV_1"},
		{"S9 NOSRV without a DOWN line", []string{techNosrvPromo}, schema.ErrNoLiveUpstreams, schema.OriginGateway, "", 0,
			[]string{"shop_svc_promotions_8080", "no endpoints"}, ""},
		{"S2a SH Tr=-1", []string{techSH}, schema.ErrPrematureClose, schema.OriginGateway, "-", 1,
			[]string{`"SH--"`, "before sending complete response headers"}, "SRV_1"},
		{"S2b SH after RST", []string{techSHReset}, schema.ErrPrematureClose, schema.OriginGateway, "-", 1, nil, "SRV_1"},
		{"S2c 200 SD cut body", []string{techSD}, schema.ErrPrematureClose, schema.OriginUpstream, "200", 1,
			[]string{"truncated"}, "SRV_1"},
		{"S3 PH invalid response", []string{techPH}, schema.ErrProtocol, schema.OriginGateway, "-", 1,
			[]string{"invalid HTTP"}, "SRV_1"},
		{"S4a sH 504", []string{techSH504}, schema.ErrReadTimeout, schema.OriginGateway, "-", 1,
			[]string{"timeout server"}, "SRV_1"},
		{"S4b 200 sD stalled body", []string{techSDTimeout}, schema.ErrReadTimeout, schema.OriginUpstream, "200", 1,
			[]string{"truncated"}, "SRV_1"},
		{"S4c sQ queue timeout", []string{techSQ}, schema.ErrQueueTimeout, schema.OriginGateway, "", 0,
			[]string{"timeout queue"}, ""},
		{"S5 trap: connect timeout is a 503", []string{techSC503}, schema.ErrConnectTimeout, schema.OriginGateway, "-", 4,
			[]string{"timeout connect", "503, not 504", "after 3 retries"}, "SRV_1"},
		{"S11 trap: client abort logs 504 sH", []string{techClientAbort}, schema.ErrReadTimeout, schema.OriginGateway, "-", 1,
			[]string{"abortonclose"}, "SRV_1"},
		{"S8 app 502 ----", []string{ingApp502}, "", schema.OriginUpstream, "502", 1, nil, ""},
		{"S12 HTTP/0.9 NOSRV", []string{techDownRefused, techHTTP09}, schema.ErrConnectRefused, schema.OriginGateway, "", 0, nil, "SRV_1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			k, out := parse(t, watched, tt.lines...)
			require.Equal(t, gateway.Request, k)
			a := out.Access
			assert.True(t, out.Keep)
			assert.Equal(t, tt.origin, a.Origin)
			require.Len(t, a.Attempts, tt.attempts)
			if tt.attempts > 0 && tt.status != "" {
				assert.Equal(t, tt.status, a.Attempts[tt.attempts-1].Status)
			}
			if tt.kind == "" {
				assert.Empty(t, out.Errors)
				return
			}
			require.Len(t, out.Errors, 1)
			e := out.Errors[0]
			assert.Equal(t, tt.kind, e.Kind)
			assert.Equal(t, event.LevelError, e.Level)
			assert.Equal(t, a.RequestLine, e.Request)
			assert.Equal(t, a.Client, e.Client)
			assert.Equal(t, tt.upstream, e.Upstream)
			for _, m := range tt.msg {
				assert.Contains(t, e.Message, m)
			}
		})
	}
}

func TestAccessFields(t *testing.T) {
	tests := []struct {
		name string
		line string
		want event.Access
	}{
		{"haproxytech base without query", techSQ, event.Access{
			Time: time.Date(2026, 11, 25, 9, 58, 43, 257e6, time.UTC), Status: 503, Method: "GET", Path: "/api/batch/job-16373",
			Protocol: "1.1", RequestLine: "GET shop.example.com/api/batch/job-16373 HTTP/1.1", Client: "192.0.2.200", Host: "shop.example.com",
			BodyBytes: 217, RequestLength: -1, Duration: 1, UpstreamName: "shop_svc_exports-queue_8080",
			Service: event.Service{Namespace: "shop", Name: "exports-queue", Port: "8080"}, Origin: schema.OriginGateway, FailureSignal: "sQ--",
			Extra: [][2]string{{"k8s502.haproxy.frontend", "http"}},
		}},
		{"haproxytech h2 base with port, port-name backend", techH2, event.Access{
			Time: time.Date(2026, 11, 25, 9, 58, 16, 19e6, time.UTC), Status: 200, Method: "GET", Path: "/api/checkout/cart/16986",
			Protocol: "2", RequestLine: "GET shop.example.com:18443/api/checkout/cart/16986 HTTP/2.0", Client: "192.0.2.14", Host: "shop.example.com",
			BodyBytes: 803, RequestLength: -1, Duration: 0.024, UpstreamName: "shop_svc_checkout_8080",
			Service: event.Service{Namespace: "shop", Name: "checkout", Port: "8080"}, Origin: schema.OriginUpstream, FailureSignal: "----",
			Attempts: []event.Attempt{{Addr: "SRV_1", Status: "200", ResponseTime: 0.024, ResponseLength: 803}},
			Extra:    [][2]string{{"k8s502.haproxy.frontend", "https~"}},
		}},
		{"haproxy-ingress h2 absolute URI", ingH2, event.Access{
			Time: time.Date(2026, 11, 25, 10, 0, 4, 44e6, time.UTC), Status: 200, Method: "GET", Path: "/api/checkout/cart/05194",
			Protocol: "2", RequestLine: "GET https://shop.example.com:18443/api/checkout/cart/05194 HTTP/2.0", Client: "127.0.0.1", Host: "shop.example.com",
			BodyBytes: 803, RequestLength: -1, Duration: 0.024, UpstreamName: "shop_checkout_8080",
			Service: event.Service{Namespace: "shop", Name: "checkout", Port: "8080"}, Origin: schema.OriginUpstream, FailureSignal: "----",
			Attempts: []event.Attempt{{Addr: "srv001", Status: "200", ResponseTime: 0.024, ResponseLength: 803}},
			Extra:    [][2]string{{"k8s502.haproxy.frontend", "_front_https~"}},
		}},
		{"S12 quote logged as #22, query split", ingOdd, event.Access{
			Time: time.Date(2026, 11, 25, 10, 0, 52, 87e6, time.UTC), Status: 200, Method: "GET", Path: "/api/checkout/search",
			Query: "q=%22lamp%22&name=caf%C3%A9&raw=#22q#22", Protocol: "1.1", Client: "127.0.0.1",
			RequestLine: "GET /api/checkout/search?q=%22lamp%22&name=caf%C3%A9&raw=#22q#22 HTTP/1.1",
			BodyBytes:   429, RequestLength: -1, Duration: 0.017, UpstreamName: "shop_checkout_8080",
			Service: event.Service{Namespace: "shop", Name: "checkout", Port: "8080"}, Origin: schema.OriginUpstream, FailureSignal: "----",
			Attempts: []event.Attempt{{Addr: "srv001", Status: "200", ResponseTime: 0.017, ResponseLength: 429}},
			Extra:    [][2]string{{"k8s502.haproxy.frontend", "_front_http"}},
		}},
		{"S12 haproxytech default backend LR: local, no Service", techLR, event.Access{
			Time: time.Date(2026, 11, 25, 9, 59, 30, 160e6, time.UTC), Status: 404, Method: "GET", Path: "/",
			Protocol: "1.1", RequestLine: "GET unknown.example.net/ HTTP/1.1", Client: "172.20.1.5", Host: "unknown.example.net",
			BodyBytes: 97, RequestLength: -1, Duration: 0, UpstreamName: "haproxy-controller_svc_default-local-service_http",
			Origin: schema.OriginLocal, FailureSignal: "LR--", Extra: [][2]string{{"k8s502.haproxy.frontend", "http"}},
		}},
		{"S12 haproxy-ingress _default_backend: no Service", ingDefaultLR, event.Access{
			Time: time.Date(2026, 11, 25, 10, 0, 51, 990e6, time.UTC), Status: 404, Method: "GET", Path: "/",
			Protocol: "1.1", RequestLine: "GET / HTTP/1.1", Client: "127.0.0.1",
			BodyBytes: 126, RequestLength: -1, Duration: 0, UpstreamName: "_default_backend",
			Origin: schema.OriginLocal, FailureSignal: "LR--", Extra: [][2]string{{"k8s502.haproxy.frontend", "_front_http"}},
		}},
		{"S12 haproxytech HTTP/0.9 from the 1 KiB capture", techHTTP09, event.Access{
			Time: time.Date(2026, 11, 25, 9, 59, 30, 244e6, time.UTC), Status: 503, Method: "GET", Path: "/api/inventory/search",
			Protocol: "0.9", RequestLine: "GET shop.example.com/api/inventory/search HTTP/0.9", Client: "10.12.7.33", Host: "shop.example.com",
			BodyBytes: 217, RequestLength: -1, Duration: 0, UpstreamName: "shop_svc_inventory_8080",
			Service: event.Service{Namespace: "shop", Name: "inventory", Port: "8080"}, Origin: schema.OriginGateway, FailureSignal: "SC--",
			Extra: [][2]string{{"k8s502.haproxy.frontend", "http"}},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			k, out := parse(t, all, tt.line)
			require.Equal(t, gateway.Request, k)
			got := out.Access
			if len(got.Attempts) == 0 {
				got.Attempts = nil
			}
			assert.Equal(t, tt.want, got)
		})
	}
}

// The long-URI line of haproxy-ingress was cut at 1024 bytes, inside the
// request and without its closing quote: everything before it is intact.
func TestTruncatedRequest(t *testing.T) {
	lines := readLines(t, fixtures+"/haproxy-ingress/stdout.log")
	var cut string
	for _, l := range lines {
		if len(l) >= 1023 && l[len(l)-1] != '"' && containsStr(l, "shop_inventory_8080/<NOSRV>") {
			cut = l
		}
	}
	require.NotEmpty(t, cut)
	k, out := parse(t, watched, cut)
	require.Equal(t, gateway.Request, k)
	a := out.Access
	assert.Equal(t, 503, a.Status)
	assert.Equal(t, "/api/inventory/search", a.Path)
	assert.Equal(t, "", a.Protocol)
	assert.Regexp(t, `^q=a+$`, a.Query)
	assert.Equal(t, cut[len(cut)-len(a.RequestLine):], a.RequestLine)
	assert.Equal(t, schema.ErrNoLiveUpstreams, out.Errors[0].Kind)
}

func containsStr(s, sub string) bool {
	for i := 0; i+len(sub) <= len(s); i++ {
		if s[i:i+len(sub)] == sub {
			return true
		}
	}
	return false
}

func TestNotTraffic(t *testing.T) {
	for _, l := range []string{techDownRefused, techCatalogUp, techNoServer, techStopped, techStderrDown, stderrNotice, stderrWorkerExit,
		`Proxy <HTTPCLIENT> stopped (cumulated conns: FE: 0, BE: 0).`, `2026/11/25 09:58:05 INFO controller.go:123 reload`, ``} {
		f, err := Compile("")
		require.NoError(t, err)
		var out gateway.Parsed
		assert.Equal(t, gateway.Other, f.NewParser().Parse([]byte(l), false, watched, &out), l)
	}
}

func TestUninterestingAndMalformed(t *testing.T) {
	k, _ := parse(t, watched, techH2)
	assert.Equal(t, gateway.Uninteresting, k, "200 ----")
	k, _ = parse(t, watched, techLR)
	assert.Equal(t, gateway.Uninteresting, k, "404 LR--")
	k, out := parse(t, watched, ingApp502)
	assert.Equal(t, gateway.Request, k, "an app's 502 is watched")
	assert.True(t, out.Keep)
	for _, l := range []string{
		`192.0.2.14:50030 [25/Nov/2026:09:58:16.019] https~ shop_svc_checkout_8080/SRV_1 0/0/0/24/24 2xx 803 - - ---- 1/1/0/0/0 0/0 "GET / HTTP/2.0"`,
		`192.0.2.14:50030 [25/Nov/2026:09:58:16.019] https~ shop_svc_checkout_8080/SRV_1 0/0/0/24/24 502 803 - - ---- 1/1/0/0/0 0/0 x`,
		`192.0.2.14:50030 [32/Nov/2026:09:58:16.019] https~ shop_svc_checkout_8080/SRV_1 0/0/0/24/24 502 803 - - ---- 1/1/0/0/0 0/0 "GET / HTTP/1.1"`,
		`192.0.2.14:50030 [25/Nov/2026:09:58:16.019] https~ shop_svc_checkout_8080/SRV_1 0/0/x/24/24 502 803 - - ---- 1/1/0/0/0 0/0 "GET / HTTP/1.1"`,
		`192.0.2.14:50030 [25/Nov/2026:09:58:16.019] https~`,
	} {
		k, _ := parse(t, watched, l)
		assert.Equal(t, gateway.Malformed, k, l)
	}
}

func TestCompile(t *testing.T) {
	for _, tt := range []struct{ format, err string }{
		{`%ci [%tr] %ST %Xx %foo`, "unknown log-format variables %Xx, %foo"},
		{`%ci [%tr] %b/%s`, "must log the status code (%ST)"},
		{`%ci %ST%B`, "%ST and %B are written with nothing between them"},
		{`%ci %{+X}ST`, "+X flag"},
		{`%ci %ST %{+Q`, "unclosed %{"},
		{`%ci %ST %[base`, "unclosed %["},
		{`%ci %ST 100%`, "not followed by a variable name"},
	} {
		_, err := Compile(tt.format)
		if assert.Error(t, err, tt.format) {
			assert.Contains(t, err.Error(), tt.err)
		}
	}
	for _, s := range []string{"", HTTPLogFormat, HAProxyTechFormat, `%ci %ST %[req.hdr(x-foo)] %%`} {
		_, err := Compile(s)
		assert.NoError(t, err, s)
	}
}

// A user format with the server address, the unique id, the uploaded bytes
// and the Host and User-Agent as sample fetches.
func TestCustomFormat(t *testing.T) {
	f, err := Compile(`%ci:%cp [%t] %ft %b/%s(%si:%sp) %Tw/%Tc/%Tr/%Tt %ST %B %U %tsc %rc %ID "%[req.hdr(host)]" "%[req.fhdr(user-agent)]" %{+Q}r`)
	require.NoError(t, err)
	line := `2001:db8::7:51234 [25/Nov/2026:09:58:05.755] http shop_svc_cart_8080/SRV_1(10.0.0.7:8080) 0/1/-1/5 502 209 512 SH-- 0 abc-123 "shop.example.com:443" "curl/8.1 (x86_64)" "GET /api/cart?x=1 HTTP/1.1"`
	var out gateway.Parsed
	require.Equal(t, gateway.Request, f.NewParser().Parse([]byte(line), false, watched, &out))
	a := out.Access
	assert.Equal(t, "2001:db8::7", a.Client)
	assert.Equal(t, "curl/8.1 (x86_64)", a.UserAgent)
	assert.Equal(t, []event.Attempt{{Addr: "10.0.0.7:8080", Status: "-", ResponseTime: -1, ResponseLength: -1}}, a.Attempts)
	assert.Equal(t, "abc-123", a.RequestID)
	assert.Equal(t, "shop.example.com", a.Host)
	assert.Equal(t, int64(512), a.RequestLength)
	assert.Equal(t, 0.005, a.Duration)
	assert.Equal(t, "/api/cart", a.Path)
	assert.Equal(t, "x=1", a.Query)
	assert.Contains(t, a.Extra, [2]string{"k8s502.haproxy.server", "SRV_1"})
	require.Len(t, out.Errors, 1)
	assert.Equal(t, "10.0.0.7:8080", out.Errors[0].Upstream)
	assert.Equal(t, "10.0.0.7:8080", out.Errors[0].Peer())
}

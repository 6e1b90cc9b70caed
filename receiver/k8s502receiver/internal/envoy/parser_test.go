package envoy

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

func watched(n int) bool { return n == 502 || n == 503 || n == 504 }

func mustCompile(t testing.TB, format string) *Format {
	t.Helper()
	f, err := Compile(format)
	require.NoError(t, err)
	return f
}

func parse(f *Format, line string, w func(int) bool) (gateway.Kind, *gateway.Parsed) {
	p := &gateway.Parsed{}
	return f.NewParser().Parse([]byte(line), false, w, p), p
}

// Lines built from Istio's EnvoyTextLogFormat (the fixture's istio pod).
const (
	istioUF        = `[2026-11-25T10:00:01.000Z] "GET /api/cart/items/42 HTTP/1.1" 503 UF upstream_reset_before_response_started{remote_connection_failure|delayed_connect_error:_Connection_refused} - "delayed_connect_error:_Connection_refused" 0 91 1 - "203.0.113.14" "curl/8.5.0" "is000003-4f1e-4c8a-9d2b-7e3f1a2b3c4d" "shop.example.com" "10.244.1.17:8080" outbound|8080||cart.shop.svc.cluster.local 10.244.0.5:51234 10.244.0.5:8080 203.0.113.14:40004 - shop-route`
	istioTLS       = `[2026-11-25T10:00:13.000Z] "POST /api/payments/charge HTTP/1.1" 503 URX,UF upstream_reset_before_response_started{remote_connection_failure|TLS_error:|268435703:SSL_routines:OPENSSL_internal:WRONG_VERSION_NUMBER:TLS_error_end} - "TLS_error:|268435703:SSL_routines:OPENSSL_internal:WRONG_VERSION_NUMBER:TLS_error_end" 187 91 6 - "203.0.113.12" "curl/8.5.0" "is000051-4f1e-4c8a-9d2b-7e3f1a2b3c4d" "shop.example.com" "10.244.3.9:8443" outbound|8443||payments.shop.svc.cluster.local 10.244.0.5:51234 10.244.0.5:8080 203.0.113.12:40052 - shop-route`
	istioCert      = `[2026-11-25T10:00:14.000Z] "POST /api/payments/refund HTTP/1.1" 503 UF upstream_reset_before_response_started{remote_connection_failure|TLS_error:|268435581:SSL_routines:OPENSSL_internal:CERTIFICATE_VERIFY_FAILED:TLS_error_end} - "TLS_error:|268435581:SSL_routines:OPENSSL_internal:CERTIFICATE_VERIFY_FAILED:TLS_error_end" 187 91 5 - "203.0.113.16" "curl/8.5.0" "is000055-4f1e-4c8a-9d2b-7e3f1a2b3c4d" "shop.example.com" "10.244.3.9:8443" outbound|8443||payments.shop.svc.cluster.local 10.244.0.5:51234 10.244.0.5:8080 203.0.113.16:40056 - shop-route`
	istioTimeout   = `[2026-11-25T10:00:15.000Z] "GET /api/inventory/items/SKU-1 HTTP/2" 503 UF upstream_reset_before_response_started{connection_timeout} - "-" 0 91 10002 - "203.0.113.20" "curl/8.5.0" "is000059-4f1e-4c8a-9d2b-7e3f1a2b3c4d" "shop.example.com" "10.244.4.4:8080" outbound|8080||inventory.shop.svc.cluster.local 10.244.0.5:51234 10.244.0.5:8080 203.0.113.20:40060 - shop-route`
	istioUH        = `[2026-11-25T10:00:03.000Z] "GET /api/inventory/items/SKU-14429 HTTP/2" 503 UH no_healthy_upstream - "-" 0 91 0 - "203.0.113.22" "curl/8.5.0" "is000011-4f1e-4c8a-9d2b-7e3f1a2b3c4d" "shop.example.com" "-" outbound|8080||inventory.shop.svc.cluster.local - 10.244.0.5:8080 203.0.113.22:40012 - shop-route`
	istioUC        = `[2026-11-25T10:00:04.000Z] "POST /api/cart/checkout HTTP/1.1" 503 UC upstream_reset_before_response_started{connection_termination} - "-" 187 91 3 - "203.0.113.26" "curl/8.5.0" "is000015-4f1e-4c8a-9d2b-7e3f1a2b3c4d" "shop.example.com" "10.244.2.23:8080" outbound|8080||cart.shop.svc.cluster.local 10.244.0.5:51234 10.244.0.5:8080 203.0.113.26:40016 - shop-route`
	istioUT        = `[2026-11-25T10:00:05.000Z] "GET /api/orders/slow?limit=100 HTTP/1.1" 504 UT upstream_response_timeout - "-" 0 24 15001 - "203.0.113.30" "curl/8.5.0" "is000019-4f1e-4c8a-9d2b-7e3f1a2b3c4d" "shop.example.com" "10.244.2.23:8080" outbound|8080||orders.shop.svc.cluster.local 10.244.0.5:51234 10.244.0.5:8080 203.0.113.30:40020 - shop-route`
	istioUPE       = `[2026-11-25T10:00:06.000Z] "GET /api/cart/garbage HTTP/2" 502 UPE upstream_reset_before_response_started{protocol_error} - "-" 0 87 2 - "203.0.113.34" "curl/8.5.0" "is000023-4f1e-4c8a-9d2b-7e3f1a2b3c4d" "shop.example.com" "10.244.2.23:8080" outbound|8080||cart.shop.svc.cluster.local 10.244.0.5:51234 10.244.0.5:8080 203.0.113.34:40024 - shop-route`
	istioUO        = `[2026-11-25T10:00:07.000Z] "GET /api/orders/42 HTTP/1.1" 503 UO upstream_reset_before_response_started{overflow} - "-" 0 91 0 - "203.0.113.38" "curl/8.5.0" "is000027-4f1e-4c8a-9d2b-7e3f1a2b3c4d" "shop.example.com" "-" outbound|8080||orders.shop.svc.cluster.local - 10.244.0.5:8080 203.0.113.38:40028 - shop-route`
	istioApp503    = `[2026-11-25T10:00:08.000Z] "GET /api/orders/503 HTTP/1.1" 503 - via_upstream - "-" 0 19 12 11 "203.0.113.42" "curl/8.5.0" "is000031-4f1e-4c8a-9d2b-7e3f1a2b3c4d" "shop.example.com" "10.244.2.23:8080" outbound|8080||orders.shop.svc.cluster.local 10.244.0.5:51234 10.244.0.5:8080 203.0.113.42:40032 - shop-route`
	istioNR        = `[2026-11-25T10:00:10.000Z] "GET /no/such/route HTTP/1.1" 404 NR route_not_found - "-" 0 0 0 - "203.0.113.50" "curl/8.5.0" "is000039-4f1e-4c8a-9d2b-7e3f1a2b3c4d" "shop.example.com" "-" - - 10.244.0.5:8080 203.0.113.50:40040 - -`
	istioDC        = `[2026-11-25T10:00:11.000Z] "GET /api/orders/slow HTTP/1.1" 0 DC downstream_remote_disconnect - "-" 0 0 4012 - "203.0.113.54" "curl/8.5.0" "is000043-4f1e-4c8a-9d2b-7e3f1a2b3c4d" "shop.example.com" "10.244.2.23:8080" outbound|8080||orders.shop.svc.cluster.local 10.244.0.5:51234 10.244.0.5:8080 203.0.113.54:40044 - shop-route`
	istio200       = `[2026-11-25T10:00:12.000Z] "GET /api/cart/items/7 HTTP/2" 200 - via_upstream - "-" 0 1432 31 30 "203.0.113.58" "curl/8.5.0" "is000047-4f1e-4c8a-9d2b-7e3f1a2b3c4d" "shop.example.com" "10.244.2.23:8080" outbound|8080||cart.shop.svc.cluster.local 10.244.0.5:51234 10.244.0.5:8080 203.0.113.58:40048 - shop-route`
	istioBodyCut   = `[2026-11-25T10:00:16.000Z] "GET /api/cart/export.csv HTTP/1.1" 200 UC upstream_reset_after_response_started{connection_termination} - "-" 0 65536 40 12 "203.0.113.24" "curl/8.5.0" "is000063-4f1e-4c8a-9d2b-7e3f1a2b3c4d" "shop.example.com" "10.244.2.23:8080" outbound|8080||cart.shop.svc.cluster.local 10.244.0.5:51234 10.244.0.5:8080 203.0.113.24:40064 - shop-route`
	istioURXApp    = `[2026-11-25T10:00:17.000Z] "GET /api/orders/flaky HTTP/1.1" 503 URX via_upstream - "-" 0 91 60 19 "203.0.113.28" "curl/8.5.0" "is000067-4f1e-4c8a-9d2b-7e3f1a2b3c4d" "shop.example.com" "10.244.2.23:8080" outbound|8080||orders.shop.svc.cluster.local 10.244.0.5:51234 10.244.0.5:8080 203.0.113.28:40068 - shop-route`
	istioSubset    = `[2026-11-25T10:00:18.000Z] "GET /api/cart HTTP/1.1" 503 UF upstream_reset_before_response_started{remote_connection_failure|immediate_connect_error:_Network_is_unreachable|remote_address:10.9.9.9:8080} - "-" 0 91 0 - "-" "curl/8.5.0" "r-subset" "shop.example.com" "10.9.9.9:8080" outbound|8080|v2|cart.shop.svc.cluster.local 10.244.0.5:51234 10.244.0.5:8080 [2001:db8::7]:40070 - shop-route`
	istioNC        = `[2026-11-25T10:00:19.000Z] "GET /api/gone HTTP/1.1" 503 NC cluster_not_found - "-" 0 0 0 - "-" "curl/8.5.0" "r-nc" "shop.example.com" "-" - - 10.244.0.5:8080 203.0.113.9:40071 - shop-route`
	istioUR        = `[2026-11-25T10:00:20.000Z] "GET /api/stream HTTP/2" 503 UR upstream_reset_before_response_started{remote_reset} - "-" 0 95 7 - "-" "grpc-go/1.60" "r-ur" "shop.example.com" "10.244.2.23:8080" outbound|8080||cart.shop.svc.cluster.local 10.244.0.5:51234 10.244.0.5:8080 203.0.113.9:40072 - shop-route`
	istioLR        = `[2026-11-25T10:00:21.000Z] "GET /api/stream HTTP/1.1" 503 LR upstream_reset_before_response_started{local_reset} - "-" 0 95 7 - "-" "curl/8.5.0" "r-lr" "shop.example.com" "10.244.2.23:8080" outbound|8080||cart.shop.svc.cluster.local 10.244.0.5:51234 10.244.0.5:8080 203.0.113.9:40073 - shop-route`
	istioInbound   = `[2026-11-25T10:00:22.000Z] "GET /healthz HTTP/1.1" 503 - via_upstream - "-" 0 19 1 1 "-" "kube-probe/1.31" "r-in" "10.244.2.23:8080" "10.244.2.23:8080" inbound|8080|| 127.0.0.6:43121 10.244.2.23:8080 10.244.0.1:51000 - default`
	istioRL        = `[2026-11-25T10:00:23.000Z] "GET /api/cart HTTP/1.1" 429 RL local_rate_limited - "-" 0 18 0 - "-" "curl/8.5.0" "r-rl" "shop.example.com" "-" - - 10.244.0.5:8080 203.0.113.9:40074 - shop-route`
	istioBadStatus = `[2026-11-25T10:00:24.000Z] "GET /api/cart HTTP/1.1" 5O3 UF - - "-" 0 0 0 - "-" "curl/8.5.0" "r-bad" "shop.example.com" "-" - - 10.244.0.5:8080 203.0.113.9:40075 - shop-route`
)

// Envoy's default format (usage.rst), which Contour logs.
const (
	envoyDocsExample = `[2016-04-15T20:17:00.310Z] "POST /api/v1/locations HTTP/2" 204 - 154 0 226 100 "10.0.35.28" "nsq2http" "cc21d9b0-cf5c-432b-8c7e-98aeb7988cd2" "locations" "tcp://10.0.2.1:80"`
	envoyUF          = `[2026-11-25T10:00:01.000Z] "GET /api/cart/items/42 HTTP/1.1" 503 UF 0 91 1 - "203.0.113.14" "curl/8.5.0" "co000003-4f1e-4c8a-9d2b-7e3f1a2b3c4d" "shop.example.com" "10.244.1.17:8080"`
	envoyApp503      = `[2026-11-25T10:00:08.000Z] "GET /api/orders/503 HTTP/1.1" 503 - 0 19 12 11 "203.0.113.42" "curl/8.5.0" "co000031-4f1e-4c8a-9d2b-7e3f1a2b3c4d" "shop.example.com" "10.244.2.23:8080"`
	envoyUH          = `[2026-11-25T10:00:03.000Z] "GET /api/inventory/items/SKU-14429 HTTP/2" 503 UH 0 91 0 - "203.0.113.22" "curl/8.5.0" "co000011-4f1e-4c8a-9d2b-7e3f1a2b3c4d" "shop.example.com" "-"`
)

// Envoy Gateway's EnvoyJSONLogFields, Contour's DefaultAccessLogJSONFields
// and Istio's EnvoyJSONLogFormatIstio.
const (
	egUF        = `{":authority":"shop.example.com","bytes_received":0,"bytes_sent":91,"connection_termination_details":null,"downstream_local_address":"10.244.0.7:10080","downstream_remote_address":"203.0.113.14:40003","duration":1,"method":"GET","protocol":"HTTP/1.1","requested_server_name":null,"response_code":503,"response_code_details":"upstream_reset_before_response_started{remote_connection_failure|delayed_connect_error:_Connection_refused}","response_flags":"UF","route_name":"httproute/shop/cart/rule/0/match/0","start_time":"2026-11-25T10:00:01.000Z","upstream_cluster":"httproute/shop/cart/rule/0","upstream_host":"10.244.1.17:8080","upstream_local_address":"10.244.0.7:51234","upstream_transport_failure_reason":"delayed_connect_error:_Connection_refused","user-agent":"curl/8.5.0","x-envoy-origin-path":"/api/cart/items/42","x-envoy-upstream-service-time":null,"x-forwarded-for":"203.0.113.14","x-request-id":"eg000003-4f1e-4c8a-9d2b-7e3f1a2b3c4d"}`
	egNR        = `{":authority":"shop.example.com","bytes_received":0,"bytes_sent":0,"connection_termination_details":null,"downstream_local_address":"10.244.0.7:10080","downstream_remote_address":"203.0.113.50:40039","duration":0,"method":"GET","protocol":"HTTP/1.1","requested_server_name":null,"response_code":404,"response_code_details":"route_not_found","response_flags":"NR","route_name":null,"start_time":"2026-11-25T10:00:10.000Z","upstream_cluster":null,"upstream_host":null,"upstream_local_address":null,"upstream_transport_failure_reason":null,"user-agent":"curl/8.5.0","x-envoy-origin-path":"/no/such/route","x-envoy-upstream-service-time":null,"x-forwarded-for":"203.0.113.50","x-request-id":"eg000039-4f1e-4c8a-9d2b-7e3f1a2b3c4d"}`
	egEscaped   = `{"start_time":"2026-11-25T10:00:30.000Z","method":"GET","x-envoy-origin-path":"/s?q=%22x%22","protocol":"HTTP/2","response_code":"502","response_flags":"UPE","response_code_details":"upstream_reset_before_response_started{protocol_error}","user-agent":"Bot \"q\" caf\u00e9 \\ x","upstream_host":"-","upstream_cluster":"grpcroute/shop/rpc/rule/1","nested":{"a":[1,{"b":"}"}]},"x-request-id":"r-esc"}`
	contourJSON = `{"@timestamp":"2026-11-25T10:00:01.000Z","authority":"shop.example.com","bytes_received":0,"bytes_sent":91,"downstream_local_address":"10.244.0.9:8080","downstream_remote_address":"203.0.113.14:40003","duration":1,"method":"GET","path":"/api/cart/items/42","protocol":"HTTP/1.1","request_id":"cj000003-4f1e-4c8a-9d2b-7e3f1a2b3c4d","requested_server_name":null,"response_code":503,"response_flags":"UF","uber_trace_id":null,"upstream_cluster":"shop_cart_8080","upstream_host":"10.244.1.17:8080","upstream_local_address":"10.244.0.9:51234","upstream_service_time":null,"user_agent":"curl/8.5.0","x_forwarded_for":"203.0.113.14","grpc_status":null,"grpc_status_number":null}`
	istioJSONUH = `{"authority":"shop.example.com","bytes_received":0,"bytes_sent":19,"connection_termination_details":null,"downstream_local_address":"10.244.0.5:8080","downstream_remote_address":"203.0.113.22:40012","duration":0,"method":"GET","path":"/api/inventory","protocol":"HTTP/1.1","request_id":"r-ij","requested_server_name":null,"response_code":503,"response_code_details":"no_healthy_upstream","response_flags":"UH","route_name":"default","start_time":"2026-11-25T10:00:03.000Z","upstream_cluster":"outbound|8080||inventory.shop.svc.cluster.local","upstream_host":null,"upstream_local_address":null,"upstream_service_time":null,"upstream_transport_failure_reason":null,"user_agent":"curl/8.5.0","x_forwarded_for":"203.0.113.22"}`
)

func TestParseDocumentedLines(t *testing.T) {
	auto := mustCompile(t, "")
	tests := []struct {
		name     string
		line     string
		watched  func(int) bool
		kind     gateway.Kind
		status   int
		origin   string
		errKind  string // "" when the line must carry no error
		upstream string // UpstreamName
		service  event.Service
		attempts []event.Attempt
		signal   string
	}{
		{name: "documented_istio_default/UF_connection_refused", line: istioUF, kind: gateway.Request, status: 503, origin: schema.OriginGateway, errKind: schema.ErrConnectRefused,
			upstream: "outbound|8080||cart.shop.svc.cluster.local", service: event.Service{Namespace: "shop", Name: "cart", Port: "8080"},
			attempts: []event.Attempt{{Addr: "10.244.1.17:8080", Status: "-", ResponseTime: -1, ResponseLength: -1}},
			signal:   "UF upstream_reset_before_response_started{remote_connection_failure|delayed_connect_error:_Connection_refused}"},
		{name: "documented_istio_default/URX,UF_tls_wrong_version", line: istioTLS, kind: gateway.Request, status: 503, origin: schema.OriginGateway, errKind: schema.ErrTLSHandshake,
			upstream: "outbound|8443||payments.shop.svc.cluster.local", service: event.Service{Namespace: "shop", Name: "payments", Port: "8443"},
			attempts: []event.Attempt{{Addr: "10.244.3.9:8443", Status: "-", ResponseTime: -1, ResponseLength: -1}}},
		{name: "documented_istio_default/UF_tls_certificate_verify_failed", line: istioCert, kind: gateway.Request, status: 503, origin: schema.OriginGateway, errKind: schema.ErrTLSCertificate,
			upstream: "outbound|8443||payments.shop.svc.cluster.local", service: event.Service{Namespace: "shop", Name: "payments", Port: "8443"},
			attempts: []event.Attempt{{Addr: "10.244.3.9:8443", Status: "-", ResponseTime: -1, ResponseLength: -1}}},
		{name: "documented_istio_default/UF_connection_timeout", line: istioTimeout, kind: gateway.Request, status: 503, origin: schema.OriginGateway, errKind: schema.ErrConnectTimeout,
			upstream: "outbound|8080||inventory.shop.svc.cluster.local", service: event.Service{Namespace: "shop", Name: "inventory", Port: "8080"},
			attempts: []event.Attempt{{Addr: "10.244.4.4:8080", Status: "-", ResponseTime: -1, ResponseLength: -1}}},
		{name: "documented_istio_default/UF_network_unreachable_subset_cluster", line: istioSubset, kind: gateway.Request, status: 503, origin: schema.OriginGateway, errKind: schema.ErrHostUnreachable,
			upstream: "outbound|8080|v2|cart.shop.svc.cluster.local", service: event.Service{Namespace: "shop", Name: "cart", Port: "8080"},
			attempts: []event.Attempt{{Addr: "10.9.9.9:8080", Status: "-", ResponseTime: -1, ResponseLength: -1}}},
		{name: "documented_istio_default/UH_no_endpoints", line: istioUH, kind: gateway.Request, status: 503, origin: schema.OriginGateway, errKind: schema.ErrNoLiveUpstreams,
			upstream: "outbound|8080||inventory.shop.svc.cluster.local", service: event.Service{Namespace: "shop", Name: "inventory", Port: "8080"},
			signal: "UH no_healthy_upstream"},
		{name: "documented_istio_default/UC_closed_before_headers", line: istioUC, kind: gateway.Request, status: 503, origin: schema.OriginGateway, errKind: schema.ErrPrematureClose,
			upstream: "outbound|8080||cart.shop.svc.cluster.local", service: event.Service{Namespace: "shop", Name: "cart", Port: "8080"},
			attempts: []event.Attempt{{Addr: "10.244.2.23:8080", Status: "-", ResponseTime: -1, ResponseLength: -1}}},
		{name: "documented_istio_default/UT_route_timeout_504", line: istioUT, kind: gateway.Request, status: 504, origin: schema.OriginGateway, errKind: schema.ErrReadTimeout,
			upstream: "outbound|8080||orders.shop.svc.cluster.local", service: event.Service{Namespace: "shop", Name: "orders", Port: "8080"},
			attempts: []event.Attempt{{Addr: "10.244.2.23:8080", Status: "-", ResponseTime: -1, ResponseLength: -1}}, signal: "UT upstream_response_timeout"},
		{name: "documented_istio_default/UPE_protocol_error_502", line: istioUPE, kind: gateway.Request, status: 502, origin: schema.OriginGateway, errKind: schema.ErrProtocol,
			upstream: "outbound|8080||cart.shop.svc.cluster.local", service: event.Service{Namespace: "shop", Name: "cart", Port: "8080"},
			attempts: []event.Attempt{{Addr: "10.244.2.23:8080", Status: "-", ResponseTime: -1, ResponseLength: -1}}},
		{name: "documented_istio_default/UO_overflow", line: istioUO, kind: gateway.Request, status: 503, origin: schema.OriginGateway, errKind: schema.ErrOverflow,
			upstream: "outbound|8080||orders.shop.svc.cluster.local", service: event.Service{Namespace: "shop", Name: "orders", Port: "8080"}},
		{name: "documented_istio_default/UR_remote_reset", line: istioUR, kind: gateway.Request, status: 503, origin: schema.OriginGateway, errKind: schema.ErrConnectionReset,
			upstream: "outbound|8080||cart.shop.svc.cluster.local", service: event.Service{Namespace: "shop", Name: "cart", Port: "8080"},
			attempts: []event.Attempt{{Addr: "10.244.2.23:8080", Status: "-", ResponseTime: -1, ResponseLength: -1}}},
		{name: "documented_istio_default/LR_local_reset", line: istioLR, kind: gateway.Request, status: 503, origin: schema.OriginGateway, errKind: schema.ErrConnectionReset,
			upstream: "outbound|8080||cart.shop.svc.cluster.local", service: event.Service{Namespace: "shop", Name: "cart", Port: "8080"},
			attempts: []event.Attempt{{Addr: "10.244.2.23:8080", Status: "-", ResponseTime: -1, ResponseLength: -1}}},
		{name: "documented_istio_default/app_503_via_upstream", line: istioApp503, kind: gateway.Request, status: 503, origin: schema.OriginUpstream,
			upstream: "outbound|8080||orders.shop.svc.cluster.local", service: event.Service{Namespace: "shop", Name: "orders", Port: "8080"},
			attempts: []event.Attempt{{Addr: "10.244.2.23:8080", Status: "503", ResponseTime: 0.011, ResponseLength: -1}}, signal: "- via_upstream"},
		{name: "documented_istio_default/URX_app_503_retries_spent_is_the_apps_status", line: istioURXApp, kind: gateway.Request, status: 503, origin: schema.OriginUpstream,
			upstream: "outbound|8080||orders.shop.svc.cluster.local", service: event.Service{Namespace: "shop", Name: "orders", Port: "8080"},
			attempts: []event.Attempt{{Addr: "10.244.2.23:8080", Status: "503", ResponseTime: 0.019, ResponseLength: -1}}, signal: "URX via_upstream"},
		{name: "documented_istio_default/UC_after_response_started_200_body_cut", line: istioBodyCut, kind: gateway.Request, status: 200, origin: schema.OriginUpstream, errKind: schema.ErrPrematureClose,
			upstream: "outbound|8080||cart.shop.svc.cluster.local", service: event.Service{Namespace: "shop", Name: "cart", Port: "8080"},
			attempts: []event.Attempt{{Addr: "10.244.2.23:8080", Status: "200", ResponseTime: 0.012, ResponseLength: -1}}},
		{name: "documented_istio_default/NC_cluster_not_found_is_local", line: istioNC, kind: gateway.Request, status: 503, origin: schema.OriginLocal, errKind: schema.ErrOther},
		{name: "documented_istio_default/inbound_cluster_names_no_service", line: istioInbound, kind: gateway.Request, status: 503, origin: schema.OriginUpstream, upstream: "inbound|8080||",
			attempts: []event.Attempt{{Addr: "10.244.2.23:8080", Status: "503", ResponseTime: 0.001, ResponseLength: -1}}},
		{name: "documented_istio_default/DC_client_abort_origin_when_status_0_is_watched", line: istioDC, watched: func(n int) bool { return n == 0 }, kind: gateway.Request, status: 0, origin: schema.OriginClient,
			upstream: "outbound|8080||orders.shop.svc.cluster.local", service: event.Service{Namespace: "shop", Name: "orders", Port: "8080"},
			attempts: []event.Attempt{{Addr: "10.244.2.23:8080", Status: "-", ResponseTime: -1, ResponseLength: -1}}},
		{name: "documented_istio_default/RL_rate_limited_when_429_is_watched", line: istioRL, watched: func(n int) bool { return n == 429 }, kind: gateway.Request, status: 429, origin: schema.OriginLocal, errKind: schema.ErrRateLimited},
		{name: "documented_istio_default/DC_client_abort_not_watched", line: istioDC, kind: gateway.Uninteresting},
		{name: "documented_istio_default/NR_404_not_watched", line: istioNR, kind: gateway.Uninteresting},
		{name: "documented_istio_default/RL_429_not_watched", line: istioRL, kind: gateway.Uninteresting},
		{name: "documented_istio_default/retried_then_200_is_a_plain_success", line: istio200, kind: gateway.Uninteresting},
		{name: "documented_istio_default/garbled_status_is_malformed", line: istioBadStatus, kind: gateway.Malformed},
		{name: "documented_envoy_default/docs_example_204_when_watched", line: envoyDocsExample, watched: func(n int) bool { return n == 204 }, kind: gateway.Request, status: 204, origin: schema.OriginUpstream,
			attempts: []event.Attempt{{Addr: "10.0.2.1:80", Status: "204", ResponseTime: 0.1, ResponseLength: -1}}},
		{name: "documented_envoy_default/docs_example_204_not_watched", line: envoyDocsExample, kind: gateway.Uninteresting},
		{name: "documented_envoy_default/UF_without_details", line: envoyUF, kind: gateway.Request, status: 503, origin: schema.OriginGateway, errKind: schema.ErrConnectRefused,
			attempts: []event.Attempt{{Addr: "10.244.1.17:8080", Status: "-", ResponseTime: -1, ResponseLength: -1}}, signal: "UF"},
		{name: "documented_envoy_default/UH_no_endpoints", line: envoyUH, kind: gateway.Request, status: 503, origin: schema.OriginGateway, errKind: schema.ErrNoLiveUpstreams, signal: "UH"},
		{name: "documented_envoy_default/app_503_no_flags", line: envoyApp503, kind: gateway.Request, status: 503, origin: schema.OriginUpstream,
			attempts: []event.Attempt{{Addr: "10.244.2.23:8080", Status: "503", ResponseTime: 0.011, ResponseLength: -1}}},
		{name: "documented_envoy_gateway_json/UF_route_not_service", line: egUF, kind: gateway.Request, status: 503, origin: schema.OriginGateway, errKind: schema.ErrConnectRefused,
			upstream: "httproute/shop/cart/rule/0", attempts: []event.Attempt{{Addr: "10.244.1.17:8080", Status: "-", ResponseTime: -1, ResponseLength: -1}}},
		{name: "documented_envoy_gateway_json/NR_404_not_watched", line: egNR, kind: gateway.Uninteresting},
		{name: "documented_envoy_gateway_json/escapes_nested_dash_host_string_status", line: egEscaped, kind: gateway.Request, status: 502, origin: schema.OriginGateway, errKind: schema.ErrProtocol,
			upstream: "grpcroute/shop/rpc/rule/1"},
		{name: "documented_contour_json/UF_alt_stat_name_service", line: contourJSON, kind: gateway.Request, status: 503, origin: schema.OriginGateway, errKind: schema.ErrConnectRefused,
			upstream: "shop_cart_8080", service: event.Service{Namespace: "shop", Name: "cart", Port: "8080"},
			attempts: []event.Attempt{{Addr: "10.244.1.17:8080", Status: "-", ResponseTime: -1, ResponseLength: -1}}, signal: "UF"},
		{name: "documented_istio_json/UH_no_endpoints", line: istioJSONUH, kind: gateway.Request, status: 503, origin: schema.OriginGateway, errKind: schema.ErrNoLiveUpstreams,
			upstream: "outbound|8080||inventory.shop.svc.cluster.local", service: event.Service{Namespace: "shop", Name: "inventory", Port: "8080"}},
		{name: "envoy_own_log/is_other", line: `[2026-11-25 10:00:09.412][1][warning][config] [source/extensions/config_subscription/grpc/grpc_stream.h:155] StreamAggregatedResources gRPC config stream to xds_cluster closed: 13, `, kind: gateway.Other},
		{name: "envoy_own_log/quoted_message_is_other", line: `[2026-11-25 10:00:09.412][1][info][main] "GET / HTTP/1.1" 503 x`, kind: gateway.Other},
		{name: "pilot_agent_log/is_other", line: "2026-11-25T09:59:58.000000Z\tinfo\tEnvoy proxy is ready", kind: gateway.Other},
		{name: "json_without_status/is_other", line: `{"level":"info","msg":"starting"}`, kind: gateway.Other},
		{name: "json_cut_mid_line/is_malformed", line: egUF[:200], kind: gateway.Malformed},
		{name: "empty/is_other", line: "   ", kind: gateway.Other},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			w := tc.watched
			if w == nil {
				w = watched
			}
			kind, p := parse(auto, tc.line, w)
			require.Equal(t, tc.kind, kind)
			if kind != gateway.Request {
				return
			}
			a := p.Access
			assert.True(t, p.Keep)
			assert.Equal(t, tc.status, a.Status)
			assert.Equal(t, tc.origin, a.Origin)
			assert.Equal(t, tc.upstream, a.UpstreamName)
			assert.Equal(t, tc.service, a.Service)
			assert.Equal(t, tc.attempts, a.Attempts)
			if tc.signal != "" || tc.origin == schema.OriginUpstream && tc.errKind == "" && !strings.Contains(tc.line, "via_upstream") {
				assert.Equal(t, tc.signal, a.FailureSignal, "no flag and no details: nothing to signal")
			}
			if tc.errKind == "" {
				assert.Empty(t, p.Errors)
				return
			}
			require.Len(t, p.Errors, 1)
			e := p.Errors[0]
			assert.Equal(t, tc.errKind, e.Kind)
			assert.Equal(t, event.LevelError, e.Level)
			assert.Equal(t, a.RequestLine, e.Request)
			assert.Equal(t, a.Host, e.Host)
			if len(a.Attempts) > 0 {
				assert.Equal(t, a.Attempts[0].Addr, e.Peer())
			}
		})
	}
}

// TestAccessFields pins every field the Istio and Envoy default lines give.
func TestAccessFields(t *testing.T) {
	auto := mustCompile(t, "")
	kind, p := parse(auto, istioUT, watched)
	require.Equal(t, gateway.Request, kind)
	a := p.Access
	assert.Equal(t, time.Date(2026, 11, 25, 10, 0, 5, 0, time.UTC), a.Time)
	assert.Equal(t, "GET", a.Method)
	assert.Equal(t, "/api/orders/slow", a.Path)
	assert.Equal(t, "limit=100", a.Query)
	assert.Equal(t, "1.1", a.Protocol)
	assert.Equal(t, "GET /api/orders/slow?limit=100 HTTP/1.1", a.RequestLine)
	assert.Equal(t, "203.0.113.30", a.Client)
	assert.Equal(t, "shop.example.com", a.Host)
	assert.Equal(t, "curl/8.5.0", a.UserAgent)
	assert.Equal(t, "is000019-4f1e-4c8a-9d2b-7e3f1a2b3c4d", a.RequestID)
	assert.EqualValues(t, 24, a.BodyBytes)
	assert.EqualValues(t, 0, a.RequestLength)
	assert.InDelta(t, 15.001, a.Duration, 1e-9)
	assert.Equal(t, [][2]string{{AttrRouteName, "shop-route"}}, a.Extra)

	kind, p = parse(auto, envoyDocsExample, func(int) bool { return true })
	require.Equal(t, gateway.Request, kind)
	a = p.Access
	assert.Equal(t, time.Date(2016, 4, 15, 20, 17, 0, 310e6, time.UTC), a.Time)
	assert.Equal(t, "POST /api/v1/locations HTTP/2", a.RequestLine)
	assert.Equal(t, "2", a.Protocol)
	assert.Equal(t, "10.0.35.28", a.Client, "from X-Forwarded-For: the default format has no downstream address")
	assert.Equal(t, "locations", a.Host)
	assert.Equal(t, "nsq2http", a.UserAgent)
	assert.EqualValues(t, 154, a.RequestLength)
	assert.EqualValues(t, 0, a.BodyBytes)
	assert.InDelta(t, 0.226, a.Duration, 1e-9)

	kind, p = parse(auto, istioSubset, watched)
	require.Equal(t, gateway.Request, kind)
	assert.Equal(t, "2001:db8::7", p.Access.Client)

	kind, p = parse(auto, egEscaped, watched)
	require.Equal(t, gateway.Request, kind)
	a = p.Access
	assert.Equal(t, `Bot "q" café \ x`, a.UserAgent)
	assert.Equal(t, "/s", a.Path)
	assert.Equal(t, "q=%22x%22", a.Query)
	assert.Empty(t, a.Attempts, `"-" is Envoy's empty value in JSON too`)
	assert.Equal(t, [][2]string{{AttrRoute, "grpcroute/shop/rpc"}}, a.Extra)

	kind, p = parse(auto, egUF, watched)
	require.Equal(t, gateway.Request, kind)
	assert.Equal(t, [][2]string{{AttrRoute, "httproute/shop/cart"}, {AttrRouteName, "httproute/shop/cart/rule/0/match/0"},
		{AttrTransportFailReason, "delayed_connect_error:_Connection_refused"}}, p.Access.Extra)
	assert.Equal(t, "203.0.113.14", p.Access.Client)
}

// TestErrorMessages pins the sentences for the shapes the brief and the
// note name: flags, retries, reset reason and transport failure together.
func TestErrorMessages(t *testing.T) {
	auto := mustCompile(t, "")
	tests := []struct{ name, line, want string }{
		{"documented_istio_default/URX,UF_tls", istioTLS, `Envoy response flags "URX,UF": upstream connection failure (TLS handshake failed) (retries exhausted); reset reason remote_connection_failure; transport failure: TLS_error:|268435703:SSL_routines:OPENSSL_internal:WRONG_VERSION_NUMBER:TLS_error_end`},
		{"documented_istio_default/UH", istioUH, `Envoy response flags "UH": no healthy upstream host in the cluster (no endpoints, or all of them unhealthy or ejected); details no_healthy_upstream`},
		{"documented_istio_default/UC_after_response", istioBodyCut, `Envoy response flags "UC": upstream closed the connection before a full response; the upstream reset after the response had started, reason connection_termination`},
		{"documented_envoy_default/UF", envoyUF, `Envoy response flags "UF": upstream connection failure`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, p := parse(auto, tc.line, func(int) bool { return true })
			require.Len(t, p.Errors, 1)
			assert.Equal(t, tc.want, p.Errors[0].Message)
		})
	}
}

// TestParserReuse checks that one parser reads a file whose lines switch
// layouts, and that Reset between lines leaves nothing behind.
func TestParserReuse(t *testing.T) {
	pr := mustCompile(t, "").NewParser()
	p := &gateway.Parsed{}
	for _, line := range []string{envoyUF, istioUF, egUF, envoyUF, istioUH, contourJSON} {
		p.Reset()
		require.Equal(t, gateway.Request, pr.Parse([]byte(line), false, watched, p), line)
		require.Len(t, p.Errors, 1)
	}
	p.Reset()
	require.Equal(t, gateway.Request, pr.Parse([]byte(istioApp503), false, watched, p))
	assert.Empty(t, p.Errors)
	assert.Len(t, p.Access.Attempts, 1)
}

// TestUninterestingAllocatesNothing: the parser runs on every line, and
// most lines are successes that must cost no garbage.
func TestUninterestingAllocatesNothing(t *testing.T) {
	pr := mustCompile(t, "").NewParser()
	p := &gateway.Parsed{}
	for _, line := range []string{istio200, envoyDocsExample, egNR, istioDC} {
		b := []byte(line)
		n := testing.AllocsPerRun(100, func() {
			p.Reset()
			if k := pr.Parse(b, false, watched, p); k != gateway.Uninteresting {
				t.Fatalf("kind %d", k)
			}
		})
		assert.Zero(t, n, line)
	}
}

// TestLongLine is the fixture's CRI P+F scenario after reassembly: a 40 KB
// query string must not disturb the fields around it.
func TestLongLine(t *testing.T) {
	q := strings.Repeat("x", 40000)
	line := strings.Replace(istioUF, "/api/cart/items/42 ", "/api/cart/search?q="+q+" ", 1)
	kind, p := parse(mustCompile(t, ""), line, watched)
	require.Equal(t, gateway.Request, kind)
	assert.Equal(t, "/api/cart/search", p.Access.Path)
	assert.Equal(t, "q="+q, p.Access.Query)
	assert.Equal(t, "is000003-4f1e-4c8a-9d2b-7e3f1a2b3c4d", p.Access.RequestID)
	require.Len(t, p.Errors, 1)
	assert.Equal(t, schema.ErrConnectRefused, p.Errors[0].Kind)
}

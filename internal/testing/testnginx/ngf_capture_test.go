package testnginx

import (
	"testing"
	"time"

	"github.com/k8s502/otelcol-k8s502/internal/testing/testcri"
	"github.com/k8s502/otelcol-k8s502/internal/testing/testupstream"
)

// TestCaptureNGF captures NGINX Gateway Fabric's data-plane log into
// testdata/ngf (K8S502_CAPTURE=1): one Gateway "gateway" in "default" (pod
// gateway-nginx-…, container nginx) routing shop.example.com to Services in
// "shop", with every failure NGF's defaults let nginx show.
func TestCaptureNGF(t *testing.T) {
	h1 := testupstream.Start(t, "127.0.0.10:0", testupstream.Healthy)
	h2 := testupstream.Start(t, "127.0.0.11:0", testupstream.Healthy)
	app := testupstream.Start(t, "127.0.0.12:0", testupstream.App502)
	dead1 := testupstream.Start(t, "127.0.0.13:0", testupstream.Refused)
	dead2 := testupstream.Start(t, "127.0.0.14:0", testupstream.Refused)
	dead3 := testupstream.Start(t, "127.0.0.15:0", testupstream.Refused)
	dead4 := testupstream.Start(t, "127.0.0.16:0", testupstream.Refused)
	slow := testupstream.Start(t, "127.0.0.17:0", testupstream.Slow)
	fin := testupstream.Start(t, "127.0.0.18:0", testupstream.PrematureClose)
	rst := testupstream.Start(t, "127.0.0.19:0", testupstream.Reset)
	wallet := testupstream.Start(t, "127.0.0.20:0", testupstream.TLS)
	profile := testupstream.Start(t, "127.0.0.21:0", testupstream.TLS)
	payments := testupstream.Start(t, "127.0.0.22:0", testupstream.TLS)
	const host = "shop.example.com"
	run := captureRun{
		gateway: "ngf",
		cfg: Config{Layout: LayoutNGF, WorkerProcesses: 2,
			Container: testcri.Container{Namespace: "default", Pod: "gateway-nginx-6d9c7b8f5-qx2lm", PodUID: "7c1e9a52-3b4d-4f6e-8a90-1b2c3d4e5f60", Name: "nginx"},
			Locations: []Location{
				{Host: host, Path: "/api/storefront/", UpstreamName: "shop_storefront_80", Servers: []string{h1.Addr, h2.Addr}},
				{Host: host, Path: "/api/inventory/", UpstreamName: "shop_inventory_8080", Servers: []string{dead1.Addr}},
				{Host: host, Path: "/api/orders/", UpstreamName: "shop_orders_8080", Servers: []string{dead2.Addr, h1.Addr}},
				{Host: host, Path: "/api/tax/", UpstreamName: "shop_tax_8080", Servers: []string{dead3.Addr, dead4.Addr}},
				{Host: host, Path: "/api/checkout/", UpstreamName: "shop_checkout_8080", Servers: []string{app.Addr}},
				{Host: host, Path: "/api/reports/", UpstreamName: "shop_reports_8080", Servers: []string{slow.Addr}, ReadTimeout: 2 * time.Second},
				{Host: host, Path: "/api/cart/", UpstreamName: "shop_cart_8080", Servers: []string{fin.Addr}},
				{Host: host, Path: "/api/reviews/", UpstreamName: "shop_reviews_8080", Servers: []string{rst.Addr}},
				{Host: host, Path: "/api/promotions/", UpstreamName: "shop_promotions_8080"},
				{Host: host, Path: "/api/legacy/", UpstreamName: NGFInvalidBackendRef},
				{Host: host, Path: "/api/wallet/", UpstreamName: "shop_wallet_8443", Servers: []string{wallet.Addr},
					HTTPS: true, SSLVerify: true, SSLName: testupstream.TLSName},
				{Host: host, Path: "/api/profile/", UpstreamName: "shop_profile_8443", Servers: []string{profile.Addr},
					HTTPS: true, SSLVerify: true, SSLTrustedCert: profile.CertFile, SSLName: "profile.shop.svc.cluster.local"},
				{Host: host, Path: "/api/payments/", UpstreamName: "shop_payments_8443", Servers: []string{payments.Addr},
					HTTPS: true, SSLVerify: true, SSLTrustedCert: payments.CertFile, SSLName: testupstream.TLSName},
			}},
		background: scenario{name: "background-200", loc: 0, want: 200, origin: "upstream", cause: "healthy"},
		clients:    []string{"198.51.100.23", "10.12.7.33", "172.20.1.5", "192.0.2.77", "203.0.113.40"},
		scenarios: []scenario{
			{name: "refused-single-endpoint", loc: 1, n: 3, want: 502, kinds: []string{"connect_refused"}, origin: "gateway",
				cause: "the one endpoint refuses connections (pod gone, endpoint still listed)"},
			{name: "one-dead-endpoint-of-two", loc: 2, n: 6, want: 200, kinds: []string{"connect_refused"}, origin: "upstream",
				cause: "endpoint 1 refuses, endpoint 2 healthy; nginx's max_fails=1 fail_timeout=10s"},
			{name: "all-endpoints-dead", loc: 3, n: 4, want: 502, kinds: []string{"connect_refused", "no_live_upstreams"}, origin: "gateway",
				cause: "both endpoints refuse; after the first request both sit out fail_timeout"},
			{name: "app-502", loc: 4, n: 3, want: 502, origin: "upstream", cause: "the application answers 502 itself"},
			{name: "read-timeout", loc: 5, n: 2, want: 504, kinds: []string{"read_timeout"}, origin: "gateway",
				cause: "ProxySettingsPolicy timeout.read 2s, the app takes longer"},
			{name: "closed-before-response", loc: 6, n: 3, want: 502, kinds: []string{"premature_close"}, origin: "gateway",
				cause: "the app reads the request and closes (FIN)"},
			{name: "reset-before-response", loc: 7, n: 3, want: 502, kinds: []string{"connection_reset"}, origin: "gateway",
				cause: "the app reads the request and resets (RST)"},
			{name: "no-endpoints", loc: 8, n: 3, want: 503, origin: "local",
				cause: "Service without ready endpoints: NGF's upstream holds only the 503 unix server; nothing in the error log"},
			{name: "invalid-backend-ref", loc: 9, n: 2, want: 500, origin: "local",
				cause: "backendRef to a missing Service: invalid-backend-ref upstream, the 500 unix server; nothing in the error log"},
			{name: "backendtls-unknown-ca", loc: 10, n: 2, want: 502, kinds: []string{"tls_certificate"}, origin: "gateway",
				cause: "BackendTLSPolicy CA did not sign the backend's self-signed certificate"},
			{name: "backendtls-wrong-hostname", loc: 11, n: 2, want: 502, kinds: []string{"tls_certificate"}, origin: "gateway",
				cause: "BackendTLSPolicy hostname is not in the backend's certificate"},
			{name: "backendtls-ok", loc: 12, n: 2, want: 200, origin: "upstream", cause: "BackendTLSPolicy verifies"},
			{name: "unknown-host", loc: -1, host: "unknown.example.com", path: "/", n: 1, want: 404, origin: "local",
				cause: "no listener hostname matches: default server"},
			{name: "no-rule-for-root", loc: -1, host: host, path: "/", n: 1, want: 404, origin: "local",
				cause: "no rule matches /: NGF's default root location"},
		},
	}
	run.run(t)
}

package testnginx

import (
	"regexp"
	"testing"
	"time"

	"github.com/k8s502/otelcol-k8s502/internal/testing/testcri"
	"github.com/k8s502/otelcol-k8s502/internal/testing/testupstream"
)

var kongRequestID = regexp.MustCompile(`kong_request_id: "([0-9a-f]{32})"$`)

// TestCaptureKong captures the Kong stand-in's proxy log into
// testdata/kong (K8S502_CAPTURE=1): the kong/ingress chart's gateway pod
// (namespace kong, pod kong-gateway-…, container proxy) routing
// shop.example.com to Services in "shop" with Kong's default retries.
func TestCaptureKong(t *testing.T) {
	h1 := testupstream.Start(t, "127.0.0.10:0", testupstream.Healthy)
	h2 := testupstream.Start(t, "127.0.0.11:0", testupstream.Healthy)
	app := testupstream.Start(t, "127.0.0.12:0", testupstream.App502)
	dead1 := testupstream.Start(t, "127.0.0.13:0", testupstream.Refused)
	dead2 := testupstream.Start(t, "127.0.0.14:0", testupstream.Refused)
	slow := testupstream.Start(t, "127.0.0.17:0", testupstream.Slow)
	fin := testupstream.Start(t, "127.0.0.18:0", testupstream.PrematureClose)
	rst := testupstream.Start(t, "127.0.0.19:0", testupstream.Reset)
	const host = "shop.example.com"
	run := captureRun{
		gateway: "kong",
		cfg: Config{Layout: LayoutKong, WorkerProcesses: 2,
			Container: testcri.Container{Namespace: "kong", Pod: "kong-gateway-5c8d7f9b6-h7k2p", PodUID: "4e8b2c1d-9a7f-4b3e-8c5d-2f1a0b9c8d7e", Name: "proxy"},
			Locations: []Location{
				{Host: host, Path: "/api/storefront/", UpstreamName: "storefront.shop.80.svc", Servers: []string{h1.Addr, h2.Addr}},
				{Host: host, Path: "/api/inventory/", UpstreamName: "inventory.shop.8080.svc", Servers: []string{dead1.Addr}},
				{Host: host, Path: "/api/orders/", UpstreamName: "orders.shop.8080.svc", Servers: []string{dead2.Addr, h1.Addr}},
				{Host: host, Path: "/api/checkout/", UpstreamName: "checkout.shop.8080.svc", Servers: []string{app.Addr}},
				{Host: host, Path: "/api/reports/", UpstreamName: "reports.shop.8080.svc", Servers: []string{slow.Addr}, ReadTimeout: time.Second},
				{Host: host, Path: "/api/cart/", UpstreamName: "cart.shop.8080.svc", Servers: []string{fin.Addr}},
				{Host: host, Path: "/api/reviews/", UpstreamName: "reviews.shop.8080.svc", Servers: []string{rst.Addr}},
				{Host: host, Path: "/api/promotions/", UpstreamName: "promotions.shop.8080.svc"},
				{Host: host, Path: "/api/wallet/", UpstreamName: "wallet.shop.8443.svc", Servers: []string{h2.Addr}, HTTPS: true},
				{Host: host, Path: "/api/search/", UpstreamName: "search.shop.8080.svc", Servers: []string{dead1.Addr}, NextUpstreamTries: 1},
			}},
		background: scenario{name: "background-200", loc: 0, want: 200, origin: "upstream", cause: "healthy"},
		clients:    []string{"198.51.100.23", "10.12.7.33", "172.20.1.5", "192.0.2.77", "203.0.113.40"},
		requestID: func(line string) string {
			if m := kongRequestID.FindStringSubmatch(line); m != nil {
				return m[1]
			}
			return "-"
		},
		scenarios: []scenario{
			{name: "refused-single-target", loc: 1, n: 3, want: 502, kinds: []string{"connect_refused"}, origin: "gateway",
				cause: "the one target refuses; Kong tries it 6 times (retries 5) before its 502"},
			{name: "one-dead-target-of-two", loc: 2, n: 6, want: 200, kinds: []string{"connect_refused"}, origin: "upstream",
				cause: "target 1 refuses, target 2 healthy; no passive health checks, so every request balanced to 1 is retried on 2"},
			{name: "app-502", loc: 3, n: 3, want: 502, origin: "upstream", cause: "the application answers 502 itself (passed through)"},
			{name: "read-timeout-retried", loc: 4, n: 2, want: 504, kinds: []string{"read_timeout"}, origin: "gateway",
				cause: "read_timeout 1000 ms (konghq.com/read-timeout), the app takes longer; each of the 6 tries times out"},
			{name: "closed-before-response", loc: 5, n: 2, want: 502, kinds: []string{"premature_close"}, origin: "gateway",
				cause: "the app reads the request and closes (FIN), on every try"},
			{name: "reset-before-response", loc: 6, n: 2, want: 502, kinds: []string{"connection_reset"}, origin: "gateway",
				cause: "the app reads the request and resets (RST), on every try"},
			{name: "no-targets", loc: 7, n: 3, want: 503, origin: "local",
				cause: "Service without endpoints: Upstream without targets, Kong's 503 \"" + KongNoPeerMessage + "\" body; nothing in the error log"},
			{name: "tls-to-plain-http", loc: 8, n: 2, want: 502, kinds: []string{"tls_handshake"}, origin: "gateway",
				cause: "konghq.com/protocol https to a plain-HTTP port"},
			{name: "refused-no-retries", loc: 9, n: 2, want: 502, kinds: []string{"connect_refused"}, origin: "gateway",
				cause: "the one target refuses; konghq.com/retries \"0\": one try"},
			{name: "no-route", loc: -1, host: "unknown.example.com", path: "/", n: 1, want: 404, origin: "local",
				cause: "no Route matches: Kong's router 404 body"},
		},
	}
	run.run(t)
}

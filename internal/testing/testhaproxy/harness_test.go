package testhaproxy

import (
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/k8s502/otelcol-k8s502/internal/testing/testcri"
	"github.com/k8s502/otelcol-k8s502/internal/testing/testupstream"
)

// trafficRE splits a line of LogFormat.
var trafficRE = regexp.MustCompile(`^(\S+):(\d+) \[([^\]]+)\] (\S+) ([^/ ]+)/(\S+) (-?\d+)/(-?\d+)/(-?\d+)/(-?\d+)/(-?\d+) (\d{3}) (\d+) (\S+) (\S+) (\S{4}) (\d+)/(\d+)/(\d+)/(\d+)/(\+?\d+) (\d+)/(\d+) "(\S+) (\S+) (\S+)"$`)

type traffic struct {
	backend, server, status, term, retries, tr, ta, base string
	taMin                                                int
}

func parseTraffic(t *testing.T, line string) traffic {
	t.Helper()
	m := trafficRE.FindStringSubmatch(line)
	if m == nil {
		t.Fatalf("not a haproxytech traffic line: %.300q", line)
	}
	return traffic{backend: m[5], server: m[6], tr: m[10], ta: m[11], status: m[12], term: m[16], retries: m[21], base: m[25]}
}

// Every failure the e2e scenarios rely on, as HAProxy really logs it.
func TestHarness(t *testing.T) {
	healthy := testupstream.Start(t, "127.0.0.1:0", testupstream.Healthy)
	app := testupstream.Start(t, "127.0.0.1:0", testupstream.App502)
	slow := testupstream.Start(t, "127.0.0.1:0", testupstream.Slow)
	refused := testupstream.Start(t, "127.0.0.1:0", testupstream.Refused)
	const host = "shop.example.com"
	be := func(svc, path string, servers []string, check bool) Backend {
		return Backend{Host: host, Path: path, Namespace: "shop", Service: svc, Port: "http", Servers: servers, Check: check}
	}
	slowBE := be("search", "/api/search/", []string{slow.Addr}, true)
	slowBE.TimeoutServer = 500 * time.Millisecond
	hp := Start(t, Config{Backends: []Backend{
		be("storefront", "/api/storefront/", []string{healthy.Addr}, true),
		be("checkout", "/api/checkout/", []string{app.Addr}, true),
		slowBE,
		be("cart", "/api/cart/", []string{refused.Addr}, true),
		be("orders", "/api/orders/", []string{refused.Addr}, false),
		be("promotions", "/api/promotions/", nil, true),
	}})

	down := hp.WaitStdout(t, "Server shop_svc_cart_http/SRV_1 is DOWN")
	if !strings.Contains(down, `reason: Layer4 connection problem`) || !strings.Contains(down, `"Connection refused"`) {
		t.Errorf("DOWN line: %q", down)
	}

	calls := []struct {
		path   string
		status int
		body   string
		want   traffic
	}{
		{"/api/storefront/items/1", 200, testupstream.HealthyBody, traffic{backend: "shop_svc_storefront_http", server: "SRV_1", term: "----", retries: "0"}},
		{"/api/checkout/pay/2", 502, testupstream.App502Body, traffic{backend: "shop_svc_checkout_http", server: "SRV_1", term: "----", retries: "0"}},
		{"/api/search/q/3", 504, "", traffic{backend: "shop_svc_search_http", server: "SRV_1", term: "sH--", retries: "0", tr: "-1", ta: "500", taMin: 500}},
		{"/api/cart/items/4", 503, "", traffic{backend: "shop_svc_cart_http", server: "<NOSRV>", term: "SC--", retries: "0", tr: "-1"}},
		{"/api/orders/items/5", 503, "", traffic{backend: "shop_svc_orders_http", server: "SRV_1", term: "SC--", retries: "3", tr: "-1"}},
		{"/api/promotions/active", 503, "", traffic{backend: "shop_svc_promotions_http", server: "<NOSRV>", term: "SC--", retries: "0", tr: "-1"}},
		{"/nowhere", 404, "404 page not found", traffic{backend: DefaultBackend, server: "<NOSRV>", term: "LR--", retries: "0"}},
	}
	for _, c := range calls {
		r := hp.Do(t, "GET", host, c.path, nil)
		if r.Status != c.status || (c.body != "" && r.Body != c.body) {
			t.Errorf("%s: got %d %q, want %d %q", c.path, r.Status, r.Body, c.status, c.body)
		}
	}
	lines := hp.WaitRequests(t)
	if len(lines) != len(calls) {
		t.Fatalf("got %d traffic lines, want %d:\n%s", len(lines), len(calls), strings.Join(lines, "\n"))
	}
	for i, c := range calls {
		got := parseTraffic(t, lines[i])
		if got.base != host+c.path {
			t.Errorf("line %d: base %q, want %q", i, got.base, host+c.path)
		}
		w := c.want
		if got.backend != w.backend || got.server != w.server || got.term != w.term || got.retries != w.retries {
			t.Errorf("%s: %s/%s %s retries %s, want %s/%s %s retries %s\n%s", c.path, got.backend, got.server, got.term, got.retries, w.backend, w.server, w.term, w.retries, lines[i])
		}
		if w.tr != "" && got.tr != w.tr {
			t.Errorf("%s: Tr %s, want %s", c.path, got.tr, w.tr)
		}
		if ta, err := strconv.Atoi(got.ta); w.ta != "" && (err != nil || ta < w.taMin) {
			t.Errorf("%s: Ta %s, want at least %d", c.path, got.ta, w.taMin)
		}
	}
	if n := slow.Hits(); n != 1 {
		t.Errorf("slow upstream read %d requests, want 1", n)
	}

	// A reload: the old worker's proxies stop, on both streams.
	hp.Reload(t)
	hp.WaitStdout(t, "Proxy shop_svc_cart_http stopped")
	hp.Stop(t)
	recs := hp.Records(t)
	for _, r := range recs {
		if r.Partial {
			t.Errorf("partial CRI record: %q", r.Msg)
		}
	}
	var downErr bool
	for _, l := range testcri.Lines(recs, "stderr") {
		if strings.HasPrefix(l, "[WARNING]") && strings.Contains(l, "Server shop_svc_cart_http/SRV_1 is DOWN") {
			downErr = true
		}
	}
	if !downErr {
		t.Errorf("no [WARNING] DOWN line on stderr:\n%s", strings.Join(testcri.Lines(recs, "stderr"), "\n"))
	}
}

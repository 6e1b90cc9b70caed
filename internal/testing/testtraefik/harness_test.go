package testtraefik

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/k8s502/otelcol-k8s502/internal/testing/testupstream"
)

func TestNames(t *testing.T) {
	r := Route{Namespace: "shop", Service: "cart", Port: "80", Host: "shop.example.com", Path: "/api/cart/"}
	if got, want := r.ServiceName(), "shop-cart-80"; got != want {
		t.Errorf("ServiceName %q, want %q", got, want)
	}
	if got, want := r.RouterName(), "shop-cart-ingress-shop-example-com-api-cart"; got != want {
		t.Errorf("RouterName %q, want %q", got, want)
	}
	if _, err := dynamicConfig([]Route{r, r}); err == nil {
		t.Error("two routes with one router name were accepted")
	}
}

// debugError is a general-log line of the proxy's failed attempt.
type debugError struct {
	Level   string `json:"level"`
	Message string `json:"message"`
	Error   string `json:"error"`
}

// Every failure the e2e scenarios rely on, as Traefik really logs it.
func TestHarness(t *testing.T) {
	healthy := testupstream.Start(t, "127.0.0.1:0", testupstream.Healthy)
	app := testupstream.Start(t, "127.0.0.1:0", testupstream.App502)
	slow := testupstream.Start(t, "127.0.0.1:0", testupstream.Slow)
	refused := testupstream.Start(t, "127.0.0.1:0", testupstream.Refused)
	const host = "shop.example.com"
	route := func(svc string, servers ...string) Route {
		return Route{Namespace: "shop", Service: svc, Port: "80", Host: host, Path: "/api/" + svc + "/", Servers: servers}
	}
	slowRoute := route("search", slow.Addr)
	slowRoute.ResponseHeaderTimeout = 500 * time.Millisecond
	tr := Start(t, Config{Routes: []Route{
		route("storefront", healthy.Addr),
		route("checkout", app.Addr),
		slowRoute,
		route("cart", refused.Addr),
		route("promotions"),
	}})

	calls := []struct {
		path   string
		status int
		body   string
		svc    string // "" when no router or no server
		addr   string
		origin int
		minDur time.Duration
	}{
		{"/api/storefront/items/1", 200, testupstream.HealthyBody, "storefront", healthy.Addr, 200, 0},
		{"/api/checkout/pay/2", 502, testupstream.App502Body, "checkout", app.Addr, 502, 0},
		{"/api/search/q/3", 504, "Gateway Timeout", "search", slow.Addr, 504, 500 * time.Millisecond},
		{"/api/cart/items/4", 502, "Bad Gateway", "cart", refused.Addr, 502, 0},
		{"/api/promotions/active", 503, "no available server\n", "promotions", "", 0, 0},
		{"/nowhere", 404, "404 page not found\n", "", "", 0, 0},
	}
	for _, c := range calls {
		r := tr.Do(t, "GET", host, c.path, nil)
		if r.Status != c.status || r.Body != c.body {
			t.Errorf("%s: got %d %q, want %d %q", c.path, r.Status, r.Body, c.status, c.body)
		}
	}
	lines := tr.WaitRequests(t)
	if len(lines) != len(calls) {
		t.Fatalf("got %d access lines, want %d", len(lines), len(calls))
	}
	for i, c := range calls {
		a := lines[i]
		if a.RequestPath != c.path || a.DownstreamStatus != c.status || a.OriginStatus != c.origin {
			t.Errorf("line %d: %s %d (origin %d), want %s %d (origin %d)\n%s", i, a.RequestPath, a.DownstreamStatus, a.OriginStatus, c.path, c.status, c.origin, a.Line)
		}
		wantRouter, wantService := "", ""
		if c.path != "/nowhere" {
			rt := route(c.svc)
			wantRouter = rt.RouterName() + "@file"
			if c.addr != "" {
				wantService = rt.ServiceName() + "@file"
			}
		}
		if a.RouterName != wantRouter || a.ServiceName != wantService || a.ServiceAddr != c.addr {
			t.Errorf("%s: router %q service %q addr %q, want %q %q %q", c.path, a.RouterName, a.ServiceName, a.ServiceAddr, wantRouter, wantService, c.addr)
		}
		if d := time.Duration(a.Duration); d < c.minDur || (c.minDur > 0 && d > c.minDur+2*time.Second) {
			t.Errorf("%s: Duration %s, want about %s", c.path, d, c.minDur)
		}
	}
	if n := slow.Hits(); n != 1 {
		t.Errorf("slow upstream read %d requests, want 1", n)
	}

	// The DEBUG error lines the receiver joins: one per failed attempt,
	// naming the upstream.
	want := map[string]string{
		"504 Gateway Timeout": "timeout awaiting response headers",
		"502 Bad Gateway":     "dial tcp " + refused.Addr + ": connect: connection refused",
	}
	for _, l := range tr.StdoutLines(t) {
		var e debugError
		if !strings.HasPrefix(l, "{") || json.Unmarshal([]byte(l), &e) != nil || e.Level != "debug" {
			continue
		}
		if sub, ok := want[e.Message]; ok && strings.Contains(e.Error, sub) {
			delete(want, e.Message)
		}
	}
	for msg, sub := range want {
		t.Errorf("no debug line %q with error containing %q", msg, sub)
	}

	tr.Stop(t)
	recs := tr.Records(t)
	for _, r := range recs {
		if r.Partial {
			t.Errorf("partial CRI record: %q", r.Msg)
		}
	}
	if errs := tr.StderrLines(t); len(errs) > 0 {
		t.Errorf("stderr is not empty:\n%s", strings.Join(errs, "\n"))
	}
}

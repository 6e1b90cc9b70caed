package testnginx

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/k8s502/otelcol-k8s502/internal/testing/testcri"
	"github.com/k8s502/otelcol-k8s502/internal/testing/testupstream"
)

// kongRE is one line of kong_log_format: combined plus the request id.
var kongRE = regexp.MustCompile(`^(\S+) - (\S+) \[([^\]]+)\] "([^"]*)" (\d{3}) (\d+) "([^"]*)" "([^"]*)" kong_request_id: "([0-9a-f]{32})"$`)

// TestKongLayout runs real nginx with the Kong proxy stand-in: access lines
// in kong_log_format, a refused target tried once per default retry before
// the error handler's 502, the ring-balancer's 503 for a Service without
// targets and the router's 404 as Kong's own bodies with no error line, and
// an application's 502 passed through.
func TestKongLayout(t *testing.T) {
	healthy := testupstream.Start(t, "127.0.0.10:0", testupstream.Healthy)
	app := testupstream.Start(t, "127.0.0.11:0", testupstream.App502)
	refused := testupstream.Start(t, "127.0.0.12:0", testupstream.Refused)
	const host = "shop.example.com"
	ng := Start(t, Config{Layout: LayoutKong,
		Container: testcri.Container{Namespace: "kong", Pod: "kong-gateway-5c8d7f9b6-h7k2p", Name: "proxy"}, Locations: []Location{
			{Host: host, Path: "/api/storefront/", UpstreamName: "storefront.shop.80.svc", Servers: []string{healthy.Addr}},
			{Host: host, Path: "/api/checkout/", UpstreamName: "checkout.shop.8080.svc", Servers: []string{app.Addr}},
			{Host: host, Path: "/api/inventory/", UpstreamName: "inventory.shop.8080.svc", Servers: []string{refused.Addr}},
			{Host: host, Path: "/api/promotions/", UpstreamName: "promotions.shop.8080.svc"},
		}})
	conf, err := os.ReadFile(filepath.Join(ng.Dir, "nginx.conf"))
	if err != nil {
		t.Fatal(err)
	}
	confHas(t, conf,
		"log_format kong_log_format "+LogFormatKong+";",
		"access_log /dev/stdout kong_log_format;",
		"error_log stderr notice;",
		"server_name kong;",
		"error_page 500 502 503 504 /kong_error_handler;",
	)
	if !strings.Contains(ng.CRIPath, "/var/log/pods/kong_kong-gateway-5c8d7f9b6-h7k2p_") ||
		!strings.HasSuffix(ng.CRIPath, "/proxy/0.log") {
		t.Errorf("CRI path %s is not the Helm chart's pod and container", ng.CRIPath)
	}

	calls := []struct {
		host, path, client string
		status             int
		body               string // prefix of the body
		errors             int    // error lines for the request
	}{
		{host, "/api/storefront/items/1", "198.51.100.23", 200, testupstream.HealthyBody, 0},
		{host, "/api/checkout/pay/2", "10.12.7.33", 502, testupstream.App502Body, 0},
		{host, "/api/inventory/items/3", "172.20.1.5", 502, Kong502Message + "\nrequest_id: ", KongDefaultTries},
		{host, "/api/promotions/active", "192.0.2.77", 503, "{\n  \"message\":\"" + KongNoPeerMessage + "\",\n  \"request_id\":\"", 0},
		{"unknown.example.com", "/", "192.0.2.78", 404, "{\n  \"message\":\"" + KongNoRouteMessage + "\"", 0},
	}
	for _, c := range calls {
		r := ng.Do(t, "GET", c.host, c.path, map[string]string{"X-Forwarded-For": c.client})
		if r.Status != c.status || !strings.HasPrefix(r.Body, c.body) {
			t.Errorf("%s: got %d %q, want %d %q…", c.path, r.Status, r.Body, c.status, c.body)
		}
	}
	lines := accessLines(t, ng, len(calls))
	for i, c := range calls {
		m := accessLine(t, kongRE, "kong_log_format", lines[i], c.client, c.path, c.status)
		if m == nil {
			continue
		}
		if c.errors == 0 {
			continue
		}
		ng.WaitStderr(t, `request: "GET `+c.path+` HTTP/1.1"`)
		var got []string
		ng.Poll(t, func() bool {
			got = got[:0]
			for _, e := range ng.ErrorLines(t) {
				if strings.Contains(e, `request: "GET `+c.path+` HTTP/1.1"`) {
					got = append(got, e)
				}
			}
			return len(got) >= c.errors
		}, func() string { return strings.Join(got, "\n") })
		want := `connect() failed (111: Connection refused) while connecting to upstream, client: ` + c.client +
			`, server: kong, request: "GET ` + c.path + ` HTTP/1.1", upstream: "http://` + refused.Addr + c.path + `", host: "` + host + `"`
		for _, e := range got {
			if !strings.HasSuffix(e, want) {
				t.Errorf("error line %q\nwant it to end in %q", e, want)
			}
		}
		if len(got) != c.errors {
			t.Errorf("%s: %d error lines, want one per try (%d)", c.path, len(got), c.errors)
		}
	}
	for _, e := range ng.ErrorLines(t) {
		for _, p := range []string{"/api/storefront/", "/api/checkout/", "/api/promotions/", `"GET / `} {
			if strings.Contains(e, p) {
				t.Errorf("error line for %s: %q", p, e)
			}
		}
	}
}

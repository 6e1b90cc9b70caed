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

// combinedRE is one line of nginx's predefined combined format, which NGF
// logs with unless NginxProxy spec.logging.accessLog.format is set.
var combinedRE = regexp.MustCompile(`^(\S+) - (\S+) \[([^\]]+)\] "([^"]*)" (\d{3}) (\d+) "([^"]*)" "([^"]*)"$`)

// TestNGFLayout runs real nginx with NGINX Gateway Fabric's layout: access
// lines in combined with no upstream field, upstreams named
// <namespace>_<service>_<port> in no access line and only as the peer in
// error lines, a Service without endpoints answered 503 and an invalid
// backendRef 500 by internal servers without any error line, and a
// BackendTLSPolicy whose CA did not sign the backend's certificate.
func TestNGFLayout(t *testing.T) {
	healthy := testupstream.Start(t, "127.0.0.10:0", testupstream.Healthy)
	refused := testupstream.Start(t, "127.0.0.12:0", testupstream.Refused)
	wallet := testupstream.Start(t, "127.0.0.13:0", testupstream.TLS)
	const host = "shop.example.com"
	ng := Start(t, Config{Layout: LayoutNGF,
		Container: testcri.Container{Namespace: "default", Pod: "gateway-nginx-6d9c7b8f5-qx2lm", Name: "nginx"}, Locations: []Location{
			{Host: host, Path: "/api/storefront/", UpstreamName: "shop_storefront_80", Servers: []string{healthy.Addr}},
			{Host: host, Path: "/api/inventory/", UpstreamName: "shop_inventory_8080", Servers: []string{refused.Addr}},
			{Host: host, Path: "/api/promotions/", UpstreamName: "shop_promotions_8080"},
			{Host: host, Path: "/api/legacy/", UpstreamName: NGFInvalidBackendRef},
			{Host: host, Path: "/api/wallet/", UpstreamName: "shop_wallet_8443", Servers: []string{wallet.Addr},
				HTTPS: true, SSLVerify: true, SSLName: testupstream.TLSName},
		}})
	conf, err := os.ReadFile(filepath.Join(ng.Dir, "nginx.conf"))
	if err != nil {
		t.Fatal(err)
	}
	confHas(t, conf,
		"upstream shop_inventory_8080 {\n    random two least_conn;\n    zone shop_inventory_8080 512k;\n    server "+refused.Addr+";\n    keepalive 16;",
		"upstream shop_promotions_8080 {\n    random two least_conn;\n    zone shop_promotions_8080 512k;\n    server unix:",
		"access_log /dev/stdout combined;",
		"error_log stderr info;",
		"proxy_ssl_verify on;",
	)
	if strings.Contains(string(conf), "log_format") {
		t.Errorf("NGF's default nginx.conf defines no log_format:\n%s", conf)
	}
	if !strings.Contains(ng.CRIPath, "/var/log/pods/default_gateway-nginx-6d9c7b8f5-qx2lm_") ||
		!strings.HasSuffix(ng.CRIPath, "/nginx/0.log") {
		t.Errorf("CRI path %s is not the data plane's pod and container", ng.CRIPath)
	}

	calls := []struct {
		path, client string
		status       int
		err          string // the error line's message, "" for none
		upstream     string
	}{
		{"/api/storefront/items/1", "198.51.100.23", 200, "", ""},
		{"/api/inventory/items/2", "10.12.7.33", 502, "connect() failed (111: Connection refused) while connecting to upstream", refused.Addr},
		{"/api/promotions/active", "192.0.2.77", 503, "", ""},
		{"/api/legacy/orders", "192.0.2.78", 500, "", ""},
		{"/api/wallet/balance", "203.0.113.40", 502, "upstream SSL certificate verify error: (18:self-signed certificate) while SSL handshaking to upstream", wallet.Addr},
	}
	for _, c := range calls {
		r := ng.Do(t, "GET", host, c.path, map[string]string{"X-Forwarded-For": c.client})
		if r.Status != c.status {
			t.Errorf("%s: got %d %q, want %d", c.path, r.Status, r.Body, c.status)
		}
	}
	lines := accessLines(t, ng, len(calls))
	for i, c := range calls {
		m := accessLine(t, combinedRE, "combined", lines[i], c.client, c.path, c.status)
		if m == nil {
			continue
		}
		if c.err == "" {
			continue
		}
		scheme := "http://"
		if strings.Contains(c.path, "wallet") {
			scheme = "https://"
		}
		e := ng.WaitStderr(t, `request: "GET `+c.path+` HTTP/1.1"`)
		want := c.err + `, client: ` + c.client + `, server: ` + host + `, request: "GET ` + c.path +
			` HTTP/1.1", upstream: "` + scheme + c.upstream + c.path + `", host: "` + host + `"`
		if !strings.Contains(e, want) {
			t.Errorf("error line %q\nlacks %q", e, want)
		}
	}
	// No endpoints and an invalid backendRef leave nothing in the error
	// log: the status is the only trace.
	for _, e := range ng.ErrorLines(t) {
		for _, p := range []string{"/api/storefront/", "/api/promotions/", "/api/legacy/"} {
			if strings.Contains(e, p) {
				t.Errorf("error line for %s: %q", p, e)
			}
		}
	}
}

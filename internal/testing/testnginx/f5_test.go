package testnginx

import (
	"net"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/k8s502/otelcol-k8s502/internal/testing/testcri"
	"github.com/k8s502/otelcol-k8s502/internal/testing/testupstream"
)

// f5MainRE is one line of F5's main format: no upstream field at all.
var f5MainRE = regexp.MustCompile(`^(\S+) - (\S+) \[([^\]]+)\] "([^"]*)" (\d{3}) (\d+) "([^"]*)" "([^"]*)" "([^"]*)"$`)

// TestF5Layout runs real nginx with F5 NGINX Ingress Controller's layout:
// access lines in the main format, the upstream named in no access line and
// only in the error line, and a Service without endpoints sent to
// 127.0.0.1:8181, where nothing listens.
func TestF5Layout(t *testing.T) {
	if c, err := net.DialTimeout("tcp", F5NoEndpointsServer, time.Second); err == nil {
		_ = c.Close()
		t.Fatalf("something listens on %s; F5's no-endpoints upstream must refuse", F5NoEndpointsServer)
	}
	healthy := testupstream.Start(t, "127.0.0.10:0", testupstream.Healthy)
	refused := testupstream.Start(t, "127.0.0.12:0", testupstream.Refused)
	const host = "shop.example.com"
	name := func(svc string) string { return "shop-shop-ingress-" + host + "-" + svc + "-80" }
	ng := Start(t, Config{
		Layout:    LayoutF5,
		Container: testcri.Container{Namespace: "nginx-ingress", Pod: "nginx-ingress-controller-6f9c8d7b5-p9q3w", Name: "nginx-ingress"},
		Locations: []Location{
			{Host: host, Path: "/api/storefront/", UpstreamName: name("storefront"), Servers: []string{healthy.Addr}},
			{Host: host, Path: "/api/inventory/", UpstreamName: name("inventory"), Servers: []string{refused.Addr}},
			{Host: host, Path: "/api/promotions/", UpstreamName: name("promotions")},
		},
	})
	conf, err := os.ReadFile(filepath.Join(ng.Dir, "nginx.conf"))
	if err != nil {
		t.Fatal(err)
	}
	confHas(t, conf,
		"upstream "+name("inventory")+" {",
		"server "+refused.Addr+" max_fails=1 fail_timeout=10s max_conns=0;",
		"upstream "+name("promotions")+" {\n    zone "+name("promotions")+" 256k;\n    random two least_conn;\n    server 127.0.0.1:8181 max_fails=1 fail_timeout=10s max_conns=0;",
		"access_log /dev/stdout main;",
		"error_log stderr notice;",
	)
	if !strings.Contains(ng.CRIPath, "/var/log/pods/nginx-ingress_nginx-ingress-controller-6f9c8d7b5-p9q3w_") ||
		!strings.HasSuffix(ng.CRIPath, "/nginx-ingress/0.log") {
		t.Errorf("CRI path %s is not the Helm chart's pod and container", ng.CRIPath)
	}

	calls := []struct {
		path, client string
		status       int
		upstream     string // the error line's upstream: value, "" for none
	}{
		{"/api/storefront/items/1", "198.51.100.23", 200, ""},
		{"/api/inventory/items/2", "10.12.7.33", 502, "http://" + refused.Addr + "/api/inventory/items/2"},
		{"/api/promotions/active", "192.0.2.77", 502, "http://127.0.0.1:8181/api/promotions/active"},
	}
	for _, c := range calls {
		r := ng.Do(t, "GET", host, c.path, map[string]string{"X-Forwarded-For": c.client})
		if r.Status != c.status {
			t.Errorf("%s: got %d %q, want %d", c.path, r.Status, r.Body, c.status)
		}
	}
	lines := accessLines(t, ng, len(calls))
	for i, c := range calls {
		m := accessLine(t, f5MainRE, "main-format", lines[i], c.client, c.path, c.status)
		if m == nil {
			continue
		}
		if m[9] != c.client {
			t.Errorf("access line %q: want X-Forwarded-For %s", lines[i], c.client)
		}
		if strings.Contains(lines[i], "127.0.0.") {
			t.Errorf("access line names an upstream: %q", lines[i])
		}
		if c.upstream == "" {
			continue
		}
		e := ng.WaitStderr(t, `upstream: "`+c.upstream+`"`)
		want := `connect() failed (111: Connection refused) while connecting to upstream, client: ` + c.client +
			`, server: ` + host + `, request: "GET ` + c.path + ` HTTP/1.1", upstream: "` + c.upstream + `", host: "` + host + `"`
		if !strings.Contains(e, want) {
			t.Errorf("error line %q\nlacks %q", e, want)
		}
	}
	for _, e := range ng.ErrorLines(t) {
		if strings.Contains(e, "/api/storefront/") {
			t.Errorf("error line for the healthy request: %q", e)
		}
	}
}

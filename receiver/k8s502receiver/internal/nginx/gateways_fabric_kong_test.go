package nginx

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/k8s502/otelcol-k8s502/internal/schema"
	"github.com/k8s502/otelcol-k8s502/receiver/k8s502receiver/internal/gateway"
)

const (
	// From testdata/kong: Kong's kong_log_format, written by real nginx.
	kongAccess = `172.20.1.5 - - [07/Dec/2026:21:43:19 +0000] "GET /api/inventory/items/00002 HTTP/1.1" 502 103 "-" "curl/8.5.0" kong_request_id: "d6e3d38acfa597b9badcfd74caeb6eee"`
	// The same request's error line as real Kong writes it: nginx's line
	// plus lua-kong-nginx-module's request_id suffix (the capture's stock
	// nginx cannot add it).
	kongRefused = `2026/12/07 21:43:19 [error] 1254#0: *2 connect() failed (111: Connection refused) while connecting to upstream, client: 172.20.1.5, server: kong, request: "GET /api/inventory/items/00002 HTTP/1.1", upstream: "http://127.0.0.13:38341/api/inventory/items/00002", host: "shop.example.com", request_id: "d6e3d38acfa597b9badcfd74caeb6eee"`
	// From testdata/ngf: nginx's combined format.
	ngfAccess = `10.12.7.33 - - [07/Dec/2026:21:40:02 +0000] "GET /api/inventory/items/00002 HTTP/1.1" 502 150 "-" "curl/8.5.0"`
)

// Kong's access line fills the request id from $kong_request_id and names
// no upstream; its error line's request_id suffix is read as the id, not
// as part of the host, and the two share the join key.
func TestKongLines(t *testing.T) {
	p := newParser(t, Kong)
	var a, e gateway.Parsed
	require.Equal(t, gateway.Request, p.Parse([]byte(kongAccess), false, watched5xx, &a))
	assert.Equal(t, "d6e3d38acfa597b9badcfd74caeb6eee", a.Access.RequestID)
	assert.Equal(t, 502, a.Access.Status)
	assert.Equal(t, int64(103), a.Access.BodyBytes)
	assert.True(t, a.Access.UpstreamUnlogged, "kong_log_format has no upstream fields")
	assert.Empty(t, a.Access.Attempts)

	require.Equal(t, gateway.Failure, p.Parse([]byte(kongRefused), true, watched5xx, &e))
	assert.Equal(t, schema.ErrConnectRefused, e.Error.Kind)
	assert.Equal(t, "shop.example.com", e.Error.Host)
	assert.Equal(t, "d6e3d38acfa597b9badcfd74caeb6eee", e.Error.RequestID)
	assert.Equal(t, "127.0.0.13:38341", e.Error.Peer())
	assert.Equal(t, string(a.Key), string(e.Key))

	// Without the suffix (stock nginx, the capture) nothing changes but the id.
	e.Reset()
	stock := kongRefused[:len(kongRefused)-len(`, request_id: "d6e3d38acfa597b9badcfd74caeb6eee"`)]
	require.Equal(t, gateway.Failure, p.Parse([]byte(stock), true, watched5xx, &e))
	assert.Equal(t, "shop.example.com", e.Error.Host)
	assert.Empty(t, e.Error.RequestID)
}

// A Kong error line cut at nginx's error-string limit inside its request id
// keeps no partial id (which would refuse the right access line).
func TestKongRequestIDCut(t *testing.T) {
	cut := kongRefused[:len(kongRefused)-10]
	e, err := ParseError([]byte(cut), nil)
	require.NoError(t, err)
	assert.True(t, e.Truncated)
	assert.Empty(t, e.RequestID)
	assert.Equal(t, "shop.example.com", e.Host)
}

// NGF's default is combined: no upstream, no id. A format set through
// NginxProxy spec.logging.accessLog.format may log $proxy_host, which in
// NGF is the upstream block's name, <namespace>_<service>_<port>; the
// balancer names of ingress-nginx and Kong are no upstream name.
func TestNGFLines(t *testing.T) {
	p := newParser(t, NGF)
	var a gateway.Parsed
	require.Equal(t, gateway.Request, p.Parse([]byte(ngfAccess), false, watched5xx, &a))
	assert.True(t, a.Access.UpstreamUnlogged)
	assert.Empty(t, a.Access.UpstreamName)
	assert.Empty(t, a.Access.RequestID)

	f := mustCompile(t, CombinedFormat+` $proxy_host $upstream_addr`)
	for host, want := range map[string]string{
		"shop_promotions_8080": "shop_promotions_8080",
		"upstream_balancer":    "",
		"kong_upstream":        "",
		"-":                    "",
	} {
		var l Fields
		require.NoError(t, f.Scan([]byte(ngfAccess+" "+host+" unix:/var/run/nginx/nginx-503-server.sock"), &l, true))
		acc := f.Access(&l)
		assert.Equal(t, want, acc.UpstreamName, host)
		require.Len(t, acc.Attempts, 1)
		assert.Equal(t, "unix:/var/run/nginx/nginx-503-server.sock", acc.Attempts[0].Addr)
	}
	// $proxy_upstream_name, when logged, wins.
	f = mustCompile(t, CombinedFormat+` $proxy_host [$proxy_upstream_name]`)
	var l Fields
	require.NoError(t, f.Scan([]byte(ngfAccess+" upstream_balancer [shop-cart-8080]"), &l, true))
	assert.Equal(t, "shop-cart-8080", f.Access(&l).UpstreamName)
}

// The profiles' names are the schema's, their formats compile, and their
// default include matches the pod and container the charts create (the
// captures' paths).
func TestNGFAndKongProfiles(t *testing.T) {
	assert.Equal(t, schema.GatewayNGF, NGF.Name)
	assert.Equal(t, schema.GatewayKong, Kong.Name)
	assert.Equal(t, CombinedFormat, NGF.DefaultFormat)
	assert.Equal(t, KongFormat, Kong.DefaultFormat)
	for pr, dir := range map[*gateway.Profile]string{&NGF: "ngf", &Kong: "kong"} {
		np, err := pr.Parsers(gateway.Options{})
		require.NoError(t, err, pr.Name)
		require.NotNil(t, np(), pr.Name)
		root := filepath.Join("..", "..", "testdata", dir)
		logs, err := filepath.Glob(filepath.Join(root, "var", "log", "pods", "*", "*", "*.log"))
		require.NoError(t, err)
		require.Len(t, logs, 1, dir)
		path := "/" + filepath.ToSlash(strings.TrimPrefix(logs[0], root+string(filepath.Separator)))
		matched := false
		for _, pattern := range pr.DefaultInclude {
			ok, err := filepath.Match(pattern, path)
			require.NoError(t, err)
			matched = matched || ok
		}
		assert.True(t, matched, "%s: %s matches none of %v", pr.Name, path, pr.DefaultInclude)
		ok, _ := filepath.Match(pr.DefaultInclude[0], "/var/log/pods/ngf_ngf-nginx-gateway-fabric-5d4f-x2x4z_uid/nginx-gateway/0.log")
		assert.False(t, ok, "%s: the NGF control plane logs no requests", pr.Name)
	}
}

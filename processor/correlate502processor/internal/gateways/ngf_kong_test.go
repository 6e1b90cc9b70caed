package gateways

import (
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/k8s502/otelcol-k8s502/internal/schema"
)

// NGF names upstreams <namespace>_<service>_<port> with the Service port's
// number, in the upstream name (a format logging $proxy_host) or as the
// group that "no live upstreams" names; '_' is in no DNS label, so the
// name splits one way, and a port the Service lacks resolves nothing.
func TestNGFResolve(t *testing.T) {
	s := storeWith(svc("shop", "tax", port("http", 8080)), svc("shop", "tax-eu", port("http", 8080)), svc("shop-eu", "tax", port("http", 8080)))
	ngf := Lookup(schema.GatewayNGF)
	assert.Equal(t, []string{"shop/tax"}, names(ngf.Resolve(s, "shop_tax_8080", "")))
	assert.Equal(t, []string{"shop/tax-eu"}, names(ngf.Resolve(s, "", "shop_tax-eu_8080")), "the group name as the peer")
	assert.Equal(t, []string{"shop-eu/tax"}, names(ngf.Resolve(s, "shop-eu_tax_8080_0", "")), "session persistence's index")
	assert.Empty(t, ngf.Resolve(s, "shop_tax_9090", ""), "no such Service port")
	assert.Empty(t, ngf.Resolve(s, "shop_tax_http", ""), "NGF names the port by number")
	assert.Empty(t, ngf.Resolve(s, "", "127.0.0.13:38147"))
	assert.Empty(t, ngf.Resolve(s, "shop-tax-8080", ""), "ingress-nginx's form is not NGF's")
	assert.Equal(t, []string{ngfNoEndpoints}, ngf.Sentinels)
	assert.True(t, ngf.NamesGroups)
	assert.Equal(t, 503, ngf.Silent.Status)
}

// Kong's logs name no Service, Upstream or Route: nothing resolves by
// name, whatever the name looks like; the address's pod gives the Service.
func TestKongResolvesByAddressOnly(t *testing.T) {
	s := storeWith(svc("shop", "cart", port("http", 8080)))
	kong := Lookup(schema.GatewayKong)
	for _, name := range []string{"shop-cart-8080", "cart.shop.8080.svc", "shop_cart_8080"} {
		assert.Empty(t, kong.Resolve(s, name, ""), name)
		assert.Empty(t, kong.Resolve(s, "", name), name)
	}
	assert.Empty(t, kong.Sentinels)
	assert.True(t, kong.NamesGroups)
	assert.Equal(t, 503, kong.Silent.Status)
}

// Each speaks its own vocabulary: NGF's policies and Kong's annotations,
// on the failed request's Service.
func TestNGFAndKongKnobs(t *testing.T) {
	r := Route{Ingress: "the Ingress routing to service shop/cart", Namespace: "shop", Service: "cart"}
	k := Lookup(schema.GatewayNGF).Knobs(r)
	assert.Contains(t, k.ReadTimeout, "ProxySettingsPolicy")
	assert.Contains(t, k.ReadTimeout, "service shop/cart")
	assert.Contains(t, k.TrustCA, "BackendTLSPolicy")
	assert.Contains(t, k.Keepalive, "UpstreamSettingsPolicy")
	k = Lookup(schema.GatewayKong).Knobs(r)
	assert.Contains(t, k.ReadTimeout, "konghq.com/read-timeout")
	assert.Contains(t, k.ConnectTimeout, "konghq.com/connect-timeout annotation (milliseconds) on service shop/cart")
	assert.Contains(t, k.BackendTLS, "konghq.com/protocol")
	for _, v := range []string{k.ReadTimeout, k.ConnectTimeout, k.BackendTLS, k.TrustCA, k.Keepalive, k.HeaderBuffer} {
		assert.NotContains(t, v, "nginx.ingress.kubernetes.io")
		assert.NotContains(t, v, "nginx.org/")
	}
	assert.Contains(t, Lookup(schema.GatewayNGF).Knobs(Route{}).ReadTimeout, "this Service")
}

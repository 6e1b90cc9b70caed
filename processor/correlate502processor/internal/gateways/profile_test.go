package gateways

import (
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/k8s502/otelcol-k8s502/internal/schema"
)

// Every gateway the receiver can name has its own profile, and every
// profile is complete: a new one is checked here without a new test.
func TestEveryGatewayHasAProfile(t *testing.T) {
	for _, g := range []string{schema.GatewayIngressNginx, schema.GatewayNginx, schema.GatewayF5Nginx, schema.GatewayHAProxy, schema.GatewayTraefik, schema.GatewayEnvoy, schema.GatewayNGF, schema.GatewayKong, schema.GatewayCilium} {
		assert.Contains(t, profiles, g)
	}
	r := Route{Ingress: "the Ingress routing to service shop/cart", Namespace: "shop", Service: "cart", Address: "10.0.0.1:8080"}
	for g, p := range profiles {
		assert.Same(t, p, Lookup(g))
		assert.Equal(t, g, p.Name)
		k := p.Knobs(r)
		assert.NotEmpty(t, k.ReadTimeout, g)
		assert.NotEmpty(t, k.ConnectTimeout, g)
		assert.NotEmpty(t, k.BackendTLS, g)
		assert.NotEmpty(t, k.TrustCA, g)
		assert.NotEmpty(t, k.HeaderBuffer, g)
		if p.KeepaliveFix == nil {
			assert.NotEmpty(t, k.Keepalive, g, "without its own keep-alive remediation the knob is named")
		}
	}
}

// Records from before the format option carry no gateway: ingress-nginx.
func TestLookupEmptyIsIngressNginx(t *testing.T) {
	assert.Same(t, Lookup(schema.GatewayIngressNginx), Lookup(""))
}

// A gateway no profile describes is named by its own value and its
// settings generically, never with another proxy's.
func TestLookupUnknown(t *testing.T) {
	p := Lookup("pomerium")
	assert.Equal(t, "pomerium", p.Name)
	assert.Equal(t, "pomerium", p.Words)
	assert.False(t, p.NamesGroups)
	assert.Empty(t, p.Sentinels)
	assert.Nil(t, p.TLSFix)
	k := p.Knobs(Route{Ingress: "the Ingress"})
	for _, v := range []string{k.ReadTimeout, k.ConnectTimeout, k.BackendTLS, k.TrustCA, k.Keepalive, k.HeaderBuffer} {
		assert.Contains(t, v, "the gateway")
		assert.NotContains(t, v, "nginx")
	}
	s := storeWith(svc("shop", "cart", port("http", 8080)))
	assert.Equal(t, []string{"shop/cart"}, names(p.Resolve(s, "shop-cart-8080", "")))
}

func TestRegisterRejects(t *testing.T) {
	assert.Panics(t, func() {
		register(&Profile{Name: schema.GatewayHAProxy, Words: "x", Resolve: byUpstreamName, Knobs: generic("x").Knobs})
	}, "twice")
	assert.Panics(t, func() { register(&Profile{Name: "y", Words: "y"}) }, "no resolver or knobs")
}

// ingress-nginx's keep-alive fix patches the ConfigMap in the controller's
// own namespace.
func TestIngressNginxKeepaliveNamespace(t *testing.T) {
	fix := Lookup(schema.GatewayIngressNginx).KeepaliveFix
	assert.Contains(t, fix(Route{}), "kubectl -n ingress-nginx patch configmap")
	assert.Contains(t, fix(Route{ControllerNamespace: "edge"}), "kubectl -n edge patch configmap")
}

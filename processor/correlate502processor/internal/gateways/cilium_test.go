package gateways

import (
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/k8s502/otelcol-k8s502/internal/schema"
)

// Cilium's lines name no cluster, so its profile resolves by address only:
// a name that would resolve for ingress-nginx must not resolve here, and
// a peer address is never read as a name either.
func TestCiliumResolvesByAddressOnly(t *testing.T) {
	p := Lookup(schema.GatewayCilium)
	assert.Equal(t, schema.GatewayCilium, p.Name)
	s := storeWith(svc("shop", "cart", port("http", 8080)))
	assert.NotEmpty(t, Lookup(schema.GatewayIngressNginx).Resolve(s, "shop-cart-8080", ""))
	assert.Empty(t, p.Resolve(s, "shop-cart-8080", ""))
	assert.Empty(t, p.Resolve(s, "", "10.244.1.17"))
	assert.False(t, p.NamesGroups, "Envoy logs the host it tried: one server")
	assert.Empty(t, p.Sentinels)
}

// Its remediations name Cilium's and Gateway API's settings, not another
// proxy's, and the Service when it is known.
func TestCiliumKnobs(t *testing.T) {
	k := Lookup(schema.GatewayCilium).Knobs(Route{Namespace: "shop", Service: "cart", Address: "10.244.1.17:8080"})
	assert.Contains(t, k.ReadTimeout, "HTTPRoute rule routing to service shop/cart")
	assert.Contains(t, k.ConnectTimeout, "envoy.connectTimeoutSeconds")
	assert.Contains(t, k.BackendTLS, "BackendTLSPolicy")
	assert.Contains(t, k.TrustCA, "validation.caCertificateRefs")
	assert.Contains(t, k.Keepalive, "envoy.idleTimeoutDurationSeconds")
	for _, v := range []string{k.ReadTimeout, k.ConnectTimeout, k.BackendTLS, k.TrustCA, k.Keepalive, k.HeaderBuffer} {
		for _, other := range []string{"nginx", "Istio", "DestinationRule", "BackendTrafficPolicy", "haproxy", "Traefik"} {
			assert.NotContains(t, v, other)
		}
	}
	assert.Contains(t, Lookup(schema.GatewayCilium).Knobs(Route{}).ReadTimeout, "routing to the Service")
}

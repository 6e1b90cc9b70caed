package gateways

import (
	"testing"

	"github.com/stretchr/testify/assert"
	corev1 "k8s.io/api/core/v1"

	"github.com/k8s502/otelcol-k8s502/internal/schema"
)

// F5 names upstreams <ns>-<ingress>-<host>-<service>-<port>: dashes on
// every side, so only the affixes can be checked.
func TestF5Affixes(t *testing.T) {
	var svcs []*corev1.Service
	for _, k := range [][2]string{{"shop", "cart"}, {"shop", "shop-cart"}, {"shop-eu", "cart"}, {"shop", "tax"}} {
		svcs = append(svcs, svc(k[0], k[1], port("http", 8080)))
	}
	s := storeWith(svcs...)
	assert.Equal(t, []string{"shop/cart"}, names(f5Affixes(s, "shop-web-ingress-shop.example.com-cart-8080")))
	assert.Equal(t, []string{"shop/cart"}, names(f5Affixes(s, "shop-web-ingress-shop.example.com-cart-http")))
	// "shop-shop-cart-8080" fits shop/shop-cart with nothing between: the
	// ingress and host parts are missing, so it is not an F5 name of it,
	// but shop/cart (ingress "shop") fits.
	assert.Equal(t, []string{"shop/cart"}, names(f5Affixes(s, "shop-shop-cart-8080")))
	assert.Equal(t, []string{"shop/shop-cart", "shop/cart"}, names(f5Affixes(s, "shop-web-a.example.com-shop-cart-8080")), "longest service name first")
	assert.Equal(t, []string{"shop-eu/cart", "shop/cart"}, names(f5Affixes(s, "shop-eu-web-eu.example.com-cart-8080")), "both namespaces the name can start with, by namespace/name")
	assert.Empty(t, f5Affixes(s, "shop-web-ingress-shop.example.com-orders-8080"))
}

// The F5 profile tries ingress-nginx's form first, then its own from the
// upstream name, then from the group name the error log gave as the peer.
func TestF5Resolve(t *testing.T) {
	s := storeWith(svc("shop", "cart", port("http", 8080)))
	f5 := Lookup(schema.GatewayF5Nginx)
	assert.Equal(t, []string{"shop/cart"}, names(f5.Resolve(s, "shop-cart-8080", "")))
	assert.Equal(t, []string{"shop/cart"}, names(f5.Resolve(s, "shop-web-shop.example.com-cart-8080", "10.0.0.1")))
	assert.Equal(t, []string{"shop/cart"}, names(f5.Resolve(s, "", "shop-web-shop.example.com-cart-8080")))
	assert.Empty(t, f5.Resolve(s, "", "10.0.0.1"), "an address is not a name")
	assert.Empty(t, Lookup(schema.GatewayIngressNginx).Resolve(s, "shop-web-shop.example.com-cart-8080", ""), "F5's names are F5's")
}

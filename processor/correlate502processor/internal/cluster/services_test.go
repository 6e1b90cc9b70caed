package cluster

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestServiceForUpstream(t *testing.T) {
	s := NewStore(time.Hour)
	s.UpsertService(mkService("shop", "inventory", map[string]string{"app": "inventory"}, port("http", 8080)), at(0))
	s.UpsertService(mkService("shop", "search", nil, port("http", 80)), at(0))
	s.UpsertService(mkService("shop", "billing", nil, port("https", 443), port("metrics", 9090)), at(0))
	s.UpsertService(mkService("shop", "legacy-tls", nil, port("", 443)), at(0))
	s.UpsertService(mkService("shop", "checkout-canary", nil, port("http", 8080)), at(0))
	// Ambiguous: a-b/c and a/b-c both make a-b-c-80.
	s.UpsertService(mkService("a-b", "c", nil, port("web", 80)), at(0))
	s.UpsertService(mkService("a", "b-c", nil, port("", 80)), at(0))

	tests := []struct {
		upstream string
		ns, svc  string
		port     int32
		portName string
		ok       bool
	}{
		{"shop-inventory-8080", "shop", "inventory", 8080, "http", true},
		{"shop-inventory-http", "shop", "inventory", 8080, "http", true}, // backend by port name
		{"shop-search-http", "shop", "search", 80, "http", true},
		{"shop-search-80", "shop", "search", 80, "http", true},
		{"shop-billing-https", "shop", "billing", 443, "https", true},
		{"shop-billing-9090", "shop", "billing", 9090, "metrics", true},
		{"shop-legacy-tls-443", "shop", "legacy-tls", 443, "", true},
		{"shop-checkout-canary-8080", "shop", "checkout-canary", 8080, "http", true},
		{"a-b-c-80", "a", "b-c", 80, "", true}, // first by namespace
		{"a-b-c-web", "a-b", "c", 80, "web", true},
		{"shop-inventory-8081", "", "", 0, "", false},
		{"shop-inventory", "", "", 0, "", false},
		{"upstream-default-backend", "", "", 0, "", false},
		{"", "", "", 0, "", false},
	}
	for _, tc := range tests {
		t.Run(tc.upstream, func(t *testing.T) {
			svc, p, ok := s.ServiceForUpstream(tc.upstream)
			require.Equal(t, tc.ok, ok)
			if !ok {
				return
			}
			assert.Equal(t, tc.ns, svc.Namespace)
			assert.Equal(t, tc.svc, svc.Name)
			assert.Equal(t, tc.port, p.Port)
			assert.Equal(t, tc.portName, p.Name)
		})
	}

	all := s.ServicesForUpstream("a-b-c-80")
	require.Len(t, all, 2)
	assert.Equal(t, "a/b-c", all[0].Service.Namespace+"/"+all[0].Service.Name)
	assert.Equal(t, "a-b/c", all[1].Service.Namespace+"/"+all[1].Service.Name)
	assert.Len(t, s.ServicesForUpstream("shop-inventory-8080"), 1)
	assert.Empty(t, s.ServicesForUpstream("nope-80"))
}

func TestServiceUpdateAndDeleteReindex(t *testing.T) {
	s := NewStore(time.Hour)
	s.UpsertService(mkService("shop", "cart", nil, port("http", 8080)), at(0))
	s.UpsertService(mkService("shop", "cart", nil, port("web", 9000)), at(1))

	_, _, ok := s.ServiceForUpstream("shop-cart-8080")
	assert.False(t, ok, "the old port is gone")
	_, p, ok := s.ServiceForUpstream("shop-cart-web")
	require.True(t, ok)
	assert.Equal(t, int32(9000), p.Port)

	got, ok := s.Service("shop", "cart")
	require.True(t, ok)
	assert.Equal(t, "web", got.Spec.Ports[0].Name)

	s.DeleteService(mkService("shop", "cart", nil), at(2))
	_, _, ok = s.ServiceForUpstream("shop-cart-9000")
	assert.False(t, ok)
	_, ok = s.Service("shop", "cart")
	assert.False(t, ok)
	assert.Equal(t, 0, s.Stats()["upstream_names"])
}

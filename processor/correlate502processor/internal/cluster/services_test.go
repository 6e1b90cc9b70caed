package cluster

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
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

// Proxies that name the Service outright (HAProxy backends, Istio and
// Contour clusters) give the port as a number or a name.
func TestServicePort(t *testing.T) {
	s := NewStore(time.Hour)
	s.UpsertService(&corev1.Service{ObjectMeta: metav1.ObjectMeta{Namespace: "shop", Name: "cart"},
		Spec: corev1.ServiceSpec{Ports: []corev1.ServicePort{{Name: "http", Port: 80}, {Name: "admin", Port: 9090}}}}, time.Time{})
	m, ok := s.ServicePort("shop", "cart", "9090")
	require.True(t, ok)
	assert.Equal(t, "admin", m.Port.Name)
	m, ok = s.ServicePort("shop", "cart", "http")
	require.True(t, ok)
	assert.Equal(t, int32(80), m.Port.Port)
	m, ok = s.ServicePort("shop", "cart", "8443")
	require.True(t, ok, "an unknown port still names the Service")
	assert.Zero(t, m.Port.Port)
	_, ok = s.ServicePort("shop", "carts", "80")
	assert.False(t, ok)
}

// F5 names upstreams <ns>-<ingress>-<host>-<service>-<port>: dashes on
// every side, so only the affixes can be checked.
func TestServicesForUpstreamAffixes(t *testing.T) {
	s := NewStore(time.Hour)
	for _, k := range [][2]string{{"shop", "cart"}, {"shop", "shop-cart"}, {"shop-eu", "cart"}, {"shop", "tax"}} {
		s.UpsertService(&corev1.Service{ObjectMeta: metav1.ObjectMeta{Namespace: k[0], Name: k[1]},
			Spec: corev1.ServiceSpec{Ports: []corev1.ServicePort{{Name: "http", Port: 8080}}}}, time.Time{})
	}
	names := func(ms []UpstreamMatch) []string {
		var out []string
		for _, m := range ms {
			out = append(out, m.Service.Namespace+"/"+m.Service.Name)
		}
		return out
	}
	assert.Equal(t, []string{"shop/cart"}, names(s.ServicesForUpstreamAffixes("shop-web-ingress-shop.example.com-cart-8080")))
	assert.Equal(t, []string{"shop/cart"}, names(s.ServicesForUpstreamAffixes("shop-web-ingress-shop.example.com-cart-http")))
	// "shop-shop-cart-8080" fits shop/shop-cart with nothing between: the
	// ingress and host parts are missing, so it is not an F5 name of it,
	// but shop/cart (ingress "shop") fits.
	assert.Equal(t, []string{"shop/cart"}, names(s.ServicesForUpstreamAffixes("shop-shop-cart-8080")))
	assert.Equal(t, []string{"shop/shop-cart", "shop/cart"}, names(s.ServicesForUpstreamAffixes("shop-web-a.example.com-shop-cart-8080")), "longest service name first")
	assert.Empty(t, s.ServicesForUpstreamAffixes("shop-web-ingress-shop.example.com-orders-8080"))
}

func TestServiceOfEndpoint(t *testing.T) {
	s := NewStore(time.Hour)
	t0 := time.Date(2026, 11, 25, 10, 0, 0, 0, time.UTC)
	s.UpsertService(&corev1.Service{ObjectMeta: metav1.ObjectMeta{Namespace: "shop", Name: "cart"},
		Spec: corev1.ServiceSpec{Ports: []corev1.ServicePort{{Name: "http", Port: 80}}}}, t0)
	port := int32(8080)
	ready := true
	s.UpsertEndpointSlice(&discoveryv1.EndpointSlice{
		ObjectMeta: metav1.ObjectMeta{Namespace: "shop", Name: "cart-x", Labels: map[string]string{discoveryv1.LabelServiceName: "cart"}},
		Ports:      []discoveryv1.EndpointPort{{Port: &port}},
		Endpoints: []discoveryv1.Endpoint{{Addresses: []string{"10.0.0.5"}, Conditions: discoveryv1.EndpointConditions{Ready: &ready},
			TargetRef: &corev1.ObjectReference{Kind: "Pod", Namespace: "shop", Name: "cart-0"}}},
	}, t0)
	m, ok := s.ServiceOfEndpoint("shop", "cart-0", 8080, t0.Add(time.Minute))
	require.True(t, ok)
	assert.Equal(t, "cart", m.Service.Name)
	assert.Equal(t, int32(80), m.Port.Port)
	_, ok = s.ServiceOfEndpoint("shop", "cart-0", 9090, t0.Add(time.Minute))
	assert.False(t, ok, "another port")
	_, ok = s.ServiceOfEndpoint("shop", "cart-0", 8080, t0.Add(-time.Minute))
	assert.False(t, ok, "before the slice listed it")
}

package gateways

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/k8s502/otelcol-k8s502/processor/correlate502processor/internal/cluster"
)

// storeWith holds the Services, each given as namespace, name and ports.
func storeWith(svcs ...*corev1.Service) *cluster.Store {
	s := cluster.NewStore(time.Hour)
	for _, svc := range svcs {
		s.UpsertService(svc, time.Time{})
	}
	return s
}

func svc(ns, name string, ports ...corev1.ServicePort) *corev1.Service {
	return &corev1.Service{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name}, Spec: corev1.ServiceSpec{Ports: ports}}
}

func port(name string, n int32) corev1.ServicePort { return corev1.ServicePort{Name: name, Port: n} }

func names(ms []cluster.UpstreamMatch) []string {
	var out []string
	for _, m := range ms {
		out = append(out, m.Service.Namespace+"/"+m.Service.Name)
	}
	return out
}

func TestByNamespaceServicePort(t *testing.T) {
	s := storeWith(
		svc("shop", "inventory", port("http", 8080)),
		svc("shop", "search", port("http", 80)),
		svc("shop", "billing", port("https", 443), port("metrics", 9090)),
		svc("shop", "legacy-tls", port("", 443)),
		svc("shop", "checkout-canary", port("http", 8080)),
		svc("shop", "exporter", port("http-metrics", 9100)),
		// Ambiguous: a-b/c and a/b-c both make a-b-c-80.
		svc("a-b", "c", port("web", 80)),
		svc("a", "b-c", port("", 80)),
		// One number, two protocols.
		svc("kube-system", "dns", corev1.ServicePort{Name: "dns-tcp", Port: 53, Protocol: corev1.ProtocolTCP}, corev1.ServicePort{Name: "dns", Port: 53, Protocol: corev1.ProtocolUDP}),
	)
	tests := []struct {
		upstream string
		ns, svc  string
		port     int32
		portName string
	}{
		{"shop-inventory-8080", "shop", "inventory", 8080, "http"},
		{"shop-inventory-http", "shop", "inventory", 8080, "http"}, // backend by port name
		{"shop-search-http", "shop", "search", 80, "http"},
		{"shop-search-80", "shop", "search", 80, "http"},
		{"shop-billing-https", "shop", "billing", 443, "https"},
		{"shop-billing-9090", "shop", "billing", 9090, "metrics"},
		{"shop-legacy-tls-443", "shop", "legacy-tls", 443, ""},
		{"shop-checkout-canary-8080", "shop", "checkout-canary", 8080, "http"},
		{"shop-exporter-http-metrics", "shop", "exporter", 9100, "http-metrics"}, // a port name with a dash
		{"a-b-c-80", "a", "b-c", 80, ""},                                         // first by namespace
		{"a-b-c-web", "a-b", "c", 80, "web"},
		{"kube-system-dns-53", "kube-system", "dns", 53, "dns"}, // by port, then name
		{"shop-inventory-8081", "", "", 0, ""},
		{"shop-inventory-08080", "", "", 0, ""}, // names are made from the number, not parsed
		{"shop-inventory", "", "", 0, ""},
		{"shop--inventory-8080", "", "", 0, ""},
		{"upstream-default-backend", "", "", 0, ""},
		{"", "", "", 0, ""},
	}
	for _, tc := range tests {
		t.Run(tc.upstream, func(t *testing.T) {
			ms := ByNamespaceServicePort(s, tc.upstream)
			if tc.svc == "" {
				assert.Empty(t, ms)
				return
			}
			require.NotEmpty(t, ms)
			assert.Equal(t, tc.ns+"/"+tc.svc, names(ms[:1])[0])
			assert.Equal(t, tc.port, ms[0].Port.Port)
			assert.Equal(t, tc.portName, ms[0].Port.Name)
		})
	}
	assert.Equal(t, []string{"a/b-c", "a-b/c"}, names(ByNamespaceServicePort(s, "a-b-c-80")))
	assert.Len(t, ByNamespaceServicePort(s, "kube-system-dns-53"), 2)
	assert.Len(t, ByNamespaceServicePort(s, "shop-inventory-8080"), 1)
}

// A Service's new ports replace its old names at once, and a deleted one
// resolves no more: the names are looked up, never indexed.
func TestByNamespaceServicePortFollowsTheStore(t *testing.T) {
	s := storeWith(svc("shop", "cart", port("http", 8080)))
	s.UpsertService(svc("shop", "cart", port("web", 9000)), time.Time{})
	assert.Empty(t, ByNamespaceServicePort(s, "shop-cart-8080"), "the old port is gone")
	ms := ByNamespaceServicePort(s, "shop-cart-web")
	require.Len(t, ms, 1)
	assert.Equal(t, int32(9000), ms[0].Port.Port)
	s.DeleteService(svc("shop", "cart"), time.Time{})
	assert.Empty(t, ByNamespaceServicePort(s, "shop-cart-9000"))
}

func BenchmarkByNamespaceServicePort(b *testing.B) {
	var svcs []*corev1.Service
	for i := range 1000 {
		svcs = append(svcs, svc("team-"+string(rune('a'+i%10)), "svc-"+string(rune('a'+i/10%26))+string(rune('a'+i%26)), port("http", 80)))
	}
	s := storeWith(svcs...)
	b.ReportAllocs()
	for b.Loop() {
		if len(ByNamespaceServicePort(s, "team-c-svc-ac-80")) != 1 {
			b.Fatal("not resolved")
		}
	}
}

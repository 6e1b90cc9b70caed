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

func TestServicesInNamespace(t *testing.T) {
	s := NewStore(time.Hour)
	s.UpsertService(mkService("shop", "inventory", nil, port("http", 8080)), at(0))
	s.UpsertService(mkService("shop", "cart", nil, port("http", 8080)), at(0))
	s.UpsertService(mkService("shop-eu", "cart", nil, port("http", 8080)), at(0))
	names := func(ns string) []string {
		var out []string
		for _, svc := range s.ServicesInNamespace(ns) {
			out = append(out, svc.Namespace+"/"+svc.Name)
		}
		return out
	}
	assert.Equal(t, []string{"shop/cart", "shop/inventory"}, names("shop"), "by name, only that namespace")
	assert.Equal(t, []string{"shop-eu/cart"}, names("shop-eu"))
	assert.Empty(t, names("sho"))
}

func TestServiceUpdateAndDelete(t *testing.T) {
	s := NewStore(time.Hour)
	s.UpsertService(mkService("shop", "cart", nil, port("http", 8080)), at(0))
	s.UpsertService(mkService("shop", "cart", nil, port("web", 9000)), at(1))

	got, ok := s.Service("shop", "cart")
	require.True(t, ok)
	assert.Equal(t, "web", got.Spec.Ports[0].Name)
	byNS := s.ServicesInNamespace("shop")
	require.Len(t, byNS, 1)
	assert.Same(t, got, byNS[0], "the namespace's list holds the new version")

	s.DeleteService(mkService("shop", "cart", nil), at(2))
	_, ok = s.Service("shop", "cart")
	assert.False(t, ok)
	assert.Empty(t, s.ServicesInNamespace("shop"))
	assert.Empty(t, s.servicesByNS, "an emptied namespace is forgotten")
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

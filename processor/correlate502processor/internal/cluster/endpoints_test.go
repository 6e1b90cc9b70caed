package cluster

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	discoveryv1 "k8s.io/api/discovery/v1"
)

// epSummary renders an endpoint as ip:flags so tables stay short.
func epSummary(eps []*EndpointState) []string {
	var out []string
	for _, e := range eps {
		s := e.IP + ":"
		if e.Ready {
			s += "R"
		}
		if e.Serving {
			s += "S"
		}
		if e.Terminating {
			s += "T"
		}
		out = append(out, s)
	}
	return out
}

func TestEndpointsHistory(t *testing.T) {
	s := NewStore(time.Hour)
	ready := func(ip, pod string) epOpt { return epOpt{ip: ip, ready: true, serving: true, pod: pod} }
	s.UpsertEndpointSlice(mkSlice("shop", "cart-abc", "cart", ready("10.0.0.1", "cart-1"), ready("10.0.0.2", "cart-2")), at(0))
	s.UpsertEndpointSlice(mkSlice("shop", "cart-abc", "cart", ready("10.0.0.1", "cart-1"),
		epOpt{ip: "10.0.0.2", serving: true, terminating: true, pod: "cart-2"}), at(30))
	s.UpsertEndpointSlice(mkSlice("shop", "cart-abc", "cart", ready("10.0.0.1", "cart-1"), ready("10.0.0.3", "cart-3")), at(60))
	// Same content again: no new history.
	s.UpsertEndpointSlice(mkSlice("shop", "cart-abc", "cart", ready("10.0.0.1", "cart-1"), ready("10.0.0.3", "cart-3")), at(65))

	// 10.0.0.4 moves from slice x to slice y; y is updated first.
	s.UpsertEndpointSlice(mkSlice("shop", "cart-x", "cart", ready("10.0.0.4", "cart-4")), at(100))
	s.UpsertEndpointSlice(mkSlice("shop", "cart-y", "cart", ready("10.0.0.4", "cart-4")), at(110))
	s.UpsertEndpointSlice(mkSlice("shop", "cart-x", "cart"), at(111))
	s.DeleteEndpointSlice(mkSlice("shop", "cart-abc", "cart"), at(200))

	tests := []struct {
		at   time.Time
		want []string
	}{
		{at(-1), nil},
		{at(0), []string{"10.0.0.1:RS", "10.0.0.2:RS"}},
		{at(29), []string{"10.0.0.1:RS", "10.0.0.2:RS"}},
		{at(30), []string{"10.0.0.1:RS", "10.0.0.2:ST"}},
		{at(60), []string{"10.0.0.1:RS", "10.0.0.3:RS"}},
		{at(111), []string{"10.0.0.1:RS", "10.0.0.3:RS", "10.0.0.4:RS"}},
		{at(200), []string{"10.0.0.4:RS"}},
	}
	for _, tc := range tests {
		assert.Equal(t, tc.want, epSummary(s.Endpoints("shop", "cart", tc.at)), "at %v", tc.at.Sub(t0))
	}
	eps := s.Endpoints("shop", "cart", at(45))
	assert.Equal(t, EndpointState{IP: "10.0.0.2", Pod: "cart-2", Node: "node-a", Serving: true, Terminating: true, Since: at(30)}, *eps[1])
	assert.Empty(t, s.Endpoints("shop", "nope", at(45)))
}

func TestEndpointsFromSnapshotHoldSinceAlways(t *testing.T) {
	s := NewStore(time.Hour)
	s.UpsertEndpointSlice(mkSlice("shop", "web-1", "web", epOpt{ip: "10.0.0.1"}), time.Time{})
	assert.Equal(t, []string{"10.0.0.1:"}, epSummary(s.Endpoints("shop", "web", at(-1000))))
	s.UpsertEndpointSlice(mkSlice("shop", "web-1", "web", epOpt{ip: "10.0.0.1", ready: true, serving: true}), at(10))
	assert.Equal(t, []string{"10.0.0.1:"}, epSummary(s.Endpoints("shop", "web", at(9))))
	assert.Equal(t, []string{"10.0.0.1:RS"}, epSummary(s.Endpoints("shop", "web", at(10))))
}

func TestEndpointConditionDefaults(t *testing.T) {
	es := mkSlice("shop", "web-1", "web", epOpt{ip: "10.0.0.1"})
	es.Endpoints[0].Conditions.Ready = nil
	es.Endpoints[0].Conditions.Serving = nil
	es.Endpoints[0].Conditions.Terminating = nil
	s := NewStore(time.Hour)
	s.UpsertEndpointSlice(es, at(0))
	assert.Equal(t, []string{"10.0.0.1:RS"}, epSummary(s.Endpoints("shop", "web", at(1))), "unknown ready means ready")
}

// Two pods on one IP with different ports: the EndpointSlice controller
// lists them in two slices, one per port.
func TestEndpointsSharedIPByPort(t *testing.T) {
	withPort := func(es *discoveryv1.EndpointSlice, port int32) *discoveryv1.EndpointSlice {
		name := "http"
		es.Ports = []discoveryv1.EndpointPort{{Name: &name, Port: &port}}
		return es
	}
	s := NewStore(time.Hour)
	s.UpsertEndpointSlice(withPort(mkSlice("shop", "orders-a", "orders", epOpt{ip: "127.0.0.1", serving: true, terminating: true, pod: "dead1"}), 9001), at(0))
	s.UpsertEndpointSlice(withPort(mkSlice("shop", "orders-b", "orders", epOpt{ip: "127.0.0.1", ready: true, serving: true, pod: "live2"}), 9002), at(0))

	eps := s.Endpoints("shop", "orders", at(1))
	require.Len(t, eps, 2)
	assert.Equal(t, "dead1", eps[0].Pod)
	assert.Equal(t, []int32{9001}, eps[0].Ports)
	assert.True(t, eps[0].Terminating)
	assert.Equal(t, "live2", eps[1].Pod)
	assert.Equal(t, []int32{9002}, eps[1].Ports)

	s.DeleteEndpointSlice(mkSlice("shop", "orders-a", "orders"), at(10))
	assert.Equal(t, []string{"127.0.0.1:RS"}, epSummary(s.Endpoints("shop", "orders", at(11))))
	assert.Len(t, s.Endpoints("shop", "orders", at(9)), 2)
}

// The cached list must be the list of the asked time whatever was asked
// before, and a change must replace it: asked out of order, every answer is
// the uncached one, and a slice update after a question is seen.
func TestEndpointsCacheHoldsOnlyBetweenChanges(t *testing.T) {
	s := NewStore(time.Hour)
	ready := func(ip, pod string) epOpt { return epOpt{ip: ip, ready: true, serving: true, pod: pod} }
	s.UpsertEndpointSlice(mkSlice("shop", "cart-abc", "cart", ready("10.0.0.1", "cart-1"), ready("10.0.0.2", "cart-2")), at(0))
	s.UpsertEndpointSlice(mkSlice("shop", "cart-abc", "cart", ready("10.0.0.1", "cart-1")), at(30))
	s.UpsertEndpointSlice(mkSlice("shop", "cart-abc", "cart", ready("10.0.0.1", "cart-1"), ready("10.0.0.3", "cart-3")), at(60))
	uncached := func(sec int) []string {
		return epSummary(snapAt(s.endpoints[nsName{"shop", "cart"}], s.endpointKeys[nsName{"shop", "cart"}], at(sec)).list)
	}
	for _, sec := range []int{45, 10, 59, 60, 29, 30, -5, 0, 100, 31, 61} {
		assert.Equal(t, uncached(sec), epSummary(s.Endpoints("shop", "cart", at(sec))), "at %d", sec)
	}
	assert.Equal(t, []string{"10.0.0.1:RS", "10.0.0.3:RS"}, epSummary(s.Endpoints("shop", "cart", at(100))))
	s.UpsertEndpointSlice(mkSlice("shop", "cart-abc", "cart", ready("10.0.0.3", "cart-3")), at(90))
	assert.Equal(t, []string{"10.0.0.3:RS"}, epSummary(s.Endpoints("shop", "cart", at(100))), "a change after the question")
	assert.Equal(t, []string{"10.0.0.1:RS", "10.0.0.3:RS"}, epSummary(s.Endpoints("shop", "cart", at(89))))

	assert.Equal(t, []string{"10.0.0.2:RS"}, epSummary(WithIP(s.Endpoints("shop", "cart", at(10)), "10.0.0.2")))
	assert.Empty(t, WithIP(s.Endpoints("shop", "cart", at(30)), "10.0.0.2"))
	assert.Empty(t, WithIP(s.Endpoints("shop", "cart", at(30)), "10.0.0.9"))
}

package diagnose

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	corev1 "k8s.io/api/core/v1"

	"github.com/k8s502/otelcol-k8s502/internal/schema"
)

// Pod A held 10.1.2.3 until it was deleted at t1; pod C got the same IP at
// t2. A request resolves to whoever held the address at its own time, both
// through the IP history (no Service known) and through the Service's
// endpoint history.
func TestResolveIPReuse(t *testing.T) {
	t1, t2 := at(-60), at(-30)
	podC := "checkout-5f6d7c8b9a-q9w2e"
	build := func(t *testing.T) *world {
		w := newWorld(t)
		w.shop()
		a := mkPod(podA, ipA)
		w.deletePod(a, t1)
		w.endpoints("checkout", t1, ep(ipB, podB, "node-b", true, false))
		c := mkPod(podC, ipA, createdAt(t2), onNode("node-c"), ownedBy("ReplicaSet", "checkout-5f6d7c8b9a"),
			withLabels(map[string]string{"app": "checkout", "pod-template-hash": "5f6d7c8b9a"}))
		withReady(true, t2.Add(5*time.Second))(c)
		w.pod(c, t2)
		w.endpoints("checkout", t2.Add(5*time.Second), ep(ipA, podC, "node-c", true, false), ep(ipB, podB, "node-b", true, false))
		return w
	}
	cases := []struct {
		name     string
		when     time.Time
		upstream string
		pod      string
		node     string
	}{
		{"before t1 by IP history", at(-90), "shop-gone-80", podA, "node-a"},
		{"after t2 by IP history", t0, "shop-gone-80", podC, "node-c"},
		{"between t1 and t2 nobody", at(-45), "shop-gone-80", "", ""},
		{"before t1 by endpoints", at(-90), upstream, podA, "node-a"},
		{"after t2 by endpoints", t0, upstream, podC, "node-c"},
		{"just before t1", t1.Add(-time.Millisecond), "shop-gone-80", podA, "node-a"},
		{"at t1 already gone", t1, "shop-gone-80", "", ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			w := build(t)
			f := failedAt(schema.ErrConnectRefused, msgRefused)
			f.Time, f.UpstreamName = c.when, c.upstream
			got := w.diagnose(f)
			assert.Equal(t, c.pod, got.Target.Pod)
			assert.Equal(t, c.node, got.Target.Node)
			assert.Equal(t, addrA, got.Target.Address)
			if c.pod != "" {
				assert.Equal(t, "Deployment/checkout", got.Target.Workload)
			}
		})
	}
}

// The attempt pod A's IP resolves to the right pod even when the record
// names no Service and the pod's ReplicaSet is unknown: the workload comes
// from the ReplicaSet name and pod-template-hash.
func TestResolveWorkloadWithoutReplicaSet(t *testing.T) {
	w := newWorld(t)
	p := mkPod("payments-6b7c8d9f4-k2l3m", "10.1.7.7", inNamespace("billing"), onNode("node-d"),
		ownedBy("ReplicaSet", "payments-6b7c8d9f4"), withLabels(map[string]string{"app": "payments", "pod-template-hash": "6b7c8d9f4"}))
	w.pod(p, at(-3600))
	f := failedAt(schema.ErrConnectRefused, msgRefused)
	f.UpstreamName, f.ErrorUpstream, f.Addresses = "billing-payments-80", "10.1.7.7:8080", []string{"10.1.7.7:8080"}
	got := w.diagnose(f)
	assert.Equal(t, Target{Namespace: "billing", Pod: "payments-6b7c8d9f4-k2l3m", Node: "node-d", Workload: "Deployment/payments", Address: "10.1.7.7:8080"}, got.Target)
}

// ingress-nginx names upstreams <namespace>-<service>-<port>; namespaces
// and services contain dashes, so the name is looked up, never split.
func TestResolveUpstreamName(t *testing.T) {
	const ip = "10.3.0.7"
	setup := func(w *world, collide bool) {
		svc := mkService("checkout-api", map[string]string{"app": "checkout-api"})
		svc.Namespace = "shop-prod"
		w.service(svc)
		w.endpointsIn("shop-prod", "checkout-api", at(-600), ep(ip, "", "node-a", true, false))
		if collide {
			// namespace shop, service prod-checkout-api: the same name.
			other := mkService("prod-checkout-api", map[string]string{"app": "prod-checkout-api"})
			w.service(other)
			w.endpoints("prod-checkout-api", at(-600), ep("10.3.0.99", "", "node-b", true, false))
		}
	}
	cases := []struct {
		name, upstream string
		collide        bool
		wantNS, svc    string
		port           string
	}{
		{"port number", "shop-prod-checkout-api-80", false, "shop-prod", "checkout-api", "80"},
		{"port name", "shop-prod-checkout-api-http", false, "shop-prod", "checkout-api", "80"},
		{"unknown port", "shop-prod-checkout-api-8443", false, "", "", ""},
		{"unknown service", "shop-prod-checkout-80", false, "", "", ""},
		{"two services make the same name: the one listing the address wins", "shop-prod-checkout-api-80", true, "shop-prod", "checkout-api", "80"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			w := newWorld(t)
			setup(w, c.collide)
			f := failedAt(schema.ErrConnectRefused, msgRefused)
			f.UpstreamName, f.ErrorUpstream, f.Addresses = c.upstream, ip+":8080", []string{ip + ":8080"}
			got := w.diagnose(f)
			assert.Equal(t, Target{Namespace: c.wantNS, Service: c.svc, Port: c.port, Address: ip + ":8080"}, got.Target)
		})
	}
}

// Proxies that name the Service outright (HAProxy backends, Istio and
// Contour clusters) give the port as a number or a name; a port that fits
// none still names the Service.
func TestResolveNamedService(t *testing.T) {
	cases := []struct {
		name string
		ref  ServiceRef
		want Target
	}{
		{"port number", ServiceRef{Namespace: ns, Name: "checkout", Port: "80"}, Target{Namespace: ns, Service: "checkout", Port: "80"}},
		{"port name", ServiceRef{Namespace: ns, Name: "checkout", Port: "http"}, Target{Namespace: ns, Service: "checkout", Port: "80"}},
		{"unknown port", ServiceRef{Namespace: ns, Name: "checkout", Port: "8443"}, Target{Namespace: ns, Service: "checkout"}},
		{"unknown service", ServiceRef{Namespace: ns, Name: "checkouts", Port: "80"}, Target{}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			w := newWorld(t)
			w.service(mkService("checkout", map[string]string{"app": "checkout"}))
			f := failedAt(schema.ErrConnectRefused, msgRefused)
			f.Gateway, f.UpstreamName, f.Service = schema.GatewayHAProxy, "shop-checkout-80", c.ref
			f.ErrorUpstream, f.Addresses = "10.9.9.9:8080", []string{"10.9.9.9:8080"}
			c.want.Address = "10.9.9.9:8080"
			assert.Equal(t, c.want, w.diagnose(f).Target)
		})
	}
}

// The attempt judged: the one the error line names; else the last attempt
// whose status is a gateway failure; else the last attempt.
func TestFailedAddressSelection(t *testing.T) {
	addrB := ipB + ":8080"
	cases := []struct {
		name          string
		errorUpstream string
		addrs, stats  []string
		want          string
		pod           string
	}{
		{"error line names the first of two failures", addrA, []string{addrA, addrB}, []string{"502", "502"}, addrA, podA},
		{"error line wins over the statuses", addrB, []string{addrA, addrB}, []string{"502", "200"}, addrB, podB},
		{"retry answered: the failed first attempt", "", []string{addrA, addrB}, []string{"502", "200"}, addrA, podA},
		{"both failed: the last", "", []string{addrA, addrB}, []string{"504", "503"}, addrB, podB},
		{"no status (-) counts as failed, the app's 500 does not", "", []string{addrA, addrB}, []string{"-", "500"}, addrA, podA},
		{"nothing failed: the last attempt", "", []string{addrA, addrB}, []string{"200", "404"}, addrB, podB},
		{"fewer statuses than attempts", "", []string{addrA, addrB}, []string{"502"}, addrA, podA},
		{"no attempt", "", nil, nil, "", ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			w := newWorld(t)
			w.shop()
			f := failedAt(schema.ErrConnectRefused, msgRefused)
			f.ErrorUpstream, f.Addresses, f.Statuses = c.errorUpstream, c.addrs, c.stats
			got := w.diagnose(f)
			assert.Equal(t, c.want, got.Target.Address)
			assert.Equal(t, c.pod, got.Target.Pod)
		})
	}
}

// no_live_upstreams: nginx logs the upstream group's name instead of a peer.
// The Service's first unready endpoint is judged.
func TestJudgeGroup(t *testing.T) {
	noLive := func(f *Facts) {
		f.ErrorUpstream, f.Addresses = upstream, []string{upstream}
		f.ErrorMessage = "no live upstreams while connecting to upstream"
	}
	run(t, schema.ErrNoLiveUpstreams, "", []testCase{
		{
			name: "unready endpoint judged",
			setup: func(w *world) {
				w.pod(mkPod(podA, ipA, withReady(false, at(-20))), at(-20))
				w.endpoints("checkout", at(-19), ep(ipA, podA, "node-a", false, false), ep(ipB, podB, "node-b", true, false))
				w.event("Pod", podA, "Unhealthy", "Readiness probe failed: HTTP probe failed with statuscode: 503", at(-40), at(-10), 4)
			},
			facts: noLive,
			want: want{
				cause: schema.CauseReadinessProbe, confidence: schema.ConfidenceHigh,
				target:   targetWith(func(t *Target) { t.Address = upstream }),
				evidence: []string{`upstream group "shop-checkout-80"`, "judging unready endpoint 10.1.2.3 (pod shop/" + podA + ")", "pod shop/" + podA + " was not Ready at " + rfc(t0)},
				ruledOut: []string{"service shop/checkout had 1 of 2 endpoint(s) ready at " + rfc(t0)},
			},
		},
		{
			name:  "every endpoint ready: no pod to judge",
			facts: noLive,
			want: want{
				cause: schema.CauseUnknown, confidence: schema.ConfidenceLow,
				target:      &Target{Namespace: ns, Service: "checkout", Port: "80", Address: upstream},
				ruledOut:    []string{"service shop/checkout had 2 of 2 endpoint(s) ready"},
				remediation: []string{"kubectl -n shop get endpointslices -l kubernetes.io/service-name=checkout"},
			},
		},
		{
			name: "group name but the Service is unknown",
			facts: func(f *Facts) {
				noLive(f)
				f.UpstreamName, f.ErrorUpstream, f.Addresses = "shop-cart-80", "shop-cart-80", []string{"shop-cart-80"}
			},
			want: want{
				cause: schema.CauseUnknown, target: &Target{Address: "shop-cart-80"},
				remediation: []string{"shop-cart-80"},
			},
		},
	})
}

// A pod on the host network shares the node's IP; the Service's endpoint
// names it, the IP history does not.
func TestResolveHostNetworkThroughEndpoints(t *testing.T) {
	w := newWorld(t)
	w.shop()
	hn := mkPod("checkout-hostnet-0", "192.168.0.10", ownedBy("StatefulSet", "checkout-hostnet"), func(p *corev1.Pod) { p.Spec.HostNetwork = true })
	w.pod(hn, at(-3600))
	w.endpoints("checkout", at(-3000), ep("192.168.0.10", "checkout-hostnet-0", "node-a", true, false))
	f := failedAt(schema.ErrConnectRefused, msgRefused)
	f.ErrorUpstream, f.Addresses = "192.168.0.10:8080", []string{"192.168.0.10:8080"}
	got := w.diagnose(f)
	assert.Equal(t, "checkout-hostnet-0", got.Target.Pod)
	assert.Equal(t, "StatefulSet/checkout-hostnet", got.Target.Workload)

	f.UpstreamName = "shop-gone-80" // without the Service, the node IP names no pod
	assert.Empty(t, w.diagnose(f).Target.Pod)
}

// StatefulSet pod db-0 was being deleted when the request hit its old IP;
// by judging time its successor, also named db-0, had started with another
// IP. The endpoint names db-0, but the pod that held the address is the old
// incarnation.
func TestResolveRecreatedStatefulSetPod(t *testing.T) {
	w := newWorld(t)
	w.shop()
	old := mkPod("db-0", "10.1.4.1", ownedBy("StatefulSet", "db"), withLabels(map[string]string{"app": "checkout"}))
	w.pod(old, at(-3600))
	w.pod(mkPod("db-0", "10.1.4.1", ownedBy("StatefulSet", "db"), withLabels(map[string]string{"app": "checkout"}), deleting(at(-8), 30)), at(-8))
	w.endpoints("checkout", at(-7), ep(ipA, podA, "node-a", true, false), ep("10.1.4.1", "db-0", "node-a", false, true))
	succ := mkPod("db-0", "10.1.4.2", ownedBy("StatefulSet", "db"), withLabels(map[string]string{"app": "checkout"}), createdAt(at(-3)), onNode("node-b"))
	succ.UID = "uid-db-0-new"
	w.pod(succ, at(-3))

	f := failedAt(schema.ErrConnectRefused, msgRefused)
	f.Time, f.ErrorUpstream, f.Addresses = at(-5), "10.1.4.1:8080", []string{"10.1.4.1:8080"}
	got := w.diagnose(f)
	check(t, got, want{
		cause:    schema.CausePodTermination,
		target:   &Target{Namespace: ns, Service: "checkout", Port: "80", Pod: "db-0", Node: "node-a", Workload: "StatefulSet/db", Address: "10.1.4.1:8080"},
		evidence: []string{"pod shop/db-0 deletion requested at " + rfc(at(-8)) + "; the request came 3.0s later"},
	})
}

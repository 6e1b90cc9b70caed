//go:build e2e

package e2e

import (
	"fmt"
	"net"
	"os"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	corev1 "k8s.io/api/core/v1"

	"github.com/k8s502/otelcol-k8s502/internal/schema"
	"github.com/k8s502/otelcol-k8s502/internal/testing/testtraefik"
	"github.com/k8s502/otelcol-k8s502/internal/testing/testupstream"
)

// traefikReceiver makes the receiver read Traefik (format traefik: JSON
// access log and DEBUG error lines, detected) and watch Traefik's 500 (bad
// upstream response, TLS) too.
const traefikReceiver = "    format: traefik\n    statuses: [500, 502, 503, 504]"

// trScenario is one real failure behind Traefik: a backend in the API
// server with its EndpointSlice, a router and service in front of a real
// upstream, one request, and what its record must say in VictoriaLogs.
type trScenario struct {
	name     string
	backend  *backend
	behavior testupstream.Behavior
	// noEndpoints: the Service selects no pod, its EndpointSlice is empty
	// and the service has no servers.
	noEndpoints           bool
	responseHeaderTimeout time.Duration
	podStatus             func(st *corev1.PodStatus)
	// status is what the client gets; origin is Traefik's OriginStatus.
	status, origin int
	cause          string
	// pod is the expected k8s502.target.pod ("" means none); remediation
	// and evidence list strings those fields must contain.
	pod         func(s *trScenario) string
	remediation func(s *trScenario) []string
	evidence    func(s *trScenario) []string

	route testtraefik.Route
}

// Real Traefik v3.6, with routers and services named as its Kubernetes
// Ingress provider names them, proxies real requests to upstreams that
// fail in real ways; the Services, pods and EndpointSlices behind them
// exist in a real API server.
//
// Traefik logs the server it dialled (ServiceAddr), and the processor
// finds the pod through the Service's EndpointSlice by that address, as in
// a cluster. The API server refuses loopback addresses in EndpointSlices,
// so the upstreams listen on this machine's own non-loopback address and
// the pods are hostNetwork pods: their IP is the node's, shared, each on
// its own port, which is exactly what such pods look like in a cluster
// (the processor keeps no IP history for them, so only the EndpointSlice
// can name the pod).
func TestTraefikScenarios(t *testing.T) {
	bin := collectorBinary(t)
	testtraefik.Require(t)
	nodeIP := localUnicastIPv4(t)
	c, vl, admin := startScenarioCluster(t)

	podOf := func(s *trScenario) string { return s.backend.pod.Name }
	scenarios := []*trScenario{{
		// Nothing listens on the pod's port: Traefik answers 502 at once
		// and logs "dial tcp …: connection refused" at DEBUG.
		name:      "crash",
		backend:   &backend{name: "cart", owner: "Deployment"},
		behavior:  testupstream.Refused,
		podStatus: crashLooping,
		status:    502, origin: 502,
		cause: schema.CausePodCrash,
		pod:   podOf,
		remediation: func(s *trScenario) []string {
			return []string{"-n shop", "deployment/cart", "-c cart", "--limits=memory=512Mi", s.backend.pod.Name}
		},
		evidence: func(*trScenario) []string { return []string{"OOMKilled"} },
	}, {
		name:     "app502",
		backend:  &backend{name: "checkout", owner: "Deployment"},
		behavior: testupstream.App502,
		status:   502, origin: 502,
		cause: schema.CauseUpstreamAppError,
		pod:   podOf,
		remediation: func(s *trScenario) []string {
			return []string{"kubectl -n shop logs " + s.backend.pod.Name}
		},
	}, {
		// Traefik logs no ServiceName, ServiceAddr or ServiceURL for a
		// service without servers, only the router: the record carries no
		// upstream name, so the processor cannot tell which Service it was;
		// its remediation starts from the request's host and path.
		name: "noendpoints",
		// The pods carry app=promotions only; the Service also wants tier=backend.
		backend: &backend{name: "promotions", owner: "Deployment",
			selector: map[string]string{"app": "promotions", "tier": "backend"}},
		behavior:    testupstream.Healthy, // serving, but the service has no server
		noEndpoints: true,
		status:      503, origin: 0,
		cause: schema.CauseNoEndpoints,
		pod:   func(*trScenario) string { return "" },
		remediation: func(*trScenario) []string {
			return []string{"kubectl get ingress -A | grep " + scenarioHost, "/api/promotions/"}
		},
		evidence: func(*trScenario) []string {
			return []string{"Traefik answered 503", "without contacting any pod", "named no upstream"}
		},
	}, {
		name:                  "slow",
		backend:               &backend{name: "search", owner: "StatefulSet"},
		behavior:              testupstream.Slow,
		responseHeaderTimeout: 500 * time.Millisecond,
		status:                504, origin: 504,
		cause: schema.CauseUpstreamTimeout,
		pod:   podOf,
		remediation: func(s *trScenario) []string {
			return []string{"top pod " + s.backend.pod.Name, "forwardingTimeouts.responseHeaderTimeout", "shop/search"}
		},
		evidence: func(*trScenario) []string { return []string{"timeout awaiting response headers"} },
	}}

	// Upstreams first (the pods' ports are theirs), then the objects, then
	// Traefik: the cluster state is in place before any request, as it is
	// when the provider renders the services.
	var routes []testtraefik.Route
	for _, s := range scenarios {
		up := testupstream.Start(t, net.JoinHostPort(nodeIP, "0"), s.behavior)
		s.backend.addr = up.Addr
		s.backend.hostNetwork = true
		s.backend.create(t, admin, onNode(s.podStatus))
		s.route = testtraefik.Route{
			Namespace: scenarioNS, Service: s.backend.name, Port: "80",
			Host: scenarioHost, Path: "/api/" + s.backend.name + "/",
			ResponseHeaderTimeout: s.responseHeaderTimeout,
		}
		require.Equal(t, s.backend.upstreamName(), s.route.ServiceName())
		if s.noEndpoints {
			createEndpointSlice(t, admin, s.backend, false, true)
		} else {
			// A crashed pod is not Ready, so the endpoint controller lists
			// it not ready; the provider has not yet caught up and still
			// renders its server.
			createEndpointSlice(t, admin, s.backend, s.podStatus == nil, false)
			s.route.Servers = []string{up.Addr}
		}
		routes = append(routes, s.route)
	}
	tr := testtraefik.Start(t, testtraefik.Config{Routes: routes})
	startScenarioCollector(t, c, bin, tr.CRIPath, traefikReceiver, vl)

	for _, s := range scenarios {
		r := tr.Do(t, "GET", scenarioHost, s.route.Path+"items/1", nil)
		require.Equal(t, s.status, r.Status, "%s: Traefik answered %d %q", s.name, r.Status, r.Body)
	}
	lines := tr.WaitRequests(t)
	for i, a := range lines {
		t.Logf("Traefik access line %d: %s", i, a.Line)
	}

	for _, s := range scenarios {
		t.Run(s.name, func(t *testing.T) {
			field := fieldOf(pathRecord(t, vl, s.route.Path+"items/1"))
			assert.Equal(t, schema.GatewayTraefik, field(schema.Gateway))
			assert.Equal(t, fmt.Sprint(s.status), field(schema.HTTPResponseStatusCode))
			assert.Equal(t, fmt.Sprintf("OriginStatus=%d", s.origin), field(schema.GatewayFailureSignal))
			assert.Equal(t, s.route.RouterName()+"@file", field("k8s502.traefik.router"))
			assert.Equal(t, s.cause, field(schema.Cause), "evidence: %s\nruled out: %s", field(schema.Evidence), field(schema.RuledOut))
			assert.Equal(t, s.pod(s), field(schema.TargetPod))
			if s.noEndpoints {
				// No ServiceName on the line: nothing to resolve.
				assert.Equal(t, "", field(schema.UpstreamName))
				assert.Equal(t, schema.ConfidenceMedium, field(schema.CauseConfidence))
			} else {
				// "@file" stripped: the name the processor resolves.
				assert.Equal(t, s.backend.upstreamName(), field(schema.UpstreamName))
				assert.Equal(t, scenarioNS, field(schema.TargetNamespace))
				assert.Equal(t, s.backend.name, field(schema.TargetService))
				assert.Equal(t, "80", field(schema.TargetPort))
				// ServiceAddr, the pod's endpoint.
				assert.Equal(t, s.backend.addr, field(schema.TargetAddress))
			}
			rem := field(schema.Remediation)
			assertContainsAll(t, rem, s.remediation(s), "k8s502.remediation")
			if s.evidence != nil {
				assertContainsAll(t, field(schema.Evidence), s.evidence(s), "k8s502.evidence")
			}
			t.Logf("%s: %s (%s)\n  remediation: %s\n  evidence: %s\n  ruled out: %s", s.name, field(schema.Cause), field(schema.CauseConfidence), rem, field(schema.Evidence), field(schema.RuledOut))
		})
	}
}

// onNode completes mutate for a hostNetwork pod: its host IP is its IP.
func onNode(mutate func(st *corev1.PodStatus)) func(st *corev1.PodStatus) {
	return func(st *corev1.PodStatus) {
		st.HostIP = st.PodIP
		st.HostIPs = []corev1.HostIP{{IP: st.PodIP}}
		if mutate != nil {
			mutate(st)
		}
	}
}

// localUnicastIPv4 is an IPv4 address of this machine that an EndpointSlice
// may hold (not loopback, not link-local). Without one the test is skipped,
// or fails when Traefik is required.
func localUnicastIPv4(t *testing.T) string {
	t.Helper()
	ifaces, err := net.Interfaces()
	require.NoError(t, err)
	for _, ifc := range ifaces {
		if ifc.Flags&net.FlagUp == 0 || ifc.Flags&net.FlagLoopback != 0 {
			continue
		}
		addrs, err := ifc.Addrs()
		if err != nil {
			continue
		}
		for _, a := range addrs {
			n, ok := a.(*net.IPNet)
			if !ok {
				continue
			}
			if ip := n.IP.To4(); ip != nil && ip.IsGlobalUnicast() && !ip.IsLinkLocalUnicast() {
				// Must be bindable and reachable from here.
				l, err := net.Listen("tcp", net.JoinHostPort(ip.String(), "0"))
				if err != nil {
					continue
				}
				_ = l.Close()
				return ip.String()
			}
		}
	}
	msg := "no non-loopback IPv4 address on this machine for the pods' endpoints"
	if os.Getenv(testtraefik.EnvRequire) == "1" {
		t.Fatal(msg)
	}
	t.Skip(msg)
	return ""
}

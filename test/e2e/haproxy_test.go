//go:build e2e

package e2e

import (
	"fmt"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	corev1 "k8s.io/api/core/v1"

	"github.com/k8s502/otelcol-k8s502/internal/schema"
	"github.com/k8s502/otelcol-k8s502/internal/testing/testhaproxy"
	"github.com/k8s502/otelcol-k8s502/internal/testing/testupstream"
)

// haScenario is one real failure behind HAProxy: a backend in the API
// server with its EndpointSlice, an HAProxy backend in front of a real
// upstream, one request, and what its record must say in VictoriaLogs.
type haScenario struct {
	name     string
	backend  *backend
	behavior testupstream.Behavior
	// noEndpoints: the Service selects no pod, its EndpointSlice is empty
	// and the controller renders only disabled slots.
	noEndpoints bool
	check       bool          // default-server check
	timeout     time.Duration // timeout server; 0 keeps 50s
	// waitDown waits for the health check's DOWN line before the request.
	waitDown  bool
	podStatus func(st *corev1.PodStatus)
	// status and signal are what the client gets and the termination
	// state HAProxy logs.
	status int
	signal string
	cause  string
	// pod is the expected k8s502.target.pod ("" means none); remediation
	// lists strings that k8s502.remediation must contain.
	pod         func(s *haScenario) string
	remediation func(s *haScenario) []string

	podIP string // the pod's IP in the API server and its EndpointSlice
	path  string
}

// Real HAProxy, configured as the haproxytech controller renders it,
// proxies real requests to loopback upstreams that fail in real ways; the
// Services, pods and EndpointSlices behind the backends exist in a real API
// server. HAProxy logs the server slot (SRV_1), never its address, so the
// processor must pick the pod from the Service's EndpointSlice: each
// Service lists exactly one endpoint, the scenario's pod.
//
// The API server refuses loopback addresses in EndpointSlices, so the pods
// carry 10.244.0.x addresses there and in their status, and the server line
// of the HAProxy backend points at the loopback upstream standing in for
// that pod, on the pod's container port. HAProxy's log never shows the
// address, so the record cannot tell the difference.
func TestHAProxyScenarios(t *testing.T) {
	bin := collectorBinary(t)
	testhaproxy.Require(t)
	c, vl, admin := startScenarioCluster(t)

	podOf := func(s *haScenario) string { return s.backend.pod.Name }
	scenarios := []*haScenario{{
		// Health-checked (the controller's default): the first check takes
		// SRV_1 DOWN, then HAProxy answers <NOSRV> 503 without trying it.
		name:      "crash",
		backend:   &backend{name: "cart", owner: "Deployment"},
		behavior:  testupstream.Refused,
		check:     true,
		waitDown:  true,
		podStatus: crashLooping,
		status:    503,
		signal:    "SC--",
		cause:     schema.CausePodCrash,
		pod:       podOf,
		remediation: func(s *haScenario) []string {
			return []string{"-n shop", "deployment/cart", "-c cart", "--limits=memory=512Mi", s.backend.pod.Name}
		},
	}, {
		// check: "false": HAProxy tries SRV_1, retries 3 times, answers 503.
		name:      "crash_nocheck",
		backend:   &backend{name: "inventory", owner: "Deployment"},
		behavior:  testupstream.Refused,
		podStatus: crashLooping,
		status:    503,
		signal:    "SC--",
		cause:     schema.CausePodCrash,
		pod:       podOf,
		remediation: func(s *haScenario) []string {
			return []string{"-n shop", "deployment/inventory", "-c inventory", "--limits=memory=512Mi", s.backend.pod.Name}
		},
	}, {
		name:     "app502",
		backend:  &backend{name: "checkout", owner: "Deployment"},
		behavior: testupstream.App502,
		check:    true,
		status:   502,
		signal:   "----",
		cause:    schema.CauseUpstreamAppError,
		pod:      podOf,
		remediation: func(s *haScenario) []string {
			return []string{"kubectl -n shop logs " + s.backend.pod.Name}
		},
	}, {
		name: "noendpoints",
		// The pods carry app=promotions only; the Service also wants tier=backend.
		backend: &backend{name: "promotions", owner: "Deployment",
			selector: map[string]string{"app": "promotions", "tier": "backend"}},
		behavior:    testupstream.Healthy, // serving, but HAProxy has no server for it
		noEndpoints: true,
		check:       true,
		status:      503,
		signal:      "SC--",
		cause:       schema.CauseNoEndpoints,
		pod:         func(*haScenario) string { return "" },
		remediation: func(*haScenario) []string {
			return []string{"kubectl -n shop patch service promotions", "tier"}
		},
	}, {
		name:     "slow",
		backend:  &backend{name: "search", owner: "StatefulSet"},
		behavior: testupstream.Slow,
		check:    true,
		timeout:  500 * time.Millisecond,
		status:   504,
		signal:   "sH--",
		cause:    schema.CauseUpstreamTimeout,
		pod:      podOf,
		remediation: func(s *haScenario) []string {
			return []string{"top pod " + s.backend.pod.Name, "timeout-server", "shop/search"}
		},
	}}

	// Upstreams first (the pods' container ports are theirs), then the
	// objects, then HAProxy: the cluster state is in place before any
	// request, as it is when the controller renders the backends.
	var backends []testhaproxy.Backend
	for i, s := range scenarios {
		up := testupstream.Start(t, "127.0.0.1:0", s.behavior)
		_, port, err := net.SplitHostPort(up.Addr)
		require.NoError(t, err)
		s.podIP = fmt.Sprintf("10.244.0.%d", 61+i)
		s.path = "/api/" + s.backend.name + "/"
		s.backend.addr = net.JoinHostPort(s.podIP, port)
		s.backend.create(t, admin, s.podStatus)
		be := testhaproxy.Backend{
			Host: scenarioHost, Path: s.path,
			Namespace: scenarioNS, Service: s.backend.name, Port: "http",
			Check: s.check, TimeoutServer: s.timeout,
		}
		if s.noEndpoints {
			createEndpointSlice(t, admin, s.backend, false, true)
		} else {
			// A crashed pod is not Ready, so the endpoint controller lists
			// it not ready; the controller has not yet caught up and still
			// renders it as SRV_1.
			createEndpointSlice(t, admin, s.backend, s.podStatus == nil, false)
			be.Servers = []string{up.Addr}
		}
		backends = append(backends, be)
	}
	hp := testhaproxy.Start(t, testhaproxy.Config{Backends: backends})
	// Format haproxy: its default (haproxytech + httplog) formats.
	startScenarioCollector(t, c, bin, hp.CRIPath, "    format: haproxy", vl)

	for _, s := range scenarios {
		if s.waitDown {
			hp.WaitStdout(t, "Server "+scenarioNS+"_svc_"+s.backend.name+"_http/SRV_1 is DOWN")
		}
		r := hp.Do(t, "GET", scenarioHost, s.path+"items/1", nil)
		require.Equal(t, s.status, r.Status, "%s: HAProxy answered %d %q", s.name, r.Status, r.Body)
	}
	lines := hp.WaitRequests(t)
	t.Logf("HAProxy traffic lines:\n%s", strings.Join(lines, "\n"))

	for _, s := range scenarios {
		t.Run(s.name, func(t *testing.T) {
			field := fieldOf(pathRecord(t, vl, s.path+"items/1"))
			assert.Equal(t, schema.GatewayHAProxy, field(schema.Gateway))
			assert.Equal(t, fmt.Sprint(s.status), field(schema.HTTPResponseStatusCode))
			assert.Equal(t, s.signal, field(schema.GatewayFailureSignal))
			assert.Equal(t, s.cause, field(schema.Cause), "evidence: %s\nruled out: %s", field(schema.Evidence), field(schema.RuledOut))
			assert.Equal(t, s.pod(s), field(schema.TargetPod))
			assert.Equal(t, scenarioNS, field(schema.TargetNamespace))
			assert.Equal(t, s.backend.name, field(schema.TargetService))
			assert.Equal(t, "80", field(schema.TargetPort))
			if s.pod(s) != "" {
				// The endpoint the processor picked for the slot name.
				assert.Equal(t, s.podIP, field(schema.TargetAddress))
			}
			rem := field(schema.Remediation)
			assertContainsAll(t, rem, s.remediation(s), "k8s502.remediation")
			t.Logf("%s: %s (%s)\n  remediation: %s\n  evidence: %s", s.name, field(schema.Cause), field(schema.CauseConfidence), rem, field(schema.Evidence))
		})
	}
}

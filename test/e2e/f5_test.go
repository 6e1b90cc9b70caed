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
	"github.com/k8s502/otelcol-k8s502/internal/testing/testcri"
	"github.com/k8s502/otelcol-k8s502/internal/testing/testnginx"
	"github.com/k8s502/otelcol-k8s502/internal/testing/testupstream"
)

// f5Ingress is the Ingress every scenario's path belongs to; F5 names the
// upstream of each Service port <ns>-<ingress>-<host>-<service>-<port>.
const f5Ingress = "shop-ingress"

// f5Scenario is one real failure behind nginx in F5's layout: a backend in
// the API server, an upstream block in front of a real loopback upstream,
// one request, and what its record must say in VictoriaLogs.
type f5Scenario struct {
	name     string
	backend  *backend
	behavior testupstream.Behavior
	// noEndpoints: the Service selects no pod, its EndpointSlice is empty
	// and the controller renders the upstream with 127.0.0.1:8181.
	noEndpoints bool
	readTimeout time.Duration // proxy_read_timeout; 0 keeps 60s
	podStatus   func(st *corev1.PodStatus)
	status      int    // what the client gets
	errorKind   string // k8s502.error.kind; "" for none
	origin      string
	cause       string
	confidence  string // "" when not asserted
	// pod and service are the expected k8s502.target.pod and .service
	// ("" means none); remediation lists strings k8s502.remediation must
	// contain.
	pod, service func(s *f5Scenario) string
	remediation  func(s *f5Scenario) []string

	path     string
	upstream *testupstream.Upstream
}

// Real nginx (the Debian package), configured as F5 NGINX Ingress
// Controller renders an Ingress, proxies real requests to loopback
// upstreams that fail in real ways; the Services, pods and EndpointSlices
// exist in a real API server; the built collector reads the CRI file with
// format f5-nginx-ingress and the correlate502 processor judges each record.
//
// F5's main format logs no upstream: the only address is the error line's
// upstream: field, the loopback address nginx really used. The pods carry
// that address as status.podIP, so the processor finds the pod by IP. The
// API server refuses 127/8 in EndpointSlices, so each Service's slice lists
// its pod (targetRef, port) at a 10.244.0.x stand-in address: that is how
// the processor gets from the pod to the Service, which no F5 line names.
func TestF5Scenarios(t *testing.T) {
	bin := collectorBinary(t)
	testnginx.Require(t)
	if c, err := net.DialTimeout("tcp", testnginx.F5NoEndpointsServer, time.Second); err == nil {
		_ = c.Close()
		t.Fatalf("something listens on %s: F5's no-endpoints upstream would not refuse", testnginx.F5NoEndpointsServer)
	}
	c, vl, admin := startScenarioCluster(t)
	requireLoopbackEndpointsRejected(t, admin)

	podOf := func(s *f5Scenario) string { return s.backend.pod.Name }
	svcOf := func(s *f5Scenario) string { return s.backend.name }
	none := func(*f5Scenario) string { return "" }
	scenarios := []*f5Scenario{{
		// A single-server upstream: max_fails does not apply, every request
		// tries the dead pod.
		name:      "crash",
		backend:   &backend{name: "cart", owner: "Deployment"},
		behavior:  testupstream.Refused,
		podStatus: crashLooping,
		status:    502,
		errorKind: schema.ErrConnectRefused,
		origin:    schema.OriginGateway,
		cause:     schema.CausePodCrash,
		pod:       podOf,
		service:   svcOf,
		remediation: func(s *f5Scenario) []string {
			return []string{"-n shop", "deployment/cart", "-c cart", "--limits=memory=512Mi", s.backend.pod.Name}
		},
	}, {
		// The app's own 502: nginx writes no error line, and F5's access
		// line names no upstream, so nothing in the logs names the pod.
		name:       "app502",
		backend:    &backend{name: "checkout", owner: "Deployment"},
		behavior:   testupstream.App502,
		status:     502,
		origin:     schema.OriginUpstream,
		cause:      schema.CauseUpstreamAppError,
		confidence: schema.ConfidenceHigh,
		pod:        none,
		service:    none,
		remediation: func(*f5Scenario) []string {
			return []string{"the application produced this status: read its logs"}
		},
	}, {
		name: "noendpoints",
		// The pods carry app=promotions only; the Service also wants tier=backend.
		backend: &backend{name: "promotions", owner: "Deployment",
			selector: map[string]string{"app": "promotions", "tier": "backend"}},
		behavior:    testupstream.Healthy, // serving, but nginx has no server for it
		noEndpoints: true,
		status:      502,
		errorKind:   schema.ErrConnectRefused,
		origin:      schema.OriginGateway,
		cause:       schema.CauseNoEndpoints,
		confidence:  schema.ConfidenceHigh,
		pod:         none,
		// 127.0.0.1:8181 stands for every Service without endpoints and the
		// lines name no upstream group: the Service stays unknown.
		service: none,
		remediation: func(*f5Scenario) []string {
			return []string{"kubectl get ingress -A | grep " + scenarioHost, scenarioHost + "/api/promotions/items/1", "kubectl -n <ns> get endpointslices"}
		},
	}, {
		name:        "slow",
		backend:     &backend{name: "search", owner: "StatefulSet"},
		behavior:    testupstream.Slow,
		readTimeout: 500 * time.Millisecond, // nginx.org/proxy-read-timeout: 500ms
		status:      504,
		errorKind:   schema.ErrReadTimeout,
		origin:      schema.OriginGateway,
		cause:       schema.CauseUpstreamTimeout,
		confidence:  schema.ConfidenceHigh,
		pod:         podOf,
		service:     svcOf,
		remediation: func(s *f5Scenario) []string {
			return []string{"top pod " + s.backend.pod.Name, "nginx.org/proxy-read-timeout on the Ingress routing to service shop/search"}
		},
	}}

	// Upstreams first (the pods' IPs are theirs), then the objects, then
	// nginx: the cluster state is in place before any request, as it is
	// when the controller renders the upstreams.
	var locs []testnginx.Location
	for i, s := range scenarios {
		s.path = "/api/" + s.backend.name + "/"
		var l testnginx.Location
		s.upstream, l = nginxBackend{
			ip: 41 + i, backend: s.backend, behavior: s.behavior, podStatus: s.podStatus, noEndpoints: s.noEndpoints,
			loc: testnginx.Location{
				Host: scenarioHost, Path: s.path, ReadTimeout: s.readTimeout,
				UpstreamName: fmt.Sprintf("%s-%s-%s-%s-80", scenarioNS, f5Ingress, scenarioHost, s.backend.name),
			},
		}.start(t, admin)
		locs = append(locs, l)
	}
	ng := testnginx.Start(t, testnginx.Config{
		Layout:    testnginx.LayoutF5,
		Container: testcri.Container{Namespace: "nginx-ingress", Pod: "nginx-ingress-controller-6f9c8d7b5-p9q3w", Name: "nginx-ingress"},
		Locations: locs,
	})
	// Format f5-nginx-ingress: its default main format.
	startScenarioCollector(t, c, bin, ng.CRIPath, "    format: f5-nginx-ingress", vl)

	for _, s := range scenarios {
		r := ng.Do(t, "GET", scenarioHost, s.path+"items/1", nil)
		require.Equal(t, s.status, r.Status, "%s: nginx answered %d %q", s.name, r.Status, r.Body)
	}
	lines := ng.WaitRequests(t)
	t.Logf("nginx access lines:\n%s\nerror lines:\n%s", strings.Join(lines, "\n"), strings.Join(ng.ErrorLines(t), "\n"))

	for _, s := range scenarios {
		t.Run(s.name, func(t *testing.T) {
			field := fieldOf(pathRecord(t, vl, s.path+"items/1"))
			assert.Equal(t, schema.GatewayF5Nginx, field(schema.Gateway))
			assert.Equal(t, fmt.Sprint(s.status), field(schema.HTTPResponseStatusCode))
			assert.Equal(t, s.origin, field(schema.Origin))
			assert.Equal(t, s.errorKind, field(schema.ErrorKind))
			// The main format has no $host: only an error line's host: names it.
			host := ""
			if s.errorKind != "" {
				host = scenarioHost
			}
			assert.Equal(t, host, field(schema.ServerAddress))
			assert.Equal(t, s.cause, field(schema.Cause), "evidence: %s\nruled out: %s", field(schema.Evidence), field(schema.RuledOut))
			if s.confidence != "" {
				assert.Equal(t, s.confidence, field(schema.CauseConfidence))
			}
			assert.Equal(t, s.pod(s), field(schema.TargetPod))
			assert.Equal(t, s.service(s), field(schema.TargetService))
			switch {
			case s.noEndpoints:
				assert.Equal(t, testnginx.F5NoEndpointsServer, field(schema.ErrorUpstream))
				assert.Equal(t, testnginx.F5NoEndpointsServer, field(schema.TargetAddress))
			case s.errorKind != "":
				// The address comes from the error line only.
				assert.Equal(t, s.upstream.Addr, field(schema.ErrorUpstream))
				assert.Equal(t, s.upstream.Addr, field(schema.TargetAddress))
			}
			if s.service(s) != "" {
				assert.Equal(t, scenarioNS, field(schema.TargetNamespace))
				assert.Equal(t, "80", field(schema.TargetPort))
			}
			rem := field(schema.Remediation)
			assertContainsAll(t, rem, s.remediation(s), "k8s502.remediation")
			t.Logf("%s: %s (%s)\n  remediation: %s\n  evidence: %s", s.name, field(schema.Cause), field(schema.CauseConfidence), rem, field(schema.Evidence))
		})
	}
}

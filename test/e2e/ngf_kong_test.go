//go:build e2e

package e2e

import (
	"fmt"
	"regexp"
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

// nginxGatewayScenario is one real failure behind nginx in NGINX Gateway
// Fabric's or Kong's layout, and what its record must say in VictoriaLogs.
type nginxGatewayScenario struct {
	name        string
	backend     *backend
	behavior    testupstream.Behavior
	noEndpoints bool          // the Service has no endpoints: the gateway's own unlogged 503
	readTimeout time.Duration // 0 keeps 60s
	podStatus   func(st *corev1.PodStatus)
	status      int
	errorKind   string
	errorCount  int // error lines joined
	origin      string
	cause       string
	confidence  string
	named       bool     // the record names the pod and the Service (from the error line's peer)
	remediation []string // substrings of k8s502.remediation

	path     string
	upstream *testupstream.Upstream
}

// nginxGateway is how one of the two gateways is run and named.
type nginxGateway struct {
	format    string
	layout    testnginx.Layout
	container testcri.Container
	firstIP   int                     // upstreams on 127.0.0.<firstIP+i>
	upstream  func(svc string) string // the Location's UpstreamName
	tries     int                     // error lines per failed request with the default retries
	requestID *regexp.Regexp          // k8s502.request.id; nil: none logged
	// slowKnob and silentWords are what the slow and no-endpoints records
	// must say in the gateway's own vocabulary.
	slowKnob, silentWords string
}

// TestNGFScenarios: real nginx (Debian's) in NGINX Gateway Fabric's
// layout: combined access lines without upstream, the peer only in the
// error log, a Service without endpoints answered 503 by NGF's internal
// server with no error line.
func TestNGFScenarios(t *testing.T) {
	runNginxGateway(t, nginxGateway{
		format:      schema.GatewayNGF,
		layout:      testnginx.LayoutNGF,
		container:   testcri.Container{Namespace: "default", Pod: "gateway-nginx-6d9c7b8f5-qx2lm", Name: "nginx"},
		firstIP:     51,
		upstream:    func(svc string) string { return scenarioNS + "_" + svc + "_80" },
		tries:       1,
		slowKnob:    "timeout.read of a ProxySettingsPolicy targeting the HTTPRoute to service shop/search",
		silentWords: "NGINX Gateway Fabric answers 503 itself",
	})
}

// TestKongScenarios: real nginx in Kong's layout (its Lua emulated):
// kong_log_format with the request id, six tries per failed request
// (retries 5), and Kong's "failure to get a peer" 503 with no error line.
func TestKongScenarios(t *testing.T) {
	runNginxGateway(t, nginxGateway{
		format:      schema.GatewayKong,
		layout:      testnginx.LayoutKong,
		container:   testcri.Container{Namespace: "kong", Pod: "kong-gateway-5c8d7f9b6-h7k2p", Name: "proxy"},
		firstIP:     61,
		upstream:    func(svc string) string { return svc + "." + scenarioNS + ".80.svc" },
		tries:       testnginx.KongDefaultTries,
		requestID:   regexp.MustCompile(`^[0-9a-f]{32}$`),
		slowKnob:    "konghq.com/read-timeout annotation (milliseconds, 60000 by default) on service shop/search",
		silentWords: "Kong answers 503 itself",
	})
}

// runNginxGateway: the Services, pods and EndpointSlices exist in a real
// API server, real nginx proxies real requests to loopback upstreams that
// fail in real ways, and the built collector reads the CRI file with only
// format set and judges each record. Neither gateway logs an upstream
// name: the address comes from the error line, the pod from its
// status.podIP, and the Service from the EndpointSlice listing that pod
// (at a 10.244.0.x stand-in address: the API server refuses 127/8).
func runNginxGateway(t *testing.T, gw nginxGateway) {
	bin := collectorBinary(t)
	testnginx.Require(t)
	c, vl, admin := startScenarioCluster(t)
	requireLoopbackEndpointsRejected(t, admin)

	scenarios := []*nginxGatewayScenario{{
		name:      "crash",
		backend:   &backend{name: "cart", owner: "Deployment"},
		behavior:  testupstream.Refused,
		podStatus: crashLooping,
		status:    502, errorKind: schema.ErrConnectRefused, errorCount: gw.tries,
		origin: schema.OriginGateway, cause: schema.CausePodCrash, named: true,
		remediation: []string{"deployment/cart", "-n shop"},
	}, {
		// The app's own 502: no error line, and no access field names the
		// upstream: nothing names the pod.
		name:     "app502",
		backend:  &backend{name: "checkout", owner: "Deployment"},
		behavior: testupstream.App502,
		status:   502, origin: schema.OriginUpstream,
		cause: schema.CauseUpstreamAppError, confidence: schema.ConfidenceHigh,
		remediation: []string{"the application produced this status"},
	}, {
		// The Service selects no pod. The gateway answers 503 itself and
		// logs it like an app's 503; no line names the Service, so the
		// record may not claim no_endpoints.
		name: "noendpoints",
		backend: &backend{name: "promotions", owner: "Deployment",
			selector: map[string]string{"app": "promotions", "tier": "backend"}},
		behavior:    testupstream.Healthy,
		noEndpoints: true,
		status:      503, origin: schema.OriginUpstream,
		cause: schema.CauseUpstreamAppError, confidence: schema.ConfidenceMedium,
		remediation: []string{"the application produced this status"},
	}, {
		name:        "slow",
		backend:     &backend{name: "search", owner: "StatefulSet"},
		behavior:    testupstream.Slow,
		readTimeout: 300 * time.Millisecond,
		status:      504, errorKind: schema.ErrReadTimeout, errorCount: gw.tries,
		origin: schema.OriginGateway, cause: schema.CauseUpstreamTimeout, confidence: schema.ConfidenceHigh, named: true,
		remediation: []string{gw.slowKnob},
	}}

	var locs []testnginx.Location
	for i, s := range scenarios {
		s.path = "/api/" + s.backend.name + "/"
		var l testnginx.Location
		s.upstream, l = nginxBackend{
			ip: gw.firstIP + i, backend: s.backend, behavior: s.behavior, podStatus: s.podStatus, noEndpoints: s.noEndpoints,
			loc: testnginx.Location{Host: scenarioHost, Path: s.path, ReadTimeout: s.readTimeout, UpstreamName: gw.upstream(s.backend.name)},
		}.start(t, admin)
		locs = append(locs, l)
	}
	ng := testnginx.Start(t, testnginx.Config{Layout: gw.layout, Container: gw.container, Locations: locs})
	startScenarioCollector(t, c, bin, ng.CRIPath, "    format: "+gw.format, vl)

	for _, s := range scenarios {
		r := ng.Do(t, "GET", scenarioHost, s.path+"items/1", nil)
		require.Equal(t, s.status, r.Status, "%s: nginx answered %d %q", s.name, r.Status, r.Body)
	}
	lines := ng.WaitRequests(t)
	t.Logf("nginx access lines:\n%s\nerror lines:\n%s", strings.Join(lines, "\n"), strings.Join(ng.ErrorLines(t), "\n"))

	for _, s := range scenarios {
		t.Run(s.name, func(t *testing.T) {
			field := fieldOf(pathRecord(t, vl, s.path+"items/1"))
			assert.Equal(t, gw.format, field(schema.Gateway))
			assert.Equal(t, fmt.Sprint(s.status), field(schema.HTTPResponseStatusCode))
			assert.Equal(t, s.origin, field(schema.Origin))
			assert.Equal(t, s.errorKind, field(schema.ErrorKind))
			assert.Empty(t, field(schema.UpstreamName), "neither gateway's default format names the upstream")
			if gw.requestID != nil {
				assert.Regexp(t, gw.requestID, field(schema.RequestID))
			} else {
				assert.Empty(t, field(schema.RequestID))
			}
			if s.errorCount > 0 {
				assert.Equal(t, fmt.Sprint(s.errorCount), field(schema.ErrorCount), "one error line per try")
				assert.Equal(t, s.upstream.Addr, field(schema.ErrorUpstream))
				assert.Equal(t, s.upstream.Addr, field(schema.TargetAddress))
			}
			assert.Equal(t, s.cause, field(schema.Cause), "evidence: %s\nruled out: %s", field(schema.Evidence), field(schema.RuledOut))
			if s.confidence != "" {
				assert.Equal(t, s.confidence, field(schema.CauseConfidence))
			}
			pod, svc := "", ""
			if s.named {
				pod, svc = s.backend.pod.Name, s.backend.name
			}
			assert.Equal(t, pod, field(schema.TargetPod))
			assert.Equal(t, svc, field(schema.TargetService))
			if s.noEndpoints {
				assert.Contains(t, field(schema.Evidence), gw.silentWords)
			}
			rem := field(schema.Remediation)
			assertContainsAll(t, rem, s.remediation, "k8s502.remediation")
			t.Logf("%s: %s (%s)\n  remediation: %s\n  evidence: %s", s.name, field(schema.Cause), field(schema.CauseConfidence), rem, field(schema.Evidence))
		})
	}
}

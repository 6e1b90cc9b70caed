//go:build e2e

package e2e

import (
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/k8s502/otelcol-k8s502/internal/schema"
	"github.com/k8s502/otelcol-k8s502/internal/testing/testnginx"
	"github.com/k8s502/otelcol-k8s502/internal/testing/testupstream"
)

const scenarioHost = "shop.example.com"

// scenario is one real failure: a backend in the API server, an nginx
// location in front of a real upstream, one request, and what the record
// for that request must say once it is in VictoriaLogs.
type scenario struct {
	name     string // also the X-Request-ID
	backend  *backend
	behavior testupstream.Behavior // 0: the location has no servers (return 503)
	loc      testnginx.Location    // Path, timeouts; Host, UpstreamName and Servers are filled in
	status   int                   // what the client must get
	// podStatus changes the pod's status from Running and Ready; after
	// runs once the objects exist (events, deletion).
	podStatus func(st *corev1.PodStatus)
	after     func(t *testing.T, s *scenario)
	cause     string
	// pod is the expected k8s502.target.pod ("" means none); remediation
	// lists strings that k8s502.remediation must contain.
	pod         func(s *scenario) string
	remediation func(s *scenario) []string
}

// Real nginx proxies real requests to loopback upstreams that fail in real
// ways; the pods behind those addresses exist in a real API server with the
// statuses and events a kubelet would write; the built collector tails
// nginx's CRI log as the least-privileged collector identity and exports to
// VictoriaLogs, where each record must carry the cause, the pod and a
// remediation naming the real objects.
func TestScenarios(t *testing.T) {
	bin := collectorBinary(t)
	testnginx.Require(t)
	c, vl, admin := startScenarioCluster(t)
	requireLoopbackEndpointsRejected(t, admin)

	podOf := func(s *scenario) string { return s.backend.pod.Name }
	scenarios := []*scenario{{
		name:      "crash",
		backend:   &backend{name: "cart", owner: "Deployment"},
		behavior:  testupstream.Refused,
		loc:       testnginx.Location{Path: "/api/cart/", ConnectTimeout: 2 * time.Second},
		status:    502,
		podStatus: crashLooping,
		cause:     schema.CausePodCrash,
		pod:       podOf,
		remediation: func(s *scenario) []string {
			return []string{"-n shop", "deployment/cart", "-c cart", "--limits=memory=512Mi", s.backend.pod.Name}
		},
	}, {
		name:        "app502",
		backend:     &backend{name: "checkout", owner: "Deployment"},
		behavior:    testupstream.App502,
		loc:         testnginx.Location{Path: "/api/checkout/"},
		status:      502,
		cause:       schema.CauseUpstreamAppError,
		pod:         podOf,
		remediation: func(s *scenario) []string { return []string{"kubectl -n shop logs " + s.backend.pod.Name} },
	}, {
		name: "noendpoints",
		// The pods carry app=promotions only; the Service also wants tier=backend.
		backend: &backend{name: "promotions", owner: "Deployment",
			selector: map[string]string{"app": "promotions", "tier": "backend"}},
		behavior: testupstream.Healthy, // serving, but nginx has no endpoint for it
		loc:      testnginx.Location{Path: "/api/promotions/"},
		status:   503,
		cause:    schema.CauseNoEndpoints,
		pod:      func(*scenario) string { return "" },
		remediation: func(*scenario) []string {
			return []string{"kubectl -n shop patch service promotions", "tier"}
		},
	}, {
		name:     "slow",
		backend:  &backend{name: "search", owner: "StatefulSet"},
		behavior: testupstream.Slow,
		loc:      testnginx.Location{Path: "/api/search/", ReadTimeout: 500 * time.Millisecond},
		status:   504,
		cause:    schema.CauseUpstreamTimeout,
		pod:      podOf,
		remediation: func(s *scenario) []string {
			return []string{"top pod " + s.backend.pod.Name, "proxy-read-timeout", "shop/search"}
		},
	}, {
		name:      "readiness",
		backend:   &backend{name: "catalog", owner: "StatefulSet"},
		behavior:  testupstream.Reset,
		loc:       testnginx.Location{Path: "/api/catalog/"},
		status:    502,
		podStatus: func(st *corev1.PodStatus) { notReady(st, time.Now().Add(-20*time.Second)) },
		after: func(t *testing.T, s *scenario) {
			unhealthy(t, admin, s.backend.pod, time.Now().Add(-40*time.Second), time.Now().Add(-2*time.Second), 5)
		},
		cause: schema.CauseReadinessProbe,
		pod:   podOf,
		remediation: func(*scenario) []string {
			return []string{"-n shop patch statefulset/catalog", "readinessProbe/timeoutSeconds", "container catalog"}
		},
	}, {
		name:     "termination",
		backend:  &backend{name: "orders", owner: "Deployment"},
		behavior: testupstream.Refused,
		loc:      testnginx.Location{Path: "/api/orders/", ConnectTimeout: 2 * time.Second},
		status:   502,
		after: func(t *testing.T, s *scenario) {
			// Graceful deletion: with a node set, the pod stays, with a
			// deletionTimestamp, until a kubelet (absent here) confirms.
			grace := int64(30)
			require.NoError(t, admin.CoreV1().Pods(scenarioNS).Delete(t.Context(), s.backend.pod.Name, metav1.DeleteOptions{GracePeriodSeconds: &grace}))
			p, err := admin.CoreV1().Pods(scenarioNS).Get(t.Context(), s.backend.pod.Name, metav1.GetOptions{})
			require.NoError(t, err)
			require.NotNil(t, p.DeletionTimestamp, "pod %s was deleted at once, not gracefully", p.Name)
		},
		cause: schema.CausePodTermination,
		pod:   podOf,
		remediation: func(*scenario) []string {
			return []string{"-n shop patch deployment/orders", `"name":"orders"`, "preStop"}
		},
	}}

	// Upstreams first (the pods' IPs are theirs), then the objects, then
	// nginx: the cluster state is in place before any request.
	var locs []testnginx.Location
	for i, s := range scenarios {
		up := testupstream.Start(t, fmt.Sprintf("127.0.0.%d:0", 21+i), s.behavior)
		s.backend.addr = up.Addr
		s.backend.create(t, admin, s.podStatus)
		if s.after != nil {
			s.after(t, s)
		}
		l := s.loc
		l.Host, l.UpstreamName = scenarioHost, s.backend.upstreamName()
		if s.cause != schema.CauseNoEndpoints {
			l.Servers = []string{up.Addr}
			l.NextUpstreamTries = 1
		}
		locs = append(locs, l)
	}
	ng := testnginx.Start(t, testnginx.Config{Locations: locs})
	startScenarioCollector(t, c, bin, ng.CRIPath, "", vl)

	for _, s := range scenarios {
		r := ng.Do(t, "GET", scenarioHost, s.loc.Path+"items/1", map[string]string{"X-Request-ID": "scenario-" + s.name})
		require.Equal(t, s.status, r.Status, "%s: nginx answered %d %q", s.name, r.Status, r.Body)
	}
	ng.WaitRequests(t)

	for _, s := range scenarios {
		t.Run(s.name, func(t *testing.T) {
			field := fieldOf(scenarioRecord(t, vl, "scenario-"+s.name))
			assert.Equal(t, s.cause, field(schema.Cause), "evidence: %s\nruled out: %s", field(schema.Evidence), field(schema.RuledOut))
			assert.Equal(t, s.pod(s), field(schema.TargetPod))
			assert.Equal(t, "shop", field(schema.TargetNamespace))
			assert.Equal(t, s.backend.name, field(schema.TargetService))
			rem := field(schema.Remediation)
			assertContainsAll(t, rem, s.remediation(s), "k8s502.remediation")
			t.Logf("%s: %s (%s)\n  remediation: %s\n  evidence: %s", s.name, field(schema.Cause), field(schema.CauseConfidence), rem, field(schema.Evidence))

			// The request's incident: a record of its own with the same
			// diagnosis, counting this one request.
			id := field(schema.IncidentID)
			require.NotEmpty(t, id, "the request record names its incident")
			inc := fieldOf(oneRecord(t, vl, fmt.Sprintf("%s:=%q %s:=%q %s:=%q", schema.EventName, schema.EventNameIncident,
				schema.IncidentID, id, schema.IncidentState, schema.IncidentStateOpen), schema.IncidentID, id))
			assert.Equal(t, s.cause, inc(schema.Cause))
			assert.Equal(t, s.pod(s), inc(schema.TargetPod))
			assert.Equal(t, "1", inc(schema.IncidentCount))
			assert.Contains(t, inc(schema.IncidentSamples), "scenario-"+s.name)
			if s.name == "crash" {
				// The timeline holds the real pod's termination, from the
				// status the API server served.
				assertContainsAll(t, inc(schema.IncidentTimeline), []string{"terminated OOMKilled (exit 137)", s.backend.pod.Name}, "k8s502.incident.timeline")
			}
		})
	}
}

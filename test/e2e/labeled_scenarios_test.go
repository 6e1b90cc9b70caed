//go:build e2e

package e2e

import (
	"net"
	"strconv"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"

	"github.com/k8s502/otelcol-k8s502/internal/schema"
	"github.com/k8s502/otelcol-k8s502/internal/testing/testnginx"
	"github.com/k8s502/otelcol-k8s502/internal/testing/testproc"
	"github.com/k8s502/otelcol-k8s502/internal/testing/testupstream"
)

// lscenario is one failure made for real, with its ground truth: every
// failed request it produces is labeled cause, on the pods its failed
// attempts hit (or pods, when nginx contacted none).
type lscenario struct {
	name, class, cause string
	requests           int // sent one after the other
	status             int // what each client gets
	setup              func(s *lsuite) *lapp
	// history runs before the incident, one step every 2 s, while the
	// collectors watch: what the cluster went through earlier.
	history []func(s *lsuite, a *lapp, at time.Time)
	// incident changes the cluster as the failure did, at at, and returns
	// the location as the controller had rendered it when the requests
	// came: endpoints not yet updated, or none.
	incident func(s *lsuite, a *lapp, at time.Time) testnginx.Location
	// recovery ends the incident at at; nil: nothing in the cluster changes.
	recovery func(s *lsuite, a *lapp, at time.Time)
	// pods the failure was about when nginx contacted none.
	pods func(a *lapp) []string
	// shapes, when set, are the peers nginx must log per request ("ip"
	// for an address, "group" for the upstream's name): the failure
	// really had that form.
	shapes []string
	app    *lapp
}

func servers(s *lsuite, pods []*lpod) []string {
	var out []string
	for _, p := range pods {
		out = append(out, p.addr(s.port))
	}
	return out
}

func podNames(pods []*lpod) []string {
	var out []string
	for _, p := range pods {
		out = append(out, p.name)
	}
	return out
}

func allPods(a *lapp) []string { return podNames(a.pods) }

// crashLoop: the container was OOMKilled at at and the kubelet backs off
// before starting it again; the endpoint turned unready, nginx not yet.
func crashLoop(s *lsuite, a *lapp, p *lpod, at time.Time) {
	s.status(p, func(st *corev1.PodStatus) {
		terminated(st, "OOMKilled", 137, at, true)
		setReady(st, false, at)
	})
	s.podEvent(p, "BackOff", "Back-off restarting failed container "+a.name+" in pod "+p.name+"_"+scenarioNS+"("+string(p.obj.UID)+")", at)
	p.ep = endpointReady(false)
}

// readyAgain: the container runs and its probe passes again since at.
func readyAgain(s *lsuite, a *lapp, p *lpod, at time.Time) {
	s.status(p, func(st *corev1.PodStatus) {
		if st.ContainerStatuses[0].State.Running == nil {
			running(st, a.name, at)
		}
		setReady(st, true, at)
	})
	p.ep = endpointReady(true)
}

// probeFailing: the readiness probe failed three times up to at, so the
// pod is not Ready since at; the event is returned to be counted on.
func probeFailing(s *lsuite, p *lpod, at time.Time) *corev1.Event {
	s.status(p, func(st *corev1.PodStatus) { setReady(st, false, at) })
	p.ep = endpointReady(false)
	return s.event("Pod", p.name, p.obj.UID, "Unhealthy", "Readiness probe failed: Get \"http://"+p.addr(s.port)+"/healthz\": context deadline exceeded",
		"kubelet", at.Add(-10*time.Second), at, 3)
}

// oldRestart is a healthy pod's history: OOMKilled at the first step,
// Ready again at the next, over a minute before the incident.
var oldRestart = []func(s *lsuite, a *lapp, at time.Time){
	func(s *lsuite, a *lapp, at time.Time) {
		s.status(a.pods[0], func(st *corev1.PodStatus) {
			terminated(st, "OOMKilled", 137, at, false)
			setReady(st, false, at)
		})
	},
	func(s *lsuite, a *lapp, at time.Time) { readyAgain(s, a, a.pods[0], at) },
}

// labeledScenarios are the suite's failures. Apps not about rollouts are
// StatefulSets: a Deployment created at the test's start counts as a
// rollout within the lookback, which no real incident would show.
func labeledScenarios() []*lscenario {
	single := func(name string, b testupstream.Behavior) func(s *lsuite) *lapp {
		return func(s *lsuite) *lapp { return s.app(name, "StatefulSet", b) }
	}
	stale := func(s *lsuite, a *lapp) testnginx.Location {
		return testnginx.Location{Servers: servers(s, a.pods), NextUpstreamTries: 1}
	}
	var probe503, probeReset *corev1.Event
	return []*lscenario{{
		name: "crash_refused", class: "base", cause: schema.CausePodCrash, requests: 3, status: 502,
		setup: func(s *lsuite) *lapp { return s.app("cart", "Deployment", testupstream.Refused) },
		incident: func(s *lsuite, a *lapp, at time.Time) testnginx.Location {
			crashLoop(s, a, a.pods[0], at)
			s.syncSlice(a)
			return stale(s, a)
		},
		recovery: func(s *lsuite, a *lapp, at time.Time) { readyAgain(s, a, a.pods[0], at); s.syncSlice(a) },
	}, {
		name: "crash_no_endpoint", class: "1 readiness in the past", cause: schema.CausePodCrash, requests: 3, status: 503,
		setup: single("catalog", testupstream.Healthy),
		incident: func(s *lsuite, a *lapp, at time.Time) testnginx.Location {
			// Restarted at once, not Ready until its probe passes.
			s.status(a.pods[0], func(st *corev1.PodStatus) {
				terminated(st, "OOMKilled", 137, at, false)
				setReady(st, false, at)
			})
			a.pods[0].ep = endpointReady(false)
			s.syncSlice(a)
			return testnginx.Location{}
		},
		recovery: func(s *lsuite, a *lapp, at time.Time) { readyAgain(s, a, a.pods[0], at); s.syncSlice(a) },
		pods:     allPods,
	}, {
		name: "probe_no_endpoint", class: "1 readiness in the past", cause: schema.CauseReadinessProbe, requests: 3, status: 503,
		setup: single("inventory", testupstream.Healthy),
		incident: func(s *lsuite, a *lapp, at time.Time) testnginx.Location {
			probe503 = probeFailing(s, a.pods[0], at)
			s.syncSlice(a)
			return testnginx.Location{}
		},
		recovery: func(s *lsuite, a *lapp, at time.Time) {
			s.repeat(probe503, at.Add(-time.Second), 5)
			readyAgain(s, a, a.pods[0], at)
			s.syncSlice(a)
		},
		pods: allPods,
	}, {
		name: "probe_reset", class: "base", cause: schema.CauseReadinessProbe, requests: 3, status: 502,
		setup: single("ratings", testupstream.Reset),
		incident: func(s *lsuite, a *lapp, at time.Time) testnginx.Location {
			probeReset = probeFailing(s, a.pods[0], at)
			s.syncSlice(a)
			return stale(s, a)
		},
		recovery: func(s *lsuite, a *lapp, at time.Time) {
			s.repeat(probeReset, at.Add(-time.Second), 5)
			readyAgain(s, a, a.pods[0], at)
			s.syncSlice(a)
		},
	}, {
		name: "app_502", class: "base", cause: schema.CauseUpstreamAppError, requests: 3, status: 502,
		setup:    single("checkout", testupstream.App502),
		incident: func(s *lsuite, a *lapp, _ time.Time) testnginx.Location { return stale(s, a) },
	}, {
		name: "selector_matches_nothing", class: "base", cause: schema.CauseNoEndpoints, requests: 3, status: 503,
		setup: single("promotions", testupstream.Healthy),
		incident: func(s *lsuite, a *lapp, _ time.Time) testnginx.Location {
			// A chart change made the selector want a label no pod has.
			s.service(a, func(svc *corev1.Service) { svc.Spec.Selector = map[string]string{"app": a.name, "tier": "backend"} })
			a.pods[0].ep = nil
			s.syncSlice(a)
			return testnginx.Location{}
		},
		recovery: func(s *lsuite, a *lapp, _ time.Time) {
			s.service(a, func(svc *corev1.Service) { svc.Spec.Selector = map[string]string{"app": a.name} })
			a.pods[0].ep = endpointReady(true)
			s.syncSlice(a)
		},
	}, {
		name: "read_timeout", class: "base", cause: schema.CauseUpstreamTimeout, requests: 3, status: 504,
		setup: single("search", testupstream.Slow),
		incident: func(s *lsuite, a *lapp, _ time.Time) testnginx.Location {
			l := stale(s, a)
			l.ReadTimeout = 500 * time.Millisecond
			return l
		},
	}, {
		name: "rollout_old_pods_gone", class: "2 pods already gone", cause: schema.CausePodTermination, requests: 4, status: 502,
		// The old pods: one stopped listening on SIGTERM, one resets what it still accepts.
		setup: func(s *lsuite) *lapp { return s.app("orders", "Deployment", testupstream.Refused, testupstream.Reset) },
		incident: func(s *lsuite, a *lapp, at time.Time) testnginx.Location {
			_, old := s.rollOut(a, at, testupstream.Healthy, testupstream.Healthy)
			return testnginx.Location{Servers: servers(s, old), NextUpstreamTries: 1}
		},
		recovery: func(s *lsuite, a *lapp, _ time.Time) { s.removeTerminating(a) },
	}, {
		name: "scale_down_rescued", class: "3 rescued by a retry", cause: schema.CausePodTermination, requests: 6, status: 200,
		setup: func(s *lsuite) *lapp {
			return s.app("payments", "Deployment", testupstream.Refused, testupstream.Reset, testupstream.Healthy)
		},
		incident: func(s *lsuite, a *lapp, at time.Time) testnginx.Location {
			s.replicas(a, 1)
			s.scaleDown(a, a.rs, 1, a.pods[:2], at)
			return testnginx.Location{Servers: servers(s, a.pods)} // retries on: proxy_next_upstream_tries 3
		},
		recovery: func(s *lsuite, a *lapp, _ time.Time) { s.removeTerminating(a) },
	}, {
		name: "all_replicas_crashed", class: "4 several failed attempts", cause: schema.CausePodCrash, requests: 3, status: 502,
		setup: func(s *lsuite) *lapp {
			return s.app("recommend", "StatefulSet", testupstream.Refused, testupstream.Refused, testupstream.Refused, testupstream.Refused, testupstream.Refused)
		},
		incident: func(s *lsuite, a *lapp, at time.Time) testnginx.Location {
			for _, p := range a.pods {
				crashLoop(s, a, p, at)
			}
			s.syncSlice(a)
			// Three tries over five dead peers marked down after one failure:
			// three attempts, then two and "no live upstreams", then none.
			return testnginx.Location{Servers: servers(s, a.pods), MaxFails: 1}
		},
		shapes: []string{"ip, ip, ip", "ip, ip, group", "group"},
		recovery: func(s *lsuite, a *lapp, at time.Time) {
			for _, p := range a.pods {
				readyAgain(s, a, p, at)
			}
			s.syncSlice(a)
		},
		pods: allPods,
	}, {
		name: "target_port_mismatch", class: "5 targetPort mismatch", cause: schema.CauseTargetPortMismatch, requests: 3, status: 502,
		setup: single("ledger", testupstream.Healthy),
		incident: func(s *lsuite, a *lapp, _ time.Time) testnginx.Location {
			// A chart change set targetPort to a number no container declares
			// or listens on; the pod stays Ready (its probe uses the named port).
			p := a.pods[0]
			_, port, _ := net.SplitHostPort(testproc.FreeAddr(s.t, p.ip))
			n, _ := strconv.Atoi(port)
			s.service(a, func(svc *corev1.Service) { svc.Spec.Ports[0].TargetPort = intstr.FromInt32(int32(n)) })
			s.syncSlice(a)
			addr := net.JoinHostPort(p.ip, port)
			s.owner[addr] = p.name
			return testnginx.Location{Servers: []string{addr}, NextUpstreamTries: 1}
		},
		recovery: func(s *lsuite, a *lapp, _ time.Time) {
			s.service(a, func(svc *corev1.Service) { svc.Spec.Ports[0].TargetPort = intstr.FromString("http") })
			s.syncSlice(a)
		},
	}, {
		name: "twin_old_restarts_app_502", class: "negative twin", cause: schema.CauseUpstreamAppError, requests: 3, status: 502,
		setup:    single("wishlist", testupstream.App502),
		history:  oldRestart,
		incident: func(s *lsuite, a *lapp, _ time.Time) testnginx.Location { return stale(s, a) },
	}, {
		name: "twin_old_restarts_timeout", class: "negative twin", cause: schema.CauseUpstreamTimeout, requests: 3, status: 504,
		setup:   single("pricing", testupstream.Slow),
		history: oldRestart,
		incident: func(s *lsuite, a *lapp, _ time.Time) testnginx.Location {
			l := stale(s, a)
			l.ReadTimeout = 500 * time.Millisecond
			return l
		},
	}, {
		name: "twin_rollout_app_502", class: "negative twin", cause: schema.CauseUpstreamAppError, requests: 3, status: 502,
		setup: func(s *lsuite) *lapp { return s.app("reviews", "Deployment", testupstream.Healthy) },
		incident: func(s *lsuite, a *lapp, at time.Time) testnginx.Location {
			// The new version is out, Ready, and answers 502 itself; the old
			// pod is already gone.
			newPods, _ := s.rollOut(a, at, testupstream.App502)
			s.removeTerminating(a)
			return testnginx.Location{Servers: servers(s, newPods), NextUpstreamTries: 1}
		},
	}}
}

// service changes a's Service as a user or a chart would.
func (s *lsuite) service(a *lapp, mutate func(*corev1.Service)) {
	mutate(a.svc)
	svc, err := s.cs.CoreV1().Services(scenarioNS).Update(s.t.Context(), a.svc, metav1.UpdateOptions{})
	if err != nil {
		s.t.Fatalf("service %s: %v", a.name, err)
	}
	a.svc = svc
}

package diagnose

import (
	"fmt"
	"math"
	"strings"
	"time"

	"github.com/k8s502/otelcol-k8s502/internal/schema"
)

// podTermination: the request reached a pod that was already being deleted.
// Endpoint removal propagates to the ingress controller a little after the
// kubelet sends SIGTERM; without a preStop delay the app stops accepting
// connections while nginx still routes to it. The gap between the deletion
// and the request measures that propagation delay, which is what the preStop
// sleep must cover.
func podTermination(j *judge) bool {
	if j.pod == nil {
		return false
	}
	p := j.pod.Pod
	var deleted time.Time
	switch {
	case p.DeletionTimestamp != nil:
		// deletionTimestamp is when the grace period ends; the deletion was
		// requested gracePeriod earlier.
		deleted = p.DeletionTimestamp.Time
		if p.DeletionGracePeriodSeconds != nil {
			deleted = deleted.Add(-time.Duration(*p.DeletionGracePeriodSeconds) * time.Second)
		}
	case !j.pod.Deleted.IsZero():
		deleted = j.pod.Deleted
	}
	for _, e := range j.podEvents(p, j.from) {
		// "Container app failed liveness probe, will be restarted" is also
		// Killing: a restart, not the pod going away (pod_crash judges it).
		if e.Reason == "Killing" && !strings.Contains(e.Message, "will be restarted") && (deleted.IsZero() || e.Time.Before(deleted)) {
			deleted = e.Time
		}
	}
	if deleted.IsZero() || deleted.After(j.f.Time) {
		j.ruledOut(j.podRef() + " was not being deleted at " + j.ts(j.f.Time))
		return false
	}
	gap := j.f.Time.Sub(deleted)
	if gap > j.cfg.Lookback {
		return false
	}
	grace := int64(30)
	if p.Spec.TerminationGracePeriodSeconds != nil {
		grace = *p.Spec.TerminationGracePeriodSeconds
	}
	hasPreStop := false
	// The preStop belongs on the container serving the port (a mesh proxy
	// may be listed first), else on the first.
	container := ""
	for _, c := range p.Spec.Containers {
		if container == "" {
			container = c.Name
		}
		if c.Lifecycle != nil && c.Lifecycle.PreStop != nil {
			hasPreStop = true
		}
	}
	for _, c := range p.Spec.Containers {
		for _, cp := range c.Ports {
			if j.port != 0 && cp.ContainerPort == j.port {
				container = c.Name
			}
		}
	}
	sleep, newGrace := preStopSleep(gap, grace)
	ev := []string{fmt.Sprintf("%s deletion requested at %s; the request came %.1fs later, at %s", j.podRef(), j.ts(deleted), gap.Seconds(), j.ts(j.f.Time))}
	for _, e := range j.endpoints(p.Namespace, j.result.Target.Service) {
		if e.IP == j.ip && (e.Terminating || !e.Ready) {
			ev = append(ev, fmt.Sprintf("endpoint %s of service %s/%s was ready=%t terminating=%t at %s", e.IP, p.Namespace, j.result.Target.Service, e.Ready, e.Terminating, j.ts(j.f.Time)))
		}
	}
	if hasPreStop {
		ev = append(ev, fmt.Sprintf("pod has a preStop hook, but it did not cover the %.1fs the endpoint change took", gap.Seconds()))
	} else {
		ev = append(ev, "pod has no preStop hook: the app stopped while the gateway still routed to it")
	}
	var rem string
	if w := j.result.Target.Workload; w != "" {
		rem = fmt.Sprintf(`kubectl -n %s patch %s --type strategic -p '{"spec":{"template":{"spec":{"terminationGracePeriodSeconds":%d,"containers":[{"name":"%s","lifecycle":{"preStop":{"exec":{"command":["sleep","%d"]}}}}]}}}}'  # preStop sleep %ds covers the %.1fs endpoint-removal delay seen here`,
			p.Namespace, lowerKind(w), newGrace, container, sleep, sleep, gap.Seconds())
	} else {
		// A bare pod's lifecycle cannot be patched; its manifest must change.
		rem = fmt.Sprintf(`pod %s/%s has no controller: in its manifest set terminationGracePeriodSeconds: %d and, on container %s, lifecycle.preStop.exec.command: ["sleep","%d"] (covers the %.1fs endpoint-removal delay seen here), then recreate it`,
			p.Namespace, p.Name, newGrace, container, sleep, gap.Seconds())
	}
	return j.claim(schema.CausePodTermination, schema.ConfidenceHigh, rem, ev...)
}

// preStopSleep is the preStop sleep that covers an observed endpoint-removal
// delay gap with margin (never less than the usual 5s), and the grace
// period that leaves the app 15s to stop after it.
func preStopSleep(gap time.Duration, grace int64) (sleep, newGrace int64) {
	sleep = int64(math.Ceil(gap.Seconds()*1.5)) + 2
	if sleep < 5 {
		sleep = 5
	}
	newGrace = grace
	if newGrace < sleep+15 {
		newGrace = sleep + 15
	}
	return sleep, newGrace
}

// lowerKind turns "Deployment/checkout" into "deployment/checkout" for kubectl.
func lowerKind(w string) string {
	for i := 0; i < len(w); i++ {
		if w[i] == '/' {
			k := []byte(w[:i])
			for n := range k {
				if k[n] >= 'A' && k[n] <= 'Z' {
					k[n] += 'a' - 'A'
				}
			}
			return string(k) + w[i:]
		}
	}
	return w
}

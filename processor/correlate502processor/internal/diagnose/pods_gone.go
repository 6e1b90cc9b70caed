package diagnose

import (
	"fmt"
	"slices"
	"sort"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"

	"github.com/k8s502/otelcol-k8s502/internal/schema"
	"github.com/k8s502/otelcol-k8s502/processor/correlate502processor/internal/cluster"
)

// goneKinds are the failures a pod that is going or gone causes: nothing
// listens any more (refused), its IP answers no more (timeouts,
// unreachable), or the connection dies with the process (reset, close).
var goneKinds = []string{schema.ErrConnectRefused, schema.ErrConnectTimeout, schema.ErrHostUnreachable, schema.ErrConnectionReset, schema.ErrPrematureClose}

// podsGone: the failed attempt went to an address that no pod the collector
// knows held, during a rollout or scale-down of the Deployment behind the
// Service. Its old pods were deleted before the collector's state was
// captured (a gateway started after them, a snapshot taken later), so only
// events still name them: Killing on each pod, ScalingReplicaSet on the
// Deployment, SuccessfulDelete on the old ReplicaSet. The pod that held the
// address is not in the state, so the verdict is medium at most and names
// a target pod only when the EndpointSlice listed the address with its pod.
func podsGone(j *judge) bool {
	if j.pod != nil || j.ip == "" || j.svc == nil || !slices.Contains(goneKinds, j.f.ErrorKind) {
		return false
	}
	svc, ok := j.s.ServiceAt(j.svc.ns, j.svc.name, j.f.Time) // the spec in force then
	if !ok || len(svc.Spec.Selector) == 0 {
		return false
	}
	ns := svc.Namespace
	unknown := fmt.Sprintf("%s belongs to no pod the collector knows: none held %s at %s", j.result.Target.Address, j.ip, j.ts(j.f.Time))
	deps := j.deploymentsOf(ns, svc.Spec.Selector)
	if len(deps) == 0 {
		j.ruleOut("%s, and no Deployment runs the pods of service %s/%s", unknown, ns, svc.Name)
		return false
	}
	for _, d := range deps {
		sc := j.scaling(ns, d)
		if claimed, why := sc.judge(j, unknown); claimed {
			return true
		} else if why != "" {
			j.ruleOut("%s, and %s", unknown, why)
		}
	}
	return false
}

// deploymentsOf names the Deployments whose pods the selector picks: from
// the Deployments and ReplicaSets held, else from the pods held.
func (j *judge) deploymentsOf(ns string, sel map[string]string) []string {
	deps := j.s.DeploymentsForSelector(ns, sel)
	for _, p := range j.s.PodsForSelector(ns, sel) {
		if w := j.s.Workload(p.Pod); w.Kind == "Deployment" && !slices.Contains(deps, w.Name) {
			deps = append(deps, w.Name)
		}
	}
	sort.Strings(deps)
	return deps
}

// goneScene is what the events say a Deployment did in the window.
type goneScene struct {
	ns, deployment string
	rollout        []string // evidence of the rollout or scaling itself
	scaledUp       bool     // a ReplicaSet was created or scaled up: a rollout
	downs          []scaleDown
	deleted        map[string]*goneDeletion // pods not in the state, by name
	named          map[string]bool          // ReplicaSets whose deleted pods events name
	known          []string                 // deleted pods the state knows (they did not hold the address)
	newest         string                   // the ReplicaSet a rollout scaled up, else the newest held
}

type scaleDown struct {
	rs string
	at time.Time
}

type goneDeletion struct {
	pod, rs string
	at      time.Time // when its deletion began: the earliest event
	how     []string
}

func (j *judge) scaling(ns, d string) *goneScene {
	sc := &goneScene{ns: ns, deployment: d, deleted: map[string]*goneDeletion{}, named: map[string]bool{}}
	rsNames := map[string]bool{}
	for _, rs := range j.s.ReplicaSets(ns, d) {
		rsNames[rs.Name], sc.newest = true, rs.Name
		if c := rs.CreationTimestamp.Time; !c.Before(j.from) && !c.After(j.to) {
			sc.scaledUp = true
			sc.rollout = append(sc.rollout, fmt.Sprintf("ReplicaSet %s/%s (revision %s) created at %s", ns, rs.Name, rs.Annotations["deployment.kubernetes.io/revision"], j.ts(c)))
		}
	}
	for _, e := range j.s.Events(ns, "Deployment", d, j.from, j.to) {
		if e.Reason != "ScalingReplicaSet" {
			continue
		}
		sc.rollout = append(sc.rollout, fmt.Sprintf("event ScalingReplicaSet on deployment %s/%s at %s: %s", ns, d, j.ts(e.Time), e.Message))
		if rs, ok := scaledReplicaSet(e.Message, "Scaled down replica set "); ok {
			rsNames[rs] = true
			sc.downs = append(sc.downs, scaleDown{rs: rs, at: eventStart(e)})
		} else if rs, ok := scaledReplicaSet(e.Message, "Scaled up replica set "); ok {
			sc.scaledUp, sc.newest = true, rs
		}
	}
	for _, rs := range sortedKeysBool(rsNames) {
		for _, e := range j.s.Events(ns, "ReplicaSet", rs, j.from, j.to) {
			if pod, ok := strings.CutPrefix(e.Message, "Deleted pod: "); ok && e.Reason == "SuccessfulDelete" {
				sc.deletion(j, rs, pod, eventStart(e), "SuccessfulDelete on its ReplicaSet")
			}
		}
		// Pods of a ReplicaSet are named <rs>-<suffix>; events about them
		// outlive them.
		for _, e := range j.s.EventsByNamePrefix(ns, "Pod", rs+"-", j.from, j.to) {
			if e.Reason == "Killing" && !strings.Contains(e.Message, "will be restarted") && !strings.Contains(e.Name[len(rs)+1:], "-") {
				sc.deletion(j, rs, e.Name, eventStart(e), "Killing")
			}
		}
	}
	return sc
}

func (sc *goneScene) deletion(j *judge, rs, pod string, at time.Time, how string) {
	sc.named[rs] = true
	if _, known := j.s.Pod(sc.ns, pod); known {
		if !slices.Contains(sc.known, pod) {
			sc.known = append(sc.known, pod)
		}
		return
	}
	d := sc.deleted[pod]
	if d == nil {
		d = &goneDeletion{pod: pod, rs: rs, at: at}
		sc.deleted[pod] = d
	}
	if at.Before(d.at) {
		d.at = at
	}
	d.how = append(d.how, how+" at "+j.ts(at))
}

// judge claims the record for the scene, or says why not.
func (sc *goneScene) judge(j *judge, unknown string) (bool, string) {
	ns, d := sc.ns, sc.deployment
	// The last deletion before the request bounds how long the gateway
	// kept routing to a deleted pod: at least this long.
	var last time.Time
	var ev []string
	for _, del := range sc.sortedDeletions() {
		if !del.at.After(j.f.Time) && del.at.After(last) {
			last = del.at
		}
	}
	for _, sd := range sc.downs {
		if !sc.named[sd.rs] && !sd.at.After(j.f.Time) {
			// The scale-down deleted pods no event names: one may be ours.
			ev = append(ev, fmt.Sprintf("ReplicaSet %s/%s was scaled down at %s; no event names the pods it deleted", ns, sd.rs, j.ts(sd.at)))
			if sd.at.After(last) {
				last = sd.at
			}
		}
	}
	knownNote := ""
	if len(sc.known) > 0 {
		knownNote = fmt.Sprintf(" (the pods events name as deleted, %s, are in the collector's state and did not hold %s)", strings.Join(sc.known, ", "), j.ip)
	}
	if len(sc.rollout) == 0 && len(sc.deleted) == 0 {
		return false, fmt.Sprintf("deployment %s/%s had no rollout, scale-down or deletion of a pod unknown to the collector between %s and %s%s", ns, d, j.ts(j.from), j.ts(j.to), knownNote)
	}
	dep, haveDep := j.s.Deployment(ns, d)
	ready, desired := 0, int32(0)
	if haveDep {
		desired = 1
		if dep.Spec.Replicas != nil {
			desired = *dep.Spec.Replicas
		}
		for _, e := range j.endpoints(j.svc.ns, j.svc.name) {
			if j.endpointReady(j.svc.ns, e) {
				ready++
			}
		}
	}
	short := haveDep && sc.scaledUp && int32(ready) < desired
	if !short && last.IsZero() {
		return false, fmt.Sprintf("deployment %s/%s was scaling between %s and %s with %d/%d endpoints ready, but no pod of it unknown to the collector was deleted before the request%s",
			ns, d, j.ts(j.from), j.ts(j.to), ready, desired, knownNote)
	}
	t := &j.result.Target
	t.Workload = "Deployment/" + d
	ev = append(append([]string{unknown + ", while deployment " + ns + "/" + d + " was scaling"}, sc.rollout...), ev...)
	ev = append(ev, sc.deletionEvidence()...)
	if pod, node, line := j.endpointHolder(); pod != "" {
		t.Pod, t.Node = pod, node
		ev = append(ev, line)
	} else if len(sc.deleted) > 0 {
		ev = append(ev, fmt.Sprintf("which of these pods held %s is not known: none of them is in the collector's state", j.ip))
	}
	container, grace := j.templateContainer(ns, d)
	if short {
		surge, unavail := strategy(dep)
		ev = append(ev, fmt.Sprintf("deployment %s/%s: %d/%d endpoints ready at %s; strategy maxSurge=%s maxUnavailable=%s minReadySeconds=%d",
			ns, d, ready, desired, j.ts(j.f.Time), surge, unavail, dep.Spec.MinReadySeconds))
		minReady := max(dep.Spec.MinReadySeconds, 10)
		rem := fmt.Sprintf(`kubectl -n %s patch deployment %s --type merge -p '{"spec":{"minReadySeconds":%d,"strategy":{"type":"RollingUpdate","rollingUpdate":{"maxSurge":1,"maxUnavailable":0}}}}'  # surge new pods before removing old ones; a preStop sleep on container %s also keeps deleted pods serving until the gateway drops them`,
			ns, d, minReady, container)
		return j.claim(schema.CauseRolloutGap, schema.ConfidenceMedium, rem, ev...), ""
	}
	gap := j.f.Time.Sub(last)
	sleep, newGrace := preStopSleep(gap, grace)
	ev = append(ev, fmt.Sprintf("the request came %.1fs after the last deletion before it (%s): the gateway still routed to a deleted pod", gap.Seconds(), j.ts(last)))
	rem := fmt.Sprintf(`kubectl -n %s patch deployment/%s --type strategic -p '{"spec":{"template":{"spec":{"terminationGracePeriodSeconds":%d,"containers":[{"name":"%s","lifecycle":{"preStop":{"exec":{"command":["sleep","%d"]}}}}]}}}}'  # preStop sleep %ds covers at least the %.1fs the gateway kept routing to a deleted pod`,
		ns, d, newGrace, container, sleep, sleep, gap.Seconds())
	return j.claim(schema.CausePodTermination, schema.ConfidenceMedium, rem, ev...), ""
}

func (sc *goneScene) sortedDeletions() []*goneDeletion {
	out := make([]*goneDeletion, 0, len(sc.deleted))
	for _, d := range sc.deleted {
		out = append(out, d)
	}
	sort.Slice(out, func(a, b int) bool {
		if out[a].rs != out[b].rs {
			return out[a].rs < out[b].rs
		}
		return out[a].pod < out[b].pod
	})
	return out
}

// deletionEvidence names the deleted pods per old ReplicaSet.
func (sc *goneScene) deletionEvidence() []string {
	var ev []string
	var rs string
	var pods []string
	flush := func() {
		if len(pods) == 0 {
			return
		}
		what := "old ReplicaSet"
		if rs == sc.newest && !sc.scaledUp {
			what = "ReplicaSet" // a scale-down of the current one
		}
		ev = append(ev, fmt.Sprintf("%s %s/%s deleted pod(s) no longer in the collector's state: %s", what, sc.ns, rs, strings.Join(pods, "; ")))
	}
	for _, d := range sc.sortedDeletions() {
		if d.rs != rs {
			flush()
			rs, pods = d.rs, nil
		}
		pods = append(pods, fmt.Sprintf("%s (%s)", d.pod, strings.Join(d.how, ", ")))
	}
	flush()
	return ev
}

// endpointHolder is the pod the EndpointSlice listed with the failed
// address at the request's time: the one pod provably holding it.
func (j *judge) endpointHolder() (pod, node, line string) {
	for _, e := range j.endpointsOfIP(j.svc.ns, j.svc.name, j.ip) {
		if e.Pod == "" || (pod != "" && pod != e.Pod) {
			return "", "", "" // pods sharing the address: none is proven
		}
		pod, node = e.Pod, e.Node
		line = fmt.Sprintf("the EndpointSlice of service %s/%s listed %s as pod %s (ready=%t terminating=%t) at %s", j.svc.ns, j.svc.name, j.ip, e.Pod, e.Ready, e.Terminating, j.ts(j.f.Time))
	}
	return pod, node, line
}

// templateContainer is the container a preStop belongs on (the one serving
// the dialled port, else the first) and the pods' grace period, from the
// Deployment's template or else from a pod of it that is still known.
func (j *judge) templateContainer(ns, d string) (string, int64) {
	var cs []corev1.Container
	grace := int64(30)
	if full, ok := j.s.Deployment(ns, d); ok && len(full.Spec.Template.Spec.Containers) > 0 {
		cs = full.Spec.Template.Spec.Containers
		if g := full.Spec.Template.Spec.TerminationGracePeriodSeconds; g != nil {
			grace = *g
		}
	} else if svc, ok := j.s.Service(j.svc.ns, j.svc.name); ok {
		for _, p := range j.s.PodsForSelector(ns, svc.Spec.Selector) {
			if j.s.Workload(p.Pod) == (cluster.Workload{Kind: "Deployment", Name: d}) {
				cs = p.Pod.Spec.Containers
				if g := p.Pod.Spec.TerminationGracePeriodSeconds; g != nil {
					grace = *g
				}
				break
			}
		}
	}
	name := "<container>"
	for i, c := range cs {
		if i == 0 {
			name = c.Name
		}
		for _, cp := range c.Ports {
			if cp.ContainerPort == j.port {
				return c.Name, grace
			}
		}
	}
	return name, grace
}

// scaledReplicaSet reads the ReplicaSet out of a ScalingReplicaSet message
// ("Scaled down replica set checkout-7d9f8b6c5d to 1 from 2"; older
// clusters omit "from N").
func scaledReplicaSet(msg, prefix string) (string, bool) {
	rest, ok := strings.CutPrefix(msg, prefix)
	if !ok {
		return "", false
	}
	name, _, _ := strings.Cut(rest, " ")
	return name, name != ""
}

// eventStart is when an event's occurrences began.
func eventStart(e *cluster.Event) time.Time {
	if !e.FirstTime.IsZero() {
		return e.FirstTime
	}
	return e.Time
}

func sortedKeysBool(m map[string]bool) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

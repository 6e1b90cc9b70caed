package diagnose

import (
	"fmt"
	"time"

	"k8s.io/apimachinery/pkg/api/resource"

	"github.com/k8s502/otelcol-k8s502/internal/schema"
	"github.com/k8s502/otelcol-k8s502/processor/correlate502processor/internal/cluster"
)

// crashRecent is how long after a container ended a failed request is still
// blamed on it when the pod was Ready again by the request's time: startup
// and endpoint propagation take a few seconds.
const crashRecent = 60 * time.Second

// podCrash: a container of the target pod ended (OOMKilled, error exit)
// around the request, so nothing was listening or the connection died.
func podCrash(j *judge) bool {
	if j.pod == nil {
		return false
	}
	p := j.pod.Pod
	var best *terminationView
	for _, t := range j.s.Terminations(p.Namespace, p.Name, j.from, j.to) {
		at := t.FinishedAt
		if at.IsZero() {
			at = t.Seen
		}
		if at.After(j.to) {
			continue
		}
		if best == nil || absDur(at.Sub(j.f.Time)) < absDur(best.at.Sub(j.f.Time)) {
			tt := t
			best = &terminationView{t: tt, at: at}
		}
	}
	backoff := 0
	for _, e := range j.podEvents(p, j.from) {
		if e.Reason == "BackOff" || e.Reason == "OOMKilling" {
			backoff++
		}
	}
	if best == nil && backoff == 0 {
		j.ruledOut(j.podRef() + " had no container restart between " + j.ts(j.from) + " and " + j.ts(j.to))
		return false
	}
	ready, known := j.readyAt(p.Namespace, p.Name)
	if best != nil && known && ready && j.f.Time.Sub(best.at) > crashRecent {
		j.ruleOut("%s last restarted at %s (%s), %s before the request, and was Ready again", j.podRef(), j.ts(best.at), best.t.Reason, j.f.Time.Sub(best.at).Round(time.Second))
		return false
	}
	var ev []string
	conf := schema.ConfidenceHigh
	rem := ""
	if best != nil {
		t := best.t
		if t.FinishedAt.IsZero() {
			// Known from a restart metric: no exit code, maybe no reason,
			// and the time is when the restart was seen.
			reason := ""
			if t.Reason != "" {
				reason = ", last terminated " + t.Reason
			}
			ev = append(ev, fmt.Sprintf("%s container %s restarted by %s (restart %d, from a restart metric%s)", j.podRef(), t.Container, j.ts(best.at), t.RestartCount, reason))
		} else {
			ev = append(ev, fmt.Sprintf("%s container %s terminated %s (exit %d) at %s, restart %d", j.podRef(), t.Container, t.Reason, t.ExitCode, j.ts(best.at), t.RestartCount))
		}
		rem = crashRemediation(j, t.Container, t.Reason)
	} else {
		conf = schema.ConfidenceMedium
		rem = fmt.Sprintf("kubectl -n %s logs %s --previous", p.Namespace, p.Name)
	}
	for _, e := range j.podEvents(p, j.from) {
		if e.Reason == "BackOff" || e.Reason == "OOMKilling" {
			ev = append(ev, j.podEventText(e))
		}
	}
	if known && !ready {
		ev = append(ev, j.notReadyText())
	}
	return j.claim(schema.CausePodCrash, conf, rem, ev...)
}

type terminationView struct {
	t  cluster.Termination
	at time.Time
}

func absDur(d time.Duration) time.Duration {
	if d < 0 {
		return -d
	}
	return d
}

func crashRemediation(j *judge, container, reason string) string {
	p := j.pod.Pod
	target := lowerKind(j.result.Target.Workload)
	if target == "" {
		target = "pod/" + p.Name
	}
	if reason == "OOMKilled" {
		limit := ""
		for _, c := range p.Spec.Containers {
			if c.Name == container {
				if q, ok := c.Resources.Limits["memory"]; ok {
					limit = doubled(q)
				}
			}
		}
		if limit == "" {
			limit = "<more than its peak usage>"
		}
		return fmt.Sprintf("kubectl -n %s set resources %s -c %s --limits=memory=%s  # it was OOMKilled; also check for a leak: kubectl -n %s logs %s -c %s --previous", p.Namespace, target, container, limit, p.Namespace, p.Name, container)
	}
	if reason == "" {
		return fmt.Sprintf("kubectl -n %s logs %s -c %s --previous  # why it restarted; kubectl -n %s describe pod %s shows the last state", p.Namespace, p.Name, container, p.Namespace, p.Name)
	}
	return fmt.Sprintf("kubectl -n %s logs %s -c %s --previous  # why it exited (%s)", p.Namespace, p.Name, container, reason)
}

func doubled(q resource.Quantity) string {
	d := q.DeepCopy()
	d.Add(q)
	return d.String()
}

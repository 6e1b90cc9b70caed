package diagnose

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/k8s502/otelcol-k8s502/internal/schema"
)

// readinessProbe: the pod's readiness probe was failing around the request.
// A pod that flaps between Ready and NotReady is added to and removed from
// the endpoints faster than the gateway follows, and the probe failing
// usually means the app is too slow to answer anyone.
func readinessProbe(j *judge) bool {
	if j.pod == nil {
		return false
	}
	p := j.pod.Pod
	ready, known := j.readyAt(p.Namespace, p.Name)
	// A pod Ready at the request is only blamed for failures close to it:
	// endpoint changes reach the gateway within seconds, so a probe that
	// failed minutes earlier and recovered explains nothing now.
	from := j.from
	if known && ready {
		from = j.f.Time.Add(-crashRecent)
	}
	var ev []string
	for _, e := range j.podEvents(p, from) {
		if e.Reason == "Unhealthy" && strings.Contains(e.Message, "Readiness probe") {
			ev = append(ev, j.podEventText(e))
		}
	}
	if known && !ready {
		ev = append(ev, j.notReadyText())
	}
	var flips []string
	lost := false
	for i, tr := range j.pod.Ready {
		if !tr.At.Before(from) && !tr.At.After(j.to) {
			flips = append(flips, j.podRef()+" became Ready="+strconv.FormatBool(tr.Ready)+" at "+j.ts(tr.At))
			// A new pod's first NotReady and first Ready are its startup,
			// not a probe failing; losing readiness after having it is.
			lost = lost || (!tr.Ready && i > 0)
		}
	}
	if lost || len(ev) > 0 {
		ev = append(ev, flips...)
	}
	if len(ev) == 0 {
		if known {
			j.ruledOut(j.podRef() + " was Ready at " + j.ts(j.f.Time) + " and had no readiness failures since " + j.ts(from))
		}
		return false
	}
	conf := schema.ConfidenceHigh
	if known && ready {
		conf = schema.ConfidenceMedium // probes failed nearby, but it was Ready at that instant
	}
	return j.claim(schema.CauseReadinessProbe, conf, probeRemediation(j), ev...)
}

// probeRemediation names the probe's real settings and a patch that gives
// the app more slack; the probe endpoint itself may need fixing too.
func probeRemediation(j *judge) string {
	p := j.pod.Pod
	target := lowerKind(j.result.Target.Workload)
	if target == "" {
		target = "pod/" + p.Name
	}
	for i, c := range p.Spec.Containers {
		rp := c.ReadinessProbe
		if rp == nil {
			continue
		}
		timeout := rp.TimeoutSeconds
		if timeout == 0 {
			timeout = 1
		}
		failures := rp.FailureThreshold
		if failures == 0 {
			failures = 3
		}
		return fmt.Sprintf(`kubectl -n %s patch %s --type json -p '[{"op":"replace","path":"/spec/template/spec/containers/%d/readinessProbe/timeoutSeconds","value":%d},{"op":"replace","path":"/spec/template/spec/containers/%d/readinessProbe/failureThreshold","value":%d}]'  # probe of container %s had timeoutSeconds=%d failureThreshold=%d; also check what the probe endpoint depends on`,
			p.Namespace, target, i, timeout*3, i, failures+2, c.Name, timeout, failures)
	}
	return fmt.Sprintf("kubectl -n %s describe pod %s  # look at the readiness probe and the Unhealthy events", p.Namespace, p.Name)
}

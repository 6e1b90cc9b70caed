package diagnose

import (
	"strings"

	"github.com/k8s502/otelcol-k8s502/internal/schema"
)

// raceMaxWait bounds how long a keep-alive race takes: the proxy writes the
// request to a connection the upstream already closed and fails at once.
const raceMaxWait = 1.0

// keepaliveRace: the upstream closed (or reset) a kept-alive connection just
// as the proxy reused it, while the pod was healthy: the app's idle timeout
// is shorter than the proxy's for its upstream connections.
func keepaliveRace(j *judge) bool {
	if j.f.ErrorKind != schema.ErrPrematureClose && j.f.ErrorKind != schema.ErrConnectionReset {
		j.ruledOut("no premature close or reset by the upstream")
		return false
	}
	// A reused idle connection fails before any response byte arrives; a
	// close in the middle of the body is the app giving up, not a race.
	if !strings.Contains(j.f.ErrorMessage, "response header") && !strings.Contains(j.f.ErrorMessage, "sending request") {
		j.ruleOut("the connection broke mid-response (%s), not on reuse", j.f.ErrorMessage)
		return false
	}
	// The race fails at once; an upstream that held the request for a
	// while and then closed timed out or died on its own side.
	if d, ok := j.attemptTime(); ok && d > raceMaxWait {
		j.ruleOut("%s held the request %.3fs before closing: not a reused idle connection (the app's own timeout, or it died mid-request)", j.result.Target.Address, d)
		return false
	}
	ev := []string{j.result.Target.Address + " (" + j.podRef() + ") closed the connection at " + j.ts(j.f.Time) + ": " + j.f.ErrorMessage}
	conf := schema.ConfidenceMedium
	if j.pod != nil {
		if ready, known := j.readyAt(j.pod.Pod.Namespace, j.pod.Pod.Name); known && ready {
			ev = append(ev, j.podRef()+" was Ready, not terminating and had no restart in the window")
		}
	} else {
		conf = schema.ConfidenceLow
	}
	return j.claim(schema.CauseKeepaliveRace, conf, j.keepaliveRemediation(), ev...)
}

// keepaliveRemediation: the profile's own sentence when it has one
// (ingress-nginx names its ConfigMap key and default), else its knob.
func (j *judge) keepaliveRemediation() string {
	if fix := j.gw.KeepaliveFix; fix != nil {
		if s := fix(j.route()); s != "" {
			return s
		}
	}
	return "make the app's HTTP keep-alive idle timeout longer than the gateway's, or shorten the gateway's: " + j.knobs().Keepalive
}

package diagnose

import (
	"fmt"
	"strconv"

	"github.com/k8s502/otelcol-k8s502/internal/schema"
)

// upstreamTimeout: the upstream accepted the request but did not answer
// within the proxy's read timeout (or did not accept the connection within
// its connect timeout while no policy blocks it: overloaded). A proxy that
// gave up waiting for a free connection slot, or whose circuit breaker was
// open, says the backend is saturated.
func upstreamTimeout(j *judge) bool {
	if j.f.ErrorKind == schema.ErrQueueTimeout || j.f.ErrorKind == schema.ErrOverflow {
		return saturated(j)
	}
	if j.f.ErrorKind != schema.ErrReadTimeout && j.f.ErrorKind != schema.ErrConnectTimeout {
		j.ruledOut("no upstream timeout")
		return false
	}
	waited := ""
	if d, ok := j.attemptTime(); ok {
		waited = " after " + strconv.FormatFloat(d, 'f', 3, 64) + "s"
	}
	ev := j.result.Target.Address + " (" + j.podRef() + ") " + timeoutVerb(j.f.ErrorKind) + waited + " at " + j.ts(j.f.Time) + ": " + j.f.ErrorMessage
	knob := j.knobs().ReadTimeout
	if j.f.ErrorKind == schema.ErrConnectTimeout {
		knob = j.knobs().ConnectTimeout
	}
	rem := fmt.Sprintf(`find out why the backend is slow (kubectl -n %s top pod %s; its latency metrics); if slow responses are expected, raise %s`,
		j.result.Target.Namespace, orDash(j.result.Target.Pod), knob)
	conf := schema.ConfidenceHigh
	if j.f.ErrorKind == schema.ErrConnectTimeout {
		conf = schema.ConfidenceMedium // could also be a dropped SYN elsewhere on the path
	}
	return j.claim(schema.CauseUpstreamTimeout, conf, rem, ev)
}

func timeoutVerb(kind string) string {
	if kind == schema.ErrConnectTimeout {
		return "did not accept the connection"
	}
	return "did not answer"
}

// saturated: the gateway refused to queue the request any longer for a
// free connection slot (HAProxy maxconn + timeout queue) or its circuit
// breaker was open (Envoy UO): the backend has too little capacity for the
// load, though each pod may be healthy.
func saturated(j *judge) bool {
	what := "waited for a free connection slot to the backend and gave up"
	if j.f.ErrorKind == schema.ErrOverflow {
		what = "refused the request because the backend's circuit breaker (connection or pending-request limit) was open"
	}
	target := "service " + j.result.Target.Namespace + "/" + orDash(j.result.Target.Service)
	return j.claim(schema.CauseUpstreamTimeout, schema.ConfidenceHigh,
		fmt.Sprintf("add capacity to %s (more replicas, kubectl -n %s get hpa), or raise the gateway's per-server connection limit if the pods can take more", target, j.result.Target.Namespace),
		fmt.Sprintf("%s %s at %s: %s", j.gw.Words, what, j.ts(j.f.Time), j.f.ErrorMessage))
}

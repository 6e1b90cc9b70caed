package diagnose

import (
	"fmt"
	"strconv"
	"time"

	"github.com/k8s502/otelcol-k8s502/internal/schema"
)

// upstreamAppError: the application answered the status itself; the proxy
// only passed it on. Crash or readiness evidence is still reported, since an
// app often answers 502/503 while its own dependencies fail.
func upstreamAppError(j *judge) bool {
	t := j.result.Target
	conf := schema.ConfidenceHigh
	who := "upstream " + t.Address + " (" + j.podRef() + ")"
	if t.Address == "" && j.pod == nil {
		// F5's default access log names no upstream, and without an error
		// line nothing else does.
		who = fmt.Sprintf("the upstream (%s logged no address for it)", j.gw.Words)
	}
	ev := who + " returned " + statusText(j.f.Status) + " itself at " + j.ts(j.f.Time) + "; the gateway logged no upstream error"
	if j.f.ErrorKind != "" {
		ev = fmt.Sprintf("%s answered %s at %s, then the response broke: %s", who, statusText(j.f.Status), j.ts(j.f.Time), j.f.ErrorMessage)
	}
	if j.pod != nil {
		if ready, known := j.readyAt(j.pod.Pod.Namespace, j.pod.Pod.Name); known && !ready {
			conf = schema.ConfidenceMedium
			j.evidence("%s was not Ready at %s", j.podRef(), j.ts(j.f.Time))
		} else if known {
			j.ruledOut(j.podRef() + " was Ready at " + j.ts(j.f.Time))
		}
	}
	if j.silent {
		// The proxy answers this status the same way, unlogged, for a
		// Service without endpoints: the line alone cannot say whose it is.
		conf = schema.ConfidenceMedium
		j.evidence("%s answers %d itself %s", j.gw.Words, j.f.Status, j.gw.Silent.How)
		if j.svc == nil {
			j.evidence("the record names no Service, so the cluster cannot tell whether it had ready endpoints then")
		}
	}
	rem := "the application produced this status: read its logs around the request time"
	if t.Pod == "" && j.f.Host != "" {
		rem = fmt.Sprintf("the application produced this status: find the Service behind %s%s (kubectl get ingress -A | grep %s) and read its pods' logs around %s", j.f.Host, j.f.Path, j.f.Host, j.ts(j.f.Time))
	}
	if t.Pod != "" {
		rem = "kubectl -n " + t.Namespace + " logs " + t.Pod + " --since-time=" + j.ts(j.f.Time.Add(-time.Minute)) + " | grep -i -m 20 -E 'error|exception|panic'"
	}
	return j.claim(schema.CauseUpstreamAppError, conf, rem, ev)
}

// statusText names nginx's pseudo-status 009 for what it is.
func statusText(status int) string {
	if status == 9 {
		return "an HTTP/0.9 (headerless) response, logged as 009"
	}
	return strconv.Itoa(status)
}

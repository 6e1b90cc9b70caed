package diagnose

import (
	"fmt"

	"github.com/k8s502/otelcol-k8s502/internal/schema"
	"github.com/k8s502/otelcol-k8s502/processor/correlate502processor/internal/cluster"
)

// When the collector was not watching the API server at the request's time
// (a cluster_snapshot dumped after recovery, a gateway started or restarted
// after the failure), the store's endpoint states are the ones it was shown
// later, dated by the objects' own timestamps: an EndpointSlice listing a
// pod as ready says nothing about the minute before. What objects do say
// about their past is the Ready condition's lastTransitionTime, the
// container's last termination (startedAt, finishedAt), and events. The
// rules then read readiness from those (reconstructed), say so, and claim
// at most medium confidence.

// watched says whether the store saw the request's time live.
func (j *judge) watched() bool {
	if j.watchedKnown {
		return j.watchedAt
	}
	j.watchedAt, j.watchedKnown = j.s.Watched(j.f.Time), true
	return j.watchedAt
}

// endpointReady is whether an endpoint was ready at the request's time:
// the recorded endpoint state when the store was watching, else its pod's
// Ready condition reconstructed from its lastTransitionTime.
func (j *judge) endpointReady(ns string, e *cluster.EndpointState) bool {
	if j.watched() || e.Pod == "" {
		return e.Ready
	}
	ready, known := j.readyAt(ns, e.Pod)
	if !known {
		return e.Ready
	}
	if ready != e.Ready {
		j.reconstruct("endpoint %s (pod %s/%s) is listed ready=%t in the state the collector was shown, but the pod's Ready condition changed at %s (lastTransitionTime), so at %s it was ready=%t",
			e.IP, ns, e.Pod, e.Ready, j.readyChange(ns, e.Pod), j.ts(j.f.Time), ready)
	}
	return ready
}

// readyChange is the time of the pod's last Ready transition, as text.
func (j *judge) readyChange(ns, pod string) string {
	if p, ok := j.s.Pod(ns, pod); ok && len(p.Ready) > 0 {
		return j.ts(p.Ready[len(p.Ready)-1].At)
	}
	return "-"
}

// reconstruct records evidence that was reconstructed from the objects'
// own timestamps rather than watched.
func (j *judge) reconstruct(format string, args ...any) {
	j.reconstructed = true
	j.result.Evidence = append(j.result.Evidence, "reconstructed: "+fmt.Sprintf(format, args...))
}

// historyCauses are the causes whose proof is a change the store records as
// it happens (endpoint membership and readiness over time, a deletion's
// endpoint going terminating, a rollout's ready count, a policy in force):
// without a watched window at the request's time their evidence is the
// state as shown later. pod_crash rests on the container's own termination
// time and the proxy-observed causes on the proxy's log, so they keep their
// confidence.
var historyCauses = map[string]bool{
	schema.CauseNoEndpoints:    true,
	schema.CauseReadinessProbe: true,
	schema.CausePodTermination: true,
	schema.CauseRolloutGap:     true,
	schema.CauseNetworkPolicy:  true,
}

// capUnwatched lowers a high verdict that rests on history the store did not
// watch, and says why.
func (j *judge) capUnwatched() {
	r := &j.result
	if r.Confidence != schema.ConfidenceHigh || (!j.reconstructed && (j.watched() || !historyCauses[r.Cause])) {
		return
	}
	r.Confidence = schema.ConfidenceMedium
	r.Evidence = append(r.Evidence, fmt.Sprintf("the collector was not watching the cluster at %s (a snapshot taken later, or a gateway started after it): the state above is what the objects showed afterwards, so confidence is at most medium", j.ts(j.f.Time)))
}

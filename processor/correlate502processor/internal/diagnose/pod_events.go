package diagnose

import (
	"time"

	corev1 "k8s.io/api/core/v1"

	"github.com/k8s502/otelcol-k8s502/processor/correlate502processor/internal/cluster"
)

// podEvents is j.s.Events(p.Namespace, "Pod", p.Name, from, j.to). The
// lifecycle rules each read the judged pod's events (termination, crash
// twice, readiness, the probe check of no_endpoints, target_port): the same
// store query, a map lookup, a binary search and a scan of the pod's
// events, four or five times per record. The judge asks the store once per
// pod for the judgement's window (see lookup) and answers from that list.
func (j *judge) podEvents(p *corev1.Pod, from time.Time) []*cluster.Event {
	if from.Before(j.from) {
		// Wider than the judgement's window (a lookback under a minute):
		// not in the list.
		return j.s.Events(p.Namespace, "Pod", p.Name, from, j.to)
	}
	list := j.podEvs.get(objKey{p.Namespace, p.Name}, func() []*cluster.Event {
		return j.s.Events(p.Namespace, "Pod", p.Name, j.from, j.to)
	})
	// The store hands out the events ending at or after from, by Time: for
	// a later from, a suffix of the window's list.
	i := 0
	for i < len(list) && list[i].Time.Before(from) {
		i++
	}
	return list[i:]
}

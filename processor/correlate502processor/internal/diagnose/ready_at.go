package diagnose

// The judged pod's readiness at the request's time is asked by pod_crash,
// readiness_probe, target_port, keepalive_race and app_error in turn: each
// a lock, a map lookup and a binary search of the pod's transitions. The
// judge asks the store once per pod and judgement.
type readiness struct {
	ns, pod      string
	ready, known bool
	ok           bool
}

// readyAt is j.s.ReadyAt(ns, pod, j.f.Time).
func (j *judge) readyAt(ns, pod string) (ready, known bool) {
	c := &j.ready
	if !c.ok || c.ns != ns || c.pod != pod {
		ready, known := j.s.ReadyAt(ns, pod, j.f.Time)
		*c = readiness{ns: ns, pod: pod, ready: ready, known: known, ok: true}
	}
	return c.ready, c.known
}

package diagnose

// readyAt is j.s.ReadyAt(ns, pod, j.f.Time). pod_crash, readiness_probe,
// target_port, keepalive_race and app_error ask it in turn: each a lock, a
// map lookup and a binary search of the pod's transitions, so the judge
// asks the store once (see lookup).
func (j *judge) readyAt(ns, pod string) (ready, known bool) {
	r := j.ready.get(objKey{ns, pod}, func() readiness {
		ready, known := j.s.ReadyAt(ns, pod, j.f.Time)
		return readiness{ready, known}
	})
	return r.ready, r.known
}

type readiness struct{ ready, known bool }

package diagnose

import (
	"github.com/k8s502/otelcol-k8s502/processor/correlate502processor/internal/cluster"
)

// endpoints returns Service ns/name's endpoints at the request's time, by
// IP then pod. Resolving the pod, no_endpoints, pod_termination,
// rollout_gap and target_port all read them: the judge asks the store once
// (see lookup). The store keeps one list per interval between the
// Service's changes, so the rules share it: read it, never change it.
func (j *judge) endpoints(ns, name string) []*cluster.EndpointState {
	return j.eps.get(objKey{ns, name}, func() []*cluster.EndpointState { return j.s.Endpoints(ns, name, j.f.Time) })
}

// endpointsOfIP is endpoints restricted to one IP (see cluster.WithIP).
func (j *judge) endpointsOfIP(ns, name, ip string) []*cluster.EndpointState {
	return cluster.WithIP(j.endpoints(ns, name), ip)
}

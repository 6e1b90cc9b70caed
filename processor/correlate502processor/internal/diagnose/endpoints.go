package diagnose

import (
	"github.com/k8s502/otelcol-k8s502/processor/correlate502processor/internal/cluster"
)

// Resolving the pod, no_endpoints, pod_termination, rollout_gap and
// target_port all read the judged Service's endpoints at the request's
// time: the judge asks the store once and keeps the list for the judgement.
type endpointList struct {
	ns, name string
	list     []*cluster.EndpointState
	ok       bool
}

// endpoints returns Service ns/name's endpoints at the request's time, by
// IP then pod. The store keeps one list per interval between the Service's
// changes, so the rules asking in turn share it: read it, never change it.
func (j *judge) endpoints(ns, name string) []*cluster.EndpointState {
	c := &j.eps
	if !c.ok || c.ns != ns || c.name != name {
		*c = endpointList{ns: ns, name: name, list: j.s.Endpoints(ns, name, j.f.Time), ok: true}
	}
	return c.list
}

// endpointsOfIP is endpoints restricted to one IP (see cluster.WithIP).
func (j *judge) endpointsOfIP(ns, name, ip string) []*cluster.EndpointState {
	return cluster.WithIP(j.endpoints(ns, name), ip)
}

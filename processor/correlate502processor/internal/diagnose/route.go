package diagnose

import (
	"github.com/k8s502/otelcol-k8s502/processor/correlate502processor/internal/gateways"
)

// route is what a remediation can name about the request's way through
// the proxy, for the profile's knobs and fixes.
func (j *judge) route() gateways.Route {
	t := j.result.Target
	return gateways.Route{
		Ingress:             ingressRef(j),
		Namespace:           t.Namespace,
		Service:             t.Service,
		Address:             t.Address,
		ControllerNamespace: j.f.ControllerNamespace,
	}
}

func (j *judge) knobs() gateways.Knobs { return j.gw.Knobs(j.route()) }

// ingressRef names the Ingress by the Service it routes to (the store does
// not hold Ingresses).
func ingressRef(j *judge) string {
	if t := j.result.Target; t.Service != "" {
		return "the Ingress routing to service " + t.Namespace + "/" + t.Service
	}
	return "the Ingress"
}

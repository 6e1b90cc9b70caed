package diagnose

import (
	"fmt"
	"strings"

	corev1 "k8s.io/api/core/v1"

	"github.com/k8s502/otelcol-k8s502/internal/schema"
	"github.com/k8s502/otelcol-k8s502/processor/correlate502processor/internal/netpol"
)

// networkPolicy: a connect timeout (dropped SYNs) to a pod that NetworkPolicy
// isolates and no policy rule admits the ingress controller's pods on that
// port. Policies are evaluated with their real semantics, not guessed from
// names.
func networkPolicy(j *judge) bool {
	if j.f.ErrorKind != schema.ErrConnectTimeout && j.f.ErrorKind != schema.ErrHostUnreachable {
		return false
	}
	if j.pod == nil {
		j.ruleOut("NetworkPolicy not evaluated: no pod held %s at %s", j.result.Target.Address, j.ts(j.f.Time))
		return false
	}
	src, srcDesc, ok := j.controllerPeer()
	if !ok {
		j.ruleOut("NetworkPolicy not evaluated: the ingress controller's pod is unknown (set ingress_controller in the config)")
		return false
	}
	p := j.pod.Pod
	dst := netpol.Peer{Namespace: p.Namespace, PodLabels: p.Labels, IP: j.ip}
	if ns, ok := j.s.Namespace(p.Namespace); ok {
		dst.NamespaceLabels = ns.Labels
	}
	port := netpol.Port{Number: j.port, Name: containerPortName(p, j.port), Protocol: corev1.ProtocolTCP}
	v := netpol.EvaluateIngress(j.s.NetworkPolicies(p.Namespace), src, dst, port)
	if v.Allowed {
		if v.Isolated {
			j.ruleOut("NetworkPolicy %s admits %s to %s on %d/TCP", strings.Join(v.Allowing, ", "), srcDesc, j.podRef(), j.port)
		} else {
			j.ruleOut("no NetworkPolicy isolates %s", j.podRef())
		}
		return false
	}
	ev := []string{fmt.Sprintf("connect to %s (%s) timed out at %s: %s", j.result.Target.Address, j.podRef(), j.ts(j.f.Time), j.f.ErrorMessage)}
	for _, r := range v.Reasons {
		ev = append(ev, r)
	}
	ev = append(ev, fmt.Sprintf("no rule admits %s to %s on %d/TCP", srcDesc, j.podRef(), j.port))
	rem := fmt.Sprintf("kubectl apply -f - <<'EOF'\n%sEOF", netpol.SuggestAllow(p.Namespace, p.Labels, src, port))
	return j.claim(schema.CauseNetworkPolicy, schema.ConfidenceHigh, rem, ev...)
}

// controllerPeer describes the ingress controller's pod: the one that wrote
// the record (resource attributes) when the store knows it, else the config.
func (j *judge) controllerPeer() (netpol.Peer, string, bool) {
	if j.f.ControllerNamespace != "" && j.f.ControllerPod != "" {
		if pi, ok := j.s.Pod(j.f.ControllerNamespace, j.f.ControllerPod); ok {
			peer := netpol.Peer{Namespace: pi.Pod.Namespace, PodLabels: pi.Pod.Labels, IP: pi.Pod.Status.PodIP}
			if ns, ok := j.s.Namespace(pi.Pod.Namespace); ok {
				peer.NamespaceLabels = ns.Labels
			}
			return peer, "ingress controller pod " + pi.Pod.Namespace + "/" + pi.Pod.Name, true
		}
	}
	c := j.cfg.Controller
	ns := c.Namespace
	if ns == "" {
		ns = j.f.ControllerNamespace
	}
	if ns == "" || len(c.PodLabels) == 0 {
		return netpol.Peer{}, "", false
	}
	peer := netpol.Peer{Namespace: ns, PodLabels: c.PodLabels}
	if n, ok := j.s.Namespace(ns); ok {
		peer.NamespaceLabels = n.Labels
	}
	return peer, fmt.Sprintf("ingress controller pods %s in namespace %s", labelsString(c.PodLabels), ns), true
}

func containerPortName(p *corev1.Pod, port int32) string {
	for _, c := range p.Spec.Containers {
		for _, cp := range c.Ports {
			if cp.ContainerPort == port {
				return cp.Name
			}
		}
	}
	return ""
}

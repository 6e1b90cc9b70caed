package netpol

import (
	"cmp"
	"slices"
	"strconv"
	"strings"

	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
)

// Peer is one end of the connection.
type Peer struct {
	// Namespace of the pod; empty when the peer is not a known pod (then only
	// ipBlock peers can match it).
	Namespace string
	// NamespaceLabels are the labels of the pod's namespace. The
	// kubernetes.io/metadata.name label, which the API server sets on every
	// namespace, is assumed when missing.
	NamespaceLabels map[string]string
	PodLabels       map[string]string
	IP              string // may be empty
}

// Port is the destination container port.
type Port struct {
	Number int32
	// Name is the container port's name, matched by named ports in policies.
	Name string
	// Protocol defaults to TCP when empty.
	Protocol corev1.Protocol
}

func (p Port) protocol() corev1.Protocol {
	if p.Protocol == "" {
		return corev1.ProtocolTCP
	}
	return p.Protocol
}

// Verdict is the answer for one direction of one connection.
type Verdict struct {
	// Isolated is true when at least one policy selects the pod for this
	// direction.
	Isolated bool
	// Allowed is true when the pod is not isolated or some rule admits the
	// traffic.
	Allowed bool
	// Isolating lists "namespace/name" of every policy selecting the pod for
	// this direction, sorted.
	Isolating []string
	// Allowing lists the isolating policies with a rule that admits the
	// traffic, sorted.
	Allowing []string
	// Reasons holds one sentence per isolating policy that does not admit the
	// traffic, saying why none of its rules match, in Isolating's order.
	Reasons []string
}

// EvaluateIngress decides whether policies admit traffic from src into dst on
// port. policies are meant to be those of dst's namespace; others are ignored.
func EvaluateIngress(policies []*networkingv1.NetworkPolicy, src, dst Peer, port Port) Verdict {
	return evaluate(policies, ingress, dst, src, port)
}

// EvaluateEgress decides whether policies let src send traffic to dst on
// port. policies are meant to be those of src's namespace; others are ignored.
// Named ports in egress rules refer to dst's container port (port.Name).
func EvaluateEgress(policies []*networkingv1.NetworkPolicy, src, dst Peer, port Port) Verdict {
	return evaluate(policies, egress, src, dst, port)
}

type direction int

const (
	ingress direction = iota
	egress
)

func (d direction) String() string {
	if d == egress {
		return "egress"
	}
	return "ingress"
}

// rule is an ingress or egress rule with its peers (from or to).
type rule struct {
	ports []networkingv1.NetworkPolicyPort
	peers []networkingv1.NetworkPolicyPeer
}

// evaluate applies the policies selecting subject (the pod whose policies
// count: dst for ingress, src for egress) to traffic exchanged with other.
func evaluate(policies []*networkingv1.NetworkPolicy, dir direction, subject, other Peer, port Port) Verdict {
	var v Verdict
	for _, p := range sortedPolicies(policies) {
		if subject.Namespace == "" || p.Namespace != subject.Namespace || !affects(&p.Spec, dir) {
			continue
		}
		sel, err := metav1.LabelSelectorAsSelector(&p.Spec.PodSelector)
		if err != nil || !sel.Matches(labels.Set(subject.PodLabels)) {
			// An invalid selector cannot pass API validation; treat it as
			// selecting nothing.
			continue
		}
		key := p.Namespace + "/" + p.Name
		v.Isolated = true
		v.Isolating = append(v.Isolating, key)

		rules := rulesOf(&p.Spec, dir)
		selects := "policy " + key + " " + describePolicySelector(sel, p.Namespace)
		if len(rules) == 0 {
			v.Reasons = append(v.Reasons, selects+" and has no "+dir.String()+" rules")
			continue
		}
		var why []string
		admitted := false
		for i, r := range rules {
			ok, reason := r.admits(i+1, dir, p.Namespace, other, port)
			if ok {
				admitted = true
				break
			}
			why = append(why, reason)
		}
		if admitted {
			v.Allowing = append(v.Allowing, key)
			continue
		}
		v.Reasons = append(v.Reasons, selects+"; "+strings.Join(why, "; "))
	}
	v.Allowed = !v.Isolated || len(v.Allowing) > 0
	return v
}

// sortedPolicies drops nil entries and orders the rest by namespace/name, so
// the verdict does not depend on the order a lister returned them in.
func sortedPolicies(policies []*networkingv1.NetworkPolicy) []*networkingv1.NetworkPolicy {
	out := make([]*networkingv1.NetworkPolicy, 0, len(policies))
	for _, p := range policies {
		if p != nil {
			out = append(out, p)
		}
	}
	slices.SortStableFunc(out, func(a, b *networkingv1.NetworkPolicy) int {
		return cmp.Or(cmp.Compare(a.Namespace, b.Namespace), cmp.Compare(a.Name, b.Name))
	})
	return out
}

// affects reports whether the policy isolates its pods in direction dir. With
// empty policyTypes the API server defaults to Ingress, adding Egress only
// when the egress list is non-empty (pkg/apis/networking/v1 defaults).
func affects(spec *networkingv1.NetworkPolicySpec, dir direction) bool {
	want := networkingv1.PolicyTypeIngress
	if dir == egress {
		want = networkingv1.PolicyTypeEgress
	}
	if len(spec.PolicyTypes) == 0 {
		return dir == ingress || len(spec.Egress) > 0
	}
	return slices.Contains(spec.PolicyTypes, want)
}

func rulesOf(spec *networkingv1.NetworkPolicySpec, dir direction) []rule {
	var out []rule
	if dir == ingress {
		for _, r := range spec.Ingress {
			out = append(out, rule{ports: r.Ports, peers: r.From})
		}
		return out
	}
	for _, r := range spec.Egress {
		out = append(out, rule{ports: r.Ports, peers: r.To})
	}
	return out
}

// admits reports whether the rule admits traffic exchanged with other on
// port; when it does not, the reason starts with "rule <n>". An empty peer
// list or port list matches everything; otherwise some peer AND some port
// must match.
func (r rule) admits(n int, dir direction, policyNS string, other Peer, port Port) (bool, string) {
	peerOK, peerWhy := true, ""
	if len(r.peers) > 0 {
		peerOK = false
		var whys []string
		for i := range r.peers {
			ok, why := matchPeer(&r.peers[i], dir, policyNS, other)
			if ok {
				peerOK = true
				break
			}
			whys = append(whys, why)
		}
		if !peerOK {
			peerWhy = strings.Join(whys, ", or ")
		}
	}
	portOK := len(r.ports) == 0 || slices.ContainsFunc(r.ports, func(pp networkingv1.NetworkPolicyPort) bool {
		return matchPort(&pp, port)
	})
	if peerOK && portOK {
		return true, ""
	}
	var b strings.Builder
	b.WriteString("rule ")
	b.WriteString(strconv.Itoa(n))
	b.WriteString(" allows ")
	if !peerOK {
		b.WriteString(peerWhy)
		if !portOK {
			b.WriteString(", and ")
		}
	}
	if !portOK {
		b.WriteString(describePorts(r.ports, port))
	}
	return false, b.String()
}

package netpol

import (
	"net/netip"
	"strconv"

	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/util/intstr"
)

// namespaceNameLabel is set by the API server on every namespace (since
// Kubernetes 1.22) to the namespace's name, so policies can select a
// namespace by name.
const namespaceNameLabel = "kubernetes.io/metadata.name"

// namespaceLabels returns p's namespace labels with namespaceNameLabel filled
// in when missing.
func namespaceLabels(p Peer) labels.Set {
	if _, ok := p.NamespaceLabels[namespaceNameLabel]; ok || p.Namespace == "" {
		return labels.Set(p.NamespaceLabels)
	}
	out := make(labels.Set, len(p.NamespaceLabels)+1)
	for k, v := range p.NamespaceLabels {
		out[k] = v
	}
	out[namespaceNameLabel] = p.Namespace
	return out
}

// matchPeer reports whether one from/to entry of a policy in namespace
// policyNS matches other. When it does not, the reason is a phrase that reads
// after "rule N allows".
//
// The entry's fields combine as the API reference says: podSelector alone
// selects pods in the policy's own namespace, namespaceSelector alone selects
// every pod in the matching namespaces, both together in one entry select
// pods matching podSelector in namespaces matching namespaceSelector (AND),
// and ipBlock stands alone.
func matchPeer(peer *networkingv1.NetworkPolicyPeer, dir direction, policyNS string, other Peer) (bool, string) {
	role := "source"
	if dir == egress {
		role = "destination"
	}
	if peer.IPBlock != nil {
		return matchIPBlock(peer.IPBlock, role, other.IP)
	}
	if peer.PodSelector == nil && peer.NamespaceSelector == nil {
		return false, "an empty peer, which matches nothing"
	}

	what := describePeerSelectors(peer, policyNS)
	if other.Namespace == "" {
		return false, what + " but the " + role + " is not a known pod"
	}

	if peer.NamespaceSelector == nil {
		if other.Namespace != policyNS {
			return false, what + " but the " + role + " is in namespace " + other.Namespace
		}
	} else {
		nsSel, err := metav1.LabelSelectorAsSelector(peer.NamespaceSelector)
		if err != nil {
			return false, what + " whose namespaceSelector is invalid (" + err.Error() + ")"
		}
		nsLabels := namespaceLabels(other)
		if !nsSel.Matches(nsLabels) {
			return false, what + " but namespace " + other.Namespace + " has labels " + describeLabels(nsLabels)
		}
	}

	if peer.PodSelector == nil {
		return true, ""
	}
	podSel, err := metav1.LabelSelectorAsSelector(peer.PodSelector)
	if err != nil {
		return false, what + " whose podSelector is invalid (" + err.Error() + ")"
	}
	if !podSel.Matches(labels.Set(other.PodLabels)) {
		return false, what + " but the " + role + " pod has labels " + describeLabels(other.PodLabels)
	}
	return true, ""
}

// matchIPBlock reports whether ip lies in block.CIDR and in none of
// block.Except.
//
// The concept page meant ipBlock for cluster-external addresses and leaves it
// to the network plugin whether a pod's own IP counts as inside a block
// (Calico matches it; Cilium treats CIDR rules as being for peers that are
// not its endpoints, so pods usually do not match). This evaluator takes the
// pod IP at face value and matches it against the block, which answers
// "could this rule admit it"; the caller should word an admission that rests
// only on an ipBlock with that caveat.
func matchIPBlock(block *networkingv1.IPBlock, role, ip string) (bool, string) {
	what := describeIPBlock(block)
	cidr, err := netip.ParsePrefix(block.CIDR)
	if err != nil {
		return false, what + ", which is not a valid CIDR"
	}
	if ip == "" {
		return false, what + " but the " + role + " IP is unknown"
	}
	addr, err := netip.ParseAddr(ip)
	if err != nil {
		return false, what + " but the " + role + " IP " + strconv.Quote(ip) + " is not an IP address"
	}
	addr = addr.Unmap()
	if !cidr.Masked().Contains(addr) {
		return false, what + " but the " + role + " IP " + addr.String() + " is outside it"
	}
	for _, ex := range block.Except {
		exp, err := netip.ParsePrefix(ex)
		if err != nil {
			// An unparsable exception cannot pass validation; ignoring it
			// errs towards admitting, as a missing exception would.
			continue
		}
		if exp.Masked().Contains(addr) {
			return false, what + " but the " + role + " IP " + addr.String() + " is in the exception " + ex
		}
	}
	return true, ""
}

// matchPort reports whether a policy port admits the destination port:
// protocols must agree (TCP when unset on either side), an absent port
// matches every port of the protocol, a number matches the port number or,
// with endPort, the inclusive range, and a name matches the destination
// container port's name.
func matchPort(pp *networkingv1.NetworkPolicyPort, port Port) bool {
	proto := port.protocol()
	if pp.Protocol != nil && *pp.Protocol != "" {
		if *pp.Protocol != proto {
			return false
		}
	} else if proto != corev1.ProtocolTCP {
		return false
	}
	if pp.Port == nil {
		return true
	}
	if pp.Port.Type == intstr.String {
		return port.Name != "" && pp.Port.StrVal == port.Name
	}
	if pp.EndPort != nil {
		return port.Number >= pp.Port.IntVal && port.Number <= *pp.EndPort
	}
	return port.Number == pp.Port.IntVal
}

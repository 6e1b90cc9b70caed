package netpol

import (
	"slices"
	"strconv"
	"strings"

	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/util/intstr"
)

// The describe* helpers render policy parts for Verdict.Reasons in a compact
// YAML-like form ({key: value}) that a reader can map back to the manifest.

func describePolicySelector(sel labels.Selector, ns string) string {
	if sel.Empty() {
		return "selects every pod in namespace " + ns
	}
	return "selects pod (" + sel.String() + ")"
}

func describePeerSelectors(peer *networkingv1.NetworkPolicyPeer, policyNS string) string {
	switch {
	case peer.NamespaceSelector == nil:
		return "podSelector " + describeSelector(peer.PodSelector) + " in namespace " + policyNS
	case peer.PodSelector == nil:
		return "namespaceSelector " + describeSelector(peer.NamespaceSelector)
	default:
		return "namespaceSelector " + describeSelector(peer.NamespaceSelector) +
			" with podSelector " + describeSelector(peer.PodSelector)
	}
}

func describeSelector(s *metav1.LabelSelector) string {
	if s == nil {
		return "{}"
	}
	var parts []string
	for _, k := range sortedKeys(s.MatchLabels) {
		parts = append(parts, k+": "+s.MatchLabels[k])
	}
	for _, e := range s.MatchExpressions {
		switch e.Operator {
		case metav1.LabelSelectorOpExists:
			parts = append(parts, e.Key)
		case metav1.LabelSelectorOpDoesNotExist:
			parts = append(parts, "!"+e.Key)
		default:
			parts = append(parts, e.Key+" "+strings.ToLower(string(e.Operator))+" ("+strings.Join(e.Values, ", ")+")")
		}
	}
	return "{" + strings.Join(parts, ", ") + "}"
}

func describeLabels(m map[string]string) string {
	parts := make([]string, 0, len(m))
	for _, k := range sortedKeys(m) {
		parts = append(parts, k+": "+m[k])
	}
	return "{" + strings.Join(parts, ", ") + "}"
}

func describeIPBlock(b *networkingv1.IPBlock) string {
	s := "ipBlock " + b.CIDR
	if len(b.Except) > 0 {
		s += " except [" + strings.Join(b.Except, ", ") + "]"
	}
	return s
}

// describePorts renders a rule's ports and the destination port they missed,
// e.g. "port 9090/TCP, not 8080/TCP".
func describePorts(ports []networkingv1.NetworkPolicyPort, port Port) string {
	items := make([]string, 0, len(ports))
	named := false
	for _, pp := range ports {
		proto := corev1.ProtocolTCP
		if pp.Protocol != nil && *pp.Protocol != "" {
			proto = *pp.Protocol
		}
		switch {
		case pp.Port == nil:
			items = append(items, "any "+string(proto)+" port")
		case pp.Port.Type == intstr.String:
			named = true
			items = append(items, pp.Port.StrVal+"/"+string(proto))
		case pp.EndPort != nil:
			items = append(items, strconv.Itoa(int(pp.Port.IntVal))+"-"+strconv.Itoa(int(*pp.EndPort))+"/"+string(proto))
		default:
			items = append(items, strconv.Itoa(int(pp.Port.IntVal))+"/"+string(proto))
		}
	}
	var b strings.Builder
	switch {
	case len(ports) == 1 && ports[0].Port == nil:
	case len(ports) == 1:
		b.WriteString("port ")
	default:
		b.WriteString("ports ")
	}
	b.WriteString(strings.Join(items, ", "))
	b.WriteString(", not ")
	b.WriteString(strconv.Itoa(int(port.Number)))
	b.WriteString("/")
	b.WriteString(string(port.protocol()))
	if named {
		if port.Name == "" {
			b.WriteString(" (an unnamed port)")
		} else {
			b.WriteString(" (named " + port.Name + ")")
		}
	}
	return b.String()
}

func sortedKeys(m map[string]string) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

package netpol

import (
	"net/netip"
	"strconv"
	"strings"
)

// unstableLabels change with every rollout, release or pod (they are set by
// the Deployment, StatefulSet, DaemonSet, Job, Argo Rollouts and Helm
// controllers); a policy selecting on them stops matching soon after.
var unstableLabels = map[string]bool{
	"pod-template-hash":                        true,
	"rollouts-pod-template-hash":               true,
	"controller-revision-hash":                 true,
	"pod-template-generation":                  true,
	"statefulset.kubernetes.io/pod-name":       true,
	"apps.kubernetes.io/pod-index":             true,
	"controller-uid":                           true,
	"batch.kubernetes.io/controller-uid":       true,
	"batch.kubernetes.io/job-completion-index": true,
	"app.kubernetes.io/version":                true,
	"helm.sh/chart":                            true,
	"service.istio.io/canonical-revision":      true,
}

// SuggestAllow renders a minimal NetworkPolicy manifest that would admit
// src to the pods labelled dstPodLabels in dstNamespace on port. The source
// is selected by its namespace's kubernetes.io/metadata.name label AND its
// pod labels (labels that change per rollout or per pod, such as
// pod-template-hash, are dropped); a source that is not a known pod is
// admitted by its IP. The policy is additive: applying it opens only this
// path and changes nothing else.
func SuggestAllow(dstNamespace string, dstPodLabels map[string]string, src Peer, port Port) string {
	dstLabels := stableLabels(dstPodLabels)
	srcLabels := stableLabels(src.PodLabels)

	var b strings.Builder
	b.WriteString("apiVersion: networking.k8s.io/v1\n")
	b.WriteString("kind: NetworkPolicy\n")
	b.WriteString("metadata:\n")
	b.WriteString("  name: " + yamlScalar(suggestName(src, port)) + "\n")
	b.WriteString("  namespace: " + yamlScalar(dstNamespace) + "\n")
	b.WriteString("spec:\n")
	writeMatchLabels(&b, "  ", "podSelector", dstLabels)
	b.WriteString("  policyTypes:\n  - Ingress\n")
	b.WriteString("  ingress:\n")

	first := "  - "
	switch {
	case src.Namespace != "":
		b.WriteString(first + "from:\n")
		b.WriteString("    - namespaceSelector:\n")
		b.WriteString("        matchLabels:\n")
		b.WriteString("          " + yamlScalar(namespaceNameLabel) + ": " + yamlScalar(src.Namespace) + "\n")
		if len(srcLabels) > 0 {
			// In the same list item as namespaceSelector: both must match.
			writeMatchLabels(&b, "      ", "podSelector", srcLabels)
		}
		first = "    "
	case src.IP != "":
		if addr, err := netip.ParseAddr(src.IP); err == nil {
			addr = addr.Unmap()
			b.WriteString(first + "from:\n")
			b.WriteString("    - ipBlock:\n")
			b.WriteString("        cidr: " + netip.PrefixFrom(addr, addr.BitLen()).String() + "\n")
			first = "    "
		}
	}
	if first == "  - " {
		b.WriteString("  # the source is unknown: this rule admits every source\n")
	}
	b.WriteString(first + "ports:\n")
	b.WriteString("    - protocol: " + string(port.protocol()) + "\n")
	switch {
	case port.Number > 0:
		b.WriteString("      port: " + strconv.Itoa(int(port.Number)) + "\n")
	case port.Name != "":
		b.WriteString("      port: " + yamlScalar(port.Name) + "\n")
	}
	return b.String()
}

func stableLabels(m map[string]string) map[string]string {
	out := make(map[string]string, len(m))
	for k, v := range m {
		if !unstableLabels[k] {
			out[k] = v
		}
	}
	return out
}

func writeMatchLabels(b *strings.Builder, indent, field string, m map[string]string) {
	if len(m) == 0 {
		b.WriteString(indent + field + ": {}\n")
		return
	}
	b.WriteString(indent + field + ":\n")
	b.WriteString(indent + "  matchLabels:\n")
	for _, k := range sortedKeys(m) {
		b.WriteString(indent + "    " + yamlScalar(k) + ": " + yamlScalar(m[k]) + "\n")
	}
}

// suggestName builds a DNS-1123 name such as "allow-ingress-nginx-8080".
func suggestName(src Peer, port Port) string {
	from := src.Namespace
	if from == "" {
		from = "source"
	}
	p := port.Name
	if port.Number > 0 {
		p = strconv.Itoa(int(port.Number))
	}
	raw := "allow-" + from
	if p != "" {
		raw += "-" + p
	}
	var b strings.Builder
	for _, r := range strings.ToLower(raw) {
		if (r >= 'a' && r <= 'z') || (r >= '0' && r <= '9') {
			b.WriteRune(r)
		} else {
			b.WriteByte('-')
		}
	}
	name := b.String()
	if len(name) > 63 {
		name = name[:63]
	}
	return strings.Trim(name, "-")
}

// yamlScalar returns s as a YAML plain scalar when that reads back as the
// same string, else double-quoted. Label values such as "true", "1.0", "on"
// or "" would otherwise come back as booleans, numbers or null.
func yamlScalar(s string) string {
	if s == "" {
		return `""`
	}
	switch strings.ToLower(s) {
	case "true", "false", "yes", "no", "on", "off", "y", "n", "null", "~":
		return strconv.Quote(s)
	}
	c := s[0]
	if !((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')) {
		return strconv.Quote(s)
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '_' || c == '.' || c == '/') {
			return strconv.Quote(s)
		}
	}
	return s
}

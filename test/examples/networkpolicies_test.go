package examples_test

import (
	"net/url"
	"slices"
	"strconv"
	"strings"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
)

// policyPorts lists the ports of a NetworkPolicy rule, sorted, as "53/UDP"; named ports by name.
func policyPorts(ports []networkingv1.NetworkPolicyPort) []string {
	var out []string
	for _, p := range ports {
		proto := corev1.ProtocolTCP
		if p.Protocol != nil {
			proto = *p.Protocol
		}
		port := "*"
		if p.Port != nil {
			port = p.Port.String()
		}
		out = append(out, port+"/"+string(proto))
	}
	slices.Sort(out)
	return out
}

func selectorMatches(t *testing.T, sel *metav1.LabelSelector, l map[string]string) bool {
	t.Helper()
	s, err := metav1.LabelSelectorAsSelector(sel)
	if err != nil {
		t.Fatal(err)
	}
	return s.Matches(labels.Set(l))
}

// TestNetworkPolicies: networkpolicies.yaml selects the product's pods by the labels the
// DaemonSet and the Deployment really give them, isolates both in both directions, and its
// rules name the ports the configs and the Service really use. Whether the rules together
// admit exactly the product's traffic is evaluated by
// processor/correlate502processor/internal/netpol's e2e test against a real API server.
func TestNetworkPolicies(t *testing.T) {
	m := loadManifests(t)
	objs, ok := m.byFile["networkpolicies.yaml"]
	if !ok {
		t.Fatal("no examples/kubernetes/networkpolicies.yaml")
	}
	ds := find[*appsv1.DaemonSet](t, m, "otelcol-k8s502-agent")
	dep := find[*appsv1.Deployment](t, m, "otelcol-k8s502-gateway")
	pods := map[string]map[string]string{"agent": ds.Spec.Template.Labels, "gateway": dep.Spec.Template.Labels}
	agentText, agentC := configOf(t, m, ds.Spec.Template.Spec)
	_, gatewayC := configOf(t, m, dep.Spec.Template.Spec)

	type selected struct {
		ingress, egress []networkingv1.NetworkPolicySpec
	}
	by := map[string]*selected{"agent": {}, "gateway": {}}
	for _, o := range objs {
		p, ok := o.(*networkingv1.NetworkPolicy)
		if !ok {
			t.Errorf("networkpolicies.yaml holds a %T", o)
			continue
		}
		if p.Namespace != ds.Namespace {
			t.Errorf("%s: namespace %s, the workloads run in %s", p.Name, p.Namespace, ds.Namespace)
		}
		if len(p.Spec.PodSelector.MatchLabels)+len(p.Spec.PodSelector.MatchExpressions) == 0 {
			t.Errorf("%s: empty podSelector: it would isolate every pod of the namespace", p.Name)
		}
		if len(p.Spec.PolicyTypes) == 0 {
			t.Errorf("%s: no policyTypes: say which directions it isolates", p.Name)
		}
		var sel []string
		for what, l := range pods {
			if selectorMatches(t, &p.Spec.PodSelector, l) {
				sel = append(sel, what)
				for _, pt := range p.Spec.PolicyTypes {
					if pt == networkingv1.PolicyTypeIngress {
						by[what].ingress = append(by[what].ingress, p.Spec)
					} else {
						by[what].egress = append(by[what].egress, p.Spec)
					}
				}
			}
		}
		if len(sel) == 0 {
			t.Errorf("%s: podSelector %v selects neither the agent's pods %v nor the gateway's %v", p.Name, p.Spec.PodSelector.MatchLabels, pods["agent"], pods["gateway"])
		}
		// A peer given by pod labels alone is one of the product's own pods.
		var peers []networkingv1.NetworkPolicyPeer
		for _, r := range p.Spec.Ingress {
			peers = append(peers, r.From...)
		}
		for _, r := range p.Spec.Egress {
			peers = append(peers, r.To...)
		}
		for _, peer := range peers {
			if peer.PodSelector != nil && peer.NamespaceSelector == nil &&
				!selectorMatches(t, peer.PodSelector, pods["agent"]) && !selectorMatches(t, peer.PodSelector, pods["gateway"]) {
				t.Errorf("%s: peer podSelector %v selects none of the product's pods", p.Name, peer.PodSelector.MatchLabels)
			}
		}
	}
	for what, s := range by {
		if len(s.ingress) == 0 || len(s.egress) == 0 {
			t.Errorf("%s: isolated for ingress by %d policies and egress by %d: want both", what, len(s.ingress), len(s.egress))
		}
	}

	// rules lists the ports of each rule, in the policies isolating what in one direction,
	// with a peer that match accepts (match nil: the rules without peers, open to everyone).
	rules := func(what string, ingress bool, match func(networkingv1.NetworkPolicyPeer) bool) [][]string {
		var out [][]string
		specs := by[what].egress
		if ingress {
			specs = by[what].ingress
		}
		for _, spec := range specs {
			add := func(peers []networkingv1.NetworkPolicyPeer, ports []networkingv1.NetworkPolicyPort) {
				if (match == nil && len(peers) == 0) || (match != nil && slices.ContainsFunc(peers, match)) {
					out = append(out, policyPorts(ports))
				}
			}
			if ingress {
				for _, r := range spec.Ingress {
					add(r.From, r.Ports)
				}
			} else {
				for _, r := range spec.Egress {
					add(r.To, r.Ports)
				}
			}
		}
		return out
	}
	podPeer := func(what string) func(networkingv1.NetworkPolicyPeer) bool {
		return func(p networkingv1.NetworkPolicyPeer) bool {
			return p.PodSelector != nil && p.NamespaceSelector == nil && selectorMatches(t, p.PodSelector, pods[what])
		}
	}
	nsPeer := func(ns string, podLabels map[string]string) func(networkingv1.NetworkPolicyPeer) bool {
		return func(p networkingv1.NetworkPolicyPeer) bool {
			return p.NamespaceSelector != nil && selectorMatches(t, p.NamespaceSelector, map[string]string{"kubernetes.io/metadata.name": ns}) &&
				(podLabels == nil || (p.PodSelector != nil && selectorMatches(t, p.PodSelector, podLabels)))
		}
	}
	ipPeer := func(p networkingv1.NetworkPolicyPeer) bool { return p.IPBlock != nil }
	tcp := func(ports ...int32) []string {
		var out []string
		for _, p := range ports {
			out = append(out, strconv.Itoa(int(p))+"/TCP")
		}
		slices.Sort(out)
		return out
	}
	want := func(what, rule string, got [][]string, ports []string) {
		t.Helper()
		if !slices.ContainsFunc(got, func(g []string) bool { return slices.Equal(g, ports) }) {
			t.Errorf("%s: no rule %s on exactly %v (rules found: %v)", what, rule, ports, got)
		}
	}

	// agent -> gateway: the port the agent's exporter sends to, through the Service, is the
	// gateway container's port the rule opens.
	svc := find[*corev1.Service](t, m, "otelcol-k8s502-gateway")
	endpoint, _ := dig(parseYAMLMap(t, "agent config", []byte(agentText)), "exporters", "otlp_grpc", "endpoint").(string)
	portText := endpoint[strings.LastIndex(endpoint, ":")+1:]
	var grpc int32
	for _, p := range svc.Spec.Ports {
		if strconv.Itoa(int(p.Port)) == portText {
			grpc = containerPort(gatewayC, p.TargetPort.String())
		}
	}
	if grpc == 0 {
		t.Fatalf("agent exporter endpoint %q: no Service port %s", endpoint, portText)
	}
	want("agent", "egress to the gateway's pods", rules("agent", false, podPeer("gateway")), tcp(grpc))
	want("gateway", "ingress from the agents' pods", rules("gateway", true, podPeer("agent")),
		tcp(containerPort(gatewayC, "otlp-grpc"), containerPort(gatewayC, "otlp-http")))

	// Scraping: the telemetry port, from anyone, on both.
	for what, c := range map[string]corev1.Container{"agent": agentC, "gateway": gatewayC} {
		want(what, "ingress from anyone", rules(what, true, nil), tcp(containerPort(c, "metrics")))
		want(what, "egress to kube-dns", rules(what, false, nsPeer("kube-system", map[string]string{"k8s-app": "kube-dns"})), []string{"53/TCP", "53/UDP"})
	}

	// gateway -> CubeAPM: the namespace and port of CUBEAPM_ENDPOINT.
	var cubeapm string
	for _, e := range gatewayC.Env {
		if e.Name == "CUBEAPM_ENDPOINT" {
			cubeapm = e.Value
		}
	}
	u, err := url.Parse(cubeapm)
	if err != nil || u.Port() == "" {
		t.Fatalf("CUBEAPM_ENDPOINT %q: %v", cubeapm, err)
	}
	parts := strings.Split(u.Hostname(), ".") // <service>.<namespace>.svc[.cluster.local]
	if len(parts) < 3 || parts[2] != "svc" {
		t.Fatalf("CUBEAPM_ENDPOINT %q is not a Service name", cubeapm)
	}
	port, _ := strconv.Atoi(u.Port())
	want("gateway", "egress to CubeAPM's namespace "+parts[1], rules("gateway", false, nsPeer(parts[1], nil)), tcp(int32(port)))

	// gateway -> API server: an ipBlock on 443 and 6443; the agent has no way there.
	want("gateway", "egress to the API server (ipBlock)", rules("gateway", false, ipPeer), tcp(443, 6443))
	if got := rules("agent", false, ipPeer); len(got) > 0 {
		t.Errorf("agent: egress to ipBlocks %v; it needs no address outside the cluster", got)
	}
}

//go:build e2e

// End-to-end: the NetworkPolicies otelcol-k8s502 ships for its own traffic
// (examples/kubernetes/networkpolicies.yaml), as a real kube-apiserver stores
// them, evaluated with this package. Here rather than in test/e2e because
// this package is internal to the processor. Run with `go test -tags e2e`
// after test/e2e/tools/build.sh; skipped when the binaries are missing.
//
// What the evaluator shows and what it cannot (see doc.go):
//   - It applies the NetworkPolicy API's rules to API objects; it is not a
//     network plugin, and a cluster whose plugin does not enforce
//     NetworkPolicy admits everything whatever these say.
//   - Peers are labels and an IP. A connection to a Service is evaluated as
//     plugins see it after kube-proxy's translation: the backend pod and its
//     container port. For the API server both are evaluated, the kubernetes
//     Service's ClusterIP:443 (read from the real API server) and an endpoint
//     address:6443, because plugins differ in which one they judge.
//   - The test API server listens on loopback at a random port and no
//     reconciler writes the kubernetes Service's endpoints, so the endpoint
//     (192.0.2.10:6443, kubeadm's port) is a stand-in for a control-plane node.
//   - Whether an ipBlock matches a pod's IP is up to the plugin (Calico: yes;
//     Cilium: no); the evaluator matches it, so the wide API server rule as
//     shipped also admits pods on 443/6443 here.
//   - Traffic from a pod's own node (kubelet's probes on health_check) is
//     admitted by every plugin and not modelled; pod selectors do not match
//     hostNetwork pods (a hostNetwork Prometheus reaches 8888 only because
//     that rule has no peer).
package netpol_test

import (
	"net"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"

	"github.com/k8s502/otelcol-k8s502/internal/testing/testcluster"
	"github.com/k8s502/otelcol-k8s502/processor/correlate502processor/internal/netpol"
)

const shippedNS = "k8s502"

// conn is one connection and whether the policies must admit it.
type conn struct {
	what     string
	src, dst netpol.Peer
	port     netpol.Port
	allowed  bool
}

// admitted evaluates both ends: the source's egress under its namespace's
// policies and, for a pod, the destination's ingress under its own.
func admitted(policies []*networkingv1.NetworkPolicy, c conn) (bool, []string) {
	eg := netpol.EvaluateEgress(policies, c.src, c.dst, c.port)
	why := append([]string(nil), eg.Reasons...)
	ok := eg.Allowed
	if c.dst.Namespace != "" {
		in := netpol.EvaluateIngress(policies, c.src, c.dst, c.port)
		why = append(why, in.Reasons...)
		ok = ok && in.Allowed
	}
	return ok, why
}

func TestShippedNetworkPolicies(t *testing.T) {
	c := testcluster.Start(t)
	ctx := t.Context()
	admin := c.AdminClient(t)
	c.CreateObjects(t, testcluster.ExampleObjects(t)) // as kubectl apply -f examples/kubernetes/ would
	// The namespaces of the parties the product talks to, as a cluster has them
	// (kube-system and default exist in every API server).
	for _, ns := range []string{"cubeapm", "monitoring", "ingress-nginx"} {
		_, err := admin.CoreV1().Namespaces().Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns}}, metav1.CreateOptions{})
		require.NoError(t, err)
	}

	ds, err := admin.AppsV1().DaemonSets(shippedNS).Get(ctx, "otelcol-k8s502-agent", metav1.GetOptions{})
	require.NoError(t, err)
	dep, err := admin.AppsV1().Deployments(shippedNS).Get(ctx, "otelcol-k8s502-gateway", metav1.GetOptions{})
	require.NoError(t, err)
	kubeSvc, err := admin.CoreV1().Services("default").Get(ctx, "kubernetes", metav1.GetOptions{})
	require.NoError(t, err, "the API server's own Service")
	require.NotEmpty(t, kubeSvc.Spec.Ports)

	peer := func(ns string, podLabels map[string]string, ip string) netpol.Peer {
		n, err := admin.CoreV1().Namespaces().Get(ctx, ns, metav1.GetOptions{})
		require.NoError(t, err)
		return netpol.Peer{Namespace: ns, NamespaceLabels: n.Labels, PodLabels: podLabels, IP: ip}
	}
	agent := peer(shippedNS, ds.Spec.Template.Labels, "10.244.1.10")
	gateway := peer(shippedNS, dep.Spec.Template.Labels, "10.244.2.20")
	debug := peer(shippedNS, map[string]string{"app": "debug"}, "10.244.1.99")
	kubeDNS := peer("kube-system", map[string]string{"k8s-app": "kube-dns"}, "10.244.0.5")
	cubeapm := peer("cubeapm", map[string]string{"app.kubernetes.io/name": "cubeapm"}, "10.244.3.30")
	prometheus := peer("monitoring", map[string]string{"app.kubernetes.io/name": "prometheus"}, "10.244.4.40")
	controller := peer("ingress-nginx", map[string]string{"app.kubernetes.io/name": "ingress-nginx", "app.kubernetes.io/component": "controller"}, "10.244.5.50")
	apiVIP := netpol.Peer{IP: kubeSvc.Spec.ClusterIP}
	apiEndpoint := netpol.Peer{IP: "192.0.2.10"}
	external := netpol.Peer{IP: "203.0.113.7"}
	require.NotNil(t, net.ParseIP(apiVIP.IP), "kubernetes Service ClusterIP %q", apiVIP.IP)

	// Ports as the containers declare them (number and name).
	containerPort := func(pod corev1.PodSpec, name string) netpol.Port {
		for _, p := range pod.Containers[0].Ports {
			if p.Name == name {
				return netpol.Port{Number: p.ContainerPort, Name: p.Name, Protocol: p.Protocol}
			}
		}
		t.Fatalf("no container port %s", name)
		return netpol.Port{}
	}
	gwGRPC := containerPort(dep.Spec.Template.Spec, "otlp-grpc")
	gwHTTP := containerPort(dep.Spec.Template.Spec, "otlp-http")
	gwMetrics := containerPort(dep.Spec.Template.Spec, "metrics")
	gwHealth := containerPort(dep.Spec.Template.Spec, "health")
	agentMetrics := containerPort(ds.Spec.Template.Spec, "metrics")
	dnsUDP := netpol.Port{Number: 53, Protocol: corev1.ProtocolUDP}
	dnsTCP := netpol.Port{Number: 53}
	apiVIPPort := netpol.Port{Number: kubeSvc.Spec.Ports[0].Port}
	api6443 := netpol.Port{Number: 6443}

	policies := func() []*networkingv1.NetworkPolicy {
		l, err := admin.NetworkingV1().NetworkPolicies(metav1.NamespaceAll).List(ctx, metav1.ListOptions{})
		require.NoError(t, err)
		var out []*networkingv1.NetworkPolicy
		for i := range l.Items {
			out = append(out, &l.Items[i])
		}
		return out
	}
	check := func(t *testing.T, pols []*networkingv1.NetworkPolicy, conns []conn) {
		for _, c := range conns {
			ok, why := admitted(pols, c)
			if c.allowed {
				assert.True(t, ok, "%s: denied: %v", c.what, why)
				continue
			}
			assert.False(t, ok, "%s: admitted", c.what)
			if !ok {
				require.NotEmpty(t, why, "%s: denied without a reason", c.what)
				t.Logf("denied as it should be, %s: %s", c.what, why[0])
			}
		}
	}

	// The product's traffic, and what it must not reach or be reached by.
	product := []conn{
		{"agent -> gateway OTLP/gRPC (the agent's exporter)", agent, gateway, gwGRPC, true},
		{"agent -> DNS/UDP", agent, kubeDNS, dnsUDP, true},
		{"agent -> DNS/TCP", agent, kubeDNS, dnsTCP, true},
		{"gateway -> DNS/UDP", gateway, kubeDNS, dnsUDP, true},
		{"gateway -> CubeAPM 3130", gateway, cubeapm, netpol.Port{Number: 3130}, true},
		{"gateway -> API server ClusterIP", gateway, apiVIP, apiVIPPort, true},
		{"gateway -> API server endpoint :6443", gateway, apiEndpoint, api6443, true},
		{"Prometheus -> agent metrics", prometheus, agent, agentMetrics, true},
		{"Prometheus -> gateway metrics", prometheus, gateway, gwMetrics, true},
	}
	outsiders := []conn{
		{"another pod of the namespace -> gateway OTLP/gRPC", debug, gateway, gwGRPC, false},
		{"the ingress controller -> gateway OTLP/gRPC", controller, gateway, gwGRPC, false},
		{"Prometheus -> gateway OTLP/gRPC", prometheus, gateway, gwGRPC, false},
		{"CubeAPM -> gateway OTLP/HTTP", cubeapm, gateway, gwHTTP, false},
		{"another pod of the namespace -> gateway health_check", debug, gateway, gwHealth, false},
		{"agent -> API server ClusterIP", agent, apiVIP, apiVIPPort, false},
		{"agent -> API server endpoint :6443", agent, apiEndpoint, api6443, false},
		{"agent -> CubeAPM", agent, cubeapm, netpol.Port{Number: 3130}, false},
		{"agent -> gateway OTLP/HTTP (it sends gRPC only)", agent, gateway, gwHTTP, false},
		{"agent -> an outside address :443", agent, external, netpol.Port{Number: 443}, false},
		{"gateway -> agent metrics", gateway, agent, agentMetrics, false},
		{"gateway -> the ingress controller :80", gateway, controller, netpol.Port{Number: 80}, false},
		{"gateway -> CubeAPM's port at an outside address", gateway, external, netpol.Port{Number: 3130}, false},
	}
	t.Run("as_shipped", func(t *testing.T) {
		pols := policies()
		require.Len(t, pols, 4, "the shipped policies")
		check(t, pols, append(append([]conn{}, product...), outsiders...))
		// Shipped wide (nothing is cut off before the edit): any address on 443.
		check(t, pols, []conn{{"gateway -> an outside address :443 (before the edit)", gateway, external, netpol.Port{Number: 443}, true}})
	})

	// The edit README.md asks for: the API server's addresses instead of
	// 0.0.0.0/0 and ::/0, kept through the API server's strict validation.
	t.Run("api_server_narrowed", func(t *testing.T) {
		narrowAPIServer(t, admin, []string{apiVIP.IP + "/32", apiEndpoint.IP + "/32"})
		pols := policies()
		check(t, pols, append(append([]conn{}, product...), outsiders...))
		check(t, pols, []conn{{"gateway -> an outside address :443 (after the edit)", gateway, external, netpol.Port{Number: 443}, false}})
	})
}

// narrowAPIServer replaces the peers of otelcol-k8s502-gateway-apiserver by
// ipBlocks of cidrs.
func narrowAPIServer(t *testing.T, cs kubernetes.Interface, cidrs []string) {
	t.Helper()
	ctx := t.Context()
	p, err := cs.NetworkingV1().NetworkPolicies(shippedNS).Get(ctx, "otelcol-k8s502-gateway-apiserver", metav1.GetOptions{})
	require.NoError(t, err)
	require.Len(t, p.Spec.Egress, 1)
	p.Spec.Egress[0].To = nil
	for _, c := range cidrs {
		p.Spec.Egress[0].To = append(p.Spec.Egress[0].To, networkingv1.NetworkPolicyPeer{IPBlock: &networkingv1.IPBlock{CIDR: c}})
	}
	_, err = cs.NetworkingV1().NetworkPolicies(shippedNS).Update(ctx, p, metav1.UpdateOptions{FieldValidation: metav1.FieldValidationStrict})
	require.NoError(t, err)
}

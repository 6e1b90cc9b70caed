//go:build e2e

package e2e

import (
	"fmt"
	"net"
	"strconv"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/client-go/kubernetes"

	"github.com/k8s502/otelcol-k8s502/internal/schema"
	"github.com/k8s502/otelcol-k8s502/internal/testing/testnginx"
	"github.com/k8s502/otelcol-k8s502/internal/testing/testupstream"
)

// The ingress controller's pod as testnginx names it in the CRI path (its
// defaults): the collector puts these into the record's resource, and the
// processor looks the pod up to evaluate NetworkPolicies against it.
const (
	controllerNS  = "ingress-nginx"
	controllerPod = "ingress-nginx-controller-7d9f8b6c5d-x2x4z"
)

// scenario2 is a scenario whose upstream is not one of testupstream's
// behaviours: upstream, when set, starts it and returns its address.
type scenario2 struct {
	*scenario
	upstream func(t *testing.T, ip string) string
	// evidence lists strings that k8s502.evidence must contain.
	evidence []string
}

// More real failures, each with the cluster state that explains it: a
// NetworkPolicy dropping the controller's SYNs (connect timeout), nginx
// speaking TLS to a plain-HTTP pod, and a maxSurge 0 rollout with no ready
// pod. Then the vmalert LogsQL rules run over the records in VictoriaLogs.
func TestScenarios2(t *testing.T) {
	bin := collectorBinary(t)
	testnginx.Require(t)
	c, vl, admin := startScenarioCluster(t)
	createControllerPod(t, admin)

	podOf := func(s *scenario) string { return s.backend.pod.Name }
	scenarios := []*scenario2{{
		scenario: &scenario{
			name:    "network_policy",
			backend: &backend{name: "payments", owner: "StatefulSet"},
			loc:     testnginx.Location{Path: "/api/payments/", ConnectTimeout: 500 * time.Millisecond},
			status:  504,
			after: func(t *testing.T, s *scenario) {
				denyAllButMonitoring(t, admin, s.backend.name)
			},
			cause: schema.CauseNetworkPolicy,
			pod:   podOf,
			remediation: func(*scenario) []string {
				return []string{"kind: NetworkPolicy", "namespace: shop", controllerNS}
			},
		},
		upstream: neverAccepts,
		evidence: []string{"no rule admits ingress controller pod " + controllerNS + "/" + controllerPod},
	}, {
		scenario: &scenario{
			name:     "tls_handshake",
			backend:  &backend{name: "ledger", owner: "StatefulSet"},
			behavior: testupstream.Healthy, // plain HTTP
			loc:      testnginx.Location{Path: "/api/ledger/", HTTPS: true},
			status:   502,
			cause:    schema.CauseTLSHandshake,
			pod:      podOf,
			remediation: func(*scenario) []string {
				return []string{"plain HTTP", "backend-protocol: HTTPS"}
			},
		},
	}, {
		scenario: &scenario{
			name:     "rollout_gap",
			backend:  &backend{name: "inventory", owner: "Deployment"},
			behavior: testupstream.Refused,
			loc:      testnginx.Location{Path: "/api/inventory/", ConnectTimeout: 2 * time.Second},
			status:   502,
			podStatus: func(st *corev1.PodStatus) {
				notReady(st, time.Now().Add(-2*time.Second))
			},
			after: func(t *testing.T, s *scenario) {
				rollOut(t, admin, s.backend)
			},
			cause: schema.CauseRolloutGap,
			pod:   podOf,
			remediation: func(*scenario) []string {
				return []string{"kubectl -n shop patch deployment inventory", `"maxSurge":1`, `"maxUnavailable":0`}
			},
		},
		evidence: []string{"maxSurge=0", "maxUnavailable=1", "ReplicaSet shop/inventory-5c8d7f6b9"},
	}}

	var locs []testnginx.Location
	for i, s := range scenarios {
		ip := fmt.Sprintf("127.0.0.%d", 41+i)
		if s.upstream != nil {
			s.backend.addr = s.upstream(t, ip)
		} else {
			s.backend.addr = testupstream.Start(t, ip+":0", s.behavior).Addr
		}
		s.backend.create(t, admin, s.podStatus)
		if s.after != nil {
			s.after(t, s.scenario)
		}
		l := s.loc
		l.Host, l.UpstreamName = scenarioHost, s.backend.upstreamName()
		l.Servers = []string{s.backend.addr}
		l.NextUpstreamTries = 1
		locs = append(locs, l)
	}
	ng := testnginx.Start(t, testnginx.Config{Locations: locs})
	startScenarioCollector(t, c, bin, ng.CRIPath, "", vl)

	for _, s := range scenarios {
		r := ng.Do(t, "GET", scenarioHost, s.loc.Path+"items/1", map[string]string{"X-Request-ID": "scenario2-" + s.name})
		require.Equal(t, s.status, r.Status, "%s: nginx answered %d %q", s.name, r.Status, r.Body)
	}
	// A burst for the alert rule: more than 20 TLS failures.
	const burst = 21
	for i := range burst {
		r := ng.Do(t, "GET", scenarioHost, scenarios[1].loc.Path+"items/"+strconv.Itoa(i), map[string]string{"X-Request-ID": fmt.Sprintf("scenario2-burst-%d", i)})
		require.Equal(t, 502, r.Status)
	}
	ng.WaitRequests(t)

	for _, s := range scenarios {
		t.Run(s.name, func(t *testing.T) {
			field := fieldOf(scenarioRecord(t, vl, "scenario2-"+s.name))
			assert.Equal(t, s.cause, field(schema.Cause), "evidence: %s\nruled out: %s", field(schema.Evidence), field(schema.RuledOut))
			assert.Equal(t, s.pod(s.scenario), field(schema.TargetPod))
			assert.Equal(t, scenarioNS, field(schema.TargetNamespace))
			assert.Equal(t, s.backend.name, field(schema.TargetService))
			rem := field(schema.Remediation)
			assertContainsAll(t, rem, s.remediation(s.scenario), "k8s502.remediation")
			assertContainsAll(t, field(schema.Evidence), s.evidence, "k8s502.evidence")
			t.Logf("%s: %s (%s)\n  remediation: %s\n  evidence: %s", s.name, field(schema.Cause), field(schema.CauseConfidence), rem, field(schema.Evidence))
		})
	}

	t.Run("alerts", func(t *testing.T) {
		checkAlertRules(t, vl, alertWant{
			byCause: map[string]int{
				schema.CauseNetworkPolicy: 1,
				schema.CauseTLSHandshake:  1 + burst,
				schema.CauseRolloutGap:    1,
			},
			byService: map[string]int{
				scenarioNS + "/payments":  1,
				scenarioNS + "/ledger":    1 + burst,
				scenarioNS + "/inventory": 1,
			},
			burst: map[string]int{schema.CauseTLSHandshake: 1 + burst},
		})
	})
}

// createControllerPod writes the ingress controller's namespace and pod
// (the names in nginx's CRI path) with the labels a Helm install gives them.
func createControllerPod(t *testing.T, cs kubernetes.Interface) {
	t.Helper()
	ctx := t.Context()
	_, err := cs.CoreV1().Namespaces().Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{
		Name: controllerNS, Labels: map[string]string{"app.kubernetes.io/name": "ingress-nginx"},
	}}, metav1.CreateOptions{})
	require.NoError(t, err)
	_, err = cs.CoreV1().Pods(controllerNS).Create(ctx, &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Name: controllerPod, Namespace: controllerNS, Labels: map[string]string{
			"app.kubernetes.io/name": "ingress-nginx", "app.kubernetes.io/component": "controller",
		}},
		Spec: corev1.PodSpec{NodeName: "node-a", Containers: []corev1.Container{{
			Name: "controller", Image: "registry.k8s.io/ingress-nginx/controller:v1.12.0",
		}}},
	}, metav1.CreateOptions{})
	require.NoError(t, err)
}

// denyAllButMonitoring isolates the app's pods: ingress only from the
// namespace monitoring.
func denyAllButMonitoring(t *testing.T, cs kubernetes.Interface, app string) {
	t.Helper()
	_, err := cs.NetworkingV1().NetworkPolicies(scenarioNS).Create(t.Context(), &networkingv1.NetworkPolicy{
		ObjectMeta: metav1.ObjectMeta{Name: app + "-monitoring-only", Namespace: scenarioNS},
		Spec: networkingv1.NetworkPolicySpec{
			PodSelector: metav1.LabelSelector{MatchLabels: map[string]string{"app": app}},
			PolicyTypes: []networkingv1.PolicyType{networkingv1.PolicyTypeIngress},
			Ingress: []networkingv1.NetworkPolicyIngressRule{{From: []networkingv1.NetworkPolicyPeer{{
				NamespaceSelector: &metav1.LabelSelector{MatchLabels: map[string]string{"kubernetes.io/metadata.name": "monitoring"}},
			}}}},
		},
	}, metav1.CreateOptions{})
	require.NoError(t, err)
}

// rollOut turns b's Deployment into one mid-rollout: strategy maxSurge 0,
// maxUnavailable 1, and a second ReplicaSet (revision 2) created now, after
// the first.
func rollOut(t *testing.T, cs kubernetes.Interface, b *backend) {
	t.Helper()
	ctx := t.Context()
	d, err := cs.AppsV1().Deployments(scenarioNS).Get(ctx, b.name, metav1.GetOptions{})
	require.NoError(t, err)
	surge, unavail := intstr.FromInt32(0), intstr.FromInt32(1)
	d.Spec.Strategy = appsv1.DeploymentStrategy{
		Type:          appsv1.RollingUpdateDeploymentStrategyType,
		RollingUpdate: &appsv1.RollingUpdateDeployment{MaxSurge: &surge, MaxUnavailable: &unavail},
	}
	d.Spec.Template.Spec.Containers[0].Image = "registry.example.com/" + b.name + ":1.1"
	d, err = cs.AppsV1().Deployments(scenarioNS).Update(ctx, d, metav1.UpdateOptions{})
	require.NoError(t, err)

	yes := true
	replicas := int32(1)
	labels := map[string]string{"app": b.name, "pod-template-hash": "5c8d7f6b9"}
	tmpl := d.Spec.Template.DeepCopy()
	tmpl.Labels = labels
	_, err = cs.AppsV1().ReplicaSets(scenarioNS).Create(ctx, &appsv1.ReplicaSet{
		ObjectMeta: metav1.ObjectMeta{Name: b.name + "-5c8d7f6b9", Namespace: scenarioNS, Labels: labels,
			Annotations:     map[string]string{"deployment.kubernetes.io/revision": "2"},
			OwnerReferences: []metav1.OwnerReference{{APIVersion: "apps/v1", Kind: "Deployment", Name: d.Name, UID: d.UID, Controller: &yes}}},
		Spec: appsv1.ReplicaSetSpec{
			Replicas: &replicas,
			Selector: &metav1.LabelSelector{MatchLabels: labels},
			Template: *tmpl,
		},
	}, metav1.CreateOptions{})
	require.NoError(t, err)
}

// neverAccepts listens on ip with an accept queue of one, never accepts,
// and fills the queue: the kernel then drops every further SYN, so a
// connect times out as it does when a NetworkPolicy drops the packets (on
// loopback a port with no listener refuses instead).
func neverAccepts(t *testing.T, ip string) string {
	t.Helper()
	fd, err := syscall.Socket(syscall.AF_INET, syscall.SOCK_STREAM, 0)
	require.NoError(t, err)
	t.Cleanup(func() { _ = syscall.Close(fd) })
	var a4 [4]byte
	copy(a4[:], net.ParseIP(ip).To4())
	require.NoError(t, syscall.Bind(fd, &syscall.SockaddrInet4{Addr: a4}))
	require.NoError(t, syscall.Listen(fd, 0))
	sa, err := syscall.Getsockname(fd)
	require.NoError(t, err)
	addr := net.JoinHostPort(ip, strconv.Itoa(sa.(*syscall.SockaddrInet4).Port))

	// Fill the accept queue until a connect no longer completes.
	for i := 0; ; i++ {
		require.Less(t, i, 16, "the accept queue of %s never filled", addr)
		conn, err := net.DialTimeout("tcp", addr, 300*time.Millisecond)
		if err != nil {
			var ne net.Error
			require.ErrorAs(t, err, &ne, "dial %s", addr)
			require.True(t, ne.Timeout(), "dial %s: %v", addr, err)
			break
		}
		t.Cleanup(func() { _ = conn.Close() })
	}
	return addr
}

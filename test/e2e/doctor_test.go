//go:build e2e

package e2e

import (
	"bytes"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/tools/clientcmd"
	clientcmdapi "k8s.io/client-go/tools/clientcmd/api"
	sigsyaml "sigs.k8s.io/yaml"

	"github.com/k8s502/otelcol-k8s502/internal/doctor"
	"github.com/k8s502/otelcol-k8s502/internal/testing/testcluster"
	"github.com/k8s502/otelcol-k8s502/internal/testing/testotlp"
)

// correlate502Role is the ClusterRole of examples/kubernetes/rbac.yaml that
// grants what the processor's informers read.
const correlate502Role = "otelcol-k8s502-correlate502"

// The doctor against a real kube-apiserver holding examples/kubernetes/*.yaml,
// run on the shipped gateway config (its ConfigMap, unchanged) as the
// gateway's ServiceAccount (impersonated, as a pod's token would be): every
// check passes with the shipped rbac.yaml. With one verb removed from the
// correlate502 ClusterRole the informers would still sync; the doctor FAILs
// naming the verb, group, resource and namespace, and with `namespaces` set
// it asks, and names, each namespace.
func TestDoctorRBAC(t *testing.T) {
	c := testcluster.Start(t)
	objs := applyExamples(t, c)
	user := "system:serviceaccount:" + manifestNS + ":" + serviceAccountOf(t, objs, "Deployment")
	kubeconfig := impersonatingKubeconfig(t, c, user)
	backend := testotlp.Start(t)
	t.Setenv("CUBEAPM_ENDPOINT", backend.URL())
	t.Setenv("POD_IP", "127.0.0.1")
	cfg, err := sigsyaml.Marshal(exampleConfig(t, objs, "Deployment", func(map[string]any) {}))
	require.NoError(t, err)
	gateway := filepath.Join(t.TempDir(), "gateway.yaml")
	require.NoError(t, os.WriteFile(gateway, cfg, 0o644))

	// As shipped: all PASS, the record reached the CubeAPM path. The admin's
	// kubeconfig with --as, as from a workstation; below, a kubeconfig whose
	// user impersonates, as a pod's own token would be.
	rs := runDoctor(t, doctor.Options{Configs: []string{gateway}, Kubeconfig: c.WriteKubeconfig(t, c.Admin), As: user})
	assert.Equal(t, doctor.Pass, doctor.Verdict(rs).Status, "every check passes")
	rbac := resultsOf(rs, "rbac[correlate502]")
	require.Len(t, rbac, 1)
	assert.Contains(t, rbac[0].Detail, "in all namespaces, for "+user+" at "+c.Admin.Host)
	assert.Contains(t, rbac[0].Detail, "16 access reviews")
	assert.EqualValues(t, 1, backend.Tally().Accepted, "the test record reached CubeAPM's logs path")

	// One verb less: watch on endpointslices.
	setVerbs(t, c, "endpointslices", "get", "list")
	rs = waitFor(t, doctor.Options{Configs: []string{gateway}, Kubeconfig: kubeconfig, NoSend: true}, "endpointslices", 1)
	fails := failed(rs)
	require.Len(t, fails, 1, "only the removed verb")
	assert.Equal(t, "rbac[correlate502]", fails[0].Check)
	assert.True(t, strings.HasPrefix(fails[0].Detail,
		"denied: verb watch, group discovery.k8s.io, resource endpointslices, all namespaces, for "+user), fails[0].Detail)
	assert.True(t, doctor.Failed(rs))

	// With namespaces set, each is asked about and a denial names it:
	// list on networkpolicies (which no other shipped role grants).
	setVerbs(t, c, "endpointslices", "get", "list", "watch")
	setVerbs(t, c, "networkpolicies", "get", "watch")
	narrow := filepath.Join(t.TempDir(), "namespaces.yaml")
	require.NoError(t, os.WriteFile(narrow, []byte("processors:\n  correlate502:\n    namespaces: [shop, payments]\n"), 0o644))
	rs = waitFor(t, doctor.Options{Configs: []string{gateway, narrow}, Kubeconfig: kubeconfig, NoSend: true}, "networkpolicies", 2)
	var details []string
	for _, r := range failed(rs) {
		details = append(details, r.Detail)
	}
	require.Len(t, details, 2, "%v", details)
	assert.True(t, strings.HasPrefix(details[0], "denied: verb list, group networking.k8s.io, resource networkpolicies, namespace shop, for "+user), details[0])
	assert.True(t, strings.HasPrefix(details[1], "denied: verb list, group networking.k8s.io, resource networkpolicies, namespace payments, for "+user), details[1])
	assert.Contains(t, details[1], "kubectl auth can-i list networkpolicies.networking.k8s.io -n payments --as="+user)
}

// impersonatingKubeconfig is a kubeconfig with the admin's token acting as
// user: the API server authorizes (and reviews) as user.
func impersonatingKubeconfig(t *testing.T, c *testcluster.Cluster, user string) string {
	t.Helper()
	cfg := clientcmdapi.NewConfig()
	cfg.Clusters["e2e"] = &clientcmdapi.Cluster{Server: c.Admin.Host, CertificateAuthorityData: c.Admin.CAData}
	cfg.AuthInfos["e2e"] = &clientcmdapi.AuthInfo{Token: c.Admin.BearerToken, Impersonate: user}
	cfg.Contexts["e2e"] = &clientcmdapi.Context{Cluster: "e2e", AuthInfo: "e2e"}
	cfg.CurrentContext = "e2e"
	path := filepath.Join(t.TempDir(), "kubeconfig")
	require.NoError(t, clientcmd.WriteToFile(*cfg, path))
	return path
}

// setVerbs gives the correlate502 ClusterRole's rule for resource exactly
// verbs (the rule is split off when it names other resources too).
func setVerbs(t *testing.T, c *testcluster.Cluster, resource string, verbs ...string) {
	t.Helper()
	roles := c.AdminClient(t).RbacV1().ClusterRoles()
	role, err := roles.Get(t.Context(), correlate502Role, metav1.GetOptions{})
	require.NoError(t, err)
	var rules []rbacv1.PolicyRule
	found := false
	for _, r := range role.Rules {
		if !slices.Contains(r.Resources, resource) {
			rules = append(rules, r)
			continue
		}
		found = true
		if others := slices.DeleteFunc(slices.Clone(r.Resources), func(s string) bool { return s == resource }); len(others) > 0 {
			rest := r
			rest.Resources = others
			rules = append(rules, rest)
		}
		r.Resources, r.Verbs = []string{resource}, verbs
		rules = append(rules, r)
	}
	require.True(t, found, "%s names no %s", correlate502Role, resource)
	role.Rules = rules
	_, err = roles.Update(t.Context(), role, metav1.UpdateOptions{})
	require.NoError(t, err)
}

func runDoctor(t *testing.T, o doctor.Options) []doctor.Result {
	t.Helper()
	var out bytes.Buffer
	o.Out = &out
	rs := doctor.Run(t.Context(), o)
	t.Logf("doctor:\n%s", out.String())
	return rs
}

// waitFor runs the doctor until its FAILs are n lines that all name
// resource: the API server's authorizer sees an RBAC change (and the undoing
// of the one before) a moment after the write.
func waitFor(t *testing.T, o doctor.Options, resource string, n int) []doctor.Result {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for {
		var out bytes.Buffer
		o.Out = &out
		rs := doctor.Run(t.Context(), o)
		fails := failed(rs)
		settled := len(fails) == n && !slices.ContainsFunc(fails, func(r doctor.Result) bool {
			return !strings.Contains(r.Detail, "resource "+resource+",")
		})
		if settled || time.Now().After(deadline) {
			t.Logf("doctor:\n%s", out.String())
			return rs
		}
		time.Sleep(200 * time.Millisecond)
	}
}

func resultsOf(rs []doctor.Result, check string) []doctor.Result {
	return slices.DeleteFunc(slices.Clone(rs), func(r doctor.Result) bool { return r.Check != check })
}

func failed(rs []doctor.Result) []doctor.Result {
	return slices.DeleteFunc(slices.Clone(rs), func(r doctor.Result) bool { return r.Status != doctor.Fail })
}

//go:build e2e

package e2e

import (
	"encoding/json"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	sigsyaml "sigs.k8s.io/yaml"

	"github.com/k8s502/otelcol-k8s502/internal/doctor"
	"github.com/k8s502/otelcol-k8s502/internal/testing/testcluster"
	"github.com/k8s502/otelcol-k8s502/internal/testing/testkustomize"
	"github.com/k8s502/otelcol-k8s502/internal/testing/testotlp"
	"github.com/k8s502/otelcol-k8s502/internal/testing/testproc"
)

// The one switch, installed: for three gateways, the shipped manifests
// rendered by kustomize with the gateway's component into a namespace of
// their own and another image, created in a real API server, and the agent
// and gateway run on the rendered ConfigMaps with the rendered profile's
// environment (only addresses, ports, paths and the API credentials
// changed, as in TestTwoTier). The agent reads a real capture of that
// gateway laid out where the profile's include looks (under a temporary
// root instead of /), records arrive at the backend, and the doctor run on
// the rendered gateway config as its ServiceAccount passes its RBAC check,
// while on the agent config with the include as shipped (no such logs on
// this machine) it fails naming the pattern.
func TestInstallThreeGateways(t *testing.T) {
	bin := collectorBinary(t)
	root := testproc.RepoRoot(t)
	captures := map[string]string{
		"ingress-nginx": filepath.Join(root, "examples", "demo"),
		"haproxy":       filepath.Join(root, "receiver", "k8s502receiver", "testdata", "haproxy", "haproxytech"),
		"traefik":       filepath.Join(root, "receiver", "k8s502receiver", "testdata", "traefik", "json"),
	}
	for _, gw := range []string{"ingress-nginx", "haproxy", "traefik"} {
		t.Run(gw, func(t *testing.T) { installAndRun(t, bin, root, gw, captures[gw]) })
	}
}

func installAndRun(t *testing.T, bin, root, gw, capture string) {
	ns := "obs-" + gw
	var objs []*unstructured.Unstructured
	for _, doc := range testkustomize.Render(t, filepath.Join(root, "examples", "kubernetes"), filepath.Join(root, "examples", "kubernetes", "gateways", gw),
		ns, "registry.example.com/platform/otelcol-k8s502", "e2e") {
		u := &unstructured.Unstructured{}
		require.NoError(t, sigsyaml.Unmarshal(doc, &u.Object))
		objs = append(objs, u)
	}
	c := testcluster.Start(t)
	c.CreateObjects(t, objs)

	backend := testotlp.Start(t)
	sa := serviceAccountOf(t, objs, "Deployment")
	kubeconfig := serviceAccountKubeconfig(t, c, ns, sa)
	t.Setenv("POD_IP", "127.0.0.1")
	t.Setenv("CUBEAPM_ENDPOINT", backend.URL())
	t.Setenv("KUBECONFIG", kubeconfig)

	grpcPort := testproc.FreePort(t)
	g, gwPath := startShippedGateway(t, bin, objs, grpcPort, sa)

	agDir := t.TempDir()
	agCfg := exampleConfig(t, objs, "DaemonSet", func(cfg map[string]any) {
		setPath(t, cfg, "beginning", "receivers", "k8s502", "start_at") // the capture is written already
		setPath(t, cfg, "127.0.0.1:"+strconv.Itoa(grpcPort), "exporters", "otlp_grpc", "endpoint")
		setPath(t, cfg, filepath.Join(agDir, "storage"), "extensions", "file_storage", "directory")
		localPorts(t, cfg)
	})
	// The profile's include, rooted at the capture instead of /.
	var include []string
	require.NoError(t, json.Unmarshal([]byte(profileValue(t, objs, "K8S502_GATEWAY_INCLUDE")), &include))
	for i, p := range include {
		include[i] = filepath.Join(capture, p)
	}
	rooted, err := json.Marshal(include)
	require.NoError(t, err)
	t.Setenv("K8S502_GATEWAY_INCLUDE", string(rooted))
	agPath := writeConfig(t, agDir, agCfg)
	a := testproc.StartProgram(t, agDir, bin, "--config", agPath)

	require.Eventually(t, func() bool { return backend.Records() > 0 }, 90*time.Second, 250*time.Millisecond,
		"no record arrived\nagent: %s\ngateway: %s", a.Tail(4096), g.Tail(4096))
	time.Sleep(2 * time.Second)
	tally := backend.Tally()
	assert.Equal(t, tally.Records, tally.Judged, "every record arrives judged (k8s502.cause)")
	assert.Zero(t, tally.Repeats())
	t.Logf("%s in namespace %s: %d records, %d judged", gw, ns, tally.Records, tally.Judged)
	for _, p := range []*testproc.Proc{g, a} {
		if exited, err := p.Exited(); exited {
			t.Errorf("%s exited: %v", p.LogPath(), err)
		}
		assert.NotContains(t, p.Tail(1<<20), "forbidden", "%s: the RBAC followed the namespace", p.LogPath())
	}

	// The doctor on the rendered gateway config, as its ServiceAccount.
	rs := runDoctor(t, doctor.Options{Configs: []string{gwPath}, Kubeconfig: kubeconfig, NoSend: true})
	rbac := resultsOf(rs, "rbac[correlate502]")
	require.Len(t, rbac, 1)
	assert.Equal(t, doctor.Pass, rbac[0].Status, rbac[0].Detail)

	// The doctor on the rendered agent config with the profile's include
	// as shipped: this machine has no /var/log/pods of that gateway, so the
	// include check FAILs naming the pattern.
	shipped := profileValue(t, objs, "K8S502_GATEWAY_INCLUDE")
	t.Setenv("K8S502_GATEWAY_INCLUDE", shipped)
	rs = runDoctor(t, doctor.Options{Configs: []string{agPath}, NoSend: true})
	inc := resultsOf(rs, "include[k8s502]")
	require.Len(t, inc, 1)
	assert.Equal(t, doctor.Fail, inc[0].Status)
	var patterns []string
	require.NoError(t, json.Unmarshal([]byte(shipped), &patterns))
	assert.Contains(t, inc[0].Detail, patterns[0], "the message names the pattern")
}

// profileValue is key of the profile ConfigMap among objs.
func profileValue(t *testing.T, objs []*unstructured.Unstructured, key string) string {
	t.Helper()
	for _, u := range objs {
		if u.GetKind() == "ConfigMap" && u.GetName() == "otelcol-k8s502-profile" {
			v, ok, err := unstructured.NestedString(u.Object, "data", key)
			require.NoError(t, err)
			require.True(t, ok, "profile has no %s", key)
			return v
		}
	}
	t.Fatal("no profile ConfigMap")
	return ""
}

//go:build e2e

package e2e

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	authenticationv1 "k8s.io/api/authentication/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/client-go/rest"
	sigsyaml "sigs.k8s.io/yaml"

	"github.com/k8s502/otelcol-k8s502/internal/schema"
	"github.com/k8s502/otelcol-k8s502/internal/testing/testcluster"
	"github.com/k8s502/otelcol-k8s502/internal/testing/testnginx"
	"github.com/k8s502/otelcol-k8s502/internal/testing/testproc"
	"github.com/k8s502/otelcol-k8s502/internal/testing/testupstream"
	"github.com/k8s502/otelcol-k8s502/internal/testing/testvlogs"
)

// The agent and the gateway as users install them: the collector configs
// are the ConfigMaps of examples/kubernetes/daemonset.yaml and
// deployment.yaml with only addresses, ports, paths and the API
// credentials (outside a pod there is no in-cluster ServiceAccount, so
// auth_type serviceAccount becomes kubeConfig with a real token of the
// gateway's ServiceAccount, bound by rbac.yaml) changed. One real failure
// goes through nginx, the agent tails its CRI log and sends the record over
// OTLP gRPC to the gateway, which judges it against the API server and sends
// it to VictoriaLogs behind a CubeAPM-style path.
func TestTwoTier(t *testing.T) {
	bin := collectorBinary(t)
	testnginx.Require(t)
	c := testcluster.Start(t)
	objs := applyExamples(t, c)
	admin := c.AdminClient(t)
	ctx := t.Context()

	// CubeAPM: logs under /api/logs (VictoriaLogs), metrics accepted and counted.
	vl := testvlogs.Start(t)
	vlURL, err := url.Parse(strings.TrimSuffix(vl.URL, testvlogs.PathPrefix))
	require.NoError(t, err)
	var metricPosts atomic.Int64
	mux := http.NewServeMux()
	mux.Handle(testvlogs.PathPrefix+"/", httputil.NewSingleHostReverseProxy(vlURL))
	mux.HandleFunc("/api/metrics/v1/save/otlp", func(w http.ResponseWriter, r *http.Request) {
		metricPosts.Add(1)
		w.WriteHeader(http.StatusOK)
	})
	cube := httptest.NewServer(mux)
	t.Cleanup(cube.Close)

	// The gateway's credentials: a token of its ServiceAccount.
	gatewaySA := serviceAccountOf(t, objs, "Deployment")
	kubeconfig := serviceAccountKubeconfig(t, c, manifestNS, gatewaySA)

	_, err = admin.CoreV1().Namespaces().Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: scenarioNS}}, metav1.CreateOptions{})
	require.NoError(t, err)
	up := testupstream.Start(t, "127.0.0.41:0", testupstream.Refused)
	be := &backend{name: "cart", owner: "Deployment", addr: up.Addr}
	loc := testnginx.Location{Path: "/api/cart/", ConnectTimeout: 2 * time.Second,
		Host: scenarioHost, UpstreamName: be.upstreamName(), Servers: []string{up.Addr}, NextUpstreamTries: 1}
	ng := testnginx.Start(t, testnginx.Config{Locations: []testnginx.Location{loc}})

	// Both processes inherit these; the configs keep ${env:POD_IP} and
	// ${env:CUBEAPM_ENDPOINT} as shipped.
	t.Setenv("POD_IP", "127.0.0.1")
	t.Setenv("CUBEAPM_ENDPOINT", cube.URL)
	t.Setenv("KUBECONFIG", kubeconfig)

	grpcPort := testproc.FreePort(t)
	gw, _ := startShippedGateway(t, bin, objs, grpcPort, gatewaySA)

	agDir := t.TempDir()
	agCfg := exampleConfig(t, objs, "DaemonSet", func(cfg map[string]any) {
		setPath(t, cfg, []any{ng.CRIPath}, "receivers", "k8s502", "include")
		setPath(t, cfg, "127.0.0.1:"+strconv.Itoa(grpcPort), "exporters", "otlp_grpc", "endpoint")
		setPath(t, cfg, filepath.Join(agDir, "storage"), "extensions", "file_storage", "directory")
		localPorts(t, cfg)
	})
	ag := testproc.StartProgram(t, agDir, bin, "--config", writeConfig(t, agDir, agCfg))
	// start_at: end, as shipped: the request must come after the receiver
	// has found the file.
	ag.WaitFor(t, 30*time.Second, func() error {
		if !strings.Contains(ag.Tail(1<<20), "Started watching file") {
			return fmt.Errorf("agent: not watching %s", ng.CRIPath)
		}
		return nil
	})

	// The crash: the pod behind cart was OOMKilled and is in
	// CrashLoopBackOff; its address refuses connections.
	be.create(t, admin, crashLooping)
	time.Sleep(time.Second) // the informers' watch delivers the pod

	const reqID = "twotier-crash"
	r := ng.Do(t, "GET", scenarioHost, loc.Path+"items/1", map[string]string{"X-Request-ID": reqID})
	require.Equal(t, 502, r.Status, "nginx answered %d %q", r.Status, r.Body)
	ng.WaitRequests(t)

	field := fieldOf(scenarioRecord(t, vl, reqID))
	assert.Equal(t, schema.CausePodCrash, field(schema.Cause), "evidence: %s\nruled out: %s", field(schema.Evidence), field(schema.RuledOut))
	assert.Equal(t, be.pod.Name, field(schema.TargetPod))
	assert.Equal(t, scenarioNS, field(schema.TargetNamespace))
	assert.Equal(t, be.name, field(schema.TargetService))
	t.Logf("%s: %s (%s)\n  remediation: %s", reqID, field(schema.Cause), field(schema.CauseConfidence), field(schema.Remediation))
	t.Logf("metric posts to the CubeAPM metrics path: %d", metricPosts.Load())
	for _, p := range []*testproc.Proc{gw, ag} {
		if exited, err := p.Exited(); exited {
			t.Errorf("%s exited: %v", p.LogPath(), err)
		}
		// rbac.yaml must cover every informer the shipped components start.
		assert.NotContains(t, p.Tail(1<<20), "forbidden", "%s", p.LogPath())
		var errs []string
		for _, l := range strings.Split(p.Tail(1<<20), "\n") {
			if strings.Contains(l, "\terror\t") {
				errs = append(errs, l)
			}
		}
		t.Logf("%s: %d error lines\n%s", p.LogPath(), len(errs), strings.Join(errs, "\n"))
	}
}

// exampleConfig is config.yaml of the ConfigMap mounted by the one object of
// kind (DaemonSet or Deployment) in objs, edited by edit. The processes this
// test starts get the environment the pod would: the gateway profile's
// values (envFrom) and the pod's namespace (the downward API).
func exampleConfig(t *testing.T, objs []*unstructured.Unstructured, kind string, edit func(map[string]any)) map[string]any {
	t.Helper()
	setProfileEnv(t, objs)
	var cmName string
	for _, u := range objs {
		if u.GetKind() != kind {
			continue
		}
		vols, _, err := unstructured.NestedSlice(u.Object, "spec", "template", "spec", "volumes")
		require.NoError(t, err)
		for _, v := range vols {
			if name, ok, _ := unstructured.NestedString(v.(map[string]any), "configMap", "name"); ok {
				cmName = name
			}
		}
	}
	require.NotEmpty(t, cmName, "%s mounts no ConfigMap", kind)
	for _, u := range objs {
		if u.GetKind() == "ConfigMap" && u.GetName() == cmName {
			data, ok, err := unstructured.NestedString(u.Object, "data", "config.yaml")
			require.NoError(t, err)
			require.True(t, ok, "ConfigMap %s has no config.yaml", cmName)
			var cfg map[string]any
			require.NoError(t, sigsyaml.Unmarshal([]byte(data), &cfg))
			edit(cfg)
			return cfg
		}
	}
	t.Fatalf("ConfigMap %s not in examples/kubernetes", cmName)
	return nil
}

// setPath replaces the value at keys, which must already exist: an edit
// that no longer matches the shipped config fails instead of adding a key.
func setPath(t *testing.T, cfg map[string]any, v any, keys ...string) {
	t.Helper()
	m := cfg
	for i, k := range keys[:len(keys)-1] {
		next, ok := m[k].(map[string]any)
		require.True(t, ok, "config has no %s", strings.Join(keys[:i+1], "."))
		m = next
	}
	last := keys[len(keys)-1]
	_, ok := m[last]
	require.True(t, ok, "config has no %s", strings.Join(keys, "."))
	m[last] = v
}

// localPorts moves the health check and the Prometheus reader, on fixed
// ports in the shipped configs, to free ones.
func localPorts(t *testing.T, cfg map[string]any) {
	t.Helper()
	setPath(t, cfg, "${env:POD_IP}:"+strconv.Itoa(testproc.FreePort(t)), "extensions", "health_check", "endpoint")
	svc := cfg["service"].(map[string]any)
	readers := svc["telemetry"].(map[string]any)["metrics"].(map[string]any)["readers"].([]any)
	require.Len(t, readers, 1)
	prom := readers[0].(map[string]any)["pull"].(map[string]any)["exporter"].(map[string]any)["prometheus"].(map[string]any)
	setPath(t, prom, testproc.FreePort(t), "port")
}

func writeConfig(t *testing.T, dir string, cfg map[string]any) string {
	t.Helper()
	b, err := sigsyaml.Marshal(cfg)
	require.NoError(t, err)
	path := filepath.Join(dir, "config.yaml")
	require.NoError(t, os.WriteFile(path, b, 0o600))
	return path
}

// setProfileEnv sets the gateway profile's values (profile.yaml) and
// POD_NAMESPACE in the environment, as envFrom and the downward API do.
func setProfileEnv(t *testing.T, objs []*unstructured.Unstructured) {
	t.Helper()
	for _, u := range objs {
		if u.GetKind() == "ConfigMap" && u.GetName() == "otelcol-k8s502-profile" {
			t.Setenv("POD_NAMESPACE", u.GetNamespace()) // the workloads' namespace: the profile's
			data, _, err := unstructured.NestedStringMap(u.Object, "data")
			require.NoError(t, err)
			for k, v := range data {
				t.Setenv(k, v)
			}
			return
		}
	}
	t.Fatal("examples/kubernetes has no ConfigMap otelcol-k8s502-profile")
}

// serviceAccountKubeconfig writes a kubeconfig holding a token of
// ServiceAccount ns/sa, as the pod running as it would have.
func serviceAccountKubeconfig(t *testing.T, c *testcluster.Cluster, ns, sa string) string {
	t.Helper()
	expiry := int64(3600)
	tok, err := c.AdminClient(t).CoreV1().ServiceAccounts(ns).CreateToken(t.Context(), sa,
		&authenticationv1.TokenRequest{Spec: authenticationv1.TokenRequestSpec{ExpirationSeconds: &expiry}}, metav1.CreateOptions{})
	require.NoError(t, err)
	return c.WriteKubeconfig(t, &rest.Config{Host: c.Admin.Host, BearerToken: tok.Status.Token,
		TLSClientConfig: rest.TLSClientConfig{CAData: c.Admin.CAData}})
}

// startShippedGateway runs the gateway on the Deployment's ConfigMap in objs
// with only its listen ports, storage directory and API credentials
// (auth_type kubeConfig: $KUBECONFIG, a token of ServiceAccount sa) changed,
// OTLP gRPC on grpcPort, and returns once its informers have synced, with
// the config file it runs.
func startShippedGateway(t *testing.T, bin string, objs []*unstructured.Unstructured, grpcPort int, sa string) (*testproc.Proc, string) {
	t.Helper()
	dir := t.TempDir()
	cfg := exampleConfig(t, objs, "Deployment", func(cfg map[string]any) {
		setPath(t, cfg, "${env:POD_IP}:"+strconv.Itoa(grpcPort), "receivers", "otlp", "protocols", "grpc", "endpoint")
		setPath(t, cfg, "${env:POD_IP}:"+strconv.Itoa(testproc.FreePort(t)), "receivers", "otlp", "protocols", "http", "endpoint")
		for _, comp := range [][]string{{"receivers", "k8s_objects"}, {"receivers", "k8s_cluster"}, {"processors", "correlate502"}} {
			setPath(t, cfg, "kubeConfig", append(comp, "auth_type")...)
		}
		storage := filepath.Join(dir, "storage")
		setPath(t, cfg, storage, "extensions", "file_storage", "directory")
		setPath(t, cfg, storage, "extensions", "file_storage", "compaction", "directory")
		localPorts(t, cfg)
	})
	path := writeConfig(t, dir, cfg)
	gw := testproc.StartProgram(t, dir, bin, "--config", path)
	gw.WaitFor(t, 30*time.Second, func() error {
		if !strings.Contains(gw.Tail(1<<20), "Kubernetes informers synced") {
			return fmt.Errorf("gateway: informers not synced as %s", sa)
		}
		return nil
	})
	return gw, path
}

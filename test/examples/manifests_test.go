package examples_test

import (
	"fmt"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/apimachinery/pkg/runtime"
)

const (
	namespace = "k8s502"
	image     = "ghcr.io/k8s502/otelcol-k8s502:0.0.1"
)

// manifests is every object in examples/kubernetes, by file.
type manifests struct {
	byFile map[string][]runtime.Object
}

func loadManifests(t *testing.T) manifests {
	t.Helper()
	files, err := filepath.Glob(examplePath(t, "kubernetes", "*.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	if len(files) == 0 {
		t.Fatal("no manifests in examples/kubernetes")
	}
	m := manifests{byFile: map[string][]runtime.Object{}}
	for _, f := range files {
		m.byFile[filepath.Base(f)] = decodeManifests(t, f)
	}
	return m
}

func (m manifests) all() []runtime.Object {
	var out []runtime.Object
	for _, objs := range m.byFile {
		out = append(out, objs...)
	}
	return out
}

// find returns the only object of type T named name.
func find[T runtime.Object](t *testing.T, m manifests, name string) T {
	t.Helper()
	var found []T
	for _, o := range m.all() {
		if obj, ok := o.(T); ok {
			if acc, err := meta.Accessor(obj); err == nil && acc.GetName() == name {
				found = append(found, obj)
			}
		}
	}
	if len(found) != 1 {
		var zero T
		t.Fatalf("%d objects of type %T named %s, want 1", len(found), zero, name)
	}
	return found[0]
}

// configOf returns the collector config a workload's container reads: the --config argument
// resolved through the volume mount to its ConfigMap key.
func configOf(t *testing.T, m manifests, pod corev1.PodSpec) (string, corev1.Container) {
	t.Helper()
	if len(pod.Containers) != 1 {
		t.Fatalf("%d containers, want 1", len(pod.Containers))
	}
	c := pod.Containers[0]
	var path string
	for _, a := range c.Args {
		if p, ok := strings.CutPrefix(a, "--config="); ok {
			path = p
		}
	}
	if path == "" {
		t.Fatalf("container %s has no --config= argument: %v", c.Name, c.Args)
	}
	for _, vm := range c.VolumeMounts {
		rel, ok := strings.CutPrefix(path, strings.TrimSuffix(vm.MountPath, "/")+"/")
		if !ok {
			continue
		}
		for _, v := range pod.Volumes {
			if v.Name != vm.Name || v.ConfigMap == nil {
				continue
			}
			key := rel
			for _, it := range v.ConfigMap.Items {
				if it.Path == rel {
					key = it.Key
				}
			}
			cm := find[*corev1.ConfigMap](t, m, v.ConfigMap.Name)
			data, ok := cm.Data[key]
			if !ok {
				t.Fatalf("ConfigMap %s has no key %s", cm.Name, key)
			}
			return data, c
		}
	}
	t.Fatalf("--config=%s is not in a ConfigMap volume", path)
	return "", c
}

func agentConfig(t *testing.T) string {
	t.Helper()
	m := loadManifests(t)
	cfg, _ := configOf(t, m, find[*appsv1.DaemonSet](t, m, "otelcol-k8s502-agent").Spec.Template.Spec)
	return cfg
}

func gatewayConfigText(t *testing.T) string {
	t.Helper()
	m := loadManifests(t)
	cfg, _ := configOf(t, m, find[*appsv1.Deployment](t, m, "otelcol-k8s502-gateway").Spec.Template.Spec)
	return cfg
}

func gatewayConfig(t *testing.T) map[string]any {
	t.Helper()
	return parseYAMLMap(t, "gateway config", []byte(withProfile(t, loadManifests(t), gatewayConfigText(t))))
}

// withProfile is a config with the gateway profile's values (profile.yaml, which both
// workloads take with envFrom) and the pod's namespace filled in, as the pod sees them.
func withProfile(t *testing.T, m manifests, config string) string {
	t.Helper()
	cm := find[*corev1.ConfigMap](t, m, "otelcol-k8s502-profile")
	pairs := []string{"${env:POD_NAMESPACE}", cm.Namespace}
	for k, v := range cm.Data {
		pairs = append(pairs, "${env:"+k+"}", v)
	}
	return strings.NewReplacer(pairs...).Replace(config)
}

func TestManifestsDecode(t *testing.T) {
	m := loadManifests(t)
	var kinds []string
	for file, objs := range m.byFile {
		for _, o := range objs {
			gvk := o.GetObjectKind().GroupVersionKind()
			kinds = append(kinds, gvk.Kind)
			acc, err := meta.Accessor(o)
			if err != nil {
				t.Fatal(err)
			}
			switch o.(type) {
			case *corev1.Namespace, *rbacv1.ClusterRole, *rbacv1.ClusterRoleBinding:
				if acc.GetNamespace() != "" {
					t.Errorf("%s: cluster-scoped %s %s has a namespace", file, gvk.Kind, acc.GetName())
				}
			default:
				if acc.GetNamespace() != namespace {
					t.Errorf("%s: %s %s is in namespace %q, want %s", file, gvk.Kind, acc.GetName(), acc.GetNamespace(), namespace)
				}
			}
		}
	}
	for _, want := range []string{"Namespace", "ServiceAccount", "ConfigMap", "DaemonSet", "Deployment", "Service", "ClusterRole", "ClusterRoleBinding"} {
		if !slices.Contains(kinds, want) {
			t.Errorf("no %s in examples/kubernetes", want)
		}
	}
	find[*corev1.Namespace](t, m, namespace)
}

// Every YAML file under examples/alerts parses too (their content is checked in alerts_test.go).
func TestAlertFilesParse(t *testing.T) {
	files, err := filepath.Glob(examplePath(t, "alerts", "*.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	if len(files) < 2 {
		t.Fatalf("alert files: %v", files)
	}
	for _, f := range files {
		yamlDocs(t, f)
	}
}

// checkHardened checks what both workloads share: the image, a read-only root filesystem,
// no privilege escalation or capabilities, resource limits and probes on health_check.
func checkHardened(t *testing.T, what string, pod corev1.PodSpec, c corev1.Container, cfg map[string]any) {
	t.Helper()
	if c.Image != image {
		t.Errorf("%s: image %s, want %s", what, c.Image, image)
	}
	sc := c.SecurityContext
	if sc == nil || sc.ReadOnlyRootFilesystem == nil || !*sc.ReadOnlyRootFilesystem {
		t.Errorf("%s: root filesystem is not read-only", what)
	}
	if sc == nil || sc.AllowPrivilegeEscalation == nil || *sc.AllowPrivilegeEscalation {
		t.Errorf("%s: privilege escalation is not disabled", what)
	}
	if sc == nil || sc.Capabilities == nil || !slices.Contains(sc.Capabilities.Drop, "ALL") || len(sc.Capabilities.Add) > 0 {
		t.Errorf("%s: capabilities are not all dropped", what)
	}
	if c.Resources.Limits.Memory().IsZero() || c.Resources.Limits.Cpu().IsZero() {
		t.Errorf("%s: no cpu and memory limits", what)
	}
	hc, _ := dig(cfg, "extensions", "health_check", "endpoint").(string)
	i := strings.LastIndex(hc, ":")
	port := hc[i+1:]
	if i < 0 || port == "" {
		t.Fatalf("%s: health_check endpoint %q has no port", what, hc)
	}
	for name, p := range map[string]*corev1.Probe{"liveness": c.LivenessProbe, "readiness": c.ReadinessProbe} {
		if p == nil || p.HTTPGet == nil {
			t.Errorf("%s: no HTTP %s probe", what, name)
			continue
		}
		if got := containerPort(c, p.HTTPGet.Port.String()); strconv.Itoa(int(got)) != port {
			t.Errorf("%s: %s probe on port %d, health_check listens on %s", what, name, got, port)
		}
	}
	// Every ${env:...} in the config is set on the container, itself or from a ConfigMap.
	var env []string
	for _, e := range c.Env {
		env = append(env, e.Name)
	}
	for _, ef := range c.EnvFrom {
		if ef.ConfigMapRef != nil {
			for k := range find[*corev1.ConfigMap](t, loadManifests(t), ef.ConfigMapRef.Name).Data {
				env = append(env, k)
			}
		}
	}
	text, _ := yamlText(cfg)
	for _, ref := range envRefs(text) {
		if !slices.Contains(env, ref) {
			t.Errorf("%s: config uses ${env:%s}, which the container does not set", what, ref)
		}
	}
}

// containerPort resolves a port given by name or number.
func containerPort(c corev1.Container, port string) int32 {
	if n, err := strconv.Atoi(port); err == nil {
		return int32(n)
	}
	for _, p := range c.Ports {
		if p.Name == port {
			return p.ContainerPort
		}
	}
	return 0
}

func yamlText(cfg map[string]any) (string, error) {
	b, err := yamlMarshal(cfg)
	return string(b), err
}

func TestAgentDaemonSet(t *testing.T) {
	m := loadManifests(t)
	ds := find[*appsv1.DaemonSet](t, m, "otelcol-k8s502-agent")
	pod := ds.Spec.Template.Spec
	text, c := configOf(t, m, pod)
	checkHardened(t, "agent", pod, c, parseYAMLMap(t, "agent config", []byte(text)))
	cfg := parseYAMLMap(t, "agent config", []byte(withProfile(t, m, text)))

	// No API access at all.
	sa := find[*corev1.ServiceAccount](t, m, pod.ServiceAccountName)
	if sa.AutomountServiceAccountToken == nil || *sa.AutomountServiceAccountToken {
		t.Error("agent ServiceAccount mounts a token")
	}
	if pod.AutomountServiceAccountToken == nil || *pod.AutomountServiceAccountToken {
		t.Error("agent pod mounts a token")
	}
	for _, o := range m.all() {
		if b, ok := o.(*rbacv1.ClusterRoleBinding); ok {
			for _, s := range b.Subjects {
				if s.Name == sa.Name {
					t.Errorf("ClusterRoleBinding %s grants the agent API access", b.Name)
				}
			}
		}
		if b, ok := o.(*rbacv1.RoleBinding); ok {
			t.Errorf("unexpected RoleBinding %s", b.Name)
		}
	}

	// /var/log/pods read-only from the host; the checkpoint directory is a hostPath too.
	mounts := map[string]corev1.VolumeMount{}
	for _, vm := range c.VolumeMounts {
		mounts[vm.MountPath] = vm
	}
	hostPaths := map[string]string{}
	for _, v := range pod.Volumes {
		if v.HostPath != nil {
			hostPaths[v.Name] = v.HostPath.Path
		}
	}
	logs, ok := mounts["/var/log/pods"]
	if !ok || !logs.ReadOnly || hostPaths[logs.Name] != "/var/log/pods" {
		t.Errorf("/var/log/pods is not the host's, mounted read-only: %+v", logs)
	}
	dir, _ := dig(cfg, "extensions", "file_storage", "directory").(string)
	if cp, ok := mounts[dir]; !ok || cp.ReadOnly || hostPaths[cp.Name] == "" {
		t.Errorf("file_storage directory %q is not a writable hostPath mount", dir)
	}
	if got := dig(cfg, "receivers", "k8s502", "storage"); got != "file_storage" {
		t.Errorf("k8s502 storage = %v, want file_storage", got)
	}
	for _, inc := range dig(cfg, "receivers", "k8s502", "include").([]any) {
		if !strings.HasPrefix(inc.(string), "/var/log/pods/") {
			t.Errorf("k8s502 include %v is outside /var/log/pods", inc)
		}
	}

	// It sends to the gateway's Service.
	svc := find[*corev1.Service](t, m, "otelcol-k8s502-gateway")
	var grpc int32
	for _, p := range svc.Spec.Ports {
		if p.AppProtocol != nil && *p.AppProtocol == "grpc" {
			grpc = p.Port
		}
	}
	want := fmt.Sprintf("%s.%s.svc.cluster.local:%d", svc.Name, svc.Namespace, grpc)
	if got := dig(cfg, "exporters", "otlp_grpc", "endpoint"); got != want {
		t.Errorf("agent exporter endpoint = %v, want %s", got, want)
	}
}

func TestGatewayDeployment(t *testing.T) {
	m := loadManifests(t)
	dep := find[*appsv1.Deployment](t, m, "otelcol-k8s502-gateway")
	pod := dep.Spec.Template.Spec
	text, c := configOf(t, m, pod)
	cfg := parseYAMLMap(t, "gateway config", []byte(text))
	checkHardened(t, "gateway", pod, c, cfg)

	if dep.Spec.Replicas == nil || *dep.Spec.Replicas != 1 {
		t.Error("gateway replicas is not 1")
	}
	if pod.SecurityContext == nil || pod.SecurityContext.RunAsNonRoot == nil || !*pod.SecurityContext.RunAsNonRoot {
		t.Error("gateway does not run as non-root")
	}
	find[*corev1.ServiceAccount](t, m, pod.ServiceAccountName)

	// The Service selects the gateway's pods and targets its OTLP ports.
	svc := find[*corev1.Service](t, m, "otelcol-k8s502-gateway")
	for k, v := range svc.Spec.Selector {
		if dep.Spec.Template.Labels[k] != v {
			t.Errorf("Service selector %s=%s does not match the gateway's pods", k, v)
		}
	}
	var ports []int32
	for _, p := range svc.Spec.Ports {
		ports = append(ports, p.Port)
		if containerPort(c, p.TargetPort.String()) != p.Port {
			t.Errorf("Service port %d targets %s, not the container's port %d", p.Port, p.TargetPort.String(), p.Port)
		}
	}
	slices.Sort(ports)
	if !slices.Equal(ports, []int32{4317, 4318, 8888}) {
		t.Errorf("Service ports %v, want OTLP 4317 and 4318 and the collector's metrics 8888", ports)
	}

	// correlate502 in both pipelines, talking to the API server; no debug exporter.
	if got := dig(cfg, "processors", "correlate502", "auth_type"); got != "serviceAccount" {
		t.Errorf("correlate502 auth_type = %v, want serviceAccount", got)
	}
	for _, p := range []string{"logs", "metrics"} {
		procs, _ := dig(cfg, "service", "pipelines", p, "processors").([]any)
		if !slices.Contains(procs, any("correlate502")) {
			t.Errorf("correlate502 is not in the %s pipeline", p)
		}
	}
	if dig(cfg, "exporters", "debug") != nil {
		t.Error("the gateway has a debug exporter")
	}
	// k8s_objects watches one events API only: core/v1.
	objs, _ := dig(cfg, "receivers", "k8s_objects", "objects").([]any)
	for _, o := range objs {
		om := o.(map[string]any)
		if om["name"] == "events" && om["group"] != "" {
			t.Errorf("k8s_objects watches events of group %v; correlate502 reads core/v1 events", om["group"])
		}
	}
}

package examples_test

import (
	"path/filepath"
	"strings"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/client-go/kubernetes/scheme"
	"sigs.k8s.io/yaml"

	"github.com/k8s502/otelcol-k8s502/internal/testing/testkustomize"
)

// An install as a user makes it: a kustomization of their own on top of
// examples/kubernetes, setting a namespace and an image once each and picking
// a gateway with one component, rendered by kustomize's own library (what
// `kubectl apply -k` runs), for every gateway.
func renderKustomize(t *testing.T, component string) []runtime.Object {
	t.Helper()
	var objs []runtime.Object
	for _, doc := range testkustomize.Render(t, examplePath(t, "kubernetes"), component, "observability", "registry.example.com/platform/otelcol-k8s502", "1.2.3") {
		j, err := yaml.YAMLToJSON(doc)
		if err != nil {
			t.Fatal(err)
		}
		obj, _, err := scheme.Codecs.UniversalDeserializer().Decode(j, nil, nil)
		if err != nil {
			t.Fatalf("rendered object: %v\n%s", err, doc)
		}
		objs = append(objs, obj)
	}
	return objs
}

func TestKustomizeGateways(t *testing.T) {
	bin := collectorBinary(t)
	components, err := filepath.Glob(examplePath(t, "kubernetes", "gateways", "*", "kustomization.yaml"))
	if err != nil || len(components) < 6 {
		t.Fatalf("examples/kubernetes/gateways: %v (%d components)", err, len(components))
	}
	for _, c := range components {
		dir := filepath.Dir(c)
		name := filepath.Base(dir)
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			objs := renderKustomize(t, dir)
			var profile *corev1.ConfigMap
			configs := map[string]string{}
			var pods []corev1.PodSpec
			for _, o := range objs {
				switch o := o.(type) {
				case *corev1.Namespace:
					if o.Name != "observability" {
						t.Errorf("Namespace %s: want observability", o.Name)
					}
				case *corev1.ConfigMap:
					if o.Name == "otelcol-k8s502-profile" {
						profile = o
					} else {
						configs[o.Name] = o.Data["config.yaml"]
					}
				case *appsv1.DaemonSet:
					pods = append(pods, o.Spec.Template.Spec)
				case *appsv1.Deployment:
					pods = append(pods, o.Spec.Template.Spec)
				case *rbacv1.ClusterRoleBinding:
					for _, s := range o.Subjects {
						if s.Kind == "ServiceAccount" && s.Namespace != "observability" {
							t.Errorf("ClusterRoleBinding %s binds %s/%s: the namespace did not follow", o.Name, s.Namespace, s.Name)
						}
					}
				}
				if m, ok := o.(interface{ GetNamespace() string }); ok {
					if _, isNS := o.(*corev1.Namespace); !isNS && m.GetNamespace() != "" && m.GetNamespace() != "observability" {
						t.Errorf("%T in namespace %s", o, m.GetNamespace())
					}
				}
			}
			if profile == nil || len(pods) != 2 || len(configs) != 2 {
				t.Fatalf("rendered: profile %v, %d workloads, %d configs", profile != nil, len(pods), len(configs))
			}
			if got := profile.Data["K8S502_GATEWAY_FORMAT"]; name != "ingress-nginx" && got == "ingress-nginx" {
				t.Errorf("component %s left the ingress-nginx profile", name)
			}
			for _, p := range pods {
				for _, c := range append(p.InitContainers, p.Containers...) {
					if c.Image != "registry.example.com/platform/otelcol-k8s502:1.2.3" {
						t.Errorf("container %s: image %s", c.Name, c.Image)
					}
					if len(c.EnvFrom) != 1 || c.EnvFrom[0].ConfigMapRef == nil || c.EnvFrom[0].ConfigMapRef.Name != profile.Name {
						t.Errorf("container %s does not take the profile (envFrom %v)", c.Name, c.EnvFrom)
					}
				}
			}
			// The configs, with the profile's values and the downward API's, are valid.
			env := map[string]string{"POD_IP": "127.0.0.1", "POD_NAMESPACE": "observability", "CUBEAPM_ENDPOINT": testEnv["CUBEAPM_ENDPOINT"]}
			for k, v := range profile.Data {
				env[k] = v
			}
			for cm, cfg := range configs {
				for _, ref := range envRefs(cfg) {
					if _, ok := env[ref]; !ok {
						t.Errorf("%s uses ${env:%s}, which neither the profile nor the pod sets", cm, ref)
					}
				}
				validateConfig(t, bin, t.TempDir(), env, writeTemp(t, "config.yaml", []byte(cfg)))
				if strings.Contains(cfg, ".k8s502.svc") {
					t.Errorf("%s still names the k8s502 namespace", cm)
				}
			}
		})
	}
}

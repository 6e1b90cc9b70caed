package examples_test

import (
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	"sigs.k8s.io/yaml"
)

// The Helm switch: examples/helm/gateways/<gateway>.yaml, given after either
// release's values, sets the same profile as the kustomize component of the
// same name, and both releases' configs stay valid with it.
func TestHelmGatewayOverlays(t *testing.T) {
	bin := collectorBinary(t)
	overlays, err := filepath.Glob(examplePath(t, "helm", "gateways", "*.yaml"))
	if err != nil || len(overlays) < 6 {
		t.Fatalf("examples/helm/gateways: %v (%d files)", err, len(overlays))
	}
	for _, o := range overlays {
		name := strings.TrimSuffix(filepath.Base(o), ".yaml")
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			overlay := loadValues(t, filepath.Join("gateways", name+".yaml"))
			profile := componentProfile(t, name)
			recv := dig(overlay, "config", "receivers", "k8s502").(map[string]any)
			ctrl := dig(overlay, "config", "processors", "correlate502", "ingress_controller").(map[string]any)
			same := func(what string, got any, profileKey string) {
				var want any
				if err := yaml.Unmarshal([]byte(profile[profileKey]), &want); err != nil {
					t.Fatalf("profile %s: %v", profileKey, err)
				}
				g, _ := json.Marshal(got)
				w, _ := json.Marshal(want)
				if string(g) != string(w) {
					t.Errorf("%s = %s, the kustomize component says %s", what, g, w)
				}
			}
			same("format", recv["format"], "K8S502_GATEWAY_FORMAT")
			same("include", recv["include"], "K8S502_GATEWAY_INCLUDE")
			same("statuses", recv["statuses"], "K8S502_GATEWAY_STATUSES")
			same("ingress_controller.namespace", ctrl["namespace"], "K8S502_CONTROLLER_NAMESPACE")
			same("ingress_controller.pod_labels", ctrl["pod_labels"], "K8S502_CONTROLLER_POD_LABELS")

			for _, base := range []string{"values-daemonset.yaml", "values-deployment.yaml"} {
				values := coalesce(loadValues(t, base), deepCopy(t, overlay))
				data, err := yaml.Marshal(chartConfig(t, values))
				if err != nil {
					t.Fatal(err)
				}
				cfg := string(data)
				validateConfig(t, bin, t.TempDir(), envFor(t, cfg, nil), writeTemp(t, "config.yaml", data))
				if base == "values-daemonset.yaml" && !strings.Contains(cfg, "format: "+profile["K8S502_GATEWAY_FORMAT"]) {
					t.Errorf("%s with the overlay: the agent does not read format %s", base, profile["K8S502_GATEWAY_FORMAT"])
				}
			}
		})
	}
}

// componentProfile is the profile ConfigMap data the kustomize component of
// the gateway patches in.
func componentProfile(t *testing.T, name string) map[string]string {
	t.Helper()
	var comp struct {
		APIVersion string `json:"apiVersion"`
		Kind       string `json:"kind"`
		Patches    []struct {
			Target map[string]string `json:"target"`
			Patch  string            `json:"patch"`
		} `json:"patches"`
	}
	readStrict(t, examplePath(t, "kubernetes", "gateways", name, "kustomization.yaml"), &comp)
	if len(comp.Patches) != 1 {
		t.Fatalf("component %s: %d patches, want 1", name, len(comp.Patches))
	}
	var cm corev1.ConfigMap
	if err := yaml.UnmarshalStrict([]byte(comp.Patches[0].Patch), &cm); err != nil {
		t.Fatalf("component %s patch: %v", name, err)
	}
	return cm.Data
}

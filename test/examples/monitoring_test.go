package examples_test

import (
	"fmt"
	"maps"
	"slices"
	"strconv"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"sigs.k8s.io/yaml"
)

// telemetryEndpoint returns host and port of the collector's own Prometheus endpoint
// (service.telemetry.metrics.readers[].pull.exporter.prometheus) in a config.
func telemetryEndpoint(t *testing.T, what, config string) (string, int32) {
	t.Helper()
	cfg := parseYAMLMap(t, what, []byte(config))
	readers, _ := dig(cfg, "service", "telemetry", "metrics", "readers").([]any)
	for _, r := range readers {
		rm, _ := r.(map[string]any)
		prom, ok := dig(rm, "pull", "exporter", "prometheus").(map[string]any)
		if !ok {
			continue
		}
		host, _ := prom["host"].(string)
		port, err := strconv.Atoi(fmt.Sprint(prom["port"]))
		if err != nil {
			t.Fatalf("%s: telemetry port %v: %v", what, prom["port"], err)
		}
		return host, int32(port)
	}
	t.Fatalf("%s: no pull/prometheus reader in service.telemetry.metrics", what)
	return "", 0
}

// monitoringObjects reads examples/kubernetes/monitoring/monitoring.yaml: the Prometheus
// Operator's ServiceMonitor and PodMonitor, strictly, in the fields k8s502 sets (client-go
// has no types for them; test/e2e validates the file against the operator's CRDs).
type monitorEndpoint struct {
	Port        string `json:"port"`
	Path        string `json:"path"`
	Interval    string `json:"interval"`
	Relabelings []struct {
		SourceLabels []string `json:"sourceLabels"`
		TargetLabel  string   `json:"targetLabel"`
	} `json:"relabelings"`
}

type monitor struct {
	APIVersion string            `json:"apiVersion"`
	Kind       string            `json:"kind"`
	Metadata   metav1.ObjectMeta `json:"metadata"`
	Spec       struct {
		Selector            metav1.LabelSelector `json:"selector"`
		NamespaceSelector   *struct{}            `json:"namespaceSelector,omitempty"`
		Endpoints           []monitorEndpoint    `json:"endpoints,omitempty"`
		PodMetricsEndpoints []monitorEndpoint    `json:"podMetricsEndpoints,omitempty"`
	} `json:"spec"`
}

func monitoringObjects(t *testing.T) map[string]monitor {
	t.Helper()
	path := examplePath(t, "kubernetes", "monitoring", "monitoring.yaml")
	out := map[string]monitor{}
	for i, doc := range yamlDocs(t, path) {
		var m monitor
		if err := yaml.UnmarshalStrict(doc, &m); err != nil {
			t.Fatalf("%s: document %d: %v", path, i, err)
		}
		if m.APIVersion != "monitoring.coreos.com/v1" {
			t.Errorf("%s: %s %s has apiVersion %s", path, m.Kind, m.Metadata.Name, m.APIVersion)
		}
		if _, dup := out[m.Kind]; dup {
			t.Fatalf("%s: two %ss", path, m.Kind)
		}
		out[m.Kind] = m
	}
	return out
}

// TestMonitoring: both collectors' own metrics can be scraped, by annotations or by the
// Prometheus Operator, and every way leads to the port the collector's telemetry listens on.
func TestMonitoring(t *testing.T) {
	m := loadManifests(t)
	ds := find[*appsv1.DaemonSet](t, m, "otelcol-k8s502-agent")
	dep := find[*appsv1.Deployment](t, m, "otelcol-k8s502-gateway")
	svc := find[*corev1.Service](t, m, "otelcol-k8s502-gateway")

	ports := map[string]int32{}
	for what, pod := range map[string]corev1.PodTemplateSpec{"agent": ds.Spec.Template, "gateway": dep.Spec.Template} {
		text, c := configOf(t, m, pod.Spec)
		host, port := telemetryEndpoint(t, what, text)
		ports[what] = port
		// Reachable from outside the pod: the pod's IP, not loopback.
		if host != "${env:POD_IP}" {
			t.Errorf("%s: telemetry listens on %q, want ${env:POD_IP}", what, host)
		}
		if got := containerPort(c, "metrics"); got != port {
			t.Errorf("%s: container port metrics = %d, telemetry listens on %d", what, got, port)
		}
		a := pod.Annotations
		if a["prometheus.io/scrape"] != "true" || a["prometheus.io/path"] != "/metrics" || a["prometheus.io/port"] != strconv.Itoa(int(port)) {
			t.Errorf("%s: annotations %v, want prometheus.io/scrape true, path /metrics, port %d", what, a, port)
		}
	}

	// The gateway Service has a metrics port that reaches it.
	var svcPort string
	for _, p := range svc.Spec.Ports {
		if containerPort(dep.Spec.Template.Spec.Containers[0], p.TargetPort.String()) == ports["gateway"] {
			svcPort = p.Name
		}
	}
	if svcPort == "" {
		t.Fatalf("Service %s has no port targeting the gateway's metrics port %d", svc.Name, ports["gateway"])
	}

	mons := monitoringObjects(t)
	if len(mons) != 2 {
		t.Errorf("monitoring.yaml has %v, want a ServiceMonitor and a PodMonitor", slices.Sorted(maps.Keys(mons)))
	}
	selects := func(sel metav1.LabelSelector, l map[string]string) bool {
		s, err := metav1.LabelSelectorAsSelector(&sel)
		if err != nil {
			t.Fatal(err)
		}
		return !s.Empty() && s.Matches(labels.Set(l))
	}
	checkEndpoint := func(what string, eps []monitorEndpoint, port string) {
		if len(eps) != 1 || eps[0].Port != port || eps[0].Path != "/metrics" {
			t.Errorf("%s: endpoints %+v, want one on port %s, path /metrics", what, eps, port)
		}
	}

	sm, ok := mons["ServiceMonitor"]
	if !ok {
		t.Fatal("no ServiceMonitor")
	}
	if sm.Metadata.Namespace != svc.Namespace || sm.Spec.NamespaceSelector != nil {
		t.Errorf("ServiceMonitor in %q (namespaceSelector %v): want the Service's namespace %s, no namespaceSelector", sm.Metadata.Namespace, sm.Spec.NamespaceSelector, svc.Namespace)
	}
	if !selects(sm.Spec.Selector, svc.Labels) {
		t.Errorf("ServiceMonitor selector %v does not select Service %s (labels %v)", sm.Spec.Selector, svc.Name, svc.Labels)
	}
	checkEndpoint("ServiceMonitor", sm.Spec.Endpoints, svcPort)

	pm, ok := mons["PodMonitor"]
	if !ok {
		t.Fatal("no PodMonitor")
	}
	if pm.Metadata.Namespace != ds.Namespace || pm.Spec.NamespaceSelector != nil {
		t.Errorf("PodMonitor in %q: want the agent's namespace %s, no namespaceSelector", pm.Metadata.Namespace, ds.Namespace)
	}
	if !selects(pm.Spec.Selector, ds.Spec.Template.Labels) || selects(pm.Spec.Selector, dep.Spec.Template.Labels) {
		t.Errorf("PodMonitor selector %v: want the agent's pods only", pm.Spec.Selector)
	}
	checkEndpoint("PodMonitor", pm.Spec.PodMetricsEndpoints, "metrics")
	// The agent alerts name the node: both monitors set it.
	for what, eps := range map[string][]monitorEndpoint{"ServiceMonitor": sm.Spec.Endpoints, "PodMonitor": pm.Spec.PodMetricsEndpoints} {
		node := false
		for _, e := range eps {
			for _, r := range e.Relabelings {
				node = node || (r.TargetLabel == "node" && len(r.SourceLabels) == 1 && r.SourceLabels[0] == "__meta_kubernetes_pod_node_name")
			}
		}
		if !node {
			t.Errorf("%s: no relabeling of __meta_kubernetes_pod_node_name to node", what)
		}
	}
}

package examples_test

import (
	"os"
	"slices"
	"strings"
	"testing"

	"sigs.k8s.io/yaml"
)

type ruleGroup struct {
	Name     string `json:"name"`
	Type     string `json:"type,omitempty"`
	Interval string `json:"interval,omitempty"`
	Rules    []struct {
		Alert       string            `json:"alert,omitempty"`
		Record      string            `json:"record,omitempty"`
		Expr        string            `json:"expr"`
		For         string            `json:"for,omitempty"`
		Labels      map[string]string `json:"labels,omitempty"`
		Annotations map[string]string `json:"annotations,omitempty"`
	} `json:"rules"`
}

func readStrict(t *testing.T, path string, into any) {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := yaml.UnmarshalStrict(data, into); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
}

// balanced reports whether (), {} and [] pair up outside quoted strings.
func balanced(expr string) bool {
	var stack []rune
	pairs := map[rune]rune{')': '(', '}': '{', ']': '['}
	var quote rune
	for i, r := range expr {
		switch {
		case quote != 0:
			if r == quote && (i == 0 || expr[i-1] != '\\') {
				quote = 0
			}
		case r == '"' || r == '\'' || r == '`':
			quote = r
		case r == '(' || r == '{' || r == '[':
			stack = append(stack, r)
		case pairs[r] != 0:
			if len(stack) == 0 || stack[len(stack)-1] != pairs[r] {
				return false
			}
			stack = stack[:len(stack)-1]
		}
	}
	return len(stack) == 0 && quote == 0
}

// checkRules checks what every alerting or recording rule needs and returns the alerts and
// records by name.
func checkRules(t *testing.T, file string, groups []ruleGroup) map[string]string {
	t.Helper()
	exprs := map[string]string{}
	for _, g := range groups {
		if len(g.Rules) == 0 {
			t.Errorf("%s: group %s has no rules", file, g.Name)
		}
		for _, r := range g.Rules {
			name := r.Alert + r.Record
			if (r.Alert == "") == (r.Record == "") {
				t.Errorf("%s: group %s: a rule must be an alert or a record: %+v", file, g.Name, r)
				continue
			}
			if strings.TrimSpace(r.Expr) == "" || !balanced(r.Expr) {
				t.Errorf("%s: %s: empty or unbalanced expr", file, name)
			}
			if r.Alert != "" {
				if s := r.Labels["severity"]; s != "warning" && s != "critical" {
					t.Errorf("%s: %s: severity %q", file, name, s)
				}
				if r.Annotations["summary"] == "" {
					t.Errorf("%s: %s: no summary", file, name)
				}
			}
			if _, dup := exprs[name]; dup {
				t.Errorf("%s: %s defined twice", file, name)
			}
			exprs[name] = r.Expr
		}
	}
	return exprs
}

// checkPrometheusRule reads a PrometheusRule file strictly, checks its kind
// and that its groups are named wantGroups, in order, and checks its rules
// (checkRules), whose expressions it returns by rule name.
func checkPrometheusRule(t *testing.T, path string, wantGroups []string) map[string]string {
	t.Helper()
	var pr struct {
		APIVersion string `json:"apiVersion"`
		Kind       string `json:"kind"`
		Metadata   struct {
			Name      string            `json:"name"`
			Namespace string            `json:"namespace"`
			Labels    map[string]string `json:"labels"`
		} `json:"metadata"`
		Spec struct {
			Groups []ruleGroup `json:"groups"`
		} `json:"spec"`
	}
	readStrict(t, path, &pr)
	if pr.APIVersion != "monitoring.coreos.com/v1" || pr.Kind != "PrometheusRule" {
		t.Errorf("%s is a %s %s, want a monitoring.coreos.com/v1 PrometheusRule", path, pr.APIVersion, pr.Kind)
	}
	var names []string
	for _, g := range pr.Spec.Groups {
		names = append(names, g.Name)
	}
	if !slices.Equal(names, wantGroups) {
		t.Errorf("groups %v, want %v", names, wantGroups)
	}
	return checkRules(t, path, pr.Spec.Groups)
}

func TestPrometheusRules(t *testing.T) {
	path := examplePath(t, "alerts", "prometheus-rules.yaml")
	exprs := checkPrometheusRule(t, path, []string{"k8s502.ingress", "k8s502.endpoints", "k8s502.workloads"})

	// Each alert uses the metrics it is about; the NotReady one is written the right way.
	for alert, must := range map[string][]string{
		"K8s502IngressUpstreamErrors":              {`nginx_ingress_controller_requests{status=~"502|503|504"}`},
		"K8s502ServiceWithoutReadyEndpoints":       {"kube_endpointslice_endpoints", "kube_endpointslice_labels", "kube_service_info"},
		"K8s502ServiceWithoutReadyEndpointsLegacy": {`kube_endpoint_address{ready="true"}`, "kube_service_info"},
		"K8s502ContainerCrashLooping":              {"increase(kube_pod_container_status_restarts_total", `reason="CrashLoopBackOff"`},
		"K8s502PodNotReady":                        {`kube_pod_status_ready{condition="false"}) == 1`, `phase=~"Succeeded|Failed"`},
		"K8s502DeploymentReplicasUnavailable":      {"kube_deployment_status_replicas_unavailable", "> 0"},
	} {
		expr, ok := exprs[alert]
		if !ok {
			t.Errorf("no alert %s", alert)
			continue
		}
		for _, s := range must {
			if !strings.Contains(expr, s) {
				t.Errorf("%s: expr does not contain %s", alert, s)
			}
		}
	}
	if strings.Contains(exprs["K8s502PodNotReady"], `condition="true"`) {
		t.Error(`K8s502PodNotReady uses condition="true": that also matches completed pods`)
	}
}

func TestLogsQLRules(t *testing.T) {
	path := examplePath(t, "alerts", "logsql-rules.yaml")
	var f struct {
		Groups []ruleGroup `json:"groups"`
	}
	readStrict(t, path, &f)
	var names []string
	for _, g := range f.Groups {
		names = append(names, g.Name)
		if g.Type != "vlogs" {
			t.Errorf("group %s: type %q, want vlogs", g.Name, g.Type)
		}
		if g.Interval != "5m" {
			t.Errorf("group %s: interval %q, want 5m (vmalert's time filter)", g.Name, g.Interval)
		}
	}
	if want := []string{"k8s502.records", "k8s502.causes", "k8s502.incidents"}; !slices.Equal(names, want) {
		t.Errorf("groups %v, want %v", names, want)
	}
	exprs := checkRules(t, path, f.Groups)
	for _, e := range exprs {
		if !strings.Contains(e, "| stats ") {
			t.Errorf("LogsQL rule without a stats pipe: %s", e)
		}
	}
	for name, must := range map[string][]string{
		"k8s502_failed_requests_by_cause":          {"stats by (k8s502.cause)"},
		"k8s502_failed_requests_by_target_service": {"k8s502.target.service"},
		"K8s502CauseBurst":                         {"stats by (k8s502.cause)", "| filter "},
		"k8s502_incidents_opened":                  {"event.name:=k8s502.incident", "k8s502.incident.state:=open", "k8s502.target.service, k8s502.cause"},
		"K8s502Incident":                           {"event.name:=k8s502.incident", "k8s502.incident.state:=open", "| filter "},
	} {
		expr, ok := exprs[name]
		if !ok {
			t.Errorf("no rule %s", name)
			continue
		}
		for _, s := range must {
			if !strings.Contains(expr, s) {
				t.Errorf("%s: expr does not contain %s", name, s)
			}
		}
	}
}

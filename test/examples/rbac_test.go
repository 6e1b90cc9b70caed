package examples_test

import (
	"go/ast"
	"go/parser"
	"go/token"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/k8s502/otelcol-k8s502/internal/testing/testproc"
	rbacv1 "k8s.io/api/rbac/v1"
	"sigs.k8s.io/yaml"
)

// readVerbs is what an informer needs (list, watch) plus get, which the contrib components
// document and which shows nothing list does not.
var readVerbs = []string{"get", "list", "watch"}

// correlate502Reads is what the processor's informers read
// (processor/correlate502processor/internal/kube): group/resource. When the processor
// watches something new, update examples/kubernetes/rbac.yaml, the clusterRole.rules of
// examples/helm/values-deployment.yaml and this list.
var correlate502Reads = []string{
	"/pods", "/services", "/events", "/namespaces",
	"discovery.k8s.io/endpointslices",
	"apps/deployments", "apps/replicasets",
	"networking.k8s.io/networkpolicies",
}

// k8sClusterReads is what the k8s_cluster receiver (contrib v0.151.0, watcher.go) starts
// informers for with its default metrics: group/resource.
var k8sClusterReads = []string{
	"/pods", "/nodes", "/namespaces", "/services", "/replicationcontrollers", "/resourcequotas",
	"apps/deployments", "apps/replicasets", "apps/daemonsets", "apps/statefulsets",
	"batch/jobs", "batch/cronjobs",
	"autoscaling/horizontalpodautoscalers",
}

// informerGroups maps client-go's informer factory accessors to API groups.
var informerGroups = map[string]string{
	"Core": "", "Apps": "apps", "Discovery": "discovery.k8s.io", "Networking": "networking.k8s.io",
	"Events": "events.k8s.io", "Batch": "batch", "Autoscaling": "autoscaling", "Policy": "policy",
	"Rbac": "rbac.authorization.k8s.io", "Storage": "storage.k8s.io", "Coordination": "coordination.k8s.io",
}

// typedClient matches a typed clientset's group accessor: CoreV1, AppsV1, DiscoveryV1beta1.
var typedClient = regexp.MustCompile(`^[A-Z][a-z]+V[0-9]+`)

// processorInformers reads the informers the processor starts from its source: calls of the
// form f.<Group>().<Version>().<Resource>().Informer() (or .Lister()).
func processorInformers(t *testing.T) []string {
	t.Helper()
	dir := filepath.Join(testproc.RepoRoot(t), "processor", "correlate502processor", "internal", "kube")
	files, err := filepath.Glob(filepath.Join(dir, "*.go"))
	if err != nil {
		t.Fatal(err)
	}
	fset := token.NewFileSet()
	var found []string
	for _, f := range files {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		file, err := parser.ParseFile(fset, f, nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		ast.Inspect(file, func(n ast.Node) bool {
			call, ok := n.(*ast.CallExpr)
			if !ok {
				return true
			}
			sel, ok := call.Fun.(*ast.SelectorExpr)
			if !ok {
				return true
			}
			// A typed client used directly (client.CoreV1().Pods(ns).Get...) would read too.
			if name := sel.Sel.Name; typedClient.MatchString(name) {
				t.Errorf("%s: %s() reads through the typed client; teach this test about it", fset.Position(call.Pos()), name)
			}
			if sel.Sel.Name != "Informer" && sel.Sel.Name != "Lister" {
				return true
			}
			chain := selectorChain(sel.X)
			if len(chain) < 3 {
				return true
			}
			group, ok := informerGroups[chain[len(chain)-3]]
			if !ok {
				t.Errorf("%s: informer group %s() is not known to this test", fset.Position(call.Pos()), chain[len(chain)-3])
				return true
			}
			found = append(found, group+"/"+strings.ToLower(chain[len(chain)-1]))
			return true
		})
	}
	slices.Sort(found)
	found = slices.Compact(found)
	if len(found) == 0 {
		t.Fatalf("no informers found in %s", dir)
	}
	return found
}

// selectorChain flattens a.B().C().D() into [B C D].
func selectorChain(e ast.Expr) []string {
	var names []string
	for {
		call, ok := e.(*ast.CallExpr)
		if !ok {
			break
		}
		sel, ok := call.Fun.(*ast.SelectorExpr)
		if !ok {
			break
		}
		names = append([]string{sel.Sel.Name}, names...)
		e = sel.X
	}
	return names
}

// grants flattens rules into group/resource/verb triples; resourceNames and
// nonResourceURLs are reported, not flattened.
func grants(t *testing.T, what string, rules []rbacv1.PolicyRule) []string {
	t.Helper()
	var out []string
	for _, r := range rules {
		if len(r.ResourceNames) > 0 || len(r.NonResourceURLs) > 0 {
			t.Errorf("%s: rule %v uses resourceNames or nonResourceURLs", what, r)
		}
		for _, g := range r.APIGroups {
			for _, res := range r.Resources {
				for _, v := range r.Verbs {
					out = append(out, g+"/"+res+"/"+v)
				}
			}
		}
	}
	slices.Sort(out)
	return slices.Compact(out)
}

func expand(reads []string, verbs []string) []string {
	var out []string
	for _, r := range reads {
		for _, v := range verbs {
			out = append(out, r+"/"+v)
		}
	}
	slices.Sort(out)
	return out
}

func TestProcessorInformersMatchTheExpectedReads(t *testing.T) {
	want := slices.Clone(correlate502Reads)
	slices.Sort(want)
	if got := processorInformers(t); !slices.Equal(got, want) {
		t.Errorf("correlate502 informers read %v, this test (and the RBAC in examples/) expects %v", got, want)
	}
}

func TestClusterRolesAreExactlyWhatIsRead(t *testing.T) {
	m := loadManifests(t)
	// k8s_objects: what the gateway config asks it to read.
	var objectsReads []string
	objs, _ := dig(gatewayConfig(t), "receivers", "k8s_objects", "objects").([]any)
	for _, o := range objs {
		om := o.(map[string]any)
		group, _ := om["group"].(string)
		verbs := []string{"list"}
		if om["mode"] == "watch" {
			verbs = []string{"list", "watch"}
		}
		objectsReads = append(objectsReads, expand([]string{group + "/" + om["name"].(string)}, verbs)...)
	}
	slices.Sort(objectsReads)
	if len(objectsReads) == 0 {
		t.Fatal("the gateway's k8s_objects reads nothing")
	}

	for _, c := range []struct {
		role string
		want []string
	}{
		{"otelcol-k8s502-correlate502", expand(correlate502Reads, readVerbs)},
		{"otelcol-k8s502-k8sobjects", objectsReads},
		{"otelcol-k8s502-k8scluster", expand(k8sClusterReads, readVerbs)},
	} {
		role := find[*rbacv1.ClusterRole](t, m, c.role)
		if got := grants(t, c.role, role.Rules); !slices.Equal(got, c.want) {
			t.Errorf("ClusterRole %s grants\n  %v\nwant exactly\n  %v", c.role, got, c.want)
		}
		// Bound to the gateway's ServiceAccount, and only to it.
		b := find[*rbacv1.ClusterRoleBinding](t, m, c.role)
		if b.RoleRef.Kind != "ClusterRole" || b.RoleRef.Name != c.role {
			t.Errorf("ClusterRoleBinding %s refers to %s %s", b.Name, b.RoleRef.Kind, b.RoleRef.Name)
		}
		if len(b.Subjects) != 1 || b.Subjects[0].Kind != "ServiceAccount" ||
			b.Subjects[0].Name != "otelcol-k8s502-gateway" || b.Subjects[0].Namespace != namespace {
			t.Errorf("ClusterRoleBinding %s subjects %v, want the gateway's ServiceAccount", b.Name, b.Subjects)
		}
	}
}

// The chart's ClusterRole gets correlate502's rules (which cover k8s_objects' core/v1
// events); presets.clusterMetrics adds k8s_cluster's.
func TestHelmClusterRoleRules(t *testing.T) {
	values := loadValues(t, "values-deployment.yaml")
	data, err := yaml.Marshal(dig(values, "clusterRole", "rules"))
	if err != nil {
		t.Fatal(err)
	}
	var rules []rbacv1.PolicyRule
	if err := yaml.UnmarshalStrict(data, &rules); err != nil {
		t.Fatal(err)
	}
	got := grants(t, "clusterRole.rules", rules)
	if want := expand(correlate502Reads, readVerbs); !slices.Equal(got, want) {
		t.Errorf("values-deployment.yaml clusterRole.rules grant\n  %v\nwant exactly\n  %v", got, want)
	}
	chart := chartConfig(t, values)
	objs, _ := dig(chart, "receivers", "k8s_objects", "objects").([]any)
	for _, o := range objs {
		om := o.(map[string]any)
		group, _ := om["group"].(string)
		for _, v := range []string{"list", "watch"} {
			if !slices.Contains(got, group+"/"+om["name"].(string)+"/"+v) {
				t.Errorf("clusterRole.rules do not let k8s_objects %s %s", v, om["name"])
			}
		}
	}
	if on, _ := dig(values, "presets", "clusterMetrics", "enabled").(bool); !on && dig(chart, "receivers", "k8s_cluster") != nil {
		t.Error("k8s_cluster is configured but presets.clusterMetrics (which grants its RBAC) is off")
	}
	if create, _ := dig(values, "clusterRole", "create").(bool); !create {
		t.Error("clusterRole.create is false: the rules would not be applied")
	}
	agent := loadValues(t, "values-daemonset.yaml")
	if create, _ := dig(agent, "clusterRole", "create").(bool); create {
		t.Error("the agent's chart values create a ClusterRole")
	}
}

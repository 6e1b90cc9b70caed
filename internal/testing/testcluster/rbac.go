package testcluster

import (
	"bufio"
	"bytes"
	"errors"
	"io"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/k8s502/otelcol-k8s502/internal/testing/testproc"
	rbacv1 "k8s.io/api/rbac/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
	"k8s.io/client-go/kubernetes/scheme"
	sigsyaml "sigs.k8s.io/yaml"
)

// CollectorRoleName names the ClusterRole and ClusterRoleBinding that
// GrantCollector manages.
const CollectorRoleName = "k8s502-e2e-collector"

// FallbackRules are what the correlate502 informers read (see
// processor/correlate502processor/internal/kube), used while
// examples/kubernetes/rbac.yaml does not exist.
var FallbackRules = []rbacv1.PolicyRule{
	{APIGroups: []string{""}, Resources: []string{"pods", "services", "events", "namespaces"}, Verbs: []string{"get", "list", "watch"}},
	{APIGroups: []string{"discovery.k8s.io"}, Resources: []string{"endpointslices"}, Verbs: []string{"get", "list", "watch"}},
	{APIGroups: []string{"apps"}, Resources: []string{"deployments", "replicasets"}, Verbs: []string{"get", "list", "watch"}},
	{APIGroups: []string{"networking.k8s.io"}, Resources: []string{"networkpolicies"}, Verbs: []string{"get", "list", "watch"}},
}

// CollectorRules are the rules of the ClusterRoles named (all when none are)
// in the repository's examples/kubernetes/rbac.yaml — what users deploy — or
// FallbackRules while that file does not exist.
func CollectorRules(t testing.TB, names ...string) []rbacv1.PolicyRule {
	t.Helper()
	path := filepath.Join(testproc.RepoRoot(t), "examples", "kubernetes", "rbac.yaml")
	b, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		t.Logf("%s not found: using testcluster.FallbackRules", path)
		return FallbackRules
	}
	if err != nil {
		t.Fatal(err)
	}
	var rules []rbacv1.PolicyRule
	r := utilyaml.NewYAMLReader(bufio.NewReader(bytes.NewReader(b)))
	for {
		doc, err := r.Read()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		var tm metav1.TypeMeta
		if err := sigsyaml.Unmarshal(doc, &tm); err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		if tm.Kind == "" { // only comments
			continue
		}
		obj, _, err := scheme.Codecs.UniversalDeserializer().Decode(doc, nil, nil)
		if err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		if cr, ok := obj.(*rbacv1.ClusterRole); ok && (len(names) == 0 || slices.Contains(names, cr.Name)) {
			rules = append(rules, cr.Rules...)
		}
	}
	if len(rules) == 0 {
		t.Fatalf("%s holds no rules for ClusterRoles %v", path, names)
	}
	t.Logf("using the rules of ClusterRoles %v in %s", names, path)
	return rules
}

// GrantCollector makes rules the collector identity's only permissions
// beyond what every authenticated user has, replacing an earlier grant.
func (c *Cluster) GrantCollector(t testing.TB, rules []rbacv1.PolicyRule) {
	t.Helper()
	ctx := t.Context()
	admin := c.AdminClient(t)
	roles := admin.RbacV1().ClusterRoles()
	role, err := roles.Get(ctx, CollectorRoleName, metav1.GetOptions{})
	switch {
	case apierrors.IsNotFound(err):
		role = &rbacv1.ClusterRole{ObjectMeta: metav1.ObjectMeta{Name: CollectorRoleName}, Rules: rules}
		if _, err := roles.Create(ctx, role, metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
		_, err = admin.RbacV1().ClusterRoleBindings().Create(ctx, &rbacv1.ClusterRoleBinding{
			ObjectMeta: metav1.ObjectMeta{Name: CollectorRoleName},
			RoleRef:    rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "ClusterRole", Name: CollectorRoleName},
			Subjects:   []rbacv1.Subject{{APIGroup: rbacv1.GroupName, Kind: rbacv1.UserKind, Name: CollectorUser}},
		}, metav1.CreateOptions{})
	case err == nil:
		role.Rules = rules
		_, err = roles.Update(ctx, role, metav1.UpdateOptions{})
	}
	if err != nil {
		t.Fatal(err)
	}
}

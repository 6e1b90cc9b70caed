//go:build e2e

package e2e

import (
	"sort"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	authorizationv1 "k8s.io/api/authorization/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"

	"github.com/k8s502/otelcol-k8s502/internal/testing/testcluster"
)

// manifestNS is the namespace examples/kubernetes/*.yaml install into.
const manifestNS = "k8s502"

// applyExamples creates every object of examples/kubernetes/*.yaml in the API
// server as the admin, with strict server-side field validation, and
// returns them.
func applyExamples(t *testing.T, c *testcluster.Cluster) []*unstructured.Unstructured {
	t.Helper()
	objs := testcluster.ExampleObjects(t)
	c.CreateObjects(t, objs)
	return objs
}

// serviceAccountOf is spec.template.spec.serviceAccountName of the one
// object of kind in objs.
func serviceAccountOf(t *testing.T, objs []*unstructured.Unstructured, kind string) string {
	t.Helper()
	var names []string
	for _, u := range objs {
		if u.GetKind() == kind {
			sa, _, err := unstructured.NestedString(u.Object, "spec", "template", "spec", "serviceAccountName")
			require.NoError(t, err)
			names = append(names, sa)
		}
	}
	require.Len(t, names, 1, "%ss in examples/kubernetes", kind)
	require.NotEmpty(t, names[0], "%s without serviceAccountName", kind)
	return names[0]
}

type access struct {
	verb, group, resource, subresource string
}

func (a access) String() string {
	r := a.resource
	if a.subresource != "" {
		r += "/" + a.subresource
	}
	if a.group != "" {
		r += "." + a.group
	}
	return a.verb + " " + r
}

// allowedAs asks the API server, as the impersonated user, whether it may do a
// (cluster-wide).
func allowedAs(t *testing.T, cs kubernetes.Interface, a access) bool {
	t.Helper()
	r, err := cs.AuthorizationV1().SelfSubjectAccessReviews().Create(t.Context(), &authorizationv1.SelfSubjectAccessReview{
		Spec: authorizationv1.SelfSubjectAccessReviewSpec{ResourceAttributes: &authorizationv1.ResourceAttributes{
			Verb: a.verb, Group: a.group, Resource: a.resource, Subresource: a.subresource,
		}},
	}, metav1.CreateOptions{})
	require.NoError(t, err, "SelfSubjectAccessReview %s", a)
	return r.Status.Allowed
}

func impersonated(t *testing.T, c *testcluster.Cluster, sa string) kubernetes.Interface {
	t.Helper()
	rc := rest.CopyConfig(c.Admin)
	rc.Impersonate = rest.ImpersonationConfig{UserName: "system:serviceaccount:" + manifestNS + ":" + sa}
	rc.QPS, rc.Burst = 1000, 1000 // a few hundred reviews; client-go's default 5/s would take a minute
	cs, err := kubernetes.NewForConfig(rc)
	require.NoError(t, err)
	return cs
}

// The shipped manifests are valid for a real API server (strict field
// validation), and rbac.yaml gives the gateway's ServiceAccount exactly the
// read access its components need and the agent's none.
func TestExampleManifests(t *testing.T) {
	c := testcluster.Start(t)
	objs := applyExamples(t, c)
	var kinds []string
	for _, u := range objs {
		kinds = append(kinds, u.GetKind()+" "+u.GetName())
	}
	sort.Strings(kinds)
	t.Logf("created %d objects: %s", len(objs), strings.Join(kinds, ", "))

	gatewaySA := serviceAccountOf(t, objs, "Deployment")
	agentSA := serviceAccountOf(t, objs, "DaemonSet")
	require.NotEqual(t, gatewaySA, agentSA)

	read := func(group string, resources ...string) []access {
		var out []access
		for _, r := range resources {
			for _, v := range []string{"get", "list", "watch"} {
				out = append(out, access{verb: v, group: group, resource: r})
			}
		}
		return out
	}
	write := func(group string, resources ...string) []access {
		var out []access
		for _, r := range resources {
			for _, v := range []string{"create", "update", "patch", "delete", "deletecollection"} {
				out = append(out, access{verb: v, group: group, resource: r})
			}
		}
		return out
	}
	// correlate502's informers (and k8s_objects' events).
	var allowed []access
	allowed = append(allowed, read("", "pods", "services", "events", "namespaces")...)
	allowed = append(allowed, read("discovery.k8s.io", "endpointslices")...)
	allowed = append(allowed, read("apps", "deployments", "replicasets")...)
	allowed = append(allowed, read("networking.k8s.io", "networkpolicies")...)
	// k8s_cluster's informers.
	allowed = append(allowed, read("", "nodes", "replicationcontrollers", "resourcequotas")...)
	allowed = append(allowed, read("apps", "daemonsets", "statefulsets")...)
	allowed = append(allowed, read("batch", "jobs", "cronjobs")...)
	allowed = append(allowed, read("autoscaling", "horizontalpodautoscalers")...)

	denied := []access{
		{verb: "get", resource: "secrets"},
		{verb: "list", resource: "secrets"},
		{verb: "list", resource: "configmaps"},
		{verb: "get", resource: "configmaps"},
		{verb: "create", resource: "pods"},
		{verb: "get", resource: "pods", subresource: "log"},
		{verb: "create", resource: "pods", subresource: "exec"},
		{verb: "create", resource: "serviceaccounts", subresource: "token"},
		{verb: "impersonate", resource: "users"},
		{verb: "list", group: "rbac.authorization.k8s.io", resource: "clusterroles"},
		{verb: "*", group: "*", resource: "*"},
	}
	denied = append(denied, write("", "pods", "services", "events", "namespaces")...)
	denied = append(denied, write("discovery.k8s.io", "endpointslices")...)
	denied = append(denied, write("apps", "deployments", "replicasets")...)
	denied = append(denied, write("networking.k8s.io", "networkpolicies")...)

	t.Run("gateway", func(t *testing.T) {
		cs := impersonated(t, c, gatewaySA)
		for _, a := range allowed {
			assert.True(t, allowedAs(t, cs, a), "%s: %s denied", gatewaySA, a)
		}
		for _, a := range denied {
			assert.False(t, allowedAs(t, cs, a), "%s: %s allowed", gatewaySA, a)
		}
	})
	t.Run("agent", func(t *testing.T) {
		cs := impersonated(t, c, agentSA)
		for _, a := range append(append([]access{}, allowed...), denied...) {
			assert.False(t, allowedAs(t, cs, a), "%s: %s allowed", agentSA, a)
		}
	})
}

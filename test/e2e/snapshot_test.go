//go:build e2e

package e2e

import (
	"os"
	"testing"

	"github.com/stretchr/testify/require"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/rest"
	"sigs.k8s.io/yaml"
)

// resources maps the kinds of a `kubectl get -o yaml` snapshot to their API
// resources, in the order they are created.
var resources = []struct {
	kind string
	gvr  schema.GroupVersionResource
}{
	{"Namespace", schema.GroupVersionResource{Version: "v1", Resource: "namespaces"}},
	{"Deployment", schema.GroupVersionResource{Group: "apps", Version: "v1", Resource: "deployments"}},
	{"ReplicaSet", schema.GroupVersionResource{Group: "apps", Version: "v1", Resource: "replicasets"}},
	{"Service", schema.GroupVersionResource{Version: "v1", Resource: "services"}},
	{"Pod", schema.GroupVersionResource{Version: "v1", Resource: "pods"}},
	{"EndpointSlice", schema.GroupVersionResource{Group: "discovery.k8s.io", Version: "v1", Resource: "endpointslices"}},
	{"NetworkPolicy", schema.GroupVersionResource{Group: "networking.k8s.io", Version: "v1", Resource: "networkpolicies"}},
	{"Event", schema.GroupVersionResource{Version: "v1", Resource: "events"}},
}

// applySnapshot creates the objects of a snapshot file with the admin
// identity and writes their statuses, as the controllers and kubelets that
// this cluster lacks would. The server assigns new uids, resourceVersions
// and creation times; timestamps inside statuses and events are kept.
// Objects the API server rejects (the demo's EndpointSlices list loopback
// addresses, which validation refuses) are logged and skipped.
// It returns how many objects of each kind it created (and rejected).
func applySnapshot(t *testing.T, admin *rest.Config, path string) map[string]int {
	t.Helper()
	b, err := os.ReadFile(path)
	require.NoError(t, err)
	var list unstructured.UnstructuredList
	j, err := yaml.YAMLToJSON(b)
	require.NoError(t, err)
	require.NoError(t, list.UnmarshalJSON(j))
	rc := rest.CopyConfig(admin)
	rc.QPS, rc.Burst = 500, 1000
	dc, err := dynamic.NewForConfig(rc)
	require.NoError(t, err)

	ctx := t.Context()
	created := map[string]int{}
	for _, r := range resources {
		for i := range list.Items {
			obj := list.Items[i].DeepCopy()
			if obj.GetKind() != r.kind {
				continue
			}
			status, hasStatus := obj.Object["status"]
			for _, f := range []string{"uid", "resourceVersion", "creationTimestamp", "managedFields", "generation", "selfLink"} {
				unstructured.RemoveNestedField(obj.Object, "metadata", f)
			}
			ri := dc.Resource(r.gvr).Namespace(obj.GetNamespace())
			if r.kind == "Namespace" {
				ri = dc.Resource(r.gvr)
			}
			out, err := ri.Create(ctx, obj, metav1.CreateOptions{})
			if apierrors.IsInvalid(err) {
				if created["rejected "+r.kind]++; created["rejected "+r.kind] == 1 {
					t.Logf("rejected (and any like it): %v", err)
				}
				continue
			}
			require.NoError(t, err, "create %s %s/%s", r.kind, obj.GetNamespace(), obj.GetName())
			if hasStatus && r.kind != "Namespace" {
				out.Object["status"] = status
				_, err = ri.UpdateStatus(ctx, out, metav1.UpdateOptions{})
				require.NoError(t, err, "status of %s %s/%s", r.kind, obj.GetNamespace(), obj.GetName())
			}
			created[r.kind]++
		}
	}
	return created
}

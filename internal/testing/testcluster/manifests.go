package testcluster

import (
	"bufio"
	"bytes"
	"errors"
	"io"
	"os"
	"path/filepath"
	"testing"

	"github.com/k8s502/otelcol-k8s502/internal/testing/testproc"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
	"k8s.io/client-go/discovery/cached/memory"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/restmapper"
	sigsyaml "sigs.k8s.io/yaml"
)

// ExampleObjects decodes every object in examples/kubernetes/*.yaml, in
// file order, namespaces first (as `kubectl apply -f` needs them).
func ExampleObjects(t testing.TB) []*unstructured.Unstructured {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(testproc.RepoRoot(t), "examples", "kubernetes", "*.yaml"))
	if err != nil || len(files) == 0 {
		t.Fatalf("examples/kubernetes/*.yaml: %v (%d files)", err, len(files))
	}
	var nss, others []*unstructured.Unstructured
	for _, f := range files {
		for _, u := range DecodeManifest(t, f) {
			if u.GetKind() == "" {
				t.Fatalf("%s: object without kind", f)
			}
			if u.GetKind() == "Namespace" {
				nss = append(nss, u)
			} else {
				others = append(others, u)
			}
		}
	}
	return append(nss, others...)
}

// DecodeManifest decodes every object in the multi-document YAML file at
// path, in order; documents holding only comments are left out.
func DecodeManifest(t testing.TB, path string) []*unstructured.Unstructured {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var objs []*unstructured.Unstructured
	r := utilyaml.NewYAMLReader(bufio.NewReader(bytes.NewReader(b)))
	for {
		doc, err := r.Read()
		if errors.Is(err, io.EOF) {
			return objs
		}
		if err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		var m map[string]any
		if err := sigsyaml.Unmarshal(doc, &m); err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		if len(m) > 0 {
			objs = append(objs, &unstructured.Unstructured{Object: m})
		}
	}
}

// CreateObjects creates objs in the API server as the admin, in order, with
// strict server-side field validation.
func (c *Cluster) CreateObjects(t testing.TB, objs []*unstructured.Unstructured) {
	t.Helper()
	dc, err := dynamic.NewForConfig(rest.CopyConfig(c.Admin))
	if err != nil {
		t.Fatal(err)
	}
	mapper := restmapper.NewDeferredDiscoveryRESTMapper(memory.NewMemCacheClient(c.AdminClient(t).Discovery()))
	for _, u := range objs {
		gvk := u.GroupVersionKind()
		m, err := mapper.RESTMapping(gvk.GroupKind(), gvk.Version)
		if err != nil {
			t.Fatalf("%s: no such kind in the API server: %v", gvk, err)
		}
		var ri dynamic.ResourceInterface = dc.Resource(m.Resource)
		if m.Scope.Name() == "namespace" {
			ri = dc.Resource(m.Resource).Namespace(u.GetNamespace())
		}
		if _, err := ri.Create(t.Context(), u, metav1.CreateOptions{FieldValidation: metav1.FieldValidationStrict}); err != nil {
			t.Fatalf("create %s %s/%s: %v", gvk.Kind, u.GetNamespace(), u.GetName(), err)
		}
	}
}

//go:build e2e

package e2e

import (
	"bufio"
	"bytes"
	"io"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
	"k8s.io/client-go/discovery/cached/memory"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/restmapper"
	sigsyaml "sigs.k8s.io/yaml"

	"github.com/k8s502/otelcol-k8s502/internal/testing/testcluster"
	"github.com/k8s502/otelcol-k8s502/internal/testing/testproc"
)

// yamlObjects decodes the Kubernetes objects of a YAML file; documents without
// a kind (a vmalert rule file) are skipped.
func yamlObjects(t *testing.T, path string) []*unstructured.Unstructured {
	t.Helper()
	b, err := os.ReadFile(path)
	require.NoError(t, err)
	var out []*unstructured.Unstructured
	r := utilyaml.NewYAMLReader(bufio.NewReader(bytes.NewReader(b)))
	for {
		doc, err := r.Read()
		if err == io.EOF {
			return out
		}
		require.NoError(t, err, path)
		var m map[string]any
		require.NoError(t, sigsyaml.Unmarshal(doc, &m), path)
		if u := (&unstructured.Unstructured{Object: m}); len(m) > 0 && u.GetKind() != "" {
			out = append(out, u)
		}
	}
}

// TestMonitoringManifests: examples/kubernetes/monitoring/*.yaml (the
// ServiceMonitor and PodMonitor) and every PrometheusRule of examples/alerts
// are accepted by a real API server serving the Prometheus Operator's CRDs
// (testdata/prometheus-operator), with strict field validation, in the
// namespace examples/kubernetes creates. A field the CRD does not know is
// refused, so the check is not vacuous.
func TestMonitoringManifests(t *testing.T) {
	c := testcluster.Start(t)
	ctx := t.Context()
	applyExamples(t, c)
	dc, err := dynamic.NewForConfig(rest.CopyConfig(c.Admin))
	require.NoError(t, err)

	crds, err := filepath.Glob(filepath.Join("testdata", "prometheus-operator", "*.yaml"))
	require.NoError(t, err)
	require.Len(t, crds, 3)
	crdRes := schema.GroupVersionResource{Group: "apiextensions.k8s.io", Version: "v1", Resource: "customresourcedefinitions"}
	var names []string
	for _, f := range crds {
		for _, u := range yamlObjects(t, f) {
			_, err := dc.Resource(crdRes).Create(ctx, u, metav1.CreateOptions{})
			require.NoError(t, err, f)
			names = append(names, u.GetName())
		}
	}
	for _, n := range names {
		require.Eventually(t, func() bool {
			u, err := dc.Resource(crdRes).Get(ctx, n, metav1.GetOptions{})
			if err != nil {
				return false
			}
			conds, _, _ := unstructured.NestedSlice(u.Object, "status", "conditions")
			for _, c := range conds {
				cm, _ := c.(map[string]any)
				if cm["type"] == "Established" && cm["status"] == "True" {
					return true
				}
			}
			return false
		}, 30*time.Second, 100*time.Millisecond, "CRD %s not established", n)
	}

	var objs []*unstructured.Unstructured
	root := testproc.RepoRoot(t)
	monitoring, err := filepath.Glob(filepath.Join(root, "examples", "kubernetes", "monitoring", "*.yaml"))
	require.NoError(t, err)
	require.NotEmpty(t, monitoring)
	alerts, err := filepath.Glob(filepath.Join(root, "examples", "alerts", "*.yaml"))
	require.NoError(t, err)
	for _, f := range append(monitoring, alerts...) {
		objs = append(objs, yamlObjects(t, f)...)
	}
	kinds := map[string]int{}
	for _, u := range objs {
		kinds[u.GetKind()]++
	}
	require.Equal(t, 1, kinds["ServiceMonitor"], "ServiceMonitors")
	require.Equal(t, 1, kinds["PodMonitor"], "PodMonitors")
	require.GreaterOrEqual(t, kinds["PrometheusRule"], 3, "PrometheusRules in examples/alerts")

	var mapper *restmapper.DeferredDiscoveryRESTMapper
	require.Eventually(t, func() bool {
		mapper = restmapper.NewDeferredDiscoveryRESTMapper(memory.NewMemCacheClient(c.AdminClient(t).Discovery()))
		_, err := mapper.RESTMapping(schema.GroupKind{Group: "monitoring.coreos.com", Kind: "PodMonitor"}, "v1")
		return err == nil
	}, 30*time.Second, 200*time.Millisecond, "monitoring.coreos.com/v1 not served")
	create := func(u *unstructured.Unstructured) error {
		gvk := u.GroupVersionKind()
		m, err := mapper.RESTMapping(gvk.GroupKind(), gvk.Version)
		require.NoError(t, err, gvk.String())
		_, err = dc.Resource(m.Resource).Namespace(u.GetNamespace()).Create(ctx, u, metav1.CreateOptions{FieldValidation: metav1.FieldValidationStrict})
		return err
	}
	for _, u := range objs {
		require.Equal(t, manifestNS, u.GetNamespace(), "%s %s", u.GetKind(), u.GetName())
		require.NoError(t, create(u), "create %s %s/%s", u.GetKind(), u.GetNamespace(), u.GetName())
		t.Logf("created %s %s/%s", u.GetKind(), u.GetNamespace(), u.GetName())
	}

	// Strict validation bites on these kinds: a misspelt field is refused.
	bad := yamlObjects(t, monitoring[0])[0].DeepCopy()
	bad.SetName(bad.GetName() + "-typo")
	require.NoError(t, unstructured.SetNestedField(bad.Object, "/metrics", "spec", "metricsPath"))
	require.ErrorContains(t, create(bad), "metricsPath", "an unknown field in a %s", bad.GetKind())
}

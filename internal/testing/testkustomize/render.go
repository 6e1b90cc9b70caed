// Package testkustomize renders the shipped manifests the way a user's own
// kustomization does (`kubectl apply -k`), with kustomize's own library: the
// base, a namespace and an image set once, and one gateway component.
package testkustomize

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"sigs.k8s.io/kustomize/api/krusty"
	"sigs.k8s.io/kustomize/api/types"
	"sigs.k8s.io/kustomize/kyaml/filesys"
)

// Image is the name the shipped manifests give the collector's image.
const Image = "ghcr.io/k8s502/otelcol-k8s502"

const overlay = `apiVersion: kustomize.config.k8s.io/v1beta1
kind: Kustomization
namespace: %NAMESPACE%
resources:
  - %BASE%
images:
  - name: ghcr.io/k8s502/otelcol-k8s502
    newName: %IMAGE%
    newTag: %TAG%
components:
  - %COMPONENT%
`

// Render returns the YAML documents of base (a directory with a
// Kustomization) with component, in namespace, with image name:tag.
func Render(t testing.TB, base, component, namespace, image, tag string) [][]byte {
	t.Helper()
	dir := t.TempDir()
	// kustomize takes bases and components by relative path.
	rel := func(to string) string {
		r, err := filepath.Rel(dir, to)
		if err != nil {
			t.Fatal(err)
		}
		return r
	}
	k := strings.NewReplacer("%NAMESPACE%", namespace, "%BASE%", rel(base), "%IMAGE%", image, "%TAG%", tag, "%COMPONENT%", rel(component)).Replace(overlay)
	if err := os.WriteFile(filepath.Join(dir, "kustomization.yaml"), []byte(k), 0o600); err != nil {
		t.Fatal(err)
	}
	opts := krusty.MakeDefaultOptions()
	// The base and the component are outside the overlay's directory, as a
	// remote base would be.
	opts.LoadRestrictions = types.LoadRestrictionsNone
	resMap, err := krusty.MakeKustomizer(opts).Run(filesys.MakeFsOnDisk(), dir)
	if err != nil {
		t.Fatalf("kustomize build with %s: %v", component, err)
	}
	out, err := resMap.AsYaml()
	if err != nil {
		t.Fatal(err)
	}
	var docs [][]byte
	for _, doc := range strings.Split(string(out), "\n---\n") {
		if strings.TrimSpace(doc) != "" {
			docs = append(docs, []byte(doc))
		}
	}
	return docs
}

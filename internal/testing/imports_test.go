package testing_test

import (
	"go/parser"
	"go/token"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
)

const prefix = "github.com/k8s502/otelcol-k8s502/internal/testing/"

// base is what each base package may import from here; a harness may
// import any base package and nothing else from here.
var base = map[string][]string{
	"testcri":      nil,
	"testproc":     {"testcri"},
	"testupstream": {"testproc"},
}

// allowed is what pkg's non-test files may import from internal/testing.
func allowed(pkg string) []string {
	if deps, ok := base[pkg]; ok {
		return deps
	}
	return slices.Sorted(maps.Keys(base))
}

// TestHarnessImports fails if a harness imports another harness, or a base
// package imports more than its layer allows (doc.go states the rule).
func TestHarnessImports(t *testing.T) {
	dirs, err := os.ReadDir(".")
	if err != nil {
		t.Fatal(err)
	}
	checked := 0
	for _, d := range dirs {
		if !d.IsDir() {
			continue
		}
		pkg := d.Name()
		files, _ := filepath.Glob(filepath.Join(pkg, "*.go"))
		for _, f := range files {
			if strings.HasSuffix(f, "_test.go") {
				continue
			}
			checked++
			ast, err := parser.ParseFile(token.NewFileSet(), f, nil, parser.ImportsOnly)
			if err != nil {
				t.Fatal(err)
			}
			for _, imp := range ast.Imports {
				path, _ := strconv.Unquote(imp.Path.Value)
				dep, ok := strings.CutPrefix(path, prefix)
				if !ok {
					continue
				}
				if !slices.Contains(allowed(pkg), dep) {
					t.Errorf("%s imports %s; %s may import only %v from internal/testing (see doc.go)", f, dep, pkg, allowed(pkg))
				}
			}
		}
	}
	if checked == 0 {
		t.Fatal("no harness files found")
	}
}

// Package examples_test checks what users install: the collector configs under examples/
// validate with the built collector, the Kubernetes manifests decode into typed objects and
// are wired to each other, the RBAC rules are exactly what the components read, and the
// alert rule files have the expected shape.
package examples_test

import (
	"bufio"
	"bytes"
	"errors"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/k8s502/otelcol-k8s502/internal/testing/testproc"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/serializer"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
	"k8s.io/client-go/kubernetes/scheme"
	"sigs.k8s.io/yaml"
)

func examplePath(t *testing.T, parts ...string) string {
	t.Helper()
	return filepath.Join(append([]string{testproc.RepoRoot(t), "examples"}, parts...)...)
}

// yamlDocs reads a multi-document YAML file and returns each non-empty document as JSON.
// Duplicate keys are errors.
func yamlDocs(t *testing.T, path string) [][]byte {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	r := utilyaml.NewYAMLReader(bufio.NewReader(f))
	var docs [][]byte
	for i := 0; ; i++ {
		doc, err := r.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatalf("%s: document %d: %v", path, i, err)
		}
		js, err := yaml.YAMLToJSONStrict(doc)
		if err != nil {
			t.Fatalf("%s: document %d: %v", path, i, err)
		}
		if s := string(bytes.TrimSpace(js)); s == "null" || s == "" {
			continue // only comments or an empty document
		}
		docs = append(docs, js)
	}
	if len(docs) == 0 {
		t.Fatalf("%s: no YAML documents", path)
	}
	return docs
}

// strictDecoder decodes into client-go's typed objects and rejects unknown or duplicate
// fields.
var strictDecoder = serializer.NewCodecFactory(scheme.Scheme, serializer.EnableStrict).UniversalDeserializer()

func decodeManifests(t *testing.T, path string) []runtime.Object {
	t.Helper()
	var objs []runtime.Object
	for i, doc := range yamlDocs(t, path) {
		obj, _, err := strictDecoder.Decode(doc, nil, nil)
		if err != nil {
			t.Fatalf("%s: document %d: %v", path, i, err)
		}
		objs = append(objs, obj)
	}
	return objs
}

// parseYAMLMap parses one YAML document into a generic map.
func parseYAMLMap(t *testing.T, what string, data []byte) map[string]any {
	t.Helper()
	js, err := yaml.YAMLToJSONStrict(data)
	if err != nil {
		t.Fatalf("%s: %v", what, err)
	}
	var m map[string]any
	if err := yaml.Unmarshal(js, &m); err != nil {
		t.Fatalf("%s: %v", what, err)
	}
	return m
}

func yamlMarshal(v any) ([]byte, error) { return yaml.Marshal(v) }

// dig walks nested maps; nil when a key is missing or not a map on the way.
func dig(m map[string]any, keys ...string) any {
	var cur any = m
	for _, k := range keys {
		mm, ok := cur.(map[string]any)
		if !ok {
			return nil
		}
		cur = mm[k]
	}
	return cur
}

// envRef matches ${env:NAME} and ${env:NAME:-default}; $$ is the collector's escape.
var envRef = regexp.MustCompile(`\$\{env:([A-Za-z_][A-Za-z0-9_]*)(?::-[^}]*)?\}`)

// envRefs lists the environment variables a collector config expands.
func envRefs(config string) []string {
	config = strings.ReplaceAll(config, "$$", "")
	seen := map[string]bool{}
	for _, m := range envRef.FindAllStringSubmatch(config, -1) {
		seen[m[1]] = true
	}
	names := make([]string, 0, len(seen))
	for n := range seen {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// collectorBinary finds the built collector: $K8S502_OTELCOL_BIN, else _build/otelcol-k8s502.
// Without it the test is skipped, unless K8S502_REQUIRE_BUILD=1 (CI, after make build).
func collectorBinary(t *testing.T) string {
	t.Helper()
	return testproc.Collector(t, "K8S502_REQUIRE_BUILD")
}

// validateConfig runs `otelcol-k8s502 validate` on the config files (merged in order, as
// the collector does with several --config flags) in dir, with env added to the environment.
func validateConfig(t *testing.T, bin, dir string, env map[string]string, files ...string) {
	t.Helper()
	args := []string{"validate"}
	for _, f := range files {
		args = append(args, "--config", f)
	}
	cmd := exec.Command(bin, args...)
	cmd.Dir = dir
	cmd.Env = os.Environ()
	for k, v := range env {
		cmd.Env = append(cmd.Env, k+"="+v)
	}
	out, err := testproc.Run(cmd, 2*time.Minute)
	if err != nil {
		t.Errorf("otelcol-k8s502 %s: %v\n%s", strings.Join(args, " "), err, out)
	}
}

// writeTemp writes data to a file in the test's temporary directory.
func writeTemp(t *testing.T, name string, data []byte) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(path, data, 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

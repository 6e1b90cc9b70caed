package doctor

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// demoLog is the real ingress-nginx controller log of `make demo`.
func demoLog(t *testing.T) []byte {
	t.Helper()
	files, err := filepath.Glob("../../examples/demo/var/log/pods/*/controller/0.log")
	require.NoError(t, err)
	require.Len(t, files, 1)
	b, err := os.ReadFile(files[0])
	require.NoError(t, err)
	return b
}

// podLog writes data as kubelet lays out a container's log under root
// (a /var/log/pods stand-in) and returns the file's path.
func podLog(t *testing.T, root, ns, pod, container string, data []byte) string {
	t.Helper()
	dir := filepath.Join(root, ns+"_"+pod+"_3f5b2c1e-8a4d-4e2b-9c7f-1a2b3c4d5e6f", container)
	require.NoError(t, os.MkdirAll(dir, 0o755))
	p := filepath.Join(dir, "0.log")
	require.NoError(t, os.WriteFile(p, data, 0o644))
	return p
}

// writeConfig writes a collector config and returns its path.
func writeConfig(t *testing.T, yaml string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "config.yaml")
	require.NoError(t, os.WriteFile(p, []byte(yaml), 0o644))
	return p
}

// run runs the doctor and returns its results and printed lines.
func run(t *testing.T, o Options) ([]Result, []string) {
	t.Helper()
	var out bytes.Buffer
	o.Out = &out
	rs := Run(context.Background(), o)
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	for _, l := range lines {
		t.Log(l)
	}
	require.Len(t, lines, len(rs)+1, "one line per result and the verdict")
	return rs, lines
}

// only returns the results of the check named (e.g. "include[k8s502]").
func only(rs []Result, check string) []Result {
	var out []Result
	for _, r := range rs {
		if r.Check == check {
			out = append(out, r)
		}
	}
	return out
}

// one is the single result of check.
func one(t *testing.T, rs []Result, check string) Result {
	t.Helper()
	got := only(rs, check)
	require.Len(t, got, 1, "results of %s in %v", check, rs)
	return got[0]
}

// agentConfig is an agent's config tailing root with the k8s502 receiver,
// exporting nowhere that is checked (debug).
func agentConfig(t *testing.T, receiver string) string {
	t.Helper()
	return writeConfig(t, `
receivers:
  k8s502:
`+receiver+`
exporters:
  debug: {}
service:
  pipelines:
    logs:
      receivers: [k8s502]
      exporters: [debug]
`)
}

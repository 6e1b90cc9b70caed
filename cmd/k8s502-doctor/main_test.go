package main

import (
	"bytes"
	"context"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func invoke(args ...string) (int, string, string) {
	var out, errs bytes.Buffer
	code := run(context.Background(), args, &out, &errs)
	return code, out.String(), errs.String()
}

// The demo config against the demo log: no FAIL (WARNs for the banner, the
// unset metrics port and the debug-only exporter), exit 0. Without the
// variable naming the logs the include FAILs: exit 1, or 0 with
// --exit-zero; the verdict line is last either way.
func TestExitStatus(t *testing.T) {
	t.Chdir("../..") // the demo config names its snapshot from the repository root
	t.Setenv("DEMO_LOGS", "examples/demo/var/log/pods")
	code, out, _ := invoke("--config", "examples/demo/config.yaml")
	assert.Equal(t, 0, code, out)
	lines := strings.Split(strings.TrimSpace(out), "\n")
	assert.Equal(t, "WARN verdict: 2 PASS, 3 WARN, 0 FAIL", lines[len(lines)-1])

	t.Setenv("DEMO_LOGS", filepath.Join(t.TempDir(), "pods"))
	code, out, _ = invoke("--config=examples/demo/config.yaml")
	assert.Equal(t, 1, code, out)
	assert.Contains(t, out, "FAIL include[k8s502]: ")
	code, out, _ = invoke("--config", "examples/demo/config.yaml", "--exit-zero")
	assert.Equal(t, 0, code, out)
	assert.True(t, strings.HasSuffix(strings.TrimSpace(out), "FAIL verdict: 1 PASS, 2 WARN, 1 FAIL"), out)
}

func TestUsage(t *testing.T) {
	code, _, errs := invoke()
	assert.Equal(t, 2, code)
	assert.Contains(t, errs, "--config is required")
	code, _, _ = invoke("--config", "x.yaml", "extra")
	assert.Equal(t, 2, code)
	code, _, _ = invoke("--bogus")
	assert.Equal(t, 2, code)
	code, _, errs = invoke("-h")
	assert.Equal(t, 0, code)
	require.Contains(t, errs, "-no-send")
}

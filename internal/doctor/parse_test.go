package doctor

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func parse(t *testing.T, receiver string, o Options) Result {
	t.Helper()
	o.Configs, o.NoSend = []string{agentConfig(t, receiver)}, true
	rs, _ := run(t, o)
	return one(t, rs, "parse[k8s502]")
}

// The whole demo log: its access and error lines are recognized, the
// klog lines are other, and the 8 stdout lines of the startup banner do
// not parse (the receiver counts them as failed access lines too): WARN,
// with the first one quoted. Its newest 100 lines are all traffic: PASS.
func TestParseDemoLog(t *testing.T) {
	root, _ := node(t)
	inc := "    include: [" + root + "/ingress-nginx_*/controller/*.log]"
	r := parse(t, inc, Options{})
	assert.Equal(t, Warn, r.Status)
	assert.Contains(t, r.Detail, "191 newest lines of 1 file read (format ingress-nginx): 169 recognized as the gateway's access/error lines, 8 failed to parse, 14 other (controller/klog output); 51 records")
	assert.Contains(t, r.Detail, `first failure: sample line 1 does not match log_format: "2026-11-25T08:46:50.978763584Z stdout F ----`)

	r = parse(t, inc, Options{SampleLines: 100})
	assert.Equal(t, Pass, r.Status)
	assert.Contains(t, r.Detail, "100 newest lines of 1 file read (format ingress-nginx): ")
	assert.Contains(t, r.Detail, " 0 failed to parse")
}

// A log_format other than the controller's: every access line fails, more
// lines fail than parse: FAIL, pointing at format and log_format.
func TestParseWrongLogFormat(t *testing.T) {
	root, _ := node(t)
	r := parse(t, "    include: ["+root+"/ingress-nginx_*/controller/*.log]\n    log_format: '[$time_local] $remote_addr \"$request\" $status'", Options{})
	assert.Equal(t, Fail, r.Status)
	assert.Contains(t, r.Detail, "format ingress-nginx with the configured log_format")
	assert.Contains(t, r.Detail, "96 recognized as the gateway's access/error lines, 81 failed to parse")
	assert.Contains(t, r.Detail, "check format and log_format")
}

// Lines of another proxy, or no container framing where CRI is set:
// nothing is recognized.
func TestParseUnparsable(t *testing.T) {
	root := t.TempDir()
	traefik, err := os.ReadFile(firstFile(t, "../../receiver/k8s502receiver/testdata/traefik/json/var/log/pods/*/traefik/0.log"))
	require.NoError(t, err)
	podLog(t, root, "ingress-nginx", "ingress-nginx-controller-7d9f8b6c5d-x2x4z", "controller", traefik)
	r := parse(t, "    include: ["+root+"/*/*/*.log]", Options{})
	assert.Equal(t, Fail, r.Status)
	assert.Contains(t, r.Detail, "does not match log_format")

	// The same lines with the right format parse.
	r = parse(t, "    include: ["+root+"/*/*/*.log]\n    format: traefik", Options{})
	assert.Equal(t, Pass, r.Status, r.Detail)

	garbage := bytes.Repeat([]byte("this is not a container log line\n"), 5)
	p := podLog(t, root, "ingress-nginx", "ingress-nginx-controller-7d9f8b6c5d-x2x4z", "controller", garbage)
	r = parse(t, "    include: ["+p+"]\n    wrapper: cri", Options{})
	assert.Equal(t, Fail, r.Status)
	assert.Contains(t, r.Detail, "5 newest lines of 1 file read (format ingress-nginx): 0 recognized as the gateway's access/error lines, 5 failed to parse")
	assert.Contains(t, r.Detail, "broken container framing (wrapper cri)")
}

// An empty log (no traffic yet) is a WARN, not a verdict on the format.
func TestParseEmpty(t *testing.T) {
	root := t.TempDir()
	podLog(t, root, "ingress-nginx", "ingress-nginx-controller-7d9f8b6c5d-x2x4z", "controller", nil)
	r := parse(t, "    include: ["+root+"/*/*/*.log]", Options{})
	assert.Equal(t, Warn, r.Status)
	assert.Contains(t, r.Detail, "empty")
}

// Only the newest files are sampled, and the first failure names its file
// when there are several.
func TestParseNewestFiles(t *testing.T) {
	root := t.TempDir()
	demo := demoLog(t)
	var paths []string
	for i := range 4 {
		p := podLog(t, root, "ingress-nginx", fmt.Sprintf("ingress-nginx-controller-7d9f8b6c5d-pod%d", i), "controller", demo)
		paths = append(paths, p)
	}
	r := parse(t, "    include: ["+root+"/*/*/*.log]", Options{SampleFiles: 2})
	assert.Equal(t, Warn, r.Status)
	assert.Contains(t, r.Detail, "382 newest lines of 2 files read")
	assert.Contains(t, r.Detail, "first failure: in "+root)
}

func TestTail(t *testing.T) {
	p := filepath.Join(t.TempDir(), "0.log")
	var b strings.Builder
	for i := range 100000 {
		fmt.Fprintf(&b, "line %d\n", i)
	}
	b.WriteString("still being writ")
	require.NoError(t, os.WriteFile(p, []byte(b.String()), 0o644))
	lines, err := tail(p, 3)
	require.NoError(t, err)
	assert.Equal(t, []string{"line 99997", "line 99998", "line 99999"}, strs(lines), "the unfinished line is left")

	lines, err = tail(p, 200000)
	require.NoError(t, err)
	assert.Len(t, lines, 100000)
	assert.Equal(t, "line 0", string(lines[0]))

	require.NoError(t, os.WriteFile(p, []byte("no newline"), 0o644))
	lines, err = tail(p, 3)
	require.NoError(t, err)
	assert.Empty(t, lines)
}

func strs(bs [][]byte) []string {
	out := make([]string, len(bs))
	for i, b := range bs {
		out[i] = string(b)
	}
	return out
}

func firstFile(t *testing.T, pattern string) string {
	t.Helper()
	m, err := filepath.Glob(pattern)
	require.NoError(t, err)
	require.NotEmpty(t, m, pattern)
	return m[0]
}

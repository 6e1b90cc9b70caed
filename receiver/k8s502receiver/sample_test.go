package k8s502receiver

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// fixtureLines reads every line of the one file matching pattern under the
// repository's fixtures.
func fixtureLines(t *testing.T, pattern string) (string, [][]byte) {
	t.Helper()
	files, err := filepath.Glob(pattern)
	require.NoError(t, err)
	require.Len(t, files, 1, pattern)
	b, err := os.ReadFile(files[0])
	require.NoError(t, err)
	return files[0], bytes.Split(bytes.TrimSuffix(b, []byte("\n")), []byte("\n"))
}

func sampleConfig(t *testing.T, format, logFormat string) *Config {
	t.Helper()
	c := createDefaultConfig().(*Config)
	c.Format, c.LogFormat = format, logFormat
	c.Include = []string{"/x/*.log"}
	require.NoError(t, c.Validate())
	return c
}

// The demo's real ingress-nginx log: every access and nginx error line is
// recognized, the controller's klog lines are other, the startup banner's
// stdout lines fail (the receiver counts them as access lines that do not
// match, as in the collector), and the failed requests become records.
func TestParseSampleIngressNginx(t *testing.T) {
	path, lines := fixtureLines(t, "../../examples/demo/var/log/pods/*/controller/0.log")
	got, err := sampleConfig(t, "ingress-nginx", "").ParseSample(path, lines)
	require.NoError(t, err)
	t.Logf("%+v", got)
	assert.Equal(t, len(lines), got.Lines)
	assert.Equal(t, got.Lines, got.Recognized+got.Failed+got.Other+got.Partial)
	assert.Equal(t, 8, got.Failed, "the banner's 8 stdout lines")
	assert.Contains(t, got.FirstFailure, "sample line 1 does not match log_format")
	assert.Positive(t, got.Other, "klog lines")
	assert.Greater(t, got.Recognized, 150)
	assert.GreaterOrEqual(t, got.Records, 51, "the demo's 51 failed requests, plus rescued and truncated ones")
}

// A log_format that is not the one the controller writes: no access line
// parses; the nginx error lines (stderr) still do.
func TestParseSampleWrongLogFormat(t *testing.T) {
	path, lines := fixtureLines(t, "../../examples/demo/var/log/pods/*/controller/0.log")
	right, err := sampleConfig(t, "ingress-nginx", "").ParseSample(path, lines)
	require.NoError(t, err)
	got, err := sampleConfig(t, "ingress-nginx", `[$time_local] $remote_addr "$request" $status`).ParseSample(path, lines)
	require.NoError(t, err)
	t.Logf("%+v", got)
	stdout := 0
	for _, l := range lines {
		if bytes.Contains(l, []byte(" stdout ")) {
			stdout++
		}
	}
	assert.Equal(t, stdout, got.Failed, "every stdout line: the banner and all access lines")
	assert.Equal(t, stdout, got.StdoutFailed)
	assert.Zero(t, got.StdoutRecognized)
	assert.Equal(t, stdout-right.Failed, right.StdoutRecognized, "the access lines, read right")
	assert.Equal(t, right.Recognized-(stdout-right.Failed), got.Recognized, "the error lines only")
	assert.Contains(t, got.FirstFailure, "does not match log_format")
}

// Other gateways go through their own parsers: Traefik's JSON and
// HAProxy's captures parse without a failure; read with the wrong format
// they do not.
func TestParseSampleOtherGateways(t *testing.T) {
	for _, c := range []struct{ format, pattern string }{
		{"traefik", "testdata/traefik/json/var/log/pods/*/traefik/0.log"},
		{"haproxy", "testdata/haproxy/haproxytech/var/log/pods/*/*/0.log"},
	} {
		t.Run(c.format, func(t *testing.T) {
			path, lines := fixtureLines(t, c.pattern)
			got, err := sampleConfig(t, c.format, "").ParseSample(path, lines)
			require.NoError(t, err)
			t.Logf("%+v", got)
			assert.Zero(t, got.Failed, got.FirstFailure)
			assert.Positive(t, got.Recognized)
			assert.Positive(t, got.Records)

			wrong, err := sampleConfig(t, "ingress-nginx", "").ParseSample(path, lines)
			require.NoError(t, err)
			assert.Greater(t, wrong.Failed, wrong.Recognized, "%+v", wrong)
		})
	}
}

// Lines without container framing where CRI is configured fail as framing.
func TestParseSampleBrokenFraming(t *testing.T) {
	c := sampleConfig(t, "ingress-nginx", "")
	c.Wrapper = "cri"
	got, err := c.ParseSample("/x/0.log", [][]byte{[]byte("not a CRI line")})
	require.NoError(t, err)
	assert.Equal(t, 1, got.Failed)
	assert.Contains(t, got.FirstFailure, "broken container framing (wrapper cri)")
}

func TestIncludePatterns(t *testing.T) {
	c := createDefaultConfig().(*Config)
	assert.Equal(t, []string{"/var/log/pods/ingress-nginx_*/controller/*.log"}, c.IncludePatterns())
	c.Include = []string{"/logs/*.log"}
	assert.Equal(t, []string{"/logs/*.log"}, c.IncludePatterns(), "no rotated-file patterns added")
}

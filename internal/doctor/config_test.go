package doctor

import (
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// ${env:VAR}, ${VAR} and ${env:VAR:-default} expand as in the collector; an
// unset variable without default is a WARN naming it.
func TestConfigEnvExpansion(t *testing.T) {
	root := t.TempDir()
	podLog(t, root, "ingress-nginx", "ingress-nginx-controller-7d9f8b6c5d-x2x4z", "controller", demoLog(t))
	t.Setenv("DOCTOR_TEST_LOGS", root)
	for _, include := range []string{
		`["${env:DOCTOR_TEST_LOGS}/ingress-nginx_*/controller/*.log"]`,
		`["${DOCTOR_TEST_LOGS}/ingress-nginx_*/controller/*.log"]`,
		`["${env:DOCTOR_TEST_UNSET:-` + root + `}/ingress-nginx_*/controller/*.log"]`,
	} {
		rs, _ := run(t, Options{Configs: []string{agentConfig(t, "    include: "+include)}})
		assert.Equal(t, Pass, one(t, rs, "include[k8s502]").Status, include)
		assert.Empty(t, only(rs, "config"), "no unset variable")
	}

	rs, _ := run(t, Options{Configs: []string{agentConfig(t, `    include: ["${env:DOCTOR_TEST_UNSET}/x/*.log"]`)}})
	c := one(t, rs, "config")
	assert.Equal(t, Warn, c.Status)
	assert.Contains(t, c.Detail, "${env:DOCTOR_TEST_UNSET} is not set")
	assert.Equal(t, Fail, one(t, rs, "include[k8s502]").Status)
}

// Several --config files merge in order, as the collector's do: the second
// one's include wins.
func TestConfigMerge(t *testing.T) {
	root := t.TempDir()
	podLog(t, root, "ingress-nginx", "ingress-nginx-controller-7d9f8b6c5d-x2x4z", "controller", demoLog(t))
	base := agentConfig(t, `    include: ["/nowhere/*.log"]`)
	override := writeConfig(t, "receivers:\n  k8s502:\n    include: ["+filepath.Join(root, "*", "controller", "*.log")+"]\n")
	rs, _ := run(t, Options{Configs: []string{base}})
	assert.Equal(t, Fail, one(t, rs, "include[k8s502]").Status)
	rs, _ = run(t, Options{Configs: []string{base, override}})
	assert.Equal(t, Pass, one(t, rs, "include[k8s502]").Status)
}

// A config the receiver refuses is a FAIL naming the key, not a crash; a
// file that cannot be read fails the whole run.
func TestConfigErrors(t *testing.T) {
	rs, lines := run(t, Options{Configs: []string{agentConfig(t, "    include: [/x/*.log]\n    format: nginxx")}})
	c := one(t, rs, "config[k8s502]")
	assert.Equal(t, Fail, c.Status)
	assert.Contains(t, c.Detail, `format: "nginxx" is not a supported gateway`)
	assert.Equal(t, "FAIL verdict: 0 PASS, 1 WARN, 1 FAIL", lines[len(lines)-1])
	assert.True(t, Failed(rs))

	rs, _ = run(t, Options{Configs: []string{filepath.Join(t.TempDir(), "missing.yaml")}})
	require.Len(t, rs, 1)
	assert.Equal(t, Fail, rs[0].Status)
	assert.Equal(t, "config", rs[0].Check)
	assert.Contains(t, rs[0].Detail, "no such file")
}

// Only components that a pipeline uses are checked: the collector builds
// no other.
func TestConfigOnlyPipelineComponents(t *testing.T) {
	rs, _ := run(t, Options{Configs: []string{writeConfig(t, `
receivers:
  k8s502:
    include: [/nowhere/*.log]
  k8s502/spare:
    include: [/nowhere/either/*.log]
  otlp:
    protocols: {grpc: {}}
exporters:
  debug: {}
service:
  pipelines:
    logs:
      receivers: [otlp]
      exporters: [debug]
`)}})
	assert.Empty(t, only(rs, "include[k8s502]"))
	assert.Empty(t, only(rs, "include[k8s502/spare]"))
	assert.Contains(t, one(t, rs, "config").Detail, "no k8s502 receiver or correlate502 processor")
}

package doctor

import (
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
)

// node lays out a node's /var/log/pods: the ingress-nginx controller (the
// demo's real log) among a dozen other pods whose names sort before it.
func node(t *testing.T) (root, controllerLog string) {
	t.Helper()
	root = filepath.Join(t.TempDir(), "var", "log", "pods")
	for i := range 12 {
		podLog(t, root, "apps", fmt.Sprintf("app-%02d-5f6d7c8b9-a1b2c", i), "app", []byte("hello\n"))
	}
	podLog(t, root, "kube-system", "coredns-7db6d8ff4d-4x9vq", "coredns", []byte("ready\n"))
	controllerLog = podLog(t, root, "ingress-nginx", "ingress-nginx-controller-7d9f8b6c5d-x2x4z", "controller", demoLog(t))
	return root, controllerLog
}

func include(t *testing.T, receiver string) Result {
	t.Helper()
	rs, _ := run(t, Options{Configs: []string{agentConfig(t, receiver)}, NoSend: true})
	return one(t, rs, "include[k8s502]")
}

func TestIncludeMatches(t *testing.T) {
	root, log := node(t)
	r := include(t, fmt.Sprintf("    include: [%s/ingress-nginx_*/controller/*.log]", root))
	assert.Equal(t, Pass, r.Status)
	assert.Equal(t, "1 file: "+log, r.Detail)
}

// The container is named nginx in the pattern but controller on the node:
// the miss names the pattern and shows what the matching pod directory holds.
func TestIncludeWrongContainer(t *testing.T) {
	root, _ := node(t)
	pattern := root + "/ingress-nginx_*/nginx/*.log"
	r := include(t, "    include: ["+pattern+"]")
	assert.Equal(t, Fail, r.Status)
	assert.Contains(t, r.Detail, fmt.Sprintf("%q matches no file", pattern))
	assert.Contains(t, r.Detail, root+"/ingress-nginx_* matches ingress-nginx_ingress-nginx-controller-7d9f8b6c5d-x2x4z_3f5b2c1e-8a4d-4e2b-9c7f-1a2b3c4d5e6f/, which hold ingress-nginx_ingress-nginx-controller-7d9f8b6c5d-x2x4z_3f5b2c1e-8a4d-4e2b-9c7f-1a2b3c4d5e6f/controller/")
}

// The namespace is wrong: nothing under the base matches, so the base's
// pods and containers are listed, the controller first although a dozen
// pods sort before it.
func TestIncludeWrongNamespace(t *testing.T) {
	root, _ := node(t)
	r := include(t, "    include: ["+root+"/nginx-ingress_*/controller/*.log]")
	assert.Equal(t, Fail, r.Status)
	holds := root + " holds ingress-nginx_ingress-nginx-controller-7d9f8b6c5d-x2x4z_3f5b2c1e-8a4d-4e2b-9c7f-1a2b3c4d5e6f/controller/, "
	assert.Contains(t, r.Detail, holds)
	assert.Contains(t, r.Detail, "(6 more)", "8 of 14 entries listed")
	assert.Contains(t, r.Detail, "on a node without a controller pod this is expected")
}

// A base directory that is not there (hostPath not mounted) says so and
// lists its nearest existing parent.
func TestIncludeMissingBase(t *testing.T) {
	root, _ := node(t)
	logDir := filepath.Dir(root)
	r := include(t, "    include: ["+logDir+"/containers/*/*.log]")
	assert.Equal(t, Fail, r.Status)
	assert.Contains(t, r.Detail, logDir+"/containers does not exist (is the hostPath mounted?); "+logDir+" holds pods/")
}

// One pattern of two matching is a WARN naming the other; files all
// excluded are told apart from no match.
func TestIncludePartlyAndExcluded(t *testing.T) {
	root, log := node(t)
	r := include(t, fmt.Sprintf("    include: [%s/ingress-nginx_*/controller/*.log, %s/haproxy-controller_*/*/*.log]", root, root))
	assert.Equal(t, Warn, r.Status)
	assert.True(t, strings.HasPrefix(r.Detail, "1 file: "+log+"; but "), r.Detail)
	assert.Contains(t, r.Detail, "haproxy-controller_*/*/*.log\" matches no file")

	r = include(t, fmt.Sprintf("    include: [%s/*/controller/*.log]\n    exclude: [%s/ingress-nginx_*/**]", root, root))
	assert.Equal(t, Fail, r.Status)
	assert.Contains(t, r.Detail, "matches 1 files, all excluded by exclude")
}

package testproc

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"testing"
)

// A harness finds its program in one of two places: a system package
// (nginx, haproxy: SystemBinary, RequireSystem) or a build from source by
// test/e2e/tools/build.sh (etcd, kube-apiserver, VictoriaLogs, Traefik:
// Built, RequireBuilt). When it is missing the test is skipped, unless the
// harness's K8S502_REQUIRE_* variable is "1" (set in CI), which fails it.

// SystemBinary returns /usr/sbin/<name> or else <name> from PATH, or "" if
// there is neither.
func SystemBinary(name string) string {
	if p := "/usr/sbin/" + name; fileExists(p) {
		return p
	}
	if p, err := exec.LookPath(name); err == nil {
		return p
	}
	return ""
}

func fileExists(path string) bool {
	_, err := os.Stat(path)
	return err == nil
}

// RequireSystem returns SystemBinary(name), skipping the test when there is
// none unless the environment variable requireEnv is "1", which fails it
// with the install hint instead.
func RequireSystem(t testing.TB, name, requireEnv, hint string) string {
	t.Helper()
	if bin := SystemBinary(name); bin != "" {
		return bin
	}
	if os.Getenv(requireEnv) == "1" {
		t.Fatalf("test%s: %s not found in /usr/sbin or PATH and %s=1; install it: %s", name, name, requireEnv, hint)
	}
	t.Skipf("test%s: %s not installed (%s); set %s=1 to fail instead", name, name, hint, requireEnv)
	return ""
}

// Built finds a program built by test/e2e/tools/build.sh: the path in the
// environment variable binEnv if set (an error if it does not exist), else
// the newest $K8S502_E2E_CACHE/<name>-<version>/<name> (default cache
// ~/.cache/k8s502-e2e), else "".
func Built(name, binEnv string) (string, error) {
	if p := os.Getenv(binEnv); p != "" {
		if _, err := os.Stat(p); err != nil {
			return "", fmt.Errorf("%s=%s: %w", binEnv, p, err)
		}
		return p, nil
	}
	matches, _ := filepath.Glob(filepath.Join(cacheDir(), name+"-*", name))
	if len(matches) == 0 {
		return "", nil
	}
	// Several versions may be cached; take the highest.
	sort.Slice(matches, func(i, j int) bool { return versionLess(matches[i], matches[j]) })
	return matches[len(matches)-1], nil
}

// RequireBuilt returns Built(name, binEnv), skipping the test when there is
// none unless the environment variable requireEnv is "1", which fails it
// instead. A binEnv naming a missing file always fails.
func RequireBuilt(t testing.TB, name, binEnv, requireEnv string) string {
	t.Helper()
	bin, err := Built(name, binEnv)
	if err != nil {
		t.Fatal(err)
	}
	if bin != "" {
		return bin
	}
	msg := fmt.Sprintf("%s not built: run bash test/e2e/tools/build.sh %s, or set %s", name, name, binEnv)
	if os.Getenv(requireEnv) == "1" {
		t.Fatalf("%s (%s=1)", msg, requireEnv)
	}
	t.Skipf("%s; set %s=1 to fail instead", msg, requireEnv)
	return ""
}

func cacheDir() string {
	if d := os.Getenv("K8S502_E2E_CACHE"); d != "" {
		return d
	}
	home, err := os.UserHomeDir()
	if err != nil {
		return filepath.Join(os.TempDir(), "k8s502-e2e")
	}
	return filepath.Join(home, ".cache", "k8s502-e2e")
}

// versionLess orders ".../name-v1.9.0/name" before ".../name-v1.10.0/name".
func versionLess(a, b string) bool {
	pa := strings.FieldsFunc(filepath.Base(filepath.Dir(a)), notDigit)
	pb := strings.FieldsFunc(filepath.Base(filepath.Dir(b)), notDigit)
	for i := 0; i < len(pa) && i < len(pb); i++ {
		if len(pa[i]) != len(pb[i]) {
			return len(pa[i]) < len(pb[i])
		}
		if pa[i] != pb[i] {
			return pa[i] < pb[i]
		}
	}
	return len(pa) < len(pb)
}

func notDigit(r rune) bool { return r < '0' || r > '9' }

// RepoRoot is the directory of the module github.com/k8s502/otelcol-k8s502,
// found upwards from the working directory (go test runs in the package's).
func RepoRoot(t testing.TB) string {
	t.Helper()
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for {
		if b, err := os.ReadFile(filepath.Join(dir, "go.mod")); err == nil &&
			strings.Contains(string(b), "module github.com/k8s502/otelcol-k8s502\n") {
			return dir
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			t.Fatal("module github.com/k8s502/otelcol-k8s502 not found above the working directory")
		}
		dir = parent
	}
}

// Collector is the built collector: $K8S502_OTELCOL_BIN, else
// _build/otelcol-k8s502 under the module root (make build). When it is
// missing the test is skipped, unless the environment variable requireEnv
// is "1" (set in CI and by the make targets), which fails it.
func Collector(t testing.TB, requireEnv string) string {
	t.Helper()
	bin := os.Getenv("K8S502_OTELCOL_BIN")
	if bin == "" {
		bin = filepath.Join(RepoRoot(t), "_build", "otelcol-k8s502")
	}
	abs, err := filepath.Abs(bin)
	if err == nil {
		_, err = os.Stat(abs)
	}
	if err != nil {
		if os.Getenv(requireEnv) == "1" {
			t.Fatalf("collector: %v (run make build, or set K8S502_OTELCOL_BIN)", err)
		}
		t.Skipf("collector: %v (run make build, or set K8S502_OTELCOL_BIN; %s=1 fails instead)", err, requireEnv)
	}
	return abs
}

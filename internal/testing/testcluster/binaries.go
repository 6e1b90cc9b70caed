package testcluster

import (
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
)

// Binary finds a program built by test/e2e/tools/build.sh: the path in the
// environment variable env if set, else the newest
// $K8S502_E2E_CACHE/<name>-<version>/<name> (default cache
// ~/.cache/k8s502-e2e). When there is none the test is skipped, or fails if
// K8S502_REQUIRE_E2E=1.
func Binary(t testing.TB, name, env string) string {
	t.Helper()
	p, err := Find(name, env)
	if err != nil {
		t.Fatal(err)
	}
	if p == "" {
		msg := name + " not found: run test/e2e/tools/build.sh or set " + env
		if os.Getenv("K8S502_REQUIRE_E2E") == "1" {
			t.Fatal(msg)
		}
		t.Skip(msg)
	}
	return p
}

// Find is Binary's lookup without the test policy: the path in env if set
// (an error if it does not exist), else the newest cached build, else "".
func Find(name, env string) (string, error) {
	if p := os.Getenv(env); p != "" {
		if _, err := os.Stat(p); err != nil {
			return "", fmt.Errorf("%s=%s: %w", env, p, err)
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

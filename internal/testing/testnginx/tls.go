package testnginx

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/k8s502/otelcol-k8s502/internal/testing/testupstream"
)

// untrustedCA writes a CA that signed nothing we serve: the default trust
// store for proxy_ssl_verify, so self-signed upstreams fail with error 18.
func untrustedCA(t testing.TB, dir string) string {
	t.Helper()
	certPEM, _ := testupstream.SelfSigned(t, "testnginx unrelated CA", "")
	file := filepath.Join(dir, "unrelated-ca.crt")
	if err := os.WriteFile(file, certPEM, 0o644); err != nil {
		t.Fatalf("testnginx: %v", err)
	}
	return file
}

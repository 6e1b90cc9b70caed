package testcluster

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/k8s502/otelcol-k8s502/internal/testing/testupstream"
)

// pki holds the files the API server is started with.
type pki struct {
	caPEM        []byte
	servingCert  string
	servingKey   string
	saPublicKey  string
	saSigningKey string
}

// writePKI makes, in dir, a self-signed serving certificate for 127.0.0.1
// and localhost (clients trust it as their CA) and a service-account signing
// key. Both come from testupstream.SelfSigned; the API server reads the
// service-account public key from that key's certificate.
func writePKI(t testing.TB, dir string) pki {
	t.Helper()
	srvCert, srvKey := testupstream.SelfSigned(t, "localhost", "127.0.0.1:0")
	saCert, saKey := testupstream.SelfSigned(t, "k8s502-service-accounts", "")
	p := pki{
		caPEM:        srvCert,
		servingCert:  filepath.Join(dir, "apiserver.crt"),
		servingKey:   filepath.Join(dir, "apiserver.key"),
		saPublicKey:  filepath.Join(dir, "sa.crt"),
		saSigningKey: filepath.Join(dir, "sa.key"),
	}
	for path, data := range map[string][]byte{
		p.servingCert: srvCert, p.servingKey: srvKey,
		p.saPublicKey: saCert, p.saSigningKey: saKey,
	} {
		if err := os.WriteFile(path, data, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	return p
}

package testcluster

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"

	"github.com/k8s502/otelcol-k8s502/internal/testing/testproc"
)

// EnvRequire makes missing etcd or kube-apiserver binaries a failure
// instead of a skip (set in CI).
const EnvRequire = "K8S502_REQUIRE_E2E"

// The identities in the API server's token file.
const (
	// AdminUser is in system:masters: everything is allowed.
	AdminUser = "k8s502-admin"
	// CollectorUser has no groups: it may do only what RBAC grants it.
	CollectorUser = "k8s502-collector"
)

// Cluster is a running etcd and kube-apiserver.
type Cluster struct {
	// Admin and Collector reach the API server at https://127.0.0.1:<port>
	// with a bearer token, verifying its certificate with the test CA.
	Admin     *rest.Config
	Collector *rest.Config

	dir string
}

// Start runs etcd and kube-apiserver, waits for /readyz, and stops both in
// t.Cleanup. About 5 s on two cores.
func Start(t testing.TB) *Cluster {
	t.Helper()
	etcdBin := testproc.RequireBuilt(t, "etcd", "K8S502_ETCD_BIN", EnvRequire)
	apiBin := testproc.RequireBuilt(t, "kube-apiserver", "K8S502_KUBE_APISERVER_BIN", EnvRequire)
	dir := t.TempDir()

	etcd := startEtcd(t, etcdBin, dir)
	p := writePKI(t, dir)
	adminToken, collectorToken := token(t), token(t)
	tokens := filepath.Join(dir, "tokens.csv")
	csv := fmt.Sprintf("%s,%s,uid-admin,\"system:masters\"\n%s,%s,uid-collector\n",
		adminToken, AdminUser, collectorToken, CollectorUser)
	if err := os.WriteFile(tokens, []byte(csv), 0o600); err != nil {
		t.Fatal(err)
	}

	var c *Cluster
	testproc.StartRetrying(t, "kube-apiserver", testproc.AddrInUse, func() (*testproc.Proc, error) {
		port := testproc.FreePort(t)
		host := "https://" + testproc.Addr(port)
		c = &Cluster{
			Admin:     &rest.Config{Host: host, BearerToken: adminToken, TLSClientConfig: rest.TLSClientConfig{CAData: p.caPEM}},
			Collector: &rest.Config{Host: host, BearerToken: collectorToken, TLSClientConfig: rest.TLSClientConfig{CAData: p.caPEM}},
			dir:       dir,
		}
		admin := c.AdminClient(t)
		proc, err := testproc.Start(testproc.Program(dir, apiBin,
			"--etcd-servers="+etcd,
			"--bind-address=127.0.0.1",
			fmt.Sprintf("--secure-port=%d", port),
			"--cert-dir="+filepath.Join(dir, "certs"),
			"--tls-cert-file="+p.servingCert,
			"--tls-private-key-file="+p.servingKey,
			"--service-account-issuer=https://kubernetes.default.svc.cluster.local",
			"--service-account-key-file="+p.saPublicKey,
			"--service-account-signing-key-file="+p.saSigningKey,
			"--token-auth-file="+tokens,
			"--authorization-mode=RBAC",
			"--service-cluster-ip-range=10.96.0.0/16",
			// A loopback advertise address is refused unless nothing
			// reconciles the kubernetes Service's endpoints.
			"--advertise-address=127.0.0.1",
			"--endpoint-reconciler-type=none",
			// No controller-manager creates the default ServiceAccount.
			"--disable-admission-plugins=ServiceAccount",
		))
		if err != nil {
			return nil, err
		}
		err = proc.WaitReady(90*time.Second, 100*time.Millisecond, func() error {
			ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
			defer cancel()
			_, err := admin.Discovery().RESTClient().Get().AbsPath("/readyz").DoRaw(ctx)
			return err
		})
		if err != nil {
			return nil, err
		}
		return proc, nil
	})
	return c
}

// AdminClient is a clientset for the admin identity.
func (c *Cluster) AdminClient(t testing.TB) kubernetes.Interface {
	return c.client(t, c.Admin)
}

// CollectorClient is a clientset for the collector identity.
func (c *Cluster) CollectorClient(t testing.TB) kubernetes.Interface {
	return c.client(t, c.Collector)
}

func (c *Cluster) client(t testing.TB, rc *rest.Config) kubernetes.Interface {
	t.Helper()
	cs, err := kubernetes.NewForConfig(rest.CopyConfig(rc))
	if err != nil {
		t.Fatal(err)
	}
	return cs
}

func token(t testing.TB) string {
	t.Helper()
	b := make([]byte, 16)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	return hex.EncodeToString(b)
}

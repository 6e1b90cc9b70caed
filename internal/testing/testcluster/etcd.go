package testcluster

import (
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/k8s502/otelcol-k8s502/internal/testing/testproc"
)

// startEtcd runs a single-member etcd without fsync and returns its client URL.
func startEtcd(t testing.TB, bin, dir string) string {
	t.Helper()
	data := filepath.Join(dir, "etcd-data")
	var client string
	testproc.StartRetrying(t, "etcd", testproc.AddrInUse, func() (*testproc.Proc, error) {
		if err := os.RemoveAll(data); err != nil {
			return nil, err
		}
		if err := os.Mkdir(data, 0o700); err != nil {
			return nil, err
		}
		client = "http://" + testproc.Addr(testproc.FreePort(t))
		peer := "http://" + testproc.Addr(testproc.FreePort(t))
		p, err := testproc.Start(testproc.Program(dir, bin,
			"--name=e2e",
			"--data-dir="+data,
			"--listen-client-urls="+client,
			"--advertise-client-urls="+client,
			"--listen-peer-urls="+peer,
			"--initial-advertise-peer-urls="+peer,
			"--initial-cluster=e2e="+peer,
			"--unsafe-no-fsync",
			"--log-level=warn",
		))
		if err != nil {
			return nil, err
		}
		hc := &http.Client{Timeout: time.Second}
		err = p.WaitReady(30*time.Second, 100*time.Millisecond, func() error {
			resp, err := hc.Get(client + "/health")
			if err != nil {
				return err
			}
			defer resp.Body.Close()
			b, _ := io.ReadAll(resp.Body)
			if !strings.Contains(string(b), `"health":"true"`) {
				return fmt.Errorf("not ready: %s", b)
			}
			return nil
		})
		if err != nil {
			return nil, err
		}
		return p, nil
	})
	return client
}

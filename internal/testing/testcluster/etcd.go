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
)

// startEtcd runs a single-member etcd without fsync and returns its client URL.
func startEtcd(t testing.TB, bin, dir string) string {
	t.Helper()
	data := filepath.Join(dir, "etcd-data")
	var client string
	startRetrying(t, "etcd", func() error {
		if err := os.RemoveAll(data); err != nil {
			return err
		}
		if err := os.Mkdir(data, 0o700); err != nil {
			return err
		}
		client = "http://" + Addr(FreePort(t))
		peer := "http://" + Addr(FreePort(t))
		p := StartProcess(t, dir, bin,
			"--name=e2e",
			"--data-dir="+data,
			"--listen-client-urls="+client,
			"--advertise-client-urls="+client,
			"--listen-peer-urls="+peer,
			"--initial-advertise-peer-urls="+peer,
			"--initial-cluster=e2e="+peer,
			"--unsafe-no-fsync",
			"--log-level=warn",
		)
		hc := &http.Client{Timeout: time.Second}
		return p.waitReady(30*time.Second, func() error {
			resp, err := hc.Get(client + "/health")
			if err != nil {
				return err
			}
			defer resp.Body.Close()
			b, _ := io.ReadAll(resp.Body)
			if !strings.Contains(string(b), `"health":"true"`) {
				return fmt.Errorf("%w: %s", errNotReady, b)
			}
			return nil
		})
	})
	return client
}

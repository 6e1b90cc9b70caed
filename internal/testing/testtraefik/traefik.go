// Package testtraefik runs a real Traefik (built by test/e2e/tools/build.sh)
// with a file-provider configuration shaped like what the Kubernetes Ingress
// provider generates, in front of testupstream's loopback backends, and
// records its stdout and stderr into a kubelet CRI log file with testcri,
// so tests can tail genuine Traefik logs.
package testtraefik

import (
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"syscall"
	"testing"
	"time"

	"github.com/k8s502/otelcol-k8s502/internal/testing/testcri"
	"github.com/k8s502/otelcol-k8s502/internal/testing/testproc"
	"github.com/k8s502/otelcol-k8s502/internal/testing/testupstream"
)

// EnvRequire makes a missing traefik a failure instead of a skip (set in CI).
const EnvRequire = "K8S502_REQUIRE_TRAEFIK"

// EnvBinary overrides where the traefik binary is.
const EnvBinary = "K8S502_TRAEFIK_BIN"

// ReadyHost is the Host of the route Start adds to know the dynamic
// configuration is live; its requests are not counted as traffic.
const ReadyHost = "ready.testtraefik.invalid"

// Binary returns the traefik executable (EnvBinary, else the newest one in
// the build.sh cache), or "" if there is none.
func Binary() (string, error) { return testproc.Built("traefik", EnvBinary) }

// Require returns the traefik binary, skipping the test when it is not
// built unless EnvRequire=1.
func Require(t testing.TB) string {
	t.Helper()
	return testproc.RequireBuilt(t, "traefik", EnvBinary, EnvRequire)
}

// Config describes the Traefik pod and the Ingress paths it serves. The
// defaults are the Helm chart's names.
type Config struct {
	// Container is whose log Traefik's streams are written to, and where.
	// Empty fields default to namespace "traefik", pod
	// "traefik-6d8f7c9b5-kx7p2", a random pod UID, container "traefik" and
	// Root t.TempDir().
	Container testcri.Container
	Routes    []Route
}

// Traefik is a running traefik process with its log file. Each request
// sent with Request or Do is logged as one access line.
type Traefik struct {
	// Addr is the ip:port of the entryPoint "web" (plain HTTP).
	Addr string
	// CRIPath is <Root>/var/log/pods/<ns>_<pod>_<uid>/<container>/0.log.
	CRIPath string
	// Dir holds traefik.yml and dynamic.yml.
	Dir string

	*testproc.Proc
}

// Start runs Traefik for cfg, waits until its routers serve, and stops it
// in t.Cleanup.
func Start(t testing.TB, cfg Config) *Traefik {
	t.Helper()
	bin := Require(t)
	cfg = withDefaults(t, cfg)
	ready := testupstream.Start(t, "127.0.0.1:0", testupstream.Healthy)
	routes := append([]Route{{
		Namespace: cfg.Container.Namespace, Service: "testtraefik-ready", Port: "80",
		Host: ReadyHost, Path: "/", Servers: []string{ready.Addr},
	}}, cfg.Routes...)
	return testproc.StartRetrying(t, "traefik", testproc.AddrInUse, func() (*Traefik, error) { return start(t, bin, cfg, routes) })
}

func withDefaults(t testing.TB, cfg Config) Config {
	cfg.Container = cfg.Container.WithDefaults(testcri.Container{
		Root:      t.TempDir(),
		Namespace: "traefik",
		Pod:       "traefik-6d8f7c9b5-kx7p2",
		// Fixed here, so a retry of start writes the same CRI path.
		PodUID: testcri.RandomUUID(),
		Name:   "traefik",
	})
	return cfg
}

func start(t testing.TB, bin string, cfg Config, routes []Route) (*Traefik, error) {
	dir, err := os.MkdirTemp(cfg.Container.Root, "traefik-")
	if err != nil {
		return nil, err
	}
	tr := &Traefik{Addr: testproc.FreeAddr(t, "127.0.0.1"), Dir: dir}
	static, err := writeConfigs(dir, tr.Addr, routes)
	if err != nil {
		return nil, err
	}
	log, err := testcri.Create(cfg.Container)
	if err != nil {
		return nil, err
	}
	tr.CRIPath = log.Path
	cmd := exec.Command(bin, "--configFile="+static)
	cmd.Dir = dir
	tr.Proc, err = testproc.Start(testproc.Config{
		Name: "traefik",
		Cmd:  cmd,
		CRI:  log,
		Addr: tr.Addr,
		// SIGTERM, as the kubelet sends it; graceTimeOut is 2s, give it
		// some more before forcing.
		Stop: testproc.Stopping{Signal: syscall.SIGTERM, Exit: 15 * time.Second, Drain: 5 * time.Second},
	})
	if err != nil {
		return nil, err
	}
	if err := tr.WaitReady(30*time.Second, 50*time.Millisecond, tr.ready); err != nil {
		return nil, err
	}
	return tr, nil
}

// ready is nil once the ready route answers 200: the file provider's
// configuration is applied as a whole, so every route serves by then. Its
// requests are not counted in Requests.
func (tr *Traefik) ready() error {
	if err := tr.Listening(); err != nil {
		return err
	}
	r, err := tr.Send("GET", ReadyHost, "/", nil)
	if err == nil && r.Status == http.StatusOK && r.Body == testupstream.HealthyBody {
		return nil
	}
	return fmt.Errorf("ready route: %d %q %v", r.Status, r.Body, err)
}

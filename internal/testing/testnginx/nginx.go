// Package testnginx runs a real nginx, configured like an ingress-nginx
// controller (or, with LayoutF5, like F5 NGINX Ingress Controller), in front
// of testupstream's loopback backends, and records its stdout and stderr
// into a kubelet CRI log file with testcri, so tests can tail genuine
// controller logs.
package testnginx

import (
	"os"
	"os/exec"
	"syscall"
	"testing"
	"time"

	"github.com/k8s502/otelcol-k8s502/internal/testing/testcri"
	"github.com/k8s502/otelcol-k8s502/internal/testing/testproc"
)

// EnvRequire makes a missing nginx a failure instead of a skip (set in CI).
const EnvRequire = "K8S502_REQUIRE_NGINX"

// InstallHint is how to get nginx on Debian 12 (bookworm's "nginx" package
// holds the binary; nginx-light is only a metapackage there).
const InstallHint = "apt-get update && apt-get install -y nginx"

// Binary returns the nginx executable, or "" if there is none.
func Binary() string { return testproc.SystemBinary("nginx") }

// Require returns the nginx binary, skipping the test when it is missing
// unless EnvRequire=1.
func Require(t testing.TB) string {
	t.Helper()
	return testproc.RequireSystem(t, "nginx", EnvRequire, InstallHint)
}

// Config describes the controller pod and its Ingress locations.
type Config struct {
	// Container is whose log nginx's streams are written to, and where.
	// Empty fields default to namespace "ingress-nginx", pod
	// "ingress-nginx-controller-7d9f8b6c5d-x2x4z", a random pod UID,
	// container "controller" and Root t.TempDir().
	Container       testcri.Container
	WorkerProcesses int // default 1
	// Layout picks the controller whose nginx.conf is rendered.
	Layout    Layout
	Locations []Location
}

// Nginx is a running nginx master with its log files. Its Request and Do
// send X-Forwarded-For: DefaultClientIP unless the caller sets it, so
// $remote_addr in access lines is never the loopback address; headers may
// also set X-Request-ID ($req_id), Referer, User-Agent and so on.
type Nginx struct {
	// Addr is the ip:port nginx listens on (plain HTTP/1.1).
	Addr string
	// CRIPath is <Root>/var/log/pods/<ns>_<pod>_<uid>/<container>/0.log.
	CRIPath string
	// DockerPath is the json-file, "" unless Config.Container.DockerJSON.
	DockerPath string
	// Dir holds nginx.conf, the pid file and temp paths.
	Dir string

	*testproc.Proc
}

// Start runs nginx for cfg and stops it in t.Cleanup.
func Start(t testing.TB, cfg Config) *Nginx {
	t.Helper()
	bin := Require(t)
	cfg = withDefaults(t, cfg)
	// The listen port is picked before nginx binds it, so another process
	// can win the race; a fresh port on retry is cheaper than avoiding it.
	return testproc.StartRetrying(t, "nginx", "Address already in use", func() (*Nginx, error) { return start(t, bin, cfg) })
}

func withDefaults(t testing.TB, cfg Config) Config {
	cfg.Container = cfg.Container.WithDefaults(testcri.Container{
		Root:      t.TempDir(),
		Namespace: "ingress-nginx",
		Pod:       "ingress-nginx-controller-7d9f8b6c5d-x2x4z",
		// Fixed here, so a retry of start writes the same CRI path.
		PodUID: testcri.RandomUUID(),
		Name:   "controller",
	})
	if cfg.WorkerProcesses == 0 {
		cfg.WorkerProcesses = 1
	}
	return cfg
}

func start(t testing.TB, bin string, cfg Config) (*Nginx, error) {
	dir, err := os.MkdirTemp(cfg.Container.Root, "nginx-")
	if err != nil {
		return nil, err
	}
	n := &Nginx{Addr: testproc.FreeAddr(t, "127.0.0.1"), Dir: dir}
	for _, l := range cfg.Locations {
		if l.SSLVerify && l.SSLTrustedCert == "" {
			untrustedCA(t, dir)
			break
		}
	}
	conf, err := renderConf(confParams{dir: dir, listen: n.Addr, workers: cfg.WorkerProcesses, root: os.Geteuid() == 0, layout: cfg.Layout, locations: cfg.Locations})
	if err != nil {
		return nil, err
	}
	log, err := testcri.Create(cfg.Container)
	if err != nil {
		return nil, err
	}
	n.CRIPath, n.DockerPath = log.Path, log.DockerPath
	n.Proc, err = testproc.Start(testproc.Config{
		Name: "nginx",
		// -e: messages before the config is read go to stderr too.
		Cmd:     exec.Command(bin, "-p", dir, "-c", conf, "-e", "stderr"),
		CRI:     log,
		Addr:    n.Addr,
		Headers: map[string]string{"X-Forwarded-For": DefaultClientIP},
		// SIGQUIT: graceful shutdown, workers finish their requests.
		Stop: testproc.Stopping{Signal: syscall.SIGQUIT, Exit: 15 * time.Second, Drain: 15 * time.Second},
	})
	if err != nil {
		return nil, err
	}
	if err := n.WaitReady(15*time.Second, 20*time.Millisecond, n.Listening); err != nil {
		return nil, err
	}
	return n, nil
}

// Reload sends SIGHUP, as the controller does after a config change.
func (n *Nginx) Reload(t testing.TB) {
	t.Helper()
	if err := n.Signal(syscall.SIGHUP); err != nil {
		t.Fatalf("testnginx: reload: %v", err)
	}
}

// Package testhaproxy runs a real HAProxy, configured like the HAProxy
// Kubernetes Ingress Controller (haproxytech/kubernetes-ingress) renders it,
// in front of testupstream's loopback backends, and records its stdout and
// stderr into a kubelet CRI log file with testcri, so tests can tail genuine
// controller logs.
package testhaproxy

import (
	"fmt"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/k8s502/otelcol-k8s502/internal/testing/testcri"
	"github.com/k8s502/otelcol-k8s502/internal/testing/testproc"
)

// EnvRequire makes a missing haproxy a failure instead of a skip (set in CI).
const EnvRequire = "K8S502_REQUIRE_HAPROXY"

// InstallHint is how to get haproxy on Debian 12.
const InstallHint = "apt-get update && apt-get install -y --no-install-recommends haproxy"

// Binary returns the haproxy executable, or "" if there is none.
func Binary() string { return testproc.SystemBinary("haproxy") }

// Require returns the haproxy binary, skipping the test when it is missing
// unless EnvRequire=1.
func Require(t testing.TB) string {
	t.Helper()
	return testproc.RequireSystem(t, "haproxy", EnvRequire, InstallHint)
}

// Config describes the controller pod and the backends its Ingresses make.
// The defaults are the haproxytech Helm chart's names.
type Config struct {
	// Container is whose log HAProxy's streams are written to, and where.
	// Empty fields default to namespace "haproxy-controller", pod
	// "haproxy-kubernetes-ingress-7c9d8f6b5d-m4q2x", a random pod UID,
	// container "kubernetes-ingress-controller" and Root t.TempDir().
	Container testcri.Container
	Backends  []Backend
}

// HAProxy is a running HAProxy master (haproxy -W -db) with its log file.
// Each request sent with Request or Do is logged as one traffic line.
type HAProxy struct {
	// Addr is the ip:port of the frontend "http" (plain HTTP/1.1).
	Addr string
	// CRIPath is <Root>/var/log/pods/<ns>_<pod>_<uid>/<container>/0.log.
	CRIPath string
	// Dir holds haproxy.cfg and the pid file.
	Dir string

	*testproc.Proc
}

// Start runs HAProxy for cfg and stops it in t.Cleanup.
func Start(t testing.TB, cfg Config) *HAProxy {
	t.Helper()
	bin := Require(t)
	cfg = withDefaults(t, cfg)
	return testproc.StartRetrying(t, "haproxy", "cannot bind socket", func() (*HAProxy, error) { return start(t, bin, cfg) })
}

func withDefaults(t testing.TB, cfg Config) Config {
	cfg.Container = cfg.Container.WithDefaults(testcri.Container{
		Root:      t.TempDir(),
		Namespace: "haproxy-controller",
		Pod:       "haproxy-kubernetes-ingress-7c9d8f6b5d-m4q2x",
		// Fixed here, so a retry of start writes the same CRI path.
		PodUID: testcri.RandomUUID(),
		Name:   "kubernetes-ingress-controller",
	})
	return cfg
}

func start(t testing.TB, bin string, cfg Config) (*HAProxy, error) {
	dir, err := os.MkdirTemp(cfg.Container.Root, "haproxy-")
	if err != nil {
		return nil, err
	}
	h := &HAProxy{Addr: testproc.FreeAddr(t, "127.0.0.1"), Dir: dir}
	conf, err := renderConf(dir, h.Addr, cfg.Backends)
	if err != nil {
		return nil, err
	}
	// Validate first: a config error is then reported as such, not as a
	// listener that never came up.
	if out, err := exec.Command(bin, "-c", "-f", conf).CombinedOutput(); err != nil {
		return nil, fmt.Errorf("haproxy -c rejected %s: %v\n%s", conf, err, out)
	}
	log, err := testcri.Create(cfg.Container)
	if err != nil {
		return nil, err
	}
	h.CRIPath = log.Path
	h.Proc, err = testproc.Start(testproc.Config{
		Name: "haproxy",
		// Master-worker in the foreground, as both controllers run it.
		Cmd:  exec.Command(bin, "-W", "-db", "-f", conf),
		CRI:  log,
		Addr: h.Addr,
		// SIGUSR1 to the master: soft-stop. A master that has just
		// re-executed itself for a reload already printed "Loading
		// success." but may not handle signals yet and loses them
		// (observed with 2.6): repeat the soft-stop until it exits. One
		// deadline bounds the exit and the drain.
		Stop: testproc.Stopping{Signal: syscall.SIGUSR1, Every: 500 * time.Millisecond, Exit: 15 * time.Second},
	})
	if err != nil {
		return nil, err
	}
	if err := h.WaitReady(15*time.Second, 20*time.Millisecond, h.Listening); err != nil {
		return nil, err
	}
	return h, nil
}

// Reload sends SIGUSR2 to the master, the reload the controllers trigger:
// a new worker starts with every server UP, the old one logs its proxies
// stopped. It returns once the master has loaded the config again (its
// "Loading success." notice): the master re-executes itself to reload, and
// a signal sent meanwhile can be lost.
func (h *HAProxy) Reload(t testing.TB) {
	t.Helper()
	loaded := func() int {
		n := 0
		for _, l := range h.StderrLines(t) {
			if strings.Contains(l, "Loading success.") {
				n++
			}
		}
		return n
	}
	before := loaded()
	if err := h.Signal(syscall.SIGUSR2); err != nil {
		t.Fatalf("testhaproxy: reload: %v", err)
	}
	h.Poll(t, func() bool { return loaded() > before }, func() string { return "the master's Loading success. after the reload" })
}

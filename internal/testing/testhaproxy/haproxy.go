// Package testhaproxy runs a real HAProxy, configured like the HAProxy
// Kubernetes Ingress Controller (haproxytech/kubernetes-ingress) renders it,
// in front of testnginx's loopback upstreams, and records its stdout and
// stderr into a kubelet CRI log file with testproc's container-runtime
// writer, so tests can tail genuine controller logs.
package testhaproxy

import (
	"fmt"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/k8s502/otelcol-k8s502/internal/testing/testnginx"
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
	Namespace string // default "haproxy-controller"
	Pod       string // default "haproxy-kubernetes-ingress-7c9d8f6b5d-m4q2x"
	PodUID    string // default: random UUID
	Container string // default "kubernetes-ingress-controller"
	// Root is where var/log/pods is created; default t.TempDir().
	Root     string
	Backends []Backend
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
	def := func(s *string, v string) {
		if *s == "" {
			*s = v
		}
	}
	def(&cfg.Namespace, "haproxy-controller")
	def(&cfg.Pod, "haproxy-kubernetes-ingress-7c9d8f6b5d-m4q2x")
	def(&cfg.Container, "kubernetes-ingress-controller")
	if cfg.Root == "" {
		cfg.Root = t.TempDir()
	}
	return cfg
}

func start(t testing.TB, bin string, cfg Config) (*HAProxy, error) {
	dir, err := os.MkdirTemp(cfg.Root, "haproxy-")
	if err != nil {
		return nil, err
	}
	h := &HAProxy{Addr: testnginx.FreeAddr(t, "127.0.0.1"), Dir: dir}
	conf, err := renderConf(dir, h.Addr, cfg.Backends)
	if err != nil {
		return nil, err
	}
	// Validate first: a config error is then reported as such, not as a
	// listener that never came up.
	if out, err := exec.Command(bin, "-c", "-f", conf).CombinedOutput(); err != nil {
		return nil, fmt.Errorf("haproxy -c rejected %s: %v\n%s", conf, err, out)
	}
	log, err := testproc.CreateCRILog(cfg.Root, cfg.Namespace, cfg.Pod, cfg.PodUID, cfg.Container, false)
	if err != nil {
		return nil, err
	}
	h.CRIPath = log.Path
	h.Proc, err = testproc.Start(testproc.Config{
		Name: "haproxy",
		// Master-worker in the foreground, as both controllers run it.
		Cmd:  exec.Command(bin, "-W", "-db", "-f", conf),
		Log:  log,
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

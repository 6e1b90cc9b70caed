// Package testhaproxy runs a real HAProxy, configured like the HAProxy
// Kubernetes Ingress Controller (haproxytech/kubernetes-ingress) renders it,
// in front of testnginx's loopback upstreams, and records its stdout and
// stderr into a kubelet CRI log file with testnginx's container-runtime
// writer, so tests can tail genuine controller logs.
package testhaproxy

import (
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/k8s502/otelcol-k8s502/internal/testnginx"
)

// EnvRequire makes a missing haproxy a failure instead of a skip (set in CI).
const EnvRequire = "K8S502_REQUIRE_HAPROXY"

// InstallHint is how to get haproxy on Debian 12.
const InstallHint = "apt-get update && apt-get install -y --no-install-recommends haproxy"

// Binary returns the haproxy executable, or "" if there is none.
func Binary() string {
	if _, err := os.Stat("/usr/sbin/haproxy"); err == nil {
		return "/usr/sbin/haproxy"
	}
	if p, err := exec.LookPath("haproxy"); err == nil {
		return p
	}
	return ""
}

// Require returns the haproxy binary, skipping the test when it is missing
// unless EnvRequire=1.
func Require(t testing.TB) string {
	t.Helper()
	bin := Binary()
	if bin != "" {
		return bin
	}
	if os.Getenv(EnvRequire) == "1" {
		t.Fatalf("testhaproxy: haproxy not found in /usr/sbin or PATH and %s=1; install it: %s", EnvRequire, InstallHint)
	}
	t.Skipf("testhaproxy: haproxy not installed (%s); set %s=1 to fail instead", InstallHint, EnvRequire)
	return ""
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
type HAProxy struct {
	// Addr is the ip:port of the frontend "http" (plain HTTP/1.1).
	Addr string
	// CRIPath is <Root>/var/log/pods/<ns>_<pod>_<uid>/<container>/0.log.
	CRIPath string
	// Dir holds haproxy.cfg and the pid file.
	Dir string

	cmd      *exec.Cmd
	exited   chan struct{}
	drained  chan struct{}
	log      *testnginx.CRILog
	client   *http.Client
	requests atomic.Int64
	stopOnce sync.Once
}

// PID is the HAProxy master's process id.
func (h *HAProxy) PID() int { return h.cmd.Process.Pid }

// Start runs HAProxy for cfg and stops it in t.Cleanup.
func Start(t testing.TB, cfg Config) *HAProxy {
	t.Helper()
	bin := Require(t)
	cfg = withDefaults(t, cfg)
	var lastErr error
	// The frontend port is picked before HAProxy binds it, so another
	// process can win the race; a fresh port on retry is cheaper.
	for attempt := 0; attempt < 3; attempt++ {
		h, err := start(t, bin, cfg)
		if err == nil {
			t.Cleanup(func() { h.Stop(t) })
			return h
		}
		lastErr = err
		if !strings.Contains(err.Error(), "cannot bind socket") {
			break
		}
	}
	t.Fatalf("testhaproxy: %v", lastErr)
	return nil
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
	h := &HAProxy{Addr: testnginx.FreeAddr(t, "127.0.0.1"), Dir: dir, exited: make(chan struct{}), drained: make(chan struct{})}
	conf, err := renderConf(dir, h.Addr, cfg.Backends)
	if err != nil {
		return nil, err
	}
	// Validate first: a config error is then reported as such, not as a
	// listener that never came up.
	if out, err := exec.Command(bin, "-c", "-f", conf).CombinedOutput(); err != nil {
		return nil, fmt.Errorf("haproxy -c rejected %s: %v\n%s", conf, err, out)
	}
	if h.log, err = testnginx.CreateCRILog(cfg.Root, cfg.Namespace, cfg.Pod, cfg.PodUID, cfg.Container); err != nil {
		return nil, err
	}
	h.CRIPath = h.log.Path

	outR, outW, err := os.Pipe()
	if err != nil {
		return nil, err
	}
	errR, errW, err := os.Pipe()
	if err != nil {
		return nil, err
	}
	// Master-worker in the foreground, as both controllers run it.
	h.cmd = exec.Command(bin, "-W", "-db", "-f", conf)
	h.cmd.Stdout, h.cmd.Stderr = outW, errW
	// Own process group, so a SIGKILL fallback also reaches the worker,
	// which holds the pipes open too.
	h.cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	err = h.cmd.Start()
	// Only HAProxy may hold the write ends, or the readers never see EOF.
	_, _ = outW.Close(), errW.Close()
	if err != nil {
		_, _ = outR.Close(), errR.Close()
		h.log.Close()
		return nil, err
	}
	var copiers sync.WaitGroup
	copiers.Add(2)
	go func() { defer copiers.Done(); h.log.Copy("stdout", outR); _ = outR.Close() }()
	go func() { defer copiers.Done(); h.log.Copy("stderr", errR); _ = errR.Close() }()
	go func() { copiers.Wait(); close(h.drained) }()
	go func() { _ = h.cmd.Wait(); close(h.exited) }()

	h.client = &http.Client{
		Timeout:   60 * time.Second,
		Transport: &http.Transport{Proxy: nil, DisableCompression: true},
		CheckRedirect: func(*http.Request, []*http.Request) error {
			return http.ErrUseLastResponse
		},
	}
	if err := h.waitListening(); err != nil {
		h.stop()
		recs, _ := testnginx.ReadCRI(h.CRIPath)
		return nil, fmt.Errorf("haproxy did not start: %v\n%s", err, strings.Join(testnginx.Lines(recs, "stderr"), "\n"))
	}
	return h, nil
}

func (h *HAProxy) waitListening() error {
	deadline := time.Now().Add(15 * time.Second)
	for time.Now().Before(deadline) {
		select {
		case <-h.exited:
			return errors.New("haproxy exited")
		default:
		}
		if c, err := net.DialTimeout("tcp", h.Addr, time.Second); err == nil {
			_ = c.Close()
			return nil
		}
		time.Sleep(20 * time.Millisecond)
	}
	return errors.New("timed out waiting for the listener")
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
	if err := h.cmd.Process.Signal(syscall.SIGUSR2); err != nil {
		t.Fatalf("testhaproxy: reload: %v", err)
	}
	h.poll(t, func() bool { return loaded() > before }, func() string { return "the master's Loading success. after the reload" })
}

// Stop soft-stops HAProxy (SIGUSR1 to the master) and waits until
// everything it wrote is in the log file. It is safe to call more than once.
func (h *HAProxy) Stop(t testing.TB) {
	t.Helper()
	if !h.stop() {
		t.Errorf("testhaproxy: haproxy %d needed SIGKILL to stop", h.PID())
	}
}

func (h *HAProxy) stop() (graceful bool) {
	graceful = true
	h.stopOnce.Do(func() {
		if h.client != nil {
			h.client.CloseIdleConnections()
		}
		pid := h.cmd.Process.Pid
		deadline := time.After(15 * time.Second)
		// A master that has just re-executed itself for a reload already
		// printed "Loading success." but may not handle signals yet and
		// loses them (observed with 2.6): repeat the soft-stop until it
		// exits. The exited check keeps a reaped pid from being signalled.
		tick := time.NewTicker(500 * time.Millisecond)
		defer tick.Stop()
	wait:
		for {
			select {
			case <-h.exited:
				break wait
			default:
			}
			_ = syscall.Kill(pid, syscall.SIGUSR1)
			select {
			case <-h.exited:
				break wait
			case <-tick.C:
			case <-deadline:
				graceful = false
				_ = syscall.Kill(-pid, syscall.SIGKILL)
				<-h.exited
				break wait
			}
		}
		select {
		case <-h.drained:
		case <-deadline:
			// A worker outlived the master and holds the pipes.
			graceful = false
			_ = syscall.Kill(-pid, syscall.SIGKILL)
			<-h.drained
		}
		h.log.Close()
	})
	return graceful
}

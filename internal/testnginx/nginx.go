// Package testnginx runs a real nginx, configured like an ingress-nginx
// controller (or, with LayoutF5, like F5 NGINX Ingress Controller), in front
// of loopback test upstreams, and records its stdout and stderr into a
// kubelet CRI log file the way containerd does, so tests can tail genuine
// controller logs.
package testnginx

import (
	"crypto/rand"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"
)

// EnvRequire makes a missing nginx a failure instead of a skip (set in CI).
const EnvRequire = "K8S502_REQUIRE_NGINX"

// InstallHint is how to get nginx on Debian 12 (bookworm's "nginx" package
// holds the binary; nginx-light is only a metapackage there).
const InstallHint = "apt-get update && apt-get install -y nginx"

// Binary returns the nginx executable, or "" if there is none.
func Binary() string {
	if _, err := os.Stat("/usr/sbin/nginx"); err == nil {
		return "/usr/sbin/nginx"
	}
	if p, err := exec.LookPath("nginx"); err == nil {
		return p
	}
	return ""
}

// Require returns the nginx binary, skipping the test when it is missing
// unless EnvRequire=1.
func Require(t testing.TB) string {
	t.Helper()
	bin := Binary()
	if bin != "" {
		return bin
	}
	if os.Getenv(EnvRequire) == "1" {
		t.Fatalf("testnginx: nginx not found in /usr/sbin or PATH and %s=1; install it: %s", EnvRequire, InstallHint)
	}
	t.Skipf("testnginx: nginx not installed (%s); set %s=1 to fail instead", InstallHint, EnvRequire)
	return ""
}

// Config describes the controller pod and its Ingress locations.
type Config struct {
	Namespace string // default "ingress-nginx"
	Pod       string // default "ingress-nginx-controller-7d9f8b6c5d-x2x4z"
	PodUID    string // default: random UUID
	Container string // default "controller"
	// Root is where var/log/pods (and var/lib/docker) are created;
	// default t.TempDir().
	Root string
	// DockerJSON also writes the stream as a docker json-file.
	DockerJSON      bool
	WorkerProcesses int // default 1
	// Layout picks the controller whose nginx.conf is rendered.
	Layout    Layout
	Locations []Location
}

// Nginx is a running nginx master with its log files.
type Nginx struct {
	// Addr is the ip:port nginx listens on (plain HTTP/1.1).
	Addr string
	// CRIPath is <Root>/var/log/pods/<ns>_<pod>_<uid>/<container>/0.log.
	CRIPath string
	// DockerPath is the json-file, "" unless Config.DockerJSON.
	DockerPath string
	// Dir holds nginx.conf, the pid file and temp paths.
	Dir string

	cmd      *exec.Cmd
	exited   chan struct{}
	drained  chan struct{}
	sink     *logSink
	client   *http.Client
	requests atomic.Int64
	stopOnce sync.Once
}

// PID is the nginx master's process id.
func (n *Nginx) PID() int { return n.cmd.Process.Pid }

// Start runs nginx for cfg and stops it in t.Cleanup.
func Start(t testing.TB, cfg Config) *Nginx {
	t.Helper()
	bin := Require(t)
	cfg = withDefaults(t, cfg)
	var lastErr error
	// The listen port is picked before nginx binds it, so another process
	// can win the race; a fresh port on retry is cheaper than avoiding it.
	for attempt := 0; attempt < 3; attempt++ {
		n, err := start(t, bin, cfg)
		if err == nil {
			t.Cleanup(func() { n.Stop(t) })
			return n
		}
		lastErr = err
		if !strings.Contains(err.Error(), "Address already in use") {
			break
		}
	}
	t.Fatalf("testnginx: %v", lastErr)
	return nil
}

func withDefaults(t testing.TB, cfg Config) Config {
	def := func(s *string, v string) {
		if *s == "" {
			*s = v
		}
	}
	def(&cfg.Namespace, "ingress-nginx")
	def(&cfg.Pod, "ingress-nginx-controller-7d9f8b6c5d-x2x4z")
	def(&cfg.PodUID, randomUUID())
	def(&cfg.Container, "controller")
	if cfg.Root == "" {
		cfg.Root = t.TempDir()
	}
	if cfg.WorkerProcesses == 0 {
		cfg.WorkerProcesses = 1
	}
	return cfg
}

func start(t testing.TB, bin string, cfg Config) (*Nginx, error) {
	dir, err := os.MkdirTemp(cfg.Root, "nginx-")
	if err != nil {
		return nil, err
	}
	n := &Nginx{Addr: FreeAddr(t, "127.0.0.1"), Dir: dir, exited: make(chan struct{}), drained: make(chan struct{})}
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
	if n.sink, err = openSink(cfg, n); err != nil {
		return nil, err
	}

	outR, outW, err := os.Pipe()
	if err != nil {
		return nil, err
	}
	errR, errW, err := os.Pipe()
	if err != nil {
		return nil, err
	}
	// -e: messages before the config is read go to stderr too.
	n.cmd = exec.Command(bin, "-p", dir, "-c", conf, "-e", "stderr")
	n.cmd.Stdout, n.cmd.Stderr = outW, errW
	// Own process group, so a SIGKILL fallback also reaches the workers that
	// hold the pipes open.
	n.cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	err = n.cmd.Start()
	// Only nginx may hold the write ends, or the readers never see EOF.
	_, _ = outW.Close(), errW.Close()
	if err != nil {
		_, _ = outR.Close(), errR.Close()
		n.sink.close()
		return nil, err
	}
	var copiers sync.WaitGroup
	copiers.Add(2)
	go func() { defer copiers.Done(); n.sink.copyStream("stdout", outR); _ = outR.Close() }()
	go func() { defer copiers.Done(); n.sink.copyStream("stderr", errR); _ = errR.Close() }()
	go func() { copiers.Wait(); close(n.drained) }()
	go func() { _ = n.cmd.Wait(); close(n.exited) }()

	n.client = &http.Client{
		Timeout:   60 * time.Second,
		Transport: &http.Transport{Proxy: nil, DisableCompression: true},
		// A test wants to see nginx's answer, not follow it.
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
	if err := n.waitListening(); err != nil {
		n.stop()
		recs, _ := ReadCRI(n.CRIPath)
		return nil, fmt.Errorf("nginx did not start: %v\n%s", err, strings.Join(Lines(recs, "stderr"), "\n"))
	}
	return n, nil
}

func openSink(cfg Config, n *Nginx) (*logSink, error) {
	var cri *os.File
	var err error
	if n.CRIPath, cri, err = createCRIFile(cfg.Root, cfg.Namespace, cfg.Pod, cfg.PodUID, cfg.Container); err != nil {
		return nil, err
	}
	flags := os.O_CREATE | os.O_WRONLY | os.O_TRUNC
	s := &logSink{cri: cri}
	if cfg.DockerJSON {
		id := randomHex(32)
		dir := filepath.Join(cfg.Root, "var", "lib", "docker", "containers", id)
		n.DockerPath = filepath.Join(dir, id+"-json.log")
		if err := os.MkdirAll(dir, 0o755); err != nil {
			_ = cri.Close()
			return nil, err
		}
		if s.docker, err = os.OpenFile(n.DockerPath, flags, 0o640); err != nil {
			_ = cri.Close()
			return nil, err
		}
	}
	return s, nil
}

func (n *Nginx) waitListening() error {
	deadline := time.Now().Add(15 * time.Second)
	for time.Now().Before(deadline) {
		select {
		case <-n.exited:
			return errors.New("nginx exited")
		default:
		}
		if c, err := net.DialTimeout("tcp", n.Addr, time.Second); err == nil {
			_ = c.Close()
			return nil
		}
		time.Sleep(20 * time.Millisecond)
	}
	return errors.New("timed out waiting for the listener")
}

// Reload sends SIGHUP, as the controller does after a config change.
func (n *Nginx) Reload(t testing.TB) {
	t.Helper()
	if err := n.cmd.Process.Signal(syscall.SIGHUP); err != nil {
		t.Fatalf("testnginx: reload: %v", err)
	}
}

// Stop shuts nginx down gracefully and waits until everything it wrote is in
// the log files. It is safe to call more than once.
func (n *Nginx) Stop(t testing.TB) {
	t.Helper()
	if !n.stop() {
		t.Errorf("testnginx: nginx %d needed SIGKILL to stop", n.PID())
	}
}

func (n *Nginx) stop() (graceful bool) {
	graceful = true
	n.stopOnce.Do(func() {
		if n.client != nil {
			n.client.CloseIdleConnections()
		}
		pid := n.cmd.Process.Pid
		select {
		case <-n.exited:
			// Already reaped: the pid may belong to someone else now.
		default:
			_ = syscall.Kill(pid, syscall.SIGQUIT)
		}
		for _, ch := range []chan struct{}{n.exited, n.drained} {
			select {
			case <-ch:
			case <-time.After(15 * time.Second):
				graceful = false
				_ = syscall.Kill(-pid, syscall.SIGKILL)
				<-ch
			}
		}
		n.sink.close()
	})
	return graceful
}

func randomHex(nbytes int) string {
	b := make([]byte, nbytes)
	_, _ = rand.Read(b)
	return fmt.Sprintf("%x", b)
}

func randomUUID() string {
	h := randomHex(16)
	// Version 4, RFC 4122 variant, like a real pod UID.
	return h[:8] + "-" + h[8:12] + "-4" + h[13:16] + "-a" + h[17:20] + "-" + h[20:32]
}

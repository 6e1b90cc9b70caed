// Package testtraefik runs a real Traefik (built by test/e2e/tools/build.sh)
// with a file-provider configuration shaped like what the Kubernetes Ingress
// provider generates, in front of testnginx's loopback upstreams, and
// records its stdout and stderr into a kubelet CRI log file with testnginx's
// container-runtime writer, so tests can tail genuine Traefik logs.
package testtraefik

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

	"github.com/k8s502/otelcol-k8s502/internal/testcluster"
	"github.com/k8s502/otelcol-k8s502/internal/testnginx"
)

// EnvRequire makes a missing traefik a failure instead of a skip (set in CI).
const EnvRequire = "K8S502_REQUIRE_TRAEFIK"

// EnvBinary overrides where the traefik binary is.
const EnvBinary = "K8S502_TRAEFIK_BIN"

// BuildHint is how to get the binary.
const BuildHint = "bash test/e2e/tools/build.sh traefik"

// ReadyHost is the Host of the route Start adds to know the dynamic
// configuration is live; its requests are not counted as traffic.
const ReadyHost = "ready.testtraefik.invalid"

// Binary returns the traefik executable (EnvBinary, else the newest one in
// the build.sh cache), or "" if there is none.
func Binary() (string, error) { return testcluster.Find("traefik", EnvBinary) }

// Require returns the traefik binary, skipping the test when it is not
// built unless EnvRequire=1.
func Require(t testing.TB) string {
	t.Helper()
	bin, err := Binary()
	if err != nil {
		t.Fatalf("testtraefik: %v", err)
	}
	if bin != "" {
		return bin
	}
	if os.Getenv(EnvRequire) == "1" {
		t.Fatalf("testtraefik: traefik not built and %s=1; build it: %s (or set %s)", EnvRequire, BuildHint, EnvBinary)
	}
	t.Skipf("testtraefik: traefik not built (%s); set %s=1 to fail instead", BuildHint, EnvRequire)
	return ""
}

// Config describes the Traefik pod and the Ingress paths it serves. The
// defaults are the Helm chart's names.
type Config struct {
	Namespace string // default "traefik"
	Pod       string // default "traefik-6d8f7c9b5-kx7p2"
	PodUID    string // default: random UUID
	Container string // default "traefik"
	// Root is where var/log/pods is created; default t.TempDir().
	Root   string
	Routes []Route
}

// Traefik is a running traefik process with its log file.
type Traefik struct {
	// Addr is the ip:port of the entryPoint "web" (plain HTTP).
	Addr string
	// CRIPath is <Root>/var/log/pods/<ns>_<pod>_<uid>/<container>/0.log.
	CRIPath string
	// Dir holds traefik.yml and dynamic.yml.
	Dir string

	cmd      *exec.Cmd
	exited   chan struct{}
	drained  chan struct{}
	log      *testnginx.CRILog
	client   *http.Client
	requests atomic.Int64
	stopOnce sync.Once
}

// PID is traefik's process id.
func (tr *Traefik) PID() int { return tr.cmd.Process.Pid }

// Start runs Traefik for cfg, waits until its routers serve, and stops it
// in t.Cleanup.
func Start(t testing.TB, cfg Config) *Traefik {
	t.Helper()
	bin := Require(t)
	cfg = withDefaults(t, cfg)
	ready := testnginx.StartUpstream(t, "127.0.0.1:0", testnginx.Healthy)
	routes := append([]Route{{
		Namespace: cfg.Namespace, Service: "testtraefik-ready", Port: "80",
		Host: ReadyHost, Path: "/", Servers: []string{ready.Addr},
	}}, cfg.Routes...)
	var lastErr error
	// The entryPoint's port is picked before Traefik binds it, so another
	// process can win the race; a fresh port on retry is cheaper.
	for attempt := 0; attempt < 3; attempt++ {
		tr, err := start(t, bin, cfg, routes)
		if err == nil {
			t.Cleanup(func() { tr.Stop(t) })
			return tr
		}
		lastErr = err
		if !strings.Contains(err.Error(), "address already in use") {
			break
		}
	}
	t.Fatalf("testtraefik: %v", lastErr)
	return nil
}

func withDefaults(t testing.TB, cfg Config) Config {
	def := func(s *string, v string) {
		if *s == "" {
			*s = v
		}
	}
	def(&cfg.Namespace, "traefik")
	def(&cfg.Pod, "traefik-6d8f7c9b5-kx7p2")
	def(&cfg.Container, "traefik")
	if cfg.Root == "" {
		cfg.Root = t.TempDir()
	}
	return cfg
}

func start(t testing.TB, bin string, cfg Config, routes []Route) (*Traefik, error) {
	dir, err := os.MkdirTemp(cfg.Root, "traefik-")
	if err != nil {
		return nil, err
	}
	tr := &Traefik{Addr: testnginx.FreeAddr(t, "127.0.0.1"), Dir: dir, exited: make(chan struct{}), drained: make(chan struct{})}
	static, err := writeConfigs(dir, tr.Addr, routes)
	if err != nil {
		return nil, err
	}
	if tr.log, err = testnginx.CreateCRILog(cfg.Root, cfg.Namespace, cfg.Pod, cfg.PodUID, cfg.Container); err != nil {
		return nil, err
	}
	tr.CRIPath = tr.log.Path

	outR, outW, err := os.Pipe()
	if err != nil {
		return nil, err
	}
	errR, errW, err := os.Pipe()
	if err != nil {
		return nil, err
	}
	tr.cmd = exec.Command(bin, "--configFile="+static)
	tr.cmd.Dir = dir
	tr.cmd.Stdout, tr.cmd.Stderr = outW, errW
	// Own process group, so a SIGKILL fallback reaches anything it spawned.
	tr.cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	err = tr.cmd.Start()
	// Only Traefik may hold the write ends, or the readers never see EOF.
	_, _ = outW.Close(), errW.Close()
	if err != nil {
		_, _ = outR.Close(), errR.Close()
		tr.log.Close()
		return nil, err
	}
	var copiers sync.WaitGroup
	copiers.Add(2)
	go func() { defer copiers.Done(); tr.log.Copy("stdout", outR); _ = outR.Close() }()
	go func() { defer copiers.Done(); tr.log.Copy("stderr", errR); _ = errR.Close() }()
	go func() { copiers.Wait(); close(tr.drained) }()
	go func() { _ = tr.cmd.Wait(); close(tr.exited) }()

	tr.client = &http.Client{
		Timeout:   60 * time.Second,
		Transport: &http.Transport{Proxy: nil, DisableCompression: true},
		CheckRedirect: func(*http.Request, []*http.Request) error {
			return http.ErrUseLastResponse
		},
	}
	if err := tr.waitReady(); err != nil {
		tr.stop()
		recs, _ := testnginx.ReadCRI(tr.CRIPath)
		var out []string
		for _, r := range recs {
			out = append(out, r.Stream+": "+r.Msg)
		}
		return nil, fmt.Errorf("traefik did not start: %v\n%s", err, strings.Join(out, "\n"))
	}
	return tr, nil
}

// waitReady waits until the ready route answers 200: the file provider's
// configuration is applied as a whole, so every route serves by then.
func (tr *Traefik) waitReady() error {
	deadline := time.Now().Add(30 * time.Second)
	last := "no answer"
	for time.Now().Before(deadline) {
		select {
		case <-tr.exited:
			return errors.New("traefik exited")
		default:
		}
		if c, err := net.DialTimeout("tcp", tr.Addr, time.Second); err == nil {
			_ = c.Close()
			r, err := tr.send("GET", ReadyHost, "/", nil)
			if err == nil && r.Status == http.StatusOK && r.Body == testnginx.HealthyBody {
				return nil
			}
			last = fmt.Sprintf("%d %q %v", r.Status, r.Body, err)
		}
		time.Sleep(50 * time.Millisecond)
	}
	return fmt.Errorf("timed out waiting for the ready route (last: %s)", last)
}

// Stop shuts Traefik down (SIGTERM, as the kubelet does) and waits until
// everything it wrote is in the log file. It is safe to call more than once.
func (tr *Traefik) Stop(t testing.TB) {
	t.Helper()
	if !tr.stop() {
		t.Errorf("testtraefik: traefik %d needed SIGKILL to stop", tr.PID())
	}
}

func (tr *Traefik) stop() (graceful bool) {
	graceful = true
	tr.stopOnce.Do(func() {
		if tr.client != nil {
			tr.client.CloseIdleConnections()
		}
		pid := tr.cmd.Process.Pid
		_ = syscall.Kill(pid, syscall.SIGTERM)
		// graceTimeOut is 2s; give it some more before forcing.
		select {
		case <-tr.exited:
		case <-time.After(15 * time.Second):
			graceful = false
			_ = syscall.Kill(-pid, syscall.SIGKILL)
			<-tr.exited
		}
		select {
		case <-tr.drained:
		case <-time.After(5 * time.Second):
			graceful = false
			_ = syscall.Kill(-pid, syscall.SIGKILL)
			<-tr.drained
		}
		tr.log.Close()
	})
	return graceful
}

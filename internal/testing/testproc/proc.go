// Package testproc runs a real proxy process for tests the way a container
// runtime runs a controller: its stdout and stderr are recorded into a
// kubelet CRI log file as containerd writes it, and requests are sent to it
// over plain HTTP/1.1. testnginx, testhaproxy and testtraefik render each
// proxy's configuration and start it with this package.
package testproc

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
)

// Stopping is how a proxy is shut down.
type Stopping struct {
	// Signal asks for a graceful stop.
	Signal syscall.Signal
	// Every repeats Signal at this interval until the process exits; 0
	// sends it once.
	Every time.Duration
	// Exit bounds the wait for the process to exit. Drain bounds the wait,
	// after that, until every process holding the pipes has let go; 0 keeps
	// Exit's deadline for both. Past either, the process group is killed.
	Exit, Drain time.Duration
}

// Config is the process to start and what to tell about it.
type Config struct {
	// Name is the proxy's name, "nginx": messages read "testnginx: nginx …".
	Name string
	// Cmd is not started yet; Start sets its Stdout, Stderr and process
	// group.
	Cmd *exec.Cmd
	// Log receives both streams; Start and Stop close it.
	Log *CRILog
	// Addr is the ip:port requests are sent to.
	Addr string
	// Headers are set on every request before the caller's own.
	Headers map[string]string
	Stop    Stopping
}

// Proc is a running proxy process with its log file and HTTP client.
type Proc struct {
	cfg      Config
	exited   chan struct{}
	drained  chan struct{}
	client   *http.Client
	requests atomic.Int64
	stopOnce sync.Once
}

// Start starts c.Cmd in its own process group with stdout and stderr
// copied into c.Log. It does not wait for readiness: see WaitReady.
func Start(c Config) (*Proc, error) {
	p := &Proc{cfg: c, exited: make(chan struct{}), drained: make(chan struct{})}
	outR, outW, err := os.Pipe()
	if err != nil {
		c.Log.Close()
		return nil, err
	}
	errR, errW, err := os.Pipe()
	if err != nil {
		_, _ = outR.Close(), outW.Close()
		c.Log.Close()
		return nil, err
	}
	c.Cmd.Stdout, c.Cmd.Stderr = outW, errW
	// Own process group, so a SIGKILL fallback also reaches the workers
	// that hold the pipes open.
	c.Cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	err = c.Cmd.Start()
	// Only the proxy may hold the write ends, or the readers never see EOF.
	_, _ = outW.Close(), errW.Close()
	if err != nil {
		_, _ = outR.Close(), errR.Close()
		c.Log.Close()
		return nil, err
	}
	var copiers sync.WaitGroup
	copiers.Add(2)
	go func() { defer copiers.Done(); c.Log.Copy("stdout", outR); _ = outR.Close() }()
	go func() { defer copiers.Done(); c.Log.Copy("stderr", errR); _ = errR.Close() }()
	go func() { copiers.Wait(); close(p.drained) }()
	go func() { _ = c.Cmd.Wait(); close(p.exited) }()

	p.client = &http.Client{
		Timeout:   60 * time.Second,
		Transport: &http.Transport{Proxy: nil, DisableCompression: true},
		// A test wants to see the proxy's answer, not follow it.
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
	return p, nil
}

// PID is the process id of the proxy (its master, if it has one).
func (p *Proc) PID() int { return p.cfg.Cmd.Process.Pid }

// Signal sends sig to the proxy.
func (p *Proc) Signal(sig syscall.Signal) error { return p.cfg.Cmd.Process.Signal(sig) }

// Listening is nil once something accepts connections on Addr.
func (p *Proc) Listening() error {
	c, err := net.DialTimeout("tcp", p.cfg.Addr, time.Second)
	if err == nil {
		_ = c.Close()
	}
	return err
}

// WaitReady calls ready every interval until it returns nil. If the proxy
// exits first or timeout passes, it stops the proxy and returns an error
// carrying everything the proxy logged.
func (p *Proc) WaitReady(timeout, interval time.Duration, ready func() error) error {
	err := p.waitReady(timeout, interval, ready)
	if err == nil {
		return nil
	}
	p.stop()
	recs, _ := ReadCRI(p.cfg.Log.Path)
	var out []string
	for _, r := range recs {
		out = append(out, r.Stream+": "+r.Msg)
	}
	return fmt.Errorf("%s did not start: %v\n%s", p.cfg.Name, err, strings.Join(out, "\n"))
}

func (p *Proc) waitReady(timeout, interval time.Duration, ready func() error) error {
	deadline := time.Now().Add(timeout)
	last := errors.New("not tried")
	for time.Now().Before(deadline) {
		select {
		case <-p.exited:
			return fmt.Errorf("%s exited", p.cfg.Name)
		default:
		}
		if last = ready(); last == nil {
			return nil
		}
		time.Sleep(interval)
	}
	return fmt.Errorf("timed out after %v (last: %v)", timeout, last)
}

// Stop shuts the proxy down as Config.Stop says and waits until everything
// it wrote is in the log file. It is safe to call more than once.
func (p *Proc) Stop(t testing.TB) {
	t.Helper()
	if !p.stop() {
		t.Errorf("test%s: %s %d needed SIGKILL to stop", p.cfg.Name, p.cfg.Name, p.PID())
	}
}

func (p *Proc) stop() (graceful bool) {
	graceful = true
	p.stopOnce.Do(func() {
		p.client.CloseIdleConnections()
		s := p.cfg.Stop
		pid := p.PID()
		kill := func(ch chan struct{}) {
			graceful = false
			_ = syscall.Kill(-pid, syscall.SIGKILL)
			<-ch
		}
		deadline := time.After(s.Exit)
		var again <-chan time.Time // nil: never
		if s.Every > 0 {
			tick := time.NewTicker(s.Every)
			defer tick.Stop()
			again = tick.C
		}
	wait:
		for {
			select {
			case <-p.exited:
				// Already reaped: the pid may belong to someone else now.
				break wait
			default:
			}
			_ = syscall.Kill(pid, s.Signal)
			select {
			case <-p.exited:
				break wait
			case <-again:
			case <-deadline:
				kill(p.exited)
				break wait
			}
		}
		drain := deadline
		if s.Drain > 0 {
			drain = time.After(s.Drain)
		}
		select {
		case <-p.drained:
		case <-drain:
			// A worker outlived the master and holds the pipes.
			kill(p.drained)
		}
		p.cfg.Log.Close()
	})
	return graceful
}

// StartRetrying calls start, retrying twice while its error contains inUse:
// a harness picks its listen port before the proxy binds it, so another
// process can win the race, and a fresh port on retry is cheaper than
// avoiding it. The proxy is stopped in t.Cleanup; a last error fails the
// test.
func StartRetrying[P interface{ Stop(testing.TB) }](t testing.TB, name, inUse string, start func() (P, error)) P {
	t.Helper()
	var lastErr error
	for attempt := 0; attempt < 3; attempt++ {
		p, err := start()
		if err == nil {
			t.Cleanup(func() { p.Stop(t) })
			return p
		}
		lastErr = err
		if !strings.Contains(err.Error(), inUse) {
			break
		}
	}
	t.Fatalf("test%s: %v", name, lastErr)
	var zero P
	return zero
}

// SystemBinary returns /usr/sbin/<name> or else <name> from PATH, or "" if
// there is neither.
func SystemBinary(name string) string {
	if p := "/usr/sbin/" + name; fileExists(p) {
		return p
	}
	if p, err := exec.LookPath(name); err == nil {
		return p
	}
	return ""
}

func fileExists(path string) bool {
	_, err := os.Stat(path)
	return err == nil
}

// RequireSystem returns SystemBinary(name), skipping the test when there is
// none unless the environment variable env is "1" (set in CI), which fails
// it with the install hint instead.
func RequireSystem(t testing.TB, name, env, hint string) string {
	t.Helper()
	if bin := SystemBinary(name); bin != "" {
		return bin
	}
	if os.Getenv(env) == "1" {
		t.Fatalf("test%s: %s not found in /usr/sbin or PATH and %s=1; install it: %s", name, name, env, hint)
	}
	t.Skipf("test%s: %s not installed (%s); set %s=1 to fail instead", name, name, hint, env)
	return ""
}

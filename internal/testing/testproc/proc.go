// Package testproc starts the real programs tests run against — proxies,
// etcd, kube-apiserver, VictoriaLogs, the collector — and stops them: each
// in its own process group (killed with the test binary on Linux), its
// output recorded either into a kubelet CRI log file (testcri, for the
// proxies whose logs the product tails) or into one plain log file, stopped
// gracefully as its Stopping says and, past the deadlines, with SIGKILL to
// the group. A program restarted appends each run to one log (AppendLog).
// Run runs a short command to its end for its output. The package also
// picks free loopback ports, finds the binaries (system packages or builds
// from test/e2e/tools/build.sh) and sends HTTP requests to a proxy.
package testproc

import (
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/k8s502/otelcol-k8s502/internal/testing/testcri"
)

// Stopping is how a process is shut down.
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
	// KillOK makes that SIGKILL routine; otherwise Stop reports it as a
	// test error, since a proxy killed may not have written all its logs.
	KillOK bool
}

// terminate is how the kubelet stops a container, with the 10 s grace the
// e2e programs get: SIGTERM, SIGKILL after 10 s, not an error.
var terminate = Stopping{Signal: syscall.SIGTERM, Exit: 10 * time.Second, KillOK: true}

// Config is the process to start and what to tell about it.
type Config struct {
	// Name is the program's name, "nginx", in messages.
	Name string
	// Cmd is not started yet; Start sets its Stdout, Stderr and process
	// attributes, and leaves its Env and Dir alone.
	Cmd *exec.Cmd
	// CRI receives stdout and stderr as a container runtime records them;
	// Start and Stop close it. When it is nil, both streams go as written
	// into LogFile, created (truncated) by Start, or appended to with
	// AppendLog: the runs of one program restarted then share one log.
	CRI       *testcri.Log
	LogFile   string
	AppendLog bool
	// Addr is the ip:port requests are sent to, if any.
	Addr string
	// Headers are set on every request before the caller's own.
	Headers map[string]string
	Stop    Stopping
}

// Proc is a running process with its log and an HTTP client for Addr.
type Proc struct {
	cfg      Config
	exited   chan struct{} // closed after Wait, with waitErr set
	waitErr  error
	drained  chan struct{} // closed once nothing writes to the log
	client   *http.Client
	requests atomic.Int64
	stopOnce sync.Once
	told     atomic.Bool // the log's tail was shown for a failed test
}

// Start starts c.Cmd in its own process group with its output going to
// c.CRI or c.LogFile. It does not wait for readiness: see WaitReady.
func Start(c Config) (*Proc, error) {
	p := &Proc{cfg: c, exited: make(chan struct{})}
	c.Cmd.SysProcAttr = sysProcAttr()
	var err error
	if c.CRI != nil {
		err = p.startCRI()
	} else {
		err = p.startFile()
	}
	if err != nil {
		return nil, fmt.Errorf("start %s: %w", c.Name, err)
	}
	p.client = &http.Client{
		Timeout:   60 * time.Second,
		Transport: &http.Transport{Proxy: nil, DisableCompression: true},
		// A test wants to see the proxy's answer, not follow it.
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
	return p, nil
}

// startCRI pipes both streams through the CRI writer.
func (p *Proc) startCRI() error {
	c := p.cfg
	outR, outW, err := os.Pipe()
	if err != nil {
		c.CRI.Close()
		return err
	}
	errR, errW, err := os.Pipe()
	if err != nil {
		_, _ = outR.Close(), outW.Close()
		c.CRI.Close()
		return err
	}
	c.Cmd.Stdout, c.Cmd.Stderr = outW, errW
	err = c.Cmd.Start()
	// Only the process may hold the write ends, or the readers never see EOF.
	_, _ = outW.Close(), errW.Close()
	if err != nil {
		_, _ = outR.Close(), errR.Close()
		c.CRI.Close()
		return err
	}
	p.drained = make(chan struct{})
	var copiers sync.WaitGroup
	copiers.Add(2)
	go func() { defer copiers.Done(); c.CRI.Copy("stdout", outR); _ = outR.Close() }()
	go func() { defer copiers.Done(); c.CRI.Copy("stderr", errR); _ = errR.Close() }()
	go func() { copiers.Wait(); close(p.drained) }()
	go func() { p.waitErr = c.Cmd.Wait(); close(p.exited) }()
	return nil
}

// startFile hands the process the log file itself: nothing to drain.
func (p *Proc) startFile() error {
	c := p.cfg
	if c.LogFile == "" {
		return errors.New("testproc: Config needs CRI or LogFile")
	}
	flags := os.O_CREATE | os.O_WRONLY | os.O_TRUNC
	if c.AppendLog {
		flags = os.O_CREATE | os.O_WRONLY | os.O_APPEND
	}
	f, err := os.OpenFile(c.LogFile, flags, 0o666)
	if err != nil {
		return err
	}
	c.Cmd.Stdout, c.Cmd.Stderr = f, f
	if err := c.Cmd.Start(); err != nil {
		_ = f.Close()
		return err
	}
	p.drained = p.exited
	go func() { p.waitErr = c.Cmd.Wait(); _ = f.Close(); close(p.exited) }()
	return nil
}

// PID is the process id (a proxy's master, if it has one).
func (p *Proc) PID() int { return p.cfg.Cmd.Process.Pid }

// Signal sends sig to the process.
func (p *Proc) Signal(sig syscall.Signal) error { return p.cfg.Cmd.Process.Signal(sig) }

// Done is closed once the process has ended and been reaped (its PID may
// then belong to another process); Exited tells how it ended.
func (p *Proc) Done() <-chan struct{} { return p.exited }

// Exited reports whether the process has ended, and how.
func (p *Proc) Exited() (bool, error) {
	select {
	case <-p.exited:
		return true, p.waitErr
	default:
		return false, nil
	}
}

// Listening is nil once something accepts connections on Addr.
func (p *Proc) Listening() error {
	c, err := net.DialTimeout("tcp", p.cfg.Addr, time.Second)
	if err == nil {
		_ = c.Close()
	}
	return err
}

// WaitReady calls ready every interval until it returns nil. If the process
// exits first or timeout passes, it stops the process and returns an error
// ending with the tail of its log (so StartRetrying can tell a port taken).
func (p *Proc) WaitReady(timeout, interval time.Duration, ready func() error) error {
	err := p.waitReady(timeout, interval, ready)
	if err == nil {
		return nil
	}
	p.stop()
	return fmt.Errorf("%s did not start: %v; log %s:\n%s", p.cfg.Name, err, p.LogPath(), p.Tail(16<<10))
}

// WaitFor is WaitReady polling every 100 ms that fails the test instead.
func (p *Proc) WaitFor(t testing.TB, timeout time.Duration, ready func() error) {
	t.Helper()
	if err := p.WaitReady(timeout, 100*time.Millisecond, ready); err != nil {
		t.Fatal(err)
	}
}

func (p *Proc) waitReady(timeout, interval time.Duration, ready func() error) error {
	deadline := time.Now().Add(timeout)
	last := errors.New("not tried")
	for time.Now().Before(deadline) {
		if exited, err := p.Exited(); exited {
			return fmt.Errorf("exited (%v)", err)
		}
		if last = ready(); last == nil {
			return nil
		}
		time.Sleep(interval)
	}
	return fmt.Errorf("timed out after %v (last: %v)", timeout, last)
}

// Stop shuts the process down as Config.Stop says and waits until
// everything it wrote is in the log. It is safe to call more than once.
// In a failed test it logs the tail of the process's log, once.
func (p *Proc) Stop(t testing.TB) {
	t.Helper()
	if !p.stop() && !p.cfg.Stop.KillOK {
		t.Errorf("%s %d needed SIGKILL to stop", p.cfg.Name, p.PID())
	}
	if t.Failed() && p.told.CompareAndSwap(false, true) {
		t.Logf("%s log %s (last 4 KiB):\n%s", p.cfg.Name, p.LogPath(), p.Tail(4096))
	}
}

// Kill sends SIGKILL to the process group and waits until it is gone: the
// process ends as a crashed or OOM-killed one does, with no shutdown work.
func (p *Proc) Kill() {
	if exited, _ := p.Exited(); !exited {
		_ = syscall.Kill(-p.PID(), syscall.SIGKILL)
	}
	<-p.exited
	<-p.drained
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
		if p.cfg.CRI != nil {
			p.cfg.CRI.Close()
		}
	})
	return graceful
}

package testcluster

import (
	"bytes"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// Process is a program started for a test; it is stopped by PID in
// t.Cleanup.
type Process struct {
	Name string
	Log  string // combined stdout and stderr
	cmd  *exec.Cmd
	done chan struct{}
	err  error
}

// StartProcess runs bin with args, logging to a file in dir.
func StartProcess(t testing.TB, dir, bin string, args ...string) *Process {
	t.Helper()
	name := filepath.Base(bin)
	p := &Process{Name: name, Log: filepath.Join(dir, name+".log"), done: make(chan struct{})}
	logf, err := os.Create(p.Log)
	if err != nil {
		t.Fatal(err)
	}
	p.cmd = exec.Command(bin, args...)
	p.cmd.Stdout, p.cmd.Stderr = logf, logf
	p.cmd.SysProcAttr = sysProcAttr()
	if err := p.cmd.Start(); err != nil {
		_ = logf.Close()
		t.Fatalf("start %s: %v", name, err)
	}
	go func() {
		p.err = p.cmd.Wait()
		_ = logf.Close()
		close(p.done)
	}()
	t.Cleanup(func() {
		p.Stop()
		if t.Failed() {
			t.Logf("%s log (last 4 KiB):\n%s", name, p.Tail(4096))
		}
	})
	return p
}

// Exited reports whether the process has ended, and how.
func (p *Process) Exited() (bool, error) {
	select {
	case <-p.done:
		return true, p.err
	default:
		return false, nil
	}
}

// Stop sends SIGTERM to the PID, then SIGKILL after 10 s.
func (p *Process) Stop() {
	if exited, _ := p.Exited(); exited {
		return
	}
	_ = p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-p.done:
	case <-time.After(10 * time.Second):
		_ = p.cmd.Process.Kill()
		<-p.done
	}
}

// Kill sends SIGKILL to the PID and waits for the exit: the process ends
// as a crashed or OOM-killed one does, with no shutdown work.
func (p *Process) Kill() {
	if exited, _ := p.Exited(); exited {
		return
	}
	_ = p.cmd.Process.Kill()
	<-p.done
}

// Tail returns the last n bytes of the log.
func (p *Process) Tail(n int) string {
	b, err := os.ReadFile(p.Log)
	if err != nil {
		return err.Error()
	}
	if len(b) > n {
		b = b[len(b)-n:]
		if i := bytes.IndexByte(b, '\n'); i >= 0 {
			b = b[i+1:]
		}
	}
	return string(b)
}

// WaitFor polls ready until it returns nil, the process exits, or timeout.
func (p *Process) WaitFor(t testing.TB, timeout time.Duration, ready func() error) {
	t.Helper()
	if err := p.waitReady(timeout, ready); err != nil {
		t.Fatal(err)
	}
}

// errPortTaken means the process lost the race for a port FreePort had
// picked (another test or process bound it first); the caller retries.
var errPortTaken = errors.New("port taken by another process")

func (p *Process) waitReady(timeout time.Duration, ready func() error) error {
	deadline := time.Now().Add(timeout)
	for {
		err := ready()
		if err == nil {
			return nil
		}
		if exited, werr := p.Exited(); exited {
			tail := p.Tail(8192)
			if strings.Contains(tail, "address already in use") {
				return errPortTaken
			}
			return fmt.Errorf("%s exited (%v) before it was ready; log:\n%s", p.Name, werr, tail)
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("%s not ready after %v: %v; log:\n%s", p.Name, timeout, err, p.Tail(8192))
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// startRetrying runs start up to three times while it fails only because a
// freshly picked port was taken in between.
func startRetrying(t testing.TB, name string, start func() error) {
	t.Helper()
	for attempt := 1; ; attempt++ {
		err := start()
		if err == nil {
			return
		}
		if !errors.Is(err, errPortTaken) || attempt == 3 {
			t.Fatalf("%s: %v", name, err)
		}
		t.Logf("%s: port taken, retrying with new ports", name)
	}
}

// FreePort returns a TCP port on 127.0.0.1 that was free a moment ago.
func FreePort(t testing.TB) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// Addr is "127.0.0.1:<port>".
func Addr(port int) string { return net.JoinHostPort("127.0.0.1", strconv.Itoa(port)) }

var errNotReady = errors.New("not ready")

//go:build chaos

package chaos

import (
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// collector is one collector process played the way a kubelet runs a
// container: the harness kills it, restarts it with the same config and
// storage, and also restarts it when it exits by itself (a crash, counted).
// Every incarnation appends to one log file, after a "=== start N" line.
type collector struct {
	name   string // "collector", "agent" or "gateway"
	bin    string
	config string
	env    []string
	log    string
	health string // health_check address, host:port

	mu      sync.Mutex
	cmd     *exec.Cmd
	done    chan struct{}
	killing bool     // the harness ended this incarnation and restarts it itself
	held    bool     // kept down on purpose (gateway away): start is a no-op
	starts  int      // incarnations so far
	kills   int      // SIGKILLs sent to a running process
	crashes []string // exits the harness did not cause
}

// start starts an incarnation unless one runs or the collector is held
// down; the supervisor and the fault timeline may both try.
func (c *collector) start() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.cmd != nil || c.held {
		return nil
	}
	lf, err := os.OpenFile(c.log, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return err
	}
	c.starts++
	fmt.Fprintf(lf, "=== start %d at %s\n", c.starts, time.Now().Format(time.RFC3339Nano))
	cmd := exec.Command(c.bin, "--config", c.config)
	cmd.Env = append(os.Environ(), c.env...)
	cmd.Stdout, cmd.Stderr = lf, lf
	// A test binary that dies takes its collectors with it.
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		_ = lf.Close()
		return err
	}
	done := make(chan struct{})
	c.cmd, c.done, c.killing = cmd, done, false
	go func() {
		err := cmd.Wait()
		_ = lf.Close()
		c.mu.Lock()
		if !c.killing {
			c.crashes = append(c.crashes, fmt.Sprintf("%s start %d exited by itself at %s: %v",
				c.name, c.starts, time.Now().Format("15:04:05.000"), err))
		}
		c.cmd = nil
		c.mu.Unlock()
		close(done)
	}()
	return nil
}

// signal ends the running incarnation with sig and waits up to wait for
// it, then SIGKILLs. It reports whether a process was running; fault says
// to count it as a kill.
func (c *collector) signal(sig syscall.Signal, wait time.Duration, fault bool) bool {
	c.mu.Lock()
	cmd, done := c.cmd, c.done
	if cmd == nil {
		c.mu.Unlock()
		return false
	}
	c.killing = true
	if fault {
		c.kills++
	}
	c.mu.Unlock()
	_ = cmd.Process.Signal(sig)
	select {
	case <-done:
	case <-time.After(wait):
		_ = cmd.Process.Kill()
		<-done
	}
	return true
}

// kill is the fault: SIGKILL, no chance to flush or checkpoint.
func (c *collector) kill() bool { return c.signal(syscall.SIGKILL, 10*time.Second, true) }

// stop is a graceful shutdown, as at the end of a run.
func (c *collector) stop() { c.signal(syscall.SIGTERM, 30*time.Second, false) }

// holdDown SIGKILLs the collector and keeps it down until release.
func (c *collector) holdDown() {
	c.mu.Lock()
	c.held = true
	c.mu.Unlock()
	c.signal(syscall.SIGKILL, 10*time.Second, false)
}

// release ends holdDown; it also restarts a collector the harness killed
// and has not restarted yet (the end of a run).
func (c *collector) release() error {
	c.mu.Lock()
	c.held = false
	c.mu.Unlock()
	return c.start()
}

// running reports whether an incarnation is alive.
func (c *collector) running() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.cmd != nil
}

// ensure restarts the collector if it exited by itself; the supervisor
// loop calls it, as the kubelet restarts a crashed container.
func (c *collector) ensure() error {
	c.mu.Lock()
	dead := c.cmd == nil && !c.killing && !c.held
	c.mu.Unlock()
	if dead {
		return c.start()
	}
	return nil
}

// waitHealthy polls the health_check extension until it answers 200.
func (c *collector) waitHealthy(timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	client := &http.Client{Timeout: time.Second}
	var last error = errors.New("not tried")
	for time.Now().Before(deadline) {
		if !c.running() {
			return fmt.Errorf("%s exited while starting; log:\n%s", c.name, tail(c.log, 4096))
		}
		resp, err := client.Get("http://" + c.health + "/")
		if err == nil {
			_ = resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
			err = fmt.Errorf("health check: %s", resp.Status)
		}
		last = err
		time.Sleep(50 * time.Millisecond)
	}
	return fmt.Errorf("%s not healthy after %v: %v; log:\n%s", c.name, timeout, last, tail(c.log, 4096))
}

func (c *collector) counts() (starts, kills int, crashes []string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.starts, c.kills, append([]string(nil), c.crashes...)
}

// tail is the last n bytes of path, from a line start.
func tail(path string, n int) string {
	b, err := os.ReadFile(path)
	if err != nil {
		return err.Error()
	}
	if len(b) > n {
		b = b[len(b)-n:]
		if i := strings.IndexByte(string(b), '\n'); i >= 0 {
			b = b[i+1:]
		}
	}
	return string(b)
}

// freeAddr is 127.0.0.1:<a port that was free a moment ago>.
func freeAddr(t testing.TB) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return "127.0.0.1:" + strconv.Itoa(l.Addr().(*net.TCPAddr).Port)
}

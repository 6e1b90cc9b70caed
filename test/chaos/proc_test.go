//go:build chaos

package chaos

import (
	"errors"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/k8s502/otelcol-k8s502/internal/testing/testproc"
)

// collector is one collector process played the way a kubelet runs a
// container: the harness kills it, restarts it with the same config and
// storage, and also restarts it when it exits by itself (a crash, counted).
// Each incarnation is a testproc.Proc appending to one log file, after a
// "=== start N" line.
type collector struct {
	name   string // "collector", "agent" or "gateway"
	bin    string
	config string
	env    []string
	log    string
	health string // health_check address, host:port

	mu      sync.Mutex
	proc    *testproc.Proc // the latest incarnation
	up      bool           // proc runs: set by start, cleared by watch
	done    chan struct{}  // closed by watch once proc's exit is accounted for
	ending  bool           // the harness ends this incarnation and restarts it itself
	held    bool           // kept down on purpose (gateway away): start is a no-op
	starts  int            // incarnations so far
	kills   int            // SIGKILLs sent to a running process
	crashes []string       // exits the harness did not cause
}

// graceful is the end of a run: SIGTERM, and SIGKILL only after 30 s (not
// an error here: a run judges what arrived, not how the process ended).
var graceful = testproc.Stopping{Signal: syscall.SIGTERM, Exit: 30 * time.Second, KillOK: true}

// start starts an incarnation unless one runs or the collector is held
// down; the supervisor and the fault timeline may both try.
func (c *collector) start() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.up || c.held {
		return nil
	}
	c.starts++
	if err := appendLine(c.log, fmt.Sprintf("=== start %d at %s\n", c.starts, time.Now().Format(time.RFC3339Nano))); err != nil {
		return err
	}
	cmd := exec.Command(c.bin, "--config", c.config)
	cmd.Env = append(os.Environ(), c.env...)
	p, err := testproc.Start(testproc.Config{Name: c.name, Cmd: cmd, LogFile: c.log, AppendLog: true, Stop: graceful})
	if err != nil {
		return err
	}
	done := make(chan struct{})
	c.proc, c.up, c.done, c.ending = p, true, done, false
	go c.watch(p, c.starts, done)
	return nil
}

// watch counts the incarnation's exit as a crash unless the harness ended
// it, and marks the collector down.
func (c *collector) watch(p *testproc.Proc, start int, done chan struct{}) {
	<-p.Done()
	_, err := p.Exited()
	c.mu.Lock()
	if !c.ending {
		c.crashes = append(c.crashes, fmt.Sprintf("%s start %d exited by itself at %s: %v",
			c.name, start, time.Now().Format("15:04:05.000"), err))
	}
	c.up = false
	c.mu.Unlock()
	close(done)
}

// end ends the running incarnation with how and waits until watch has
// seen it go. It reports whether one was running; fault counts it as a
// kill.
func (c *collector) end(how func(*testproc.Proc), fault bool) bool {
	c.mu.Lock()
	p, done := c.proc, c.done
	if !c.up {
		c.mu.Unlock()
		return false
	}
	c.ending = true
	if fault {
		c.kills++
	}
	c.mu.Unlock()
	how(p)
	<-done
	return true
}

// kill is the fault: SIGKILL, no chance to flush or checkpoint.
func (c *collector) kill() bool { return c.end((*testproc.Proc).Kill, true) }

// stop is a graceful shutdown, as at the end of a run.
func (c *collector) stop(t testing.TB) { c.end(func(p *testproc.Proc) { p.Stop(t) }, false) }

// holdDown SIGKILLs the collector and keeps it down until release.
func (c *collector) holdDown() {
	c.mu.Lock()
	c.held = true
	c.mu.Unlock()
	c.end((*testproc.Proc).Kill, false)
}

// release ends holdDown; it also restarts a collector the harness killed
// and has not restarted yet (the end of a run).
func (c *collector) release() error {
	c.mu.Lock()
	c.held = false
	c.mu.Unlock()
	return c.start()
}

// ensure restarts the collector if it exited by itself; the supervisor
// loop calls it, as the kubelet restarts a crashed container.
func (c *collector) ensure() error {
	c.mu.Lock()
	dead := !c.up && !c.ending && !c.held
	c.mu.Unlock()
	if dead {
		return c.start()
	}
	return nil
}

// waitHealthy polls the health_check extension until it answers 200; an
// incarnation that exits first, or is not healthy in time, fails it with
// the tail of the log.
func (c *collector) waitHealthy(timeout time.Duration) error {
	c.mu.Lock()
	p := c.proc
	c.mu.Unlock()
	if p == nil {
		return fmt.Errorf("%s was never started", c.name)
	}
	client := &http.Client{Timeout: time.Second}
	return p.WaitReady(timeout, 50*time.Millisecond, func() error {
		resp, err := client.Get("http://" + c.health + "/")
		if err != nil {
			return err
		}
		_ = resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			return fmt.Errorf("health check: %s", resp.Status)
		}
		return nil
	})
}

func (c *collector) counts() (starts, kills int, crashes []string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.starts, c.kills, append([]string(nil), c.crashes...)
}

// tail is about the last n bytes of the log, every incarnation's.
func (c *collector) tail(n int) string {
	c.mu.Lock()
	p := c.proc
	c.mu.Unlock()
	if p == nil {
		return ""
	}
	return p.Tail(n)
}

func appendLine(path, line string) error {
	f, err := os.OpenFile(path, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return err
	}
	_, err = f.WriteString(line)
	return errors.Join(err, f.Close())
}

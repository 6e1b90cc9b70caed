package testproc

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/k8s502/otelcol-k8s502/internal/testing/testcri"
)

func TestProgramLogsToItsFileAndStops(t *testing.T) {
	dir := t.TempDir()
	p := StartProgram(t, dir, "/bin/sh", "-c", "echo started; echo oops >&2; exec sleep 60")
	p.WaitFor(t, 10*time.Second, func() error {
		if !strings.Contains(p.Tail(1<<10), "oops") {
			return errors.New("no output yet")
		}
		return nil
	})
	if got, want := p.LogPath(), filepath.Join(dir, "sh.log"); got != want {
		t.Errorf("LogPath %s, want %s", got, want)
	}
	p.Stop(t)
	if exited, err := p.Exited(); !exited || err == nil {
		t.Errorf("after Stop: exited %v, %v; want exited by SIGTERM", exited, err)
	}
	if tail := p.Tail(1 << 10); tail != "started\noops\n" {
		t.Errorf("Tail %q", tail)
	}
}

func TestStopKillsTheWholeGroup(t *testing.T) {
	dir := t.TempDir()
	log, err := testcri.Create(testcri.Container{Root: dir, Namespace: "ns", Pod: "pod", Name: "c"})
	if err != nil {
		t.Fatal(err)
	}
	// The shell ignores SIGTERM and leaves a child holding the pipes.
	cmd := exec.Command("/bin/sh", "-c", `trap "" TERM; sleep 60 & echo "child $!"; wait`)
	p, err := Start(Config{Name: "sh", Cmd: cmd, CRI: log, Stop: Stopping{Signal: syscall.SIGTERM, Exit: 300 * time.Millisecond, KillOK: true}})
	if err != nil {
		t.Fatal(err)
	}
	line := WaitCount(t, p, 1, "stdout lines", func() []string { return p.StdoutLines(t) })[0]
	var child int
	if _, err := fmt.Sscanf(line, "child %d", &child); err != nil {
		t.Fatalf("%q: %v", line, err)
	}
	if p.stop() {
		t.Fatal("a shell ignoring SIGTERM stopped gracefully")
	}
	deadline := time.Now().Add(5 * time.Second)
	for alive(child) {
		if time.Now().After(deadline) {
			t.Fatalf("child %d outlived the SIGKILL to the group", child)
		}
		time.Sleep(10 * time.Millisecond)
	}
	if !strings.Contains(p.Tail(1<<10), "stdout: child ") {
		t.Errorf("Tail of a CRI log: %q", p.Tail(1<<10))
	}
}

// alive is false for a process gone or a zombie (nothing may reap an
// orphan where PID 1 is not an init).
func alive(pid int) bool {
	if syscall.Kill(pid, 0) != nil {
		return false
	}
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return true
	}
	f := strings.Fields(string(b[strings.LastIndexByte(string(b), ')')+1:]))
	return len(f) == 0 || f[0] != "Z"
}

func TestWaitReadyTellsAPortTaken(t *testing.T) {
	p, err := Start(Program(t.TempDir(), "/bin/sh", "-c", "echo 'listen tcp 127.0.0.1:1: bind: address already in use' >&2; exit 1"))
	if err != nil {
		t.Fatal(err)
	}
	err = p.WaitReady(10*time.Second, 10*time.Millisecond, func() error { return errors.New("never") })
	if err == nil || !strings.Contains(err.Error(), "exited (exit status 1)") || !strings.Contains(err.Error(), AddrInUse) {
		t.Fatalf("WaitReady: %v", err)
	}
}

type fakeProc struct{ stopped *int }

func (f fakeProc) Stop(testing.TB) { *f.stopped++ }

func TestStartRetryingRetriesOnlyAPortTaken(t *testing.T) {
	calls, stopped := 0, 0
	t.Run("start", func(t *testing.T) {
		StartRetrying(t, "fake", AddrInUse, func() (fakeProc, error) {
			calls++
			if calls < 3 {
				return fakeProc{}, errors.New("fake did not start: bind: " + AddrInUse)
			}
			return fakeProc{stopped: &stopped}, nil
		})
	})
	if calls != 3 || stopped != 1 {
		t.Errorf("%d calls, stopped %d times; want 3 calls and one Stop in Cleanup", calls, stopped)
	}
}

func TestBuiltTakesTheHighestVersion(t *testing.T) {
	cache := t.TempDir()
	t.Setenv("K8S502_E2E_CACHE", cache)
	t.Setenv("K8S502_TEST_BIN", "")
	for _, v := range []string{"v1.9.0", "v1.10.0", "v1.10.0-rc.1"} {
		d := filepath.Join(cache, "prog-"+v)
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(d, "prog"), nil, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	got, err := Built("prog", "K8S502_TEST_BIN")
	if want := filepath.Join(cache, "prog-v1.10.0-rc.1", "prog"); err != nil || got != want {
		t.Errorf("Built: %s, %v; want %s", got, err, want)
	}
	if got, err := Built("absent", "K8S502_TEST_BIN"); got != "" || err != nil {
		t.Errorf("Built(absent): %q, %v", got, err)
	}
	t.Setenv("K8S502_TEST_BIN", filepath.Join(cache, "nowhere"))
	if _, err := Built("prog", "K8S502_TEST_BIN"); err == nil {
		t.Error("Built with the env naming a missing file: no error")
	}
}

func TestKillEndsAProcessIgnoringSIGTERMAndDoneTells(t *testing.T) {
	p, err := Start(Program(t.TempDir(), "/bin/sh", "-c", `trap "" TERM; echo up; while :; do sleep 1; done`))
	if err != nil {
		t.Fatal(err)
	}
	p.WaitFor(t, 10*time.Second, func() error {
		if p.Tail(1<<10) != "up\n" {
			return errors.New("not up yet")
		}
		return nil
	})
	select {
	case <-p.Done():
		t.Fatal("Done closed while the process runs")
	default:
	}
	p.Kill()
	select {
	case <-p.Done():
	default:
		t.Fatal("Done still open after Kill")
	}
	var exit *exec.ExitError
	if exited, err := p.Exited(); !exited || !errors.As(err, &exit) || exit.Sys().(syscall.WaitStatus).Signal() != syscall.SIGKILL {
		t.Errorf("after Kill: exited %v, %v; want killed by SIGKILL", exited, err)
	}
	p.Stop(t) // a no-op on a process gone, not a SIGKILL to report
}

func TestAppendLogKeepsEveryRun(t *testing.T) {
	log := filepath.Join(t.TempDir(), "restarted.log")
	for _, word := range []string{"first", "second"} {
		p, err := Start(Config{Name: "echo", Cmd: exec.Command("/bin/echo", word), LogFile: log, AppendLog: true, Stop: terminate})
		if err != nil {
			t.Fatal(err)
		}
		<-p.Done()
		p.Stop(t)
	}
	if b, err := os.ReadFile(log); err != nil || string(b) != "first\nsecond\n" {
		t.Errorf("log after two runs: %q, %v", b, err)
	}
}

func TestRunReturnsOutputAndExitStatus(t *testing.T) {
	out, err := Run(exec.Command("/bin/sh", "-c", "echo out; echo err >&2; echo out again; exit 3"), 10*time.Second)
	var exit *exec.ExitError
	if !errors.As(err, &exit) || exit.ExitCode() != 3 {
		t.Errorf("Run: %v; want exit status 3", err)
	}
	if string(out) != "out\nerr\nout again\n" {
		t.Errorf("output %q", out)
	}
	if out, err := Run(exec.Command("/bin/true"), 10*time.Second); err != nil || len(out) != 0 {
		t.Errorf("Run(true): %q, %v", out, err)
	}
}

func TestRunKillsTheGroupPastTheTimeout(t *testing.T) {
	began := time.Now()
	// The child holds the output: only a SIGKILL to the group ends Wait.
	out, err := Run(exec.Command("/bin/sh", "-c", `trap "" TERM; sleep 60 & echo started; wait`), 300*time.Millisecond)
	if err == nil || !strings.Contains(err.Error(), "killed after 300ms") {
		t.Errorf("Run: %v; want killed after 300ms", err)
	}
	if string(out) != "started\n" {
		t.Errorf("output %q", out)
	}
	if d := time.Since(began); d > 10*time.Second {
		t.Errorf("Run returned after %v", d)
	}
}

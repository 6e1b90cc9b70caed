//go:build chaos

package chaos

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// The collector harness, on a shell standing in for the binary: a SIGKILL
// or a hold is the harness's and counts as no crash; an exit by itself is
// a crash, and ensure restarts it; every incarnation appends to one log
// after its "=== start N" line.
func TestCollectorCountsKillsAndCrashes(t *testing.T) {
	dir := t.TempDir()
	bin := filepath.Join(dir, "fake-collector")
	crash := filepath.Join(dir, "crash")
	script := "#!/bin/sh\necho up\nwhile [ ! -f \"$CRASH\" ]; do sleep 0.02; done\nexit 2\n"
	if err := os.WriteFile(bin, []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	c := &collector{name: "fake", bin: bin, config: "unused.yaml", env: []string{"CRASH=" + crash}, log: filepath.Join(dir, "fake.log")}
	ups := 0
	waitUp := func() {
		t.Helper()
		ups++
		deadline := time.Now().Add(10 * time.Second)
		for strings.Count(c.tail(1<<20), "up\n") < ups {
			if time.Now().After(deadline) {
				t.Fatalf("incarnation %d not up; log:\n%s", ups, c.tail(1<<20))
			}
			time.Sleep(10 * time.Millisecond)
		}
	}
	check := func(step string, starts, kills, crashes int) {
		t.Helper()
		s, k, cr := c.counts()
		if s != starts || k != kills || len(cr) != crashes {
			t.Fatalf("%s: %d starts, %d kills, crashes %q; want %d, %d, %d", step, s, k, cr, starts, kills, crashes)
		}
	}

	if err := c.start(); err != nil {
		t.Fatal(err)
	}
	waitUp()
	if err := c.start(); err != nil { // one runs: a no-op
		t.Fatal(err)
	}
	if !c.kill() {
		t.Fatal("kill found nothing running")
	}
	if err := c.ensure(); err != nil { // the harness restarts a killed one itself
		t.Fatal(err)
	}
	check("killed", 1, 1, 0)
	if c.kill() {
		t.Fatal("kill of a collector down reported a kill")
	}

	if err := c.start(); err != nil {
		t.Fatal(err)
	}
	waitUp()
	if err := os.WriteFile(crash, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(10 * time.Second)
	for _, _, cr := c.counts(); len(cr) == 0; _, _, cr = c.counts() {
		if time.Now().After(deadline) {
			t.Fatal("the exit by itself was not counted as a crash")
		}
		time.Sleep(10 * time.Millisecond)
	}
	check("crashed", 2, 1, 1)
	if _, _, cr := c.counts(); !strings.Contains(cr[0], "fake start 2 exited by itself") || !strings.Contains(cr[0], "exit status 2") {
		t.Errorf("crash %q", cr[0])
	}
	if err := os.Remove(crash); err != nil {
		t.Fatal(err)
	}
	if err := c.ensure(); err != nil {
		t.Fatal(err)
	}
	waitUp()
	check("restarted after the crash", 3, 1, 1)

	c.holdDown()
	if err := c.ensure(); err != nil {
		t.Fatal(err)
	}
	check("held down", 3, 1, 1)
	if err := c.release(); err != nil {
		t.Fatal(err)
	}
	waitUp()
	c.stop(t)
	check("stopped", 4, 1, 1)

	log := c.tail(1 << 20)
	for _, n := range []string{"1", "2", "3", "4"} {
		if !strings.Contains(log, "=== start "+n+" at ") {
			t.Errorf("no start %s in the log:\n%s", n, log)
		}
	}
}

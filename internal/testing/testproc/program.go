package testproc

import (
	"os/exec"
	"path/filepath"
	"testing"
)

// Program is the Config of bin run with args the way the e2e programs are
// (etcd, kube-apiserver, VictoriaLogs, the collector): both streams into
// <dir>/<name>.log, stopped as the kubelet stops a container: SIGTERM, then
// SIGKILL to the group after 10 s (routine, not a test error).
func Program(dir, bin string, args ...string) Config {
	name := filepath.Base(bin)
	return Config{Name: name, Cmd: exec.Command(bin, args...), LogFile: filepath.Join(dir, name+".log"), Stop: terminate}
}

// StartProgram starts Program(dir, bin, args...) and stops it in
// t.Cleanup; a failure to start fails the test. It does not wait for
// readiness: see WaitFor.
func StartProgram(t testing.TB, dir, bin string, args ...string) *Proc {
	t.Helper()
	p, err := Start(Program(dir, bin, args...))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { p.Stop(t) })
	return p
}

package testproc

import (
	"bytes"
	"fmt"
	"os/exec"
	"sync/atomic"
	"syscall"
	"time"
)

// Run runs cmd to its end, for a command whose output is the result
// (`otelcol-k8s502 validate`): in its own process group like Start (killed
// with the test binary on Linux), its stdout and stderr interleaved as
// written, as CombinedOutput returns them, with Wait's error (an
// *exec.ExitError for a non-zero exit status). Past timeout the group is
// SIGKILLed and the error says so. cmd's Env and Dir are left alone; its
// Stdout and Stderr must be unset.
func Run(cmd *exec.Cmd, timeout time.Duration) ([]byte, error) {
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	cmd.SysProcAttr = sysProcAttr()
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	var late atomic.Bool
	pid := cmd.Process.Pid
	timer := time.AfterFunc(timeout, func() {
		late.Store(true)
		// The group: a child left holding the output would keep Wait waiting.
		_ = syscall.Kill(-pid, syscall.SIGKILL)
	})
	err := cmd.Wait()
	timer.Stop()
	if late.Load() {
		err = fmt.Errorf("killed after %v: %w", timeout, err)
	}
	return out.Bytes(), err
}

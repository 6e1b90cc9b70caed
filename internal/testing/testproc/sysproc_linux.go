package testproc

import "syscall"

// Its own process group, so a SIGKILL fallback also reaches the workers
// that hold the pipes open; and a test binary killed outright takes the
// process with it.
func sysProcAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
}

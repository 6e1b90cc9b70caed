package testcluster

import "syscall"

// A test binary killed outright takes its servers with it.
func sysProcAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
}

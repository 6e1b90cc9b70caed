//go:build !linux

package testproc

import "syscall"

// Its own process group, so a SIGKILL fallback also reaches the workers
// that hold the pipes open.
func sysProcAttr() *syscall.SysProcAttr { return &syscall.SysProcAttr{Setpgid: true} }

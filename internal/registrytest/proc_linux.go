package registrytest

import "syscall"

// sysProcAttr kills the registry when the thread that started it ends, so
// that a test binary that dies leaves no registry behind.
func sysProcAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
}

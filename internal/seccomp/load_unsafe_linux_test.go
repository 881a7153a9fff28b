package seccomp

import (
	"unsafe"

	"golang.org/x/sys/unix"
)

// Instruction converts to unix.SockFilter: same fields, same layout.
var _ = unix.SockFilter(Instruction{})

// load installs p on every thread of the process (TSYNC: Go runs on many
// threads). no_new_privs must be set first unless the caller has
// CAP_SYS_ADMIN.
func load(p Program) error {
	b := p.Bytes()
	prog := unix.SockFprog{Len: uint16(len(p)), Filter: (*unix.SockFilter)(unsafe.Pointer(&b[0]))}
	r, _, errno := unix.Syscall(unix.SYS_SECCOMP, unix.SECCOMP_SET_MODE_FILTER, unix.SECCOMP_FILTER_FLAG_TSYNC, uintptr(unsafe.Pointer(&prog)))
	if errno != 0 {
		return errno
	}
	if r != 0 {
		return unix.ESRCH // TSYNC failed: r is the thread that could not sync
	}
	return nil
}

// ioUringSetup calls io_uring_setup(1, &params).
func ioUringSetup() unix.Errno {
	var params [120]byte // struct io_uring_params
	_, _, errno := unix.Syscall(unix.SYS_IO_URING_SETUP, 1, uintptr(unsafe.Pointer(&params[0])), 0)
	return errno
}

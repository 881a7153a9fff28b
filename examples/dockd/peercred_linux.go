package main

import (
	"net"

	"golang.org/x/sys/unix"
)

// peerCred returns the uid, gid and pid of the process at the other end
// of a unix socket connection (SO_PEERCRED: what the kernel recorded at
// connect, which the client cannot forge).
func peerCred(c net.Conn) (uid, gid uint32, pid int32, ok bool) {
	uc, isUnix := c.(*net.UnixConn)
	if !isUnix {
		return 0, 0, 0, false
	}
	raw, err := uc.SyscallConn()
	if err != nil {
		return 0, 0, 0, false
	}
	var cred *unix.Ucred
	var credErr error
	if err := raw.Control(func(fd uintptr) {
		cred, credErr = unix.GetsockoptUcred(int(fd), unix.SOL_SOCKET, unix.SO_PEERCRED)
	}); err != nil || credErr != nil {
		return 0, 0, 0, false
	}
	return cred.Uid, cred.Gid, cred.Pid, true
}

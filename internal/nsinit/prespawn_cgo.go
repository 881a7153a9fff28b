//go:build linux && cgo

package nsinit

// int dock_take_prespawned(int *zygote_pid);
// int dock_prespawn_flags(void);
// int dock_prespawned_waiting(void);
import "C"

import (
	"encoding/binary"
	"io"
	"sync"

	"golang.org/x/sys/unix"
)

var takeMu sync.Mutex

// PrespawnedWaiting reports whether a prespawned init waits to be taken.
func PrespawnedWaiting() bool {
	takeMu.Lock()
	defer takeMu.Unlock()
	return C.dock_prespawned_waiting() != 0
}

// TakePrespawned returns the prespawned init when it is in the namespaces
// flags asks for, once per process; nil when the program did not ask for
// one, when it was taken, when the namespaces differ, or when the clone
// failed (a program without the privileges, for one).
func TakePrespawned(flags uintptr) *Prespawned {
	if flags != uintptr(C.dock_prespawn_flags()) {
		return nil
	}
	takeMu.Lock()
	var z C.int
	fd := int(C.dock_take_prespawned(&z))
	takeMu.Unlock()
	if fd < 0 {
		return nil
	}
	conn, err := newConn(fd, "prespawned-sync")
	var b [4]byte
	if err == nil {
		_, err = io.ReadFull(conn.f, b[:])
	}
	// The zygote has reported (or its socket is closed) and exits: reap it.
	unix.Wait4(int(z), nil, 0, nil)
	pid := int(int32(binary.LittleEndian.Uint32(b[:])))
	if err != nil || pid <= 0 {
		if conn != nil {
			conn.Close()
		}
		return nil
	}
	return &Prespawned{Pid: pid, Flags: uintptr(C.dock_prespawn_flags()), Conn: conn}
}

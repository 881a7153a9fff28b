//go:build linux

package nsinit

import (
	"errors"
	"fmt"
	"os"

	"golang.org/x/sys/unix"
)

// Prespawned is an init that the program forked as it started (see
// package github.com/go-dock/dock/prespawn): a process in new mount, PID,
// UTS, IPC and network namespaces, a child of this program, waiting for
// its plan on Sync. The plan must begin with Stdio, and travel with the
// three stdio descriptors (SendPlan).
type Prespawned struct {
	Pid   int
	Flags uintptr  // the namespaces it is in
	Sync  *os.File // the engine's end of its sync socket
}

// SendPlan sends p to the prespawned init with its stdin, stdout and
// stderr.
func (pre *Prespawned) SendPlan(p *Plan, stdio [3]*os.File) error {
	b := p.Bytes()
	rights := unix.UnixRights(int(stdio[0].Fd()), int(stdio[1].Fd()), int(stdio[2].Fd()))
	conn := int(pre.Sync.Fd())
	n, err := unix.SendmsgN(conn, b[:4], rights, nil, 0)
	if err == nil && n != 4 {
		err = errors.New("short write")
	}
	if err == nil {
		_, err = pre.Sync.Write(b[4:])
	}
	if err != nil {
		return fmt.Errorf("send plan to init: %w", err)
	}
	return nil
}

// Discard kills and reaps an init that was taken but will not be used.
func (pre *Prespawned) Discard() {
	pre.Sync.Close()
	unix.Kill(pre.Pid, unix.SIGKILL)
	unix.Wait4(pre.Pid, nil, 0, nil)
}

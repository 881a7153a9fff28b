//go:build linux

package nsinit

import (
	"context"
	"os"

	"golang.org/x/sys/unix"
)

// Prespawned is an init that the program forked as it started (see
// package github.com/go-dock/dock/prespawn): a process in new mount, PID,
// UTS, IPC and network namespaces, a child of this program, waiting for
// its plan on Conn. The plan must begin with Stdio, and travel with the
// three stdio descriptors (SendPlan).
type Prespawned struct {
	Pid   int
	Flags uintptr // the namespaces it is in
	Conn  *Conn   // the engine's end of its sync socket
}

// SendPlan sends p to the prespawned init with its stdin, stdout and
// stderr, or fails with ctx's error once ctx ends.
func (pre *Prespawned) SendPlan(ctx context.Context, p *Plan, stdio [3]*os.File) error {
	return pre.Conn.sendWithFiles(ctx, p, stdio)
}

// Discard kills and reaps an init that was taken but will not be used.
func (pre *Prespawned) Discard() {
	pre.Conn.Close()
	unix.Kill(pre.Pid, unix.SIGKILL)
	unix.Wait4(pre.Pid, nil, 0, nil)
}

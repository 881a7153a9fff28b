package dock

import (
	"context"
	"fmt"
	"os/exec"
	"syscall"

	"golang.org/x/sys/unix"

	"github.com/go-dock/dock/internal/nsinit"
)

// userns is a process that holds a user namespace with a container's ID
// maps, for the init to enter; Close ends it.
type userns struct {
	cmd  *exec.Cmd
	conn *nsinit.Conn
	file string // /proc/PID/ns/user
}

// usernsHolder starts this binary, in nsinit's pause mode, in a new user
// namespace with cfg's maps (written by the Go runtime before the exec).
// The init cannot make the namespace itself: it runs in a new PID
// namespace, where it cannot name a child in the host's /proc to write
// its maps.
func usernsHolder(ctx context.Context, cfg *Config) (*userns, error) {
	attr := &syscall.SysProcAttr{Cloneflags: unix.CLONE_NEWUSER, GidMappingsEnableSetgroups: true}
	for _, m := range cfg.UIDMap {
		attr.UidMappings = append(attr.UidMappings, syscall.SysProcIDMap{ContainerID: m.ContainerID, HostID: m.HostID, Size: m.Size})
	}
	for _, m := range cfg.GIDMap {
		attr.GidMappings = append(attr.GidMappings, syscall.SysProcIDMap{ContainerID: m.ContainerID, HostID: m.HostID, Size: m.Size})
	}
	cmd := nsinit.Command("dock-userns", attr)
	conn, err := nsinit.Start(cmd)
	if err != nil {
		return nil, fmt.Errorf("make user namespace: %w", err)
	}
	plan := new(nsinit.Plan)
	plan.Pause()
	if err := conn.Send(ctx, plan); err != nil {
		conn.Close()
		cmd.Wait()
		return nil, err
	}
	return &userns{cmd: cmd, conn: conn, file: fmt.Sprintf("/proc/%d/ns/user", cmd.Process.Pid)}, nil
}

func (u *userns) Close() error {
	u.conn.Close()
	return u.cmd.Wait()
}

package dock

import (
	"fmt"
	"os"
	"os/exec"
	"syscall"

	"golang.org/x/sys/unix"

	"github.com/go-dock/dock/internal/nsinit"
)

// userns is a process that holds a user namespace with a container's ID
// maps, for the init to enter; Close ends it.
type userns struct {
	cmd  *exec.Cmd
	sock *os.File
	file string // /proc/PID/ns/user
}

// usernsHolder starts this binary, in nsinit's pause mode, in a new user
// namespace with cfg's maps (written by the Go runtime before the exec).
// The init cannot make the namespace itself: it runs in a new PID
// namespace, where it cannot name a child in the host's /proc to write
// its maps.
func usernsHolder(cfg *Config) (*userns, error) {
	attr := &syscall.SysProcAttr{Cloneflags: unix.CLONE_NEWUSER, GidMappingsEnableSetgroups: true}
	for _, m := range cfg.UIDMap {
		attr.UidMappings = append(attr.UidMappings, syscall.SysProcIDMap{ContainerID: m.ContainerID, HostID: m.HostID, Size: m.Size})
	}
	for _, m := range cfg.GIDMap {
		attr.GidMappings = append(attr.GidMappings, syscall.SysProcIDMap{ContainerID: m.ContainerID, HostID: m.HostID, Size: m.Size})
	}
	cmd := nsinitCmd("dock-userns", attr)
	parent, err := startNsinit(cmd)
	if err != nil {
		return nil, fmt.Errorf("make user namespace: %w", err)
	}
	plan := new(nsinit.Plan)
	plan.Pause()
	if err := sendPlan(parent, plan); err != nil {
		parent.Close()
		cmd.Wait()
		return nil, err
	}
	return &userns{cmd: cmd, sock: parent, file: fmt.Sprintf("/proc/%d/ns/user", cmd.Process.Pid)}, nil
}

func (u *userns) Close() error {
	u.sock.Close()
	return u.cmd.Wait()
}

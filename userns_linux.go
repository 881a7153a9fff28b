package dock

import (
	"fmt"
	"os"
	"os/exec"
	"strconv"
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
	exe, err := exeFile()
	if err != nil {
		return nil, err
	}
	parent, child, err := socketPair()
	if err != nil {
		return nil, err
	}
	attr := &syscall.SysProcAttr{Cloneflags: unix.CLONE_NEWUSER, GidMappingsEnableSetgroups: true}
	for _, m := range cfg.UIDMap {
		attr.UidMappings = append(attr.UidMappings, syscall.SysProcIDMap{ContainerID: m.ContainerID, HostID: m.HostID, Size: m.Size})
	}
	for _, m := range cfg.GIDMap {
		attr.GidMappings = append(attr.GidMappings, syscall.SysProcIDMap{ContainerID: m.ContainerID, HostID: m.HostID, Size: m.Size})
	}
	cmd := &exec.Cmd{
		Path:        "/proc/self/fd/" + strconv.Itoa(nsinit.ExeFd),
		Args:        []string{"dock-userns"},
		Env:         []string{nsinit.Env + "=" + strconv.Itoa(nsinit.SyncFd)},
		ExtraFiles:  []*os.File{child, exe},
		SysProcAttr: attr,
	}
	err = cmd.Start()
	child.Close()
	if err != nil {
		parent.Close()
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

package cgroup

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"golang.org/x/sys/unix"
)

// v2Controllers are enabled in cgroup.subtree_control on the way down
// from the root, where the parent offers them.
var v2Controllers = []string{"cpu", "cpuset", "io", "memory", "pids"}

// v2Manager is a cgroup in a cgroup2 hierarchy mounted at root.
type v2Manager struct {
	root, path, dir string
}

func (m *v2Manager) Path() string { return m.path }

func (m *v2Manager) create(r Resources) (retErr error) {
	if _, err := os.Lstat(m.dir); err == nil {
		return fmt.Errorf("create cgroup %s: %s: %w", m.path, m.dir, fs.ErrExist)
	}
	// Walk down from the root: enable the controllers in each level's
	// subtree_control, then create the next level.
	dir := m.root
	parts := strings.Split(m.path, "/")
	for i, p := range parts {
		enableControllers(dir)
		dir = filepath.Join(dir, p)
		if i < len(parts)-1 {
			if err := os.Mkdir(dir, 0o755); err != nil && !errors.Is(err, fs.ErrExist) {
				return fmt.Errorf("create cgroup %s: %w", m.path, err)
			}
		}
	}
	if err := os.Mkdir(m.dir, 0o755); err != nil {
		return fmt.Errorf("create cgroup %s: %w", m.path, err)
	}
	defer func() {
		if retErr != nil {
			retErr = errors.Join(retErr, rmdir(m.dir))
		}
	}()
	return m.Apply(r)
}

// enableControllers writes "+ctrl" to dir/cgroup.subtree_control for each
// of v2Controllers that dir offers and has not enabled. It is best effort:
// a controller that cannot be enabled (a parent with processes, no
// delegation) shows up as a missing file when Apply writes its limit.
func enableControllers(dir string) {
	offered, err := readFile(dir, "cgroup.controllers")
	if err != nil {
		return
	}
	enabled, _ := readFile(dir, "cgroup.subtree_control")
	have := strings.Fields(enabled)
	for c := range strings.FieldsSeq(offered) {
		if slices.Contains(v2Controllers, c) && !slices.Contains(have, c) {
			_ = writeFile(dir, "cgroup.subtree_control", "+"+c)
		}
	}
}

func (m *v2Manager) Apply(r Resources) error {
	if err := Validate(r); err != nil {
		return err
	}
	for _, w := range v2Writes(r) {
		err := writeFile(m.dir, w.file, w.value)
		if err != nil && w.file == "io.bfq.weight" && errors.Is(err, fs.ErrNotExist) {
			// Without BFQ, the weight of io.cost.
			err = writeFile(m.dir, "io.weight", "default "+strconv.FormatUint(weightToV2(r.BlkioWeight), 10))
			w.file = "io.weight"
		}
		if err != nil && errors.Is(err, fs.ErrNotExist) {
			switch {
			case w.file == "memory.swap.max" && w.value == "max":
				continue
			case w.file == "memory.swap.max":
				err = noSwapAccounting(w.file)
			default:
				err = fmt.Errorf("%w (is the %s controller enabled in the parent's cgroup.subtree_control?)", err, w.ctrl)
			}
		}
		if err != nil {
			return err
		}
	}
	if r.Devices != nil {
		if err := m.setDevices(r.Devices); err != nil {
			return fmt.Errorf("set device rules of cgroup %s: %w", m.path, err)
		}
	}
	return nil
}

func (m *v2Manager) setDevices(rules []DeviceRule) error {
	prog, err := loadDeviceFilter(deviceFilter(rules))
	if err != nil {
		return err
	}
	defer unix.Close(prog)
	dirFd, err := unix.Open(m.dir, unix.O_DIRECTORY|unix.O_RDONLY|unix.O_CLOEXEC, 0)
	if err != nil {
		return fmt.Errorf("open %s: %w", m.dir, err)
	}
	defer unix.Close(dirFd)
	return attachDeviceFilter(dirFd, prog)
}

func (m *v2Manager) AddProc(pid int) error {
	if err := writeFile(m.dir, "cgroup.procs", strconv.Itoa(pid)); err != nil {
		return fmt.Errorf("add process %d: %w", pid, err)
	}
	return nil
}

func (m *v2Manager) Procs() ([]int, error) { return readProcs(m.dir) }

func (m *v2Manager) Stats() (Stats, error) {
	var s Stats
	var errs []error
	read := func(file string, optional bool) uint64 {
		n, err := readUint(m.dir, file)
		if err != nil && !(optional && errors.Is(err, fs.ErrNotExist)) {
			errs = append(errs, err)
		}
		return n
	}
	s.Memory.Usage = read("memory.current", false)
	s.Memory.MaxUsage = read("memory.peak", true) // kernel 5.19+
	s.Memory.Limit = read("memory.max", false)
	if kv, err := readKeyed(m.dir, "cpu.stat"); err != nil {
		errs = append(errs, err)
	} else {
		s.CPU = CPUStats{Usage: kv["usage_usec"] * 1000, User: kv["user_usec"] * 1000, System: kv["system_usec"] * 1000}
	}
	s.PIDs.Current = read("pids.current", false)
	s.PIDs.Limit = read("pids.max", false)
	// io.stat is there only where the parent enabled the io controller.
	if io, err := readFile(m.dir, "io.stat"); err == nil {
		s.BlockIO = parseV2IOStat(io)
	} else if !errors.Is(err, fs.ErrNotExist) {
		errs = append(errs, err)
	}
	if len(errs) > 0 {
		return s, fmt.Errorf("cgroup %s stats: %w", m.path, errors.Join(errs...))
	}
	return s, nil
}

// OOMKilled reads oom_kill of memory.events, which counts the processes of
// the cgroup and its descendants killed by the OOM killer.
func (m *v2Manager) OOMKilled() (bool, error) {
	kv, err := readKeyed(m.dir, "memory.events")
	if err != nil {
		return false, fmt.Errorf("oom status: %w", err)
	}
	return kv["oom_kill"] > 0, nil
}

func (m *v2Manager) frozen(want bool) (bool, error) {
	s, err := readFile(m.dir, "cgroup.events")
	if err != nil {
		return false, err
	}
	return (parseKeyed(s)["frozen"] == 1) == want, nil
}

func (m *v2Manager) setFrozen(freeze bool) error {
	v, verb := "0", "thaw"
	if freeze {
		v, verb = "1", "freeze"
	}
	if err := writeFile(m.dir, "cgroup.freeze", v); err != nil {
		return fmt.Errorf("%s cgroup %s: %w", verb, m.path, err)
	}
	ok, err := poll(waitTimeout, func() (bool, error) { return m.frozen(freeze) })
	if err == nil && !ok {
		err = fmt.Errorf("%s cgroup %s: not done after %v", verb, m.path, waitTimeout)
	}
	return err
}

func (m *v2Manager) Freeze() error {
	if err := m.setFrozen(true); err != nil {
		return errors.Join(err, m.setFrozen(false))
	}
	return nil
}

func (m *v2Manager) Thaw() error { return m.setFrozen(false) }

// Kill writes cgroup.kill (kernel 5.14 or later), which kills every
// process of the cgroup and its descendants at once; on older kernels it
// freezes, kills each process and thaws.
func (m *v2Manager) Kill() error {
	err := writeFile(m.dir, "cgroup.kill", "1")
	switch {
	case err == nil:
		err = waitEmpty(m.Procs, true)
	case errors.Is(err, fs.ErrNotExist):
		err = killAll(m.Procs, m.Freeze, m.Thaw)
	}
	if err != nil {
		return fmt.Errorf("kill cgroup %s: %w", m.path, err)
	}
	return nil
}

func (m *v2Manager) Destroy() error { return rmdir(m.dir) }

func (m *v2Manager) JoinFiles() []string { return nil }

func (m *v2Manager) Dirs() []string { return []string{m.dir} }

func (m *v2Manager) Fd() (int, error) {
	fd, err := unix.Open(m.dir, unix.O_PATH|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	if err != nil {
		return -1, fmt.Errorf("open cgroup %s: %w", m.path, err)
	}
	return fd, nil
}

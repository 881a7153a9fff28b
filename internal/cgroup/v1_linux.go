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
	"time"

	"golang.org/x/sys/unix"
)

// v1Manager is a cgroup on a cgroup v1 (legacy or hybrid) host: one
// directory per hierarchy. On hybrid hosts the cgroup is also created in
// the controller-less cgroup2 hierarchy (unified), which only tracks the
// processes: Kill uses its cgroup.kill.
type v1Manager struct {
	path string
	// dirs maps each mounted controller of v1Controllers to the cgroup's
	// directory in its hierarchy (co-mounted controllers share one).
	dirs map[string]string
	// order lists the distinct directories of dirs in creation order.
	order []string
	// primary is the controller whose cgroup.procs Procs reads.
	primary string
	// unified is the directory in the cgroup2 hierarchy on hybrid hosts,
	// else "".
	unified string
}

func newV1(path string, mode Mode) (*v1Manager, error) {
	mounts, unified, err := currentV1Mounts()
	if err != nil {
		return nil, fmt.Errorf("find cgroup hierarchies: %w", err)
	}
	m := &v1Manager{path: path, dirs: map[string]string{}}
	for _, c := range v1Controllers {
		mp, ok := mounts[c]
		if !ok {
			continue
		}
		d := filepath.Join(mp, path)
		m.dirs[c] = d
		if !slices.Contains(m.order, d) {
			m.order = append(m.order, d)
		}
	}
	for _, c := range []string{"pids", "freezer", "memory", "cpu", "cpuacct", "cpuset", "devices", "blkio"} {
		if _, ok := m.dirs[c]; ok {
			m.primary = c
			break
		}
	}
	if m.primary == "" {
		return nil, fmt.Errorf("find cgroup hierarchies: no cgroup v1 controller is mounted: %w", errors.ErrUnsupported)
	}
	if mode == Hybrid && unified != "" {
		m.unified = filepath.Join(unified, path)
	}
	return m, nil
}

func (m *v1Manager) Path() string { return m.path }

// allDirs is order plus the unified tracking directory.
func (m *v1Manager) allDirs() []string {
	if m.unified == "" {
		return m.order
	}
	return append(slices.Clip(m.order), m.unified)
}

func (m *v1Manager) create(r Resources) error {
	if err := m.checkFree(); err != nil {
		return err
	}
	if err := m.mkdirs(m.allDirs()); err != nil {
		return err
	}
	return m.setUp(r)
}

// createStaged creates the cgroup2 tracking directory of a hybrid host (the
// only part a process must be cloned into) and returns the function that
// creates the rest: the v1 hierarchies, which a process joins by itself
// (JoinFiles), and the limits.
func (m *v1Manager) createStaged(r Resources) (func() error, error) {
	if err := m.checkFree(); err != nil {
		return nil, err
	}
	if m.unified != "" {
		if err := m.mkdirs([]string{m.unified}); err != nil {
			return nil, err
		}
	}
	return func() error {
		if err := m.mkdirs(m.order); err != nil {
			return errors.Join(err, m.Destroy())
		}
		return m.setUp(r)
	}, nil
}

// checkFree fails when a directory of the cgroup exists already: a
// leftover that New must not adopt.
func (m *v1Manager) checkFree() error {
	for _, d := range m.allDirs() {
		if _, err := os.Lstat(d); err == nil {
			return fmt.Errorf("create cgroup %s: %s: %w", m.path, d, fs.ErrExist)
		}
	}
	return nil
}

// mkdirs creates the directories dirs, removing those it made when one
// fails.
func (m *v1Manager) mkdirs(dirs []string) (retErr error) {
	var created []string
	defer func() {
		if retErr != nil {
			for _, d := range slices.Backward(created) {
				retErr = errors.Join(retErr, rmdir(d))
			}
		}
	}()
	for _, d := range dirs {
		if err := os.MkdirAll(filepath.Dir(d), 0o755); err != nil {
			return fmt.Errorf("create cgroup %s: %w", m.path, err)
		}
		if d == m.dirs["cpuset"] {
			cloneCpuset(filepath.Dir(d))
		}
		if err := os.Mkdir(d, 0o755); err != nil {
			return fmt.Errorf("create cgroup %s: %w", m.path, err)
		}
		created = append(created, d)
	}
	return nil
}

// setUp gives the new cpuset cgroup its CPUs and nodes and applies r;
// when it fails, the cgroup's directories are removed.
func (m *v1Manager) setUp(r Resources) (retErr error) {
	defer func() {
		if retErr != nil {
			retErr = errors.Join(retErr, m.Destroy())
		}
	}()
	if d, ok := m.dirs["cpuset"]; ok {
		if err := fillCpuset(d, strings.Count(m.path, "/")+1); err != nil {
			return fmt.Errorf("create cgroup %s: %w", m.path, err)
		}
	}
	return m.Apply(r)
}

// cloneCpuset sets cgroup.clone_children in the cpuset directory parent
// (best effort): its new children then start with its CPUs and memory
// nodes, and fillCpuset finds nothing to copy for them.
func cloneCpuset(parent string) {
	if v, err := readFile(parent, "cgroup.clone_children"); err == nil && v != "1" {
		_ = writeFile(parent, "cgroup.clone_children", "1")
	}
}

// fillCpuset copies cpuset.cpus and cpuset.mems down from the nearest
// ancestor into each of the levels deepest directories ending in leaf
// that has them empty: a new v1 cpuset cgroup starts with none, and
// adding a process to it fails with ENOSPC.
func fillCpuset(leaf string, levels int) error {
	cpus, err1 := readFile(leaf, "cpuset.cpus")
	mems, err2 := readFile(leaf, "cpuset.mems")
	if err1 == nil && err2 == nil && cpus != "" && mems != "" {
		return nil // inherited (cloneCpuset)
	}
	dirs := []string{leaf}
	for range levels - 1 {
		dirs = append(dirs, filepath.Dir(dirs[len(dirs)-1]))
	}
	slices.Reverse(dirs) // top first
	for _, d := range dirs {
		for _, file := range []string{"cpuset.cpus", "cpuset.mems"} {
			cur, err := readFile(d, file)
			if err != nil {
				return err
			}
			if cur != "" {
				continue
			}
			parent, err := readFile(filepath.Dir(d), file)
			if err != nil {
				return err
			}
			if err := writeFile(d, file, parent); err != nil {
				return err
			}
		}
	}
	return nil
}

func (m *v1Manager) Apply(r Resources) error {
	if err := Validate(r); err != nil {
		return err
	}
	var curMemory int64
	if r.Memory != 0 && r.MemorySwap != 0 {
		if d, ok := m.dirs["memory"]; ok {
			n, err := readUint(d, "memory.limit_in_bytes")
			if err != nil {
				return err
			}
			curMemory = int64(min(n, 1<<62))
		}
	}
	for _, w := range v1Writes(r, curMemory) {
		d, ok := m.dirs[w.ctrl]
		if !ok {
			return fmt.Errorf("write %s %q: the %s controller is not mounted: %w", w.file, w.value, w.ctrl, errors.ErrUnsupported)
		}
		err := writeFile(d, w.file, w.value)
		if err != nil && w.file == "blkio.weight" && errors.Is(err, fs.ErrNotExist) {
			err = writeFile(d, "blkio.bfq.weight", w.value) // BFQ's, without CFQ
		}
		if err != nil && w.file == "memory.memsw.limit_in_bytes" && errors.Is(err, fs.ErrNotExist) {
			if w.value == "-1" {
				continue // unlimited swap is what we have without accounting
			}
			err = noSwapAccounting(w.file)
		}
		if err != nil {
			return err
		}
	}
	return nil
}

func (m *v1Manager) AddProc(pid int) error {
	for _, d := range m.allDirs() {
		if err := writeFile(d, "cgroup.procs", strconv.Itoa(pid)); err != nil {
			return fmt.Errorf("add process %d: %w", pid, err)
		}
	}
	return nil
}

func (m *v1Manager) Procs() ([]int, error) { return readProcs(m.dirs[m.primary]) }

func (m *v1Manager) Stats() (Stats, error) {
	var s Stats
	var errs []error
	read := func(dir, file string) uint64 {
		n, err := readUint(dir, file)
		if err != nil {
			errs = append(errs, err)
		}
		return n
	}
	if d, ok := m.dirs["memory"]; ok {
		s.Memory.Usage = read(d, "memory.usage_in_bytes")
		s.Memory.MaxUsage = read(d, "memory.max_usage_in_bytes")
		if s.Memory.Limit = read(d, "memory.limit_in_bytes"); s.Memory.Limit >= 1<<62 {
			s.Memory.Limit = 0 // PAGE_COUNTER_MAX pages: unlimited
		}
	}
	if d, ok := m.dirs["cpuacct"]; ok {
		s.CPU.Usage = read(d, "cpuacct.usage")
		user, uerr := readUint(d, "cpuacct.usage_user")
		sys, serr := readUint(d, "cpuacct.usage_sys")
		if uerr == nil && serr == nil {
			s.CPU.User, s.CPU.System = user, sys
		} else if kv, err := readKeyed(d, "cpuacct.stat"); err == nil {
			// Before kernel 4.7: USER_HZ (100) ticks.
			s.CPU.User, s.CPU.System = kv["user"]*1e7, kv["system"]*1e7
		}
	}
	if d, ok := m.dirs["pids"]; ok {
		s.PIDs.Current = read(d, "pids.current")
		s.PIDs.Limit = read(d, "pids.max")
	}
	if d, ok := m.dirs["blkio"]; ok {
		// The throttle files count every bio the cgroup issued,
		// whichever I/O scheduler runs (the CFQ files are gone since
		// kernel 5.0).
		bytes, err1 := readFile(d, "blkio.throttle.io_service_bytes_recursive")
		ops, err2 := readFile(d, "blkio.throttle.io_serviced_recursive")
		if err := errors.Join(err1, err2); err != nil {
			errs = append(errs, err)
		}
		s.BlockIO = BlkioStats{ServiceBytes: parseV1Blkio(bytes), Serviced: parseV1Blkio(ops)}
	}
	if len(errs) > 0 {
		return s, fmt.Errorf("cgroup %s stats: %w", m.path, errors.Join(errs...))
	}
	return s, nil
}

// OOMKilled reads memory.oom_control. Since kernel 4.13 it counts
// oom_kill; older kernels only say under_oom (the cgroup is at its limit
// with the OOM killer disabled or running), which is used instead.
// memory.failcnt is not used: it counts every time usage hit the limit,
// most of which reclaim resolves without a kill.
func (m *v1Manager) OOMKilled() (bool, error) {
	d, ok := m.dirs["memory"]
	if !ok {
		return false, fmt.Errorf("oom status: memory controller not mounted: %w", errors.ErrUnsupported)
	}
	kv, err := readKeyed(d, "memory.oom_control")
	if err != nil {
		return false, fmt.Errorf("oom status: %w", err)
	}
	if n, ok := kv["oom_kill"]; ok {
		return n > 0, nil
	}
	return kv["under_oom"] > 0, nil
}

func (m *v1Manager) freezer() (string, error) {
	d, ok := m.dirs["freezer"]
	if !ok {
		return "", fmt.Errorf("freeze cgroup %s: freezer controller not mounted: %w", m.path, errors.ErrUnsupported)
	}
	return d, nil
}

func (m *v1Manager) Freeze() error {
	d, err := m.freezer()
	if err != nil {
		return err
	}
	start := time.Now()
	ok, err := poll(waitTimeout, func() (bool, error) {
		// Re-request FROZEN each round: a freeze that met a task in an
		// uninterruptible sleep stays FREEZING until asked again.
		if err := writeFile(d, "freezer.state", "FROZEN"); err != nil {
			return false, err
		}
		state, err := readFile(d, "freezer.state")
		return state == "FROZEN", err
	})
	if err == nil && !ok {
		err = fmt.Errorf("freeze cgroup %s: still freezing after %v", m.path, time.Since(start).Round(time.Millisecond))
	}
	if err != nil {
		return errors.Join(err, m.Thaw())
	}
	return nil
}

func (m *v1Manager) Thaw() error {
	d, err := m.freezer()
	if err != nil {
		return err
	}
	if err := writeFile(d, "freezer.state", "THAWED"); err != nil {
		return err
	}
	ok, err := poll(waitTimeout, func() (bool, error) {
		state, err := readFile(d, "freezer.state")
		return state == "THAWED", err
	})
	if err == nil && !ok {
		err = fmt.Errorf("thaw cgroup %s: not thawed after %v", m.path, waitTimeout)
	}
	return err
}

// Kill uses cgroup.kill of the unified tracking cgroup on hybrid hosts
// (kernel 5.14 or later), then the freezer loop for whatever remains in
// the v1 hierarchies (processes moved there by others, older kernels).
func (m *v1Manager) Kill() error {
	if m.unified != "" {
		err := writeFile(m.unified, "cgroup.kill", "1")
		if err != nil && !errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("kill cgroup %s: %w", m.path, err)
		}
	}
	var freeze, thaw func() error
	if _, ok := m.dirs["freezer"]; ok {
		freeze, thaw = m.Freeze, m.Thaw
	}
	if err := killAll(m.Procs, freeze, thaw); err != nil {
		return fmt.Errorf("kill cgroup %s: %w", m.path, err)
	}
	return nil
}

func (m *v1Manager) Destroy() error {
	var errs []error
	for _, d := range slices.Backward(m.allDirs()) {
		errs = append(errs, rmdir(d))
	}
	return errors.Join(errs...)
}

func (m *v1Manager) Fd() (int, error) {
	if m.unified == "" {
		return -1, fmt.Errorf("cgroup %s: a cgroup fd for CLONE_INTO_CGROUP needs cgroup v2: %w", m.path, errors.ErrUnsupported)
	}
	fd, err := unix.Open(m.unified, unix.O_PATH|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	if err != nil {
		return -1, fmt.Errorf("open cgroup %s: %w", m.path, err)
	}
	return fd, nil
}

func (m *v1Manager) Dirs() []string { return slices.Clone(m.allDirs()) }

func (m *v1Manager) JoinFiles() []string {
	files := make([]string, len(m.order))
	for i, d := range m.order {
		files[i] = filepath.Join(d, "tasks")
	}
	return files
}

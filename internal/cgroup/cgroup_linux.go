package cgroup

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"golang.org/x/sys/unix"
)

// cgroupRoot is where hosts mount their cgroup filesystems.
const cgroupRoot = "/sys/fs/cgroup"

var detectMode = sync.OnceValue(func() Mode { return probeMode(cgroupRoot) })

func probeMode(root string) Mode {
	var st unix.Statfs_t
	if err := unix.Statfs(root, &st); err != nil {
		return Unknown
	}
	switch st.Type {
	case unix.CGROUP2_SUPER_MAGIC:
		return Unified
	case unix.CGROUP_SUPER_MAGIC: // a lone v1 hierarchy mounted at the root
		return Legacy
	}
	if err := unix.Statfs(filepath.Join(root, "unified"), &st); err == nil && st.Type == unix.CGROUP2_SUPER_MAGIC {
		return Hybrid
	}
	return Legacy
}

func newImpl(path string, r Resources) (Manager, error) {
	switch mode := detectMode(); mode {
	case Unified:
		m := &v2Manager{root: cgroupRoot, path: path, dir: filepath.Join(cgroupRoot, path)}
		return m, m.create(r)
	case Legacy, Hybrid:
		m, err := newV1(path, mode)
		if err != nil {
			return nil, err
		}
		return m, m.create(r)
	default:
		return nil, fmt.Errorf("create cgroup %s: no cgroup filesystem at %s: %w", path, cgroupRoot, errors.ErrUnsupported)
	}
}

func newStagedImpl(path string, r Resources) (Manager, func() error, error) {
	switch mode := detectMode(); mode {
	case Legacy, Hybrid:
		m, err := newV1(path, mode)
		if err != nil {
			return nil, nil, err
		}
		rest, err := m.createStaged(r)
		if err != nil {
			return nil, nil, err
		}
		return m, rest, nil
	default:
		m, err := newImpl(path, r)
		if err != nil {
			return nil, nil, err
		}
		return m, func() error { return nil }, nil
	}
}

func loadImpl(path string) (Manager, error) {
	switch mode := detectMode(); mode {
	case Unified:
		m := &v2Manager{root: cgroupRoot, path: path, dir: filepath.Join(cgroupRoot, path)}
		if _, err := os.Stat(m.dir); err != nil {
			return nil, fmt.Errorf("load cgroup %s: %w", path, err)
		}
		return m, nil
	case Legacy, Hybrid:
		m, err := newV1(path, mode)
		if err != nil {
			return nil, err
		}
		if _, err := os.Stat(m.dirs[m.primary]); err != nil {
			return nil, fmt.Errorf("load cgroup %s: %w", path, err)
		}
		return m, nil
	default:
		return nil, fmt.Errorf("load cgroup %s: no cgroup filesystem at %s: %w", path, cgroupRoot, errors.ErrUnsupported)
	}
}

func removeImpl(path string) error {
	switch mode := detectMode(); mode {
	case Unified:
		return rmdir(filepath.Join(cgroupRoot, path))
	case Legacy, Hybrid:
		m, err := newV1(path, mode)
		if err != nil {
			return err
		}
		return m.Destroy()
	default:
		return fmt.Errorf("remove cgroup %s: no cgroup filesystem at %s: %w", path, cgroupRoot, errors.ErrUnsupported)
	}
}

func onlineCPUs() (map[int]bool, error) {
	return readList("/sys/devices/system/cpu/online")
}

func onlineMems() (map[int]bool, error) {
	m, err := readList("/sys/devices/system/node/online")
	if errors.Is(err, fs.ErrNotExist) { // kernel without NUMA: node 0 only
		return map[int]bool{0: true}, nil
	}
	return m, err
}

func readList(file string) (map[int]bool, error) {
	b, err := os.ReadFile(file)
	if err != nil {
		return nil, err
	}
	return parseList(string(b))
}

// writeFile writes value to the existing cgroup file dir/file in one
// write(2), as cgroupfs wants. Errors read "write memory.max 16777216: ...".
func writeFile(dir, file, value string) error {
	if err := writeRaw(filepath.Join(dir, file), value); err != nil {
		return fmt.Errorf("write %s %q in %s: %w", file, value, dir, err)
	}
	return nil
}

func readFile(dir, file string) (string, error) {
	b, err := readRaw(filepath.Join(dir, file))
	if err != nil {
		return "", fmt.Errorf("read %s in %s: %w", file, dir, err)
	}
	return string(bytes.TrimSpace(b)), nil
}

// readUint reads a file holding one number; "max" (v2) reads as 0.
func readUint(dir, file string) (uint64, error) {
	s, err := readFile(dir, file)
	if err != nil {
		return 0, err
	}
	if s == "max" {
		return 0, nil
	}
	n, err := strconv.ParseUint(s, 10, 64)
	if err != nil {
		return 0, fmt.Errorf("read %s: %w", file, err)
	}
	return n, nil
}

// readKeyed reads a flat keyed file ("key value" lines: memory.events,
// cpu.stat, memory.oom_control). Values that are not numbers are skipped.
func readKeyed(dir, file string) (map[string]uint64, error) {
	s, err := readFile(dir, file)
	if err != nil {
		return nil, err
	}
	return parseKeyed(s), nil
}

func readProcs(dir string) ([]int, error) {
	s, err := readFile(dir, "cgroup.procs")
	if err != nil {
		return nil, err
	}
	var pids []int
	for f := range strings.FieldsSeq(s) {
		pid, err := strconv.Atoi(f)
		if err != nil {
			return nil, fmt.Errorf("read cgroup.procs: %w", err)
		}
		pids = append(pids, pid)
	}
	return pids, nil
}

// Bounds of the waits in Freeze, Thaw, Kill and Destroy.
const (
	waitTimeout = 10 * time.Second
	rmdirTries  = 8
)

// poll calls done with growing pauses (1 ms up to 50 ms) until it returns
// true or an error, or timeout passes (then it returns ok false).
func poll(timeout time.Duration, done func() (bool, error)) (bool, error) {
	deadline := time.Now().Add(timeout)
	pause := time.Millisecond
	for {
		ok, err := done()
		if ok || err != nil {
			return ok, err
		}
		if time.Now().After(deadline) {
			return false, nil
		}
		time.Sleep(pause)
		pause = min(2*pause, 50*time.Millisecond)
	}
}

// rmdir removes dir, retrying while it is busy (processes still exiting).
// A missing dir is not an error.
func rmdir(dir string) error {
	pause := 5 * time.Millisecond
	var err error
	for range rmdirTries {
		err = unix.Rmdir(dir)
		if err == nil || errors.Is(err, unix.ENOENT) {
			return nil
		}
		if !errors.Is(err, unix.EBUSY) {
			break
		}
		time.Sleep(pause)
		pause *= 2
	}
	return fmt.Errorf("remove cgroup %s: %w", dir, err)
}

// killProcs SIGKILLs pids; processes already gone are skipped.
func killProcs(pids []int) error {
	var errs []error
	for _, pid := range pids {
		if err := unix.Kill(pid, unix.SIGKILL); err != nil && !errors.Is(err, unix.ESRCH) {
			errs = append(errs, fmt.Errorf("kill %d: %w", pid, err))
		}
	}
	return errors.Join(errs...)
}

// killAll kills the processes of a cgroup with the freezer, for kernels
// without cgroup.kill: freeze (so nothing forks meanwhile), SIGKILL every
// process, thaw (frozen v1 tasks die only once thawed), then repeat until
// procs reports none or waitTimeout passes. freeze and thaw may be nil.
func killAll(procs func() ([]int, error), freeze, thaw func() error) error {
	var frozen bool
	if freeze != nil {
		frozen = freeze() == nil
	}
	pids, err := procs()
	if err == nil {
		err = killProcs(pids)
	}
	if frozen {
		err = errors.Join(err, thaw())
	}
	if err != nil {
		return err
	}
	return waitEmpty(procs, true)
}

// waitEmpty waits until procs reports no process; with again it SIGKILLs
// what it still finds at every round.
func waitEmpty(procs func() ([]int, error), again bool) error {
	var left []int
	ok, err := poll(waitTimeout, func() (bool, error) {
		pids, err := procs()
		if err != nil {
			return false, err
		}
		left = pids
		if len(pids) == 0 {
			return true, nil
		}
		if again {
			return false, killProcs(pids)
		}
		return false, nil
	})
	if err != nil {
		return err
	}
	if !ok {
		return fmt.Errorf("kill: processes %v still in the cgroup after %v", left, waitTimeout)
	}
	return nil
}

// noSwapAccounting explains a missing swap limit file.
func noSwapAccounting(file string) error {
	return fmt.Errorf("set memory+swap limit: %s is missing, swap accounting is off (boot with swapaccount=1 or enable CONFIG_MEMCG_SWAP): %w", file, errors.ErrUnsupported)
}

// V1Hierarchies lists the host's cgroup v1 hierarchies that dock uses, so
// that a container (in its own cgroup namespace) can mount them; nil on a
// cgroup v2 host.
func V1Hierarchies() ([]Hierarchy, error) {
	if DetectMode() == Unified {
		return nil, nil
	}
	return currentV1Hierarchies()
}

// Probe reports which of Features the host's cgroups offer, as Docker
// finds them: by the files at the root of each v1 hierarchy, or by the
// controllers the cgroup2 root offers. Probed once.
func Probe() Features { return probe() }

var probe = sync.OnceValue(func() Features {
	exists := func(p string) bool { _, err := os.Stat(p); return err == nil }
	if detectMode() == Unified {
		ctrls, _ := readFile(cgroupRoot, "cgroup.controllers")
		io := slices.Contains(strings.Fields(ctrls), "io")
		return Features{BlkioWeight: io, BlkioThrottle: io}
	}
	mounts, _, err := currentV1Mounts()
	if err != nil {
		return Features{}
	}
	var f Features
	if d, ok := mounts["memory"]; ok {
		f.OOMKillDisable = exists(filepath.Join(d, "memory.oom_control"))
	}
	if d, ok := mounts["blkio"]; ok {
		f.BlkioWeight = hasAny(exists, d, "blkio.weight", "blkio.bfq.weight")
		f.BlkioThrottle = hasAny(exists, d, "blkio.throttle.read_bps_device")
	}
	return f
})

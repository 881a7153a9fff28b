package cgroup

import (
	"fmt"
	"path"
	"strings"
)

// Mode is the cgroup layout of a host.
type Mode int

const (
	// Unknown means /sys/fs/cgroup holds no cgroup filesystem we recognise
	// (or the OS is not Linux).
	Unknown Mode = iota
	// Legacy is cgroup v1 only: one hierarchy per controller under
	// /sys/fs/cgroup/<controller>.
	Legacy
	// Hybrid is cgroup v1 for the controllers plus a controller-less
	// cgroup2 at /sys/fs/cgroup/unified.
	Hybrid
	// Unified is cgroup v2 only, mounted at /sys/fs/cgroup.
	Unified
)

func (m Mode) String() string {
	switch m {
	case Legacy:
		return "legacy"
	case Hybrid:
		return "hybrid"
	case Unified:
		return "unified"
	}
	return "unknown"
}

// DetectMode reports the host's cgroup layout. It probes /sys/fs/cgroup
// with statfs once per process and caches the answer; it is safe to call
// from several goroutines.
func DetectMode() Mode { return detectMode() }

// Manager controls one cgroup: on cgroup v1 the directory of the same
// relative path in every controller hierarchy, on cgroup v2 one directory.
//
// A Manager holds no open files and no goroutines; its methods may be
// called from several goroutines, but concurrent Apply calls on one cgroup
// race in the kernel as concurrent writes would.
type Manager interface {
	// Path is the cgroup's path relative to each hierarchy root, as given
	// to New or Load ("dock/<id>").
	Path() string
	// Apply writes the limits that r sets (zero fields are left alone).
	// It validates r first.
	Apply(r Resources) error
	// AddProc moves the process pid (all its threads) into the cgroup in
	// every hierarchy.
	AddProc(pid int) error
	// Procs lists the processes in the cgroup.
	Procs() ([]int, error)
	// Stats reads memory, CPU and pids accounting.
	Stats() (Stats, error)
	// OOMKilled reports whether the kernel OOM killer has killed a process
	// of this cgroup since it was created.
	OOMKilled() (bool, error)
	// Freeze stops every process of the cgroup and returns once the
	// kernel reports the cgroup frozen (at most 10 s; on timeout it thaws
	// again and returns an error).
	Freeze() error
	// Thaw resumes a frozen cgroup and waits until it is thawed.
	Thaw() error
	// Kill sends SIGKILL to every process of the cgroup, including those
	// forked meanwhile, and waits (at most 10 s) until the cgroup is empty.
	Kill() error
	// Destroy removes the cgroup directory in every hierarchy, retrying
	// while the kernel reports it busy. It does not kill processes: call
	// Kill first. Destroying a removed cgroup is not an error.
	Destroy() error
	// Fd opens the cgroup v2 directory with O_PATH|O_DIRECTORY|O_CLOEXEC
	// for clone3's CLONE_INTO_CGROUP (syscall.SysProcAttr.CgroupFD). The
	// caller closes it. On hybrid hosts it is the cgroup2 tracking
	// directory, and the v1 hierarchies still need AddProc or JoinFiles.
	// On cgroup v1 hosts it returns an error wrapping
	// errors.ErrUnsupported.
	Fd() (int, error)
	// JoinFiles lists, on cgroup v1 and hybrid hosts, the "tasks" file of
	// each v1 hierarchy: a single-threaded process that writes "0" to each
	// moves itself into the cgroup without the global lock that moving
	// another process takes (a wait of several milliseconds for an RCU
	// grace period). On cgroup v2 hosts it returns nil: use Fd.
	JoinFiles() []string
	// Dirs lists the cgroup's directories in every hierarchy, for a
	// process that removes them without this package (the monitor of a
	// detached container that removes itself).
	Dirs() []string
}

// New creates the cgroup path (relative, e.g. "dock/<id>") in every
// hierarchy it uses and applies r. It validates r and path before creating
// anything, fails with an error wrapping fs.ErrExist when the cgroup
// exists, and removes what it created when a later step fails.
//
// Where cgroups go: on cgroup v1 and hybrid hosts
// <mountpoint of each controller>/<path> (mount points are read from
// /proc/self/mountinfo); on cgroup v2 hosts /sys/fs/cgroup/<path>.
func New(path string, r Resources) (Manager, error) {
	p, err := cleanPath(path)
	if err != nil {
		return nil, err
	}
	if err := Validate(r); err != nil {
		return nil, err
	}
	return newImpl(p, r)
}

// NewStaged is New in two stages, so that a process can be cloned into the
// cgroup while the rest of it is made: it creates what a process must be
// born in (on cgroup v2 hosts the whole cgroup, limits applied; on hybrid
// hosts the cgroup2 tracking directory; on cgroup v1 hosts nothing) and
// returns the function that creates the rest (the v1 hierarchies, which a
// process joins by itself through JoinFiles, and their limits). Call it
// before the process joins; when it fails it removes the whole cgroup. If
// something else fails between the two stages, Destroy the Manager.
func NewStaged(path string, r Resources) (Manager, func() error, error) {
	p, err := cleanPath(path)
	if err != nil {
		return nil, nil, err
	}
	if err := Validate(r); err != nil {
		return nil, nil, err
	}
	return newStagedImpl(p, r)
}

// Load returns a Manager for an existing cgroup created by New (perhaps by
// another process). It fails with an error wrapping fs.ErrNotExist when
// the cgroup does not exist.
func Load(path string) (Manager, error) {
	p, err := cleanPath(path)
	if err != nil {
		return nil, err
	}
	return loadImpl(p)
}

// Remove removes the cgroup path (made by New, perhaps by another
// process) in every hierarchy where it is left, as Destroy does: for a
// cgroup that another process began to remove, which Load may no longer
// find. It does not kill processes. Removing a removed cgroup is not an
// error.
func Remove(path string) error {
	p, err := cleanPath(path)
	if err != nil {
		return err
	}
	return removeImpl(p)
}

// cleanPath checks that p names a cgroup below the hierarchy roots. A
// leading slash is allowed and dropped.
func cleanPath(p string) (string, error) {
	q := strings.TrimPrefix(p, "/")
	if q == "" || path.Clean(q) != q || q == "." || q == ".." || strings.HasPrefix(q, "../") {
		return "", fmt.Errorf("cgroup path %q: must be a clean relative path below the hierarchy root", p)
	}
	return q, nil
}

// Stats is a snapshot of a cgroup's accounting. A value the kernel does
// not provide is 0.
type Stats struct {
	Memory  MemoryStats
	CPU     CPUStats
	PIDs    PIDsStats
	BlockIO BlkioStats
}

// MemoryStats is in bytes. Usage includes the page cache (v1
// memory.usage_in_bytes, v2 memory.current).
type MemoryStats struct {
	Usage uint64
	// MaxUsage is the peak usage (v1 memory.max_usage_in_bytes, v2
	// memory.peak, kernel 5.19 or later).
	MaxUsage uint64
	// Limit is the memory limit; 0 means unlimited.
	Limit uint64
}

// CPUStats is in nanoseconds of CPU time.
type CPUStats struct {
	Usage, User, System uint64
}

// PIDsStats counts tasks (threads included, as the pids controller does).
type PIDsStats struct {
	Current uint64
	// Limit is pids.max; 0 means unlimited.
	Limit uint64
}

package dock

import (
	"bytes"
	"context"
	"fmt"
	"maps"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"

	"golang.org/x/sys/unix"

	"github.com/go-dock/dock/internal/nsinit"
)

// This file decides what the container init does, as data: the
// namespaces it makes or joins, the mounts of the kernel filesystems,
// devices and volumes in the new root (the root itself: overlay_linux.go),
// pivot_root, masked paths, identity and security profile. The C init in
// internal/nsinit only follows the plan.

// maskedPaths and readonlyPaths are Docker's defaults.
var maskedPaths = []string{
	"/proc/acpi", "/proc/asound", "/proc/interrupts", "/proc/kcore", "/proc/keys",
	"/proc/latency_stats", "/proc/sched_debug", "/proc/scsi", "/proc/timer_list",
	"/proc/timer_stats", "/sys/firmware", "/sys/devices/virtual/powercap",
}

var readonlyPaths = []string{
	"/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger",
}

// defaultDevices are the device nodes of a container's /dev (Docker's).
var defaultDevices = []struct {
	name         string
	major, minor uint32
}{
	{"null", 1, 3}, {"zero", 1, 5}, {"full", 1, 7}, {"random", 1, 8},
	{"urandom", 1, 9}, {"tty", 5, 0},
}

const (
	inRoot   = nsinit.MountInRoot
	mkdir    = nsinit.MountMkdir
	mkfile   = nsinit.MountMkfile
	noLinks  = nsinit.MountNoSymlinks
	remount  = nsinit.MountRemount
	nsuidev  = unix.MS_NOSUID | unix.MS_NODEV
	nsuidevx = unix.MS_NOSUID | unix.MS_NODEV | unix.MS_NOEXEC
)

// initCloneFlags are the namespaces of a new container: all new but
// those it shares with the host or joins (Network, IPC, PID, UTS).
func initCloneFlags(l *launch) uintptr {
	cfg := &l.rec.Config
	flags := uintptr(unix.CLONE_NEWNS)
	if cfg.PID == "" {
		flags |= unix.CLONE_NEWPID
	}
	if cfg.UTS == "" {
		flags |= unix.CLONE_NEWUTS
	}
	if ownNamespace(cfg.IPC) {
		flags |= unix.CLONE_NEWIPC
	}
	if cfg.Network != "host" {
		flags |= unix.CLONE_NEWNET
	}
	// A user namespace is entered late, by the init itself (see
	// nsinit.Plan.Userns): every other namespace belongs to the host's.
	return flags
}

// initPlan is the setup of a new container, in runc's order (but for the
// cgroup, joined once the kernel filesystems are mounted): mounts in the
// new root, pivot_root, masks, hostname, limits, identity, capabilities,
// no_new_privs, seccomp, working directory, exec.
func initPlan(l *launch) *nsinit.Plan { return rootPlan(l).Append(restPlan(l)) }

// rootPlan is the first part of initPlan, which needs neither the cgroup
// nor the resolved profile: the root filesystem and the kernel
// filesystems in it. A prespawned init carries it out while the engine
// makes the cgroup.
func rootPlan(l *launch) *nsinit.Plan {
	cfg := &l.rec.Config
	p := new(nsinit.Plan)
	if l.pidns != "" && l.pdeathsig {
		p.Pdeathsig(int(unix.SIGKILL)) // not set at the clone (initCmd)
	}
	if cfg.OOMScoreAdj != 0 {
		// Inherited by the process, and by nothing outside.
		p.WriteProc(0, "/proc/self/oom_score_adj", itoa(cfg.OOMScoreAdj))
	}
	if l.ipcns != "" {
		// Before /dev/mqueue is mounted: it shows the IPC namespace of
		// its mounter.
		p.Setns(l.ipcns, unix.CLONE_NEWIPC)
	}
	switch {
	case l.netns != "":
		// First: sysfs, mounted below, shows the devices of the
		// namespace its mounter is in.
		p.Setns(l.netns, unix.CLONE_NEWNET)
	case modeOf(l.rec.Config.Network) != netHost:
		p.Loopback() // the namespace the init was cloned with
	}
	p.Mount(0, "", "/", "", unix.MS_SLAVE|unix.MS_REC, "")

	p.Root(overlayRoot(p, l))

	p.Mount(inRoot|mkdir|noLinks|nsinit.MountVerifyProc, "proc", "/proc", "proc", nsuidevx, "")
	if cfg.Privileged {
		p.Mount(inRoot|mkdir|noLinks, "/dev", "/dev", "", unix.MS_BIND|unix.MS_REC, "")
	} else {
		p.Mount(inRoot|mkdir|noLinks, "tmpfs", "/dev", "tmpfs", unix.MS_NOSUID|unix.MS_STRICTATIME, "mode=755,size=65536k")
		for _, d := range defaultDevices {
			p.Mknod("/dev/"+d.name, unix.S_IFCHR|0o666, unix.Mkdev(d.major, d.minor))
		}
	}
	p.Mount(inRoot|mkdir|noLinks, "devpts", "/dev/pts", "devpts", unix.MS_NOSUID|unix.MS_NOEXEC,
		"newinstance,ptmxmode=0666,mode=0620,gid=5")
	addShm(p, l)
	p.Mount(inRoot|mkdir|noLinks, "mqueue", "/dev/mqueue", "mqueue", nsuidevx, "")
	links := [][2]string{
		{"/proc/self/fd", "/dev/fd"}, {"/proc/self/fd/0", "/dev/stdin"},
		{"/proc/self/fd/1", "/dev/stdout"}, {"/proc/self/fd/2", "/dev/stderr"},
		{"pts/ptmx", "/dev/ptmx"},
	}
	if hostHasKcore() {
		// As runc: only where it leads somewhere.
		links = append(links, [2]string{"/proc/kcore", "/dev/core"})
	}
	for _, ln := range links {
		p.Symlink(ln[0], ln[1])
	}
	sysFlags := uintptr(nsuidevx | unix.MS_RDONLY)
	if cfg.Privileged {
		sysFlags = nsuidevx
	}
	p.Mount(inRoot|mkdir|noLinks|nsinit.MountVerifySys, "sysfs", "/sys", "sysfs", sysFlags, "")
	return p
}

// defaultShmSize is the size of /dev/shm, Docker's.
const defaultShmSize = 64 << 20

// addShm mounts the container's /dev/shm by its IPC mode: a tmpfs of its
// own (ShmSize), the host's, another container's, or none.
func addShm(p *nsinit.Plan, l *launch) {
	cfg := &l.rec.Config
	switch {
	case cfg.IPC == nsHost:
		p.Mount(inRoot|mkdir|noLinks, "/dev/shm", "/dev/shm", "", unix.MS_BIND|unix.MS_REC, "")
	case l.shmFrom != "":
		p.ShareMount(l.shmFrom, "/dev/shm", "/dev/shm")
	case cfg.IPC == nsNone:
	default:
		size := cfg.ShmSize
		if size == 0 {
			size = defaultShmSize
		}
		p.Mount(inRoot|mkdir|noLinks, "shm", "/dev/shm", "tmpfs", nsuidevx, "mode=1777,size="+strconv.FormatInt(size, 10))
	}
}

// restPlan is the rest of initPlan: the cgroup, the bind mounts, the
// pivot and the process.
func restPlan(l *launch) *nsinit.Plan {
	cfg := &l.rec.Config
	p := new(nsinit.Plan)
	// The links, which the engine moved in while the init waited for
	// this part (with the host's privileges: before the user namespace).
	for _, ln := range l.links {
		p.Link(ln.Name, ln.MAC, ln.Addrs, ln.Gateways)
	}
	if cfg.Tty {
		// In the container's devpts, mounted by rootPlan, before any of
		// the caller's mounts: /dev/pts/0, bound over /dev/console too,
		// as Docker has it. Here, not in rootPlan: its owner is the
		// resolved user.
		p.Console(l.ttySize.Rows, l.ttySize.Cols, true, ttyOwner(l))
	}
	// Enter the cgroup namespace only inside the container's cgroup, so
	// that the container sees its cgroup as /.
	if len(l.joinFiles) > 0 {
		p.Join(l.joinFiles)
	}
	if cfg.CgroupNS != nsHost {
		p.Unshare(unix.CLONE_NEWCGROUP)
	}
	// The container's own cgroup, read-only, seen as / through its cgroup
	// namespace: programs size themselves from memory and CPU limits.
	cgFlags := uintptr(nsuidevx | unix.MS_RDONLY)
	if cfg.Privileged {
		cgFlags = nsuidevx
	}
	if l.cgroupV2 {
		p.Mount(inRoot|mkdir|noLinks, "cgroup", "/sys/fs/cgroup", "cgroup2", cgFlags, "")
	} else if len(l.cgroupV1) > 0 {
		p.Mount(inRoot|mkdir|noLinks, "tmpfs", "/sys/fs/cgroup", "tmpfs", nsuidevx, "mode=755")
		for _, h := range l.cgroupV1 {
			p.Mount(inRoot|mkdir|noLinks, "cgroup", "/sys/fs/cgroup/"+h.Name, "cgroup", cgFlags, h.Controllers)
		}
		p.Remount("/sys/fs/cgroup", cgFlags)
	}
	for _, m := range sortedMounts(cfg.Mounts) {
		addMount(p, l, m)
	}
	addEtcFiles(p, l)
	for _, d := range l.devices {
		if cfg.Privileged && kernelDir(d.path) == "/dev" {
			continue // the host's /dev is there, and Create checked the path is the same
		}
		p.Device(d.path, d.mode, unix.Mkdev(d.major, d.minor), d.uid, d.gid)
	}
	p.Mkdir(l.rec.Process.WorkingDir, 0o755, -1, -1)
	p.Pivot()
	if cfg.ReadOnly {
		p.Remount("/", unix.MS_RDONLY)
	}
	// Before /proc/sys is read-only, in the container's namespaces (the
	// opener's decide which a file of /proc/sys shows).
	sysctls := withDefaultSysctls(cfg, l.userns)
	for _, k := range slices.Sorted(maps.Keys(sysctls)) {
		p.WriteProc(nsinit.ProcInRoot, sysctlPath(k), sysctls[k])
	}
	if !cfg.Privileged {
		for _, m := range maskedPaths {
			p.Mask(m)
		}
		for _, r := range readonlyPaths {
			p.Readonly(r)
		}
	}
	switch {
	case cfg.UTS == nsHost: // the host's hostname, left alone
	case l.hostname != "":
		p.Hostname(l.hostname)
	default:
		p.Hostname(l.rec.Hostname)
	}
	addProcess(p, l, l.rec.Process, cfg.Init)
	return p
}

// execPlan joins the namespaces of the container's init (pid) and runs
// proc with the container's security profile.
func execPlan(l *launch, pid int, proc processSpec) *nsinit.Plan {
	p := new(nsinit.Plan)
	if adj := l.rec.Config.OOMScoreAdj; adj != 0 {
		p.WriteProc(0, "/proc/self/oom_score_adj", itoa(adj))
	}
	ns := "/proc/" + itoa(pid) + "/ns/"
	if l.userns {
		// Entered last, in addProcess: joining the other namespaces
		// needs the host's privileges.
		p.OpenUserns(ns + "user")
	}
	p.Setns(ns+"cgroup", unix.CLONE_NEWCGROUP)
	p.Setns(ns+"ipc", unix.CLONE_NEWIPC)
	p.Setns(ns+"uts", unix.CLONE_NEWUTS)
	if l.rec.Config.Network != "host" {
		p.Setns(ns+"net", unix.CLONE_NEWNET)
	}
	p.Setns(ns+"pid", unix.CLONE_NEWPID)
	p.Setns(ns+"mnt", unix.CLONE_NEWNS)
	p.Fork()
	if testHookExecForked != nil {
		testHookExecForked(p)
	}
	if l.rec.Config.Tty {
		// A new terminal in the container's devpts, as docker exec -t
		// has: /dev/pts/N in the container.
		p.Console(l.ttySize.Rows, l.ttySize.Cols, false, ttyOwner(l))
	}
	addProcess(p, l, proc, false)
	return p
}

// ttyOwner is the host uid that the process's terminal belongs to: its
// user's, through the container's user namespace when it has one (the
// terminal is opened before the init enters it).
func ttyOwner(l *launch) uint32 {
	if !l.userns {
		return l.user.UID
	}
	if id, ok := hostID(l.rec.Config.UIDMap, int(l.user.UID)); ok {
		return uint32(id)
	}
	return 0 // unmapped: refused when the init switches to the user
}

// testHookExecForked, when a test sets it, adds to an exec's plan after
// the fork (to make the forked process wait).
var testHookExecForked func(*nsinit.Plan)

// addProcess sets limits, identity and the security profile, then execs.
func addProcess(p *nsinit.Plan, l *launch, proc processSpec, init bool) {
	cfg := &l.rec.Config
	p.NullStdio(l.nullStdio) // inside the container's root, before the profile
	for _, u := range cfg.Ulimits {
		p.Rlimit(rlimitByName[u.Name], uint64(u.Soft), uint64(u.Hard))
	}
	p.Bounding(uint64(l.caps))
	nnp := !cfg.Privileged && !cfg.AllowNewPrivileges
	if l.seccomp != nil && !nnp {
		// Without no_new_privs, loading a filter needs CAP_SYS_ADMIN,
		// which the user switch may drop: load it first.
		p.Seccomp(l.seccomp)
	}
	if l.userns {
		p.EnterUserns()
	}
	p.User(l.user.UID, l.user.GID, l.user.Groups)
	p.Caps(uint64(l.caps), 0)
	if nnp {
		p.NoNewPrivs()
		if l.seccomp != nil {
			p.Seccomp(l.seccomp)
		}
	}
	if l.pdeathsig {
		// Set again: the user switch cleared the one set at fork.
		p.Pdeathsig(int(unix.SIGKILL))
	}
	p.Chdir(proc.WorkingDir)
	if init {
		p.Reaper()
	}
	p.Exec(proc.Args[0], proc.Args, processEnv(proc.Env, l.rec.Hostname, l.user.Home, cfg.Tty))
}

// withDefaultSysctls is cfg.Sysctls with Docker's defaults (since 20.10)
// for a container with a network namespace of its own: any port may be
// bound without CAP_NET_BIND_SERVICE, and, outside a user namespace, ping
// works without CAP_NET_RAW (ICMP echo sockets); the namespace is the
// container's alone, so neither reaches the host. The caller's values win.
func withDefaultSysctls(cfg *Config, userns bool) map[string]string {
	mode := modeOf(cfg.Network)
	if mode == netHost || mode == netContainer {
		return cfg.Sysctls
	}
	out := maps.Clone(cfg.Sysctls)
	if out == nil {
		out = map[string]string{}
	}
	for k, v := range hostDefaultSysctls() {
		if k == "net.ipv4.ping_group_range" && userns {
			continue
		}
		if _, set := out[k]; !set {
			out[k] = v
		}
	}
	return out
}

// hostDefaultSysctls are Docker's defaults that the kernel has, looked
// up once (not at every start).
var hostDefaultSysctls = sync.OnceValue(func() map[string]string {
	out := map[string]string{}
	for k, v := range map[string]string{
		"net.ipv4.ip_unprivileged_port_start": "0",
		"net.ipv4.ping_group_range":           "0 2147483647",
	} {
		if _, err := os.Stat(sysctlPath(k)); err == nil {
			out[k] = v
		}
	}
	return out
})

// hostHasKcore reports whether the kernel has /proc/kcore, once.
var hostHasKcore = sync.OnceValue(func() bool {
	_, err := os.Stat("/proc/kcore")
	return err == nil
})

// processEnv is the environment of a container's process in Docker's
// order, which scripts that print it see: PATH, HOSTNAME, TERM with a
// terminal (the daemon's defaults, which the config's values replace in
// place), the rest of the config's, then HOME (which runc adds last).
func processEnv(env []string, hostname, home string, tty bool) []string {
	has := func(key string) func(string) bool {
		return func(s string) bool { return strings.HasPrefix(s, key) }
	}
	var out []string
	rest := slices.Clone(env)
	for _, d := range []struct {
		key, value string
		add        bool
	}{{"PATH=", "", false}, {"HOSTNAME=", hostname, true}, {"TERM=", "xterm", tty}} {
		if i := slices.IndexFunc(rest, has(d.key)); i >= 0 {
			out = append(out, rest[i])
			rest = slices.Delete(rest, i, i+1)
		} else if d.add {
			out = append(out, d.key+d.value)
		}
	}
	out = append(out, rest...)
	if !slices.ContainsFunc(out, has("HOME=")) {
		out = append(out, "HOME="+home)
	}
	return out
}

// addEtcFiles binds the generated hostname, hosts and resolv.conf over
// the image's, after the caller's mounts, so that a volume or a tmpfs on
// /etc does not hide them (Docker mounts them last too, creating their
// mountpoints in such a volume). A file the caller mounts itself is left
// to the caller's mount; one missing from a read-only mount over /etc is
// left out, as nothing can be made there (Docker fails to start).
func addEtcFiles(p *nsinit.Plan, l *launch) {
	etc := l.dir
	if l.etcDir != "" {
		etc = l.etcDir
	}
	for _, f := range []string{"hostname", "hosts", "resolv.conf"} {
		target := "/etc/" + f
		if slices.ContainsFunc(l.rec.Config.Mounts, func(m Mount) bool { return path.Clean(m.Target) == target }) {
			continue
		}
		p.Mount(inRoot|mkfile|nsinit.MountSkipReadonly, filepath.Join(etc, f), target, "", unix.MS_BIND, "")
	}
}

// sortedMounts orders mounts by the depth of their target, so that a mount
// never hides one made before it (as Docker does).
func sortedMounts(ms []Mount) []Mount {
	out := slices.Clone(ms)
	slices.SortStableFunc(out, func(a, b Mount) int {
		return strings.Count(a.Target, "/") - strings.Count(b.Target, "/")
	})
	return out
}

func addMount(p *nsinit.Plan, l *launch, m Mount) {
	var ro uintptr
	if m.ReadOnly {
		ro = unix.MS_RDONLY
	}
	switch m.Type {
	case "tmpfs":
		flags, data := tmpfsOptions(m.Options, m.ReadOnly)
		p.Mount(inRoot|mkdir, "tmpfs", m.Target, "tmpfs", flags, data)
	case "bind", "volume":
		src := m.Source
		if m.Type == "volume" {
			src = filepath.Join(filepath.Dir(l.layers), "volumes", m.Source, "_data")
		}
		kind := uint64(mkdir)
		if !isDir(src) {
			kind = mkfile
		}
		flags := inRoot | kind
		if ro != 0 {
			flags |= remount
		}
		p.Mount(flags, src, m.Target, "", unix.MS_BIND|unix.MS_REC|ro, "")
	}
}

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

// errRootNotMountPoint explains a start that failed because the process's
// root directory is not a mount point, as in a chroot: the init's first
// step, making the mounts under / private to the container (MS_SLAVE on
// /), fails with EINVAL there, and so would pivot_root. runc and podman
// fail there too.
var errRootNotMountPoint = fmt.Errorf("the root directory is not a mount point (a chroot?): " +
	"run dock in its own mount namespace whose root is a mount, entered with pivot_root instead of chroot, " +
	"e.g. unshare -m sh -c 'mount --rbind ROOT ROOT && cd ROOT && mkdir -p .oldroot && pivot_root . .oldroot && " +
	"umount -l /.oldroot && exec COMMAND' (with /proc, /sys and /dev mounted in ROOT)")

// rootIsMountPoint reports whether mountinfo (the text of
// /proc/self/mountinfo) has a mount on the process's root directory.
// The kernel shows mount points relative to the root and leaves out the
// mounts whose mount point is outside it: in a chroot into a directory
// that is not a mount point, no line has the mount point "/".
func rootIsMountPoint(mountinfo []byte) bool {
	for line := range bytes.Lines(mountinfo) {
		// ID PARENT MAJ:MIN ROOT MOUNTPOINT OPTIONS ...
		f := bytes.Fields(line)
		if len(f) > 4 && string(f[4]) == "/" {
			return true
		}
	}
	return false
}

// rootNotMounted reports, when /proc/self/mountinfo can be read, that the
// root directory is not a mount point. Called only after a start failed,
// so that a start that works never pays for it.
func rootNotMounted() bool {
	data, err := os.ReadFile("/proc/self/mountinfo")
	return err == nil && len(data) > 0 && !rootIsMountPoint(data)
}

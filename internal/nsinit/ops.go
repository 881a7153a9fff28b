// Package nsinit is the container init: a small C program that runs in the
// re-executed binary before the Go runtime starts, reads a plan of setup
// operations from the engine, carries them out and executes the user's
// process. The plan is plain data made by portable Go code: the root
// package decides what to do; this package encodes it, starts the init
// (Command, Start) and speaks the sync socket's protocol (Conn); the C
// code only follows it.
//
// Running the setup in C before the Go runtime has three reasons: no code
// of the embedding program ever runs in the container (the constructor
// runs before any Go init function), setns into a mount namespace is
// impossible once the Go runtime has started threads, and a process
// without the Go runtime starts in a fraction of the time.
//
// The same C code also runs, without an exec, in a prespawned init (see
// prespawn.c and package github.com/go-dock/dock/prespawn): a process
// forked by the constructor of a program that asks for it, before that
// program's Go runtime starts, which waits for its plan.
package nsinit

import (
	"encoding/binary"
	"net"
	"net/netip"
	"time"
)

// Env is the environment variable that turns a re-executed binary into a
// container init; its value is the descriptor of the sync socket.
const Env = "_DOCK_NSINIT"

// SyncFd is the descriptor number the sync socket has in the init.
const SyncFd = 3

// ExeFd is the descriptor number through which the binary is executed.
const ExeFd = 4

// The reports an init writes on the sync socket, and the engine's answer
// (REPORT_* in nsinit.h): an error report ('E', then code, errno and
// length as little-endian u32s, then the message), a forked process's
// host PID ('P', then a little-endian u32), the go-ahead that the
// forked process waits for once the engine has placed it ('G'), and a
// terminal's master ('T', the descriptor sent with the byte).
const (
	reportError = 'E'
	reportPid   = 'P'
	reportGo    = 'G'
	reportTty   = 'T'
)

// Op is one setup operation. The numbers are shared with nsinit.h
// (TestWireNumbersAgree checks them).
type Op uint32

const (
	opEnd         Op = 0
	opMount       Op = 1  // flags, source, target, fstype, mountflags, data
	opRoot        Op = 2  // path: the root filesystem, opened as a directory fd
	opMkdir       Op = 3  // path, mode, uid, gid (inside the root, parents made)
	opMknod       Op = 4  // path, mode, dev (inside the root)
	opSymlink     Op = 5  // target, path (inside the root)
	opPivot       Op = 6  // pivot_root into the root
	opMask        Op = 7  // path: bind the verified /dev/null or an empty ro tmpfs over it
	opReadonly    Op = 8  // path: bind it onto itself read-only
	opHostname    Op = 9  // name
	opRlimit      Op = 10 // resource, soft, hard
	opUser        Op = 11 // uid, gid, groups
	opBounding    Op = 12 // capability mask kept in the bounding set
	opCaps        Op = 13 // effective=permitted=inheritable mask, ambient mask
	opNNP         Op = 14 // set no_new_privs
	opSeccomp     Op = 15 // BPF program bytes
	opChdir       Op = 16 // path
	opExec        Op = 17 // path, argv, env
	opSetns       Op = 18 // path of a /proc/PID/ns/* file, namespace type
	opFork        Op = 19 // fork; the parent relays signals and the exit status
	opReaper      Op = 20 // fork; the parent stays PID 1 and reaps (docker --init)
	opRemount     Op = 21 // path, mountflags: remount (the root, read-only)
	opChdirHost   Op = 22 // path: chdir outside the root (for short overlay paths)
	opPdeathsig   Op = 23 // signal
	opUnshare     Op = 24 // namespace flags
	opMonitor     Op = 25 // log path, exit path, clone flags, cgroup dir, tty, log max size, log max files
	opJoin        Op = 26 // cgroup v1 tasks files to write "0" to
	opPause       Op = 27 // block until the sync socket closes
	opIdmap       Op = 28 // src, dst: an idmapped view of src on dst
	opEnterUserns Op = 29 // enter the user namespace opened by opOpenUserns
	opOpenUserns  Op = 30 // path: the user namespace to enter later
	opAutoRemove  Op = 31 // lock file, container dir, trash path, cgroup dirs
	// containers dir, volumes dir, volume names
	opAutoRemoveVolumes Op = 32
	opStdio             Op = 33 // the passed descriptors become 0-2; setsid
	opNext              Op = 34 // read the next part of the plan from the socket
	opNullStdio         Op = 35 // mask: these of 0-2 become the container's /dev/null
	opExitHook          Op = 36 // path, argv, env, marker: what the monitor runs when the container exits
	opHold              Op = 37 // count: descriptors sent after the plan, kept until the monitor exits
	opLoopback          Op = 38 // bring lo up
	opLink              Op = 39 // name, addresses, gateways, MAC: configure a link moved into the namespace
	opConsole           Op = 40 // rows, cols, bind /dev/console, owner: a terminal in the root's devpts
	// path, argv, env, stop marker, on-failure: what the monitor becomes
	// when the container exits and its restart policy may start it again
	opRestartHook Op = 41
	// path, argv, env, interval, start period, start interval, timeout:
	// the health checks the monitor runs while the container runs
	opHealth      Op = 42
	opWriteProc   Op = 43 // flags, path, value: write a procfs file (a sysctl, oom_score_adj)
	opDevice      Op = 44 // path, mode, dev, uid, gid: a device node inside the root
	opShareMount  Op = 45 // mount namespace path, source, target: another namespace's mount, bound in the root
	opSharedPidns Op = 46 // PID namespace path, cgroup dirs: the monitor clones the init there, kills the rest at its exit
	opEvents      Op = 47 // event log path, templates file, exit templates, removal templates
	opAttach      Op = 48 // container dir, open stdin, stdin once: the monitor's attach socket
)

// HookEnv is set in the environment of a process that an exit hook runs
// (Plan.ExitHook): no prespawned init is forked there.
const HookEnv = "_DOCK_HOOK"

// HealthStarting is the exit status of a health check's program (see
// Plan.Health) that leaves the container starting: the start interval
// applies until the start period ends.
const HealthStarting = 3

// HoldBatch is the most descriptors SendFiles sends in one message.
const HoldBatch = 250

// Mount flags of opMount, shared with nsinit.h.
const (
	MountInRoot     = 1 << 0 // target is resolved inside the root fd
	MountMkdir      = 1 << 1 // create the target as a directory when missing
	MountMkfile     = 1 << 2 // create the target as a file when missing
	MountNoSymlinks = 1 << 3 // refuse any symlink on the way to the target
	MountVerifyProc = 1 << 4 // the target must be procfs after mounting
	MountVerifySys  = 1 << 5 // the target must be sysfs after mounting
	MountRemount    = 1 << 6 // after a bind, remount with the flags (ro, nosuid...)
	// MountSkipReadonly skips the mount when its target is missing and
	// cannot be made: its directory is on a read-only mount.
	MountSkipReadonly = 1 << 7
)

// Flags of opWriteProc.
const (
	// ProcInRoot resolves the path inside the root (after Pivot: the
	// container's /proc), without symlinks; else it is the host's.
	ProcInRoot = 1 << 0
)

// Plan is an encoded list of operations, sent to the init over the sync
// socket. The zero value is an empty plan.
type Plan struct {
	buf []byte
	n   int
}

func (p *Plan) op(op Op, fields ...[]byte) {
	p.buf = binary.LittleEndian.AppendUint32(p.buf, uint32(op))
	p.buf = binary.LittleEndian.AppendUint32(p.buf, uint32(len(fields)))
	for _, f := range fields {
		p.buf = binary.LittleEndian.AppendUint32(p.buf, uint32(len(f)))
		p.buf = append(p.buf, f...)
	}
	p.n++
}

func u64(v uint64) []byte { return binary.LittleEndian.AppendUint64(nil, v) }

func strs(list []string) []byte {
	var b []byte
	for _, s := range list {
		b = append(b, s...)
		b = append(b, 0)
	}
	return b
}

// Bytes returns the wire form: a little-endian length, then the operations,
// then an end marker.
func (p *Plan) Bytes() []byte {
	body := append(append([]byte(nil), p.buf...), 0, 0, 0, 0, 0, 0, 0, 0)
	return append(binary.LittleEndian.AppendUint32(nil, uint32(len(body))), body...)
}

// Append returns p followed by the operations of q.
func (p *Plan) Append(q *Plan) *Plan {
	return &Plan{buf: append(append([]byte(nil), p.buf...), q.buf...), n: p.n + q.n}
}

// Len is the number of operations.
func (p *Plan) Len() int { return p.n }

// Mount adds a mount. See the Mount* flags.
func (p *Plan) Mount(flags uint64, source, target, fstype string, mountflags uintptr, data string) {
	p.op(opMount, u64(flags), []byte(source), []byte(target), []byte(fstype), u64(uint64(mountflags)), []byte(data))
}

// Root opens path as the container's root directory; later in-root paths
// resolve against it.
func (p *Plan) Root(path string) { p.op(opRoot, []byte(path)) }

// Mkdir creates path and its parents inside the root.
func (p *Plan) Mkdir(path string, mode uint32, uid, gid int) {
	p.op(opMkdir, []byte(path), u64(uint64(mode)), u64(uint64(int64(uid))), u64(uint64(int64(gid))))
}

// Mknod creates a device node inside the root.
func (p *Plan) Mknod(path string, mode uint32, dev uint64) {
	p.op(opMknod, []byte(path), u64(uint64(mode)), u64(dev))
}

// Symlink creates path -> target inside the root.
func (p *Plan) Symlink(target, path string) { p.op(opSymlink, []byte(target), []byte(path)) }

// Pivot makes the root the process's / and detaches the old root.
func (p *Plan) Pivot() { p.op(opPivot) }

// Mask hides path: files get the verified /dev/null bound over them,
// directories an empty read-only tmpfs. Missing paths are skipped.
func (p *Plan) Mask(path string) { p.op(opMask, []byte(path)) }

// Readonly binds path onto itself read-only. Missing paths are skipped.
func (p *Plan) Readonly(path string) { p.op(opReadonly, []byte(path)) }

// Remount remounts path (inside the root) with mountflags.
func (p *Plan) Remount(path string, mountflags uintptr) {
	p.op(opRemount, []byte(path), u64(uint64(mountflags)))
}

// Hostname sets the UTS hostname.
func (p *Plan) Hostname(name string) { p.op(opHostname, []byte(name)) }

// Rlimit sets a resource limit.
func (p *Plan) Rlimit(resource int, soft, hard uint64) {
	p.op(opRlimit, u64(uint64(resource)), u64(soft), u64(hard))
}

// User switches to uid, gid and the supplementary groups, keeping the
// capabilities that Caps then sets.
func (p *Plan) User(uid, gid uint32, groups []uint32) {
	var g []byte
	for _, id := range groups {
		g = binary.LittleEndian.AppendUint32(g, id)
	}
	p.op(opUser, u64(uint64(uid)), u64(uint64(gid)), g)
}

// Bounding drops every capability not in mask from the bounding set.
func (p *Plan) Bounding(mask uint64) { p.op(opBounding, u64(mask)) }

// Caps sets the effective and permitted sets to set (the inheritable set
// is emptied), and raises ambient.
func (p *Plan) Caps(set, ambient uint64) { p.op(opCaps, u64(set), u64(ambient)) }

// NoNewPrivs sets no_new_privs.
func (p *Plan) NoNewPrivs() { p.op(opNNP) }

// Seccomp loads a BPF filter (the kernel's sock_filter array).
func (p *Plan) Seccomp(prog []byte) { p.op(opSeccomp, prog) }

// Chdir changes to dir inside the container, as the final user.
func (p *Plan) Chdir(dir string) { p.op(opChdir, []byte(dir)) }

// ChdirHost changes directory on the host, before the root is entered.
func (p *Plan) ChdirHost(dir string) { p.op(opChdirHost, []byte(dir)) }

// Setns joins the namespace of the given /proc/PID/ns/* file.
func (p *Plan) Setns(path string, nstype uintptr) { p.op(opSetns, []byte(path), u64(uint64(nstype))) }

// Fork forks once the namespaces are joined: the child goes on with the
// plan after the engine has placed it (it waits for a go-ahead byte on the
// sync socket); the parent relays signals and the child's exit status.
func (p *Plan) Fork() { p.op(opFork) }

// Reaper forks: the parent stays as a minimal PID 1 that reaps zombies and
// forwards signals, the child goes on with the plan.
func (p *Plan) Reaper() { p.op(opReaper) }

// Monitor makes the process a detached container's monitor: it forks
// away from the engine, clones the init with flags (namespaces) into the
// cgroup v2 directory cgroupDir (when not empty), reports the init's PID
// and waits for the go-ahead as Fork does; then the init goes on with the
// plan while the monitor copies its stdout and stderr to logPath
// (json-file lines) and writes its exit status to exitPath. With tty, the
// monitor logs the output of the terminal that the init's plan opens
// (Console), whose master the init sends it. When a line would take the log past maxSize
// bytes (not when maxSize <= 0), the monitor rotates it as the engine's
// rotateLog does, keeping maxFiles files (at least 1) in all.
func (p *Plan) Monitor(logPath, exitPath string, flags uintptr, cgroupDir string, tty bool, maxSize int64, maxFiles int) {
	var t uint64
	if tty {
		t = 1
	}
	p.op(opMonitor, []byte(logPath), []byte(exitPath), u64(uint64(flags)), []byte(cgroupDir), u64(t),
		u64(uint64(max(maxSize, 0))), u64(uint64(max(maxFiles, 1))))
}

// Attach makes a detached container's monitor (Monitor, after it) serve
// the attach socket, attach.sock in dir (see attach.c): the live output,
// a terminal's resize and, with openStdin, the container's stdin, which
// is then a pipe (with a terminal, its master) instead of the null
// device; with stdinOnce, a client's end of input closes it.
func (p *Plan) Attach(dir string, openStdin, stdinOnce bool) {
	p.op(opAttach, []byte(dir), u64(b2u(openStdin)), u64(b2u(stdinOnce)))
}

func b2u(b bool) uint64 {
	if b {
		return 1
	}
	return 0
}

// Join moves the process into cgroup v1 hierarchies by writing "0" to
// each of their tasks files, which is far cheaper than the engine moving
// it (see cgroup.Manager.JoinFiles).
func (p *Plan) Join(tasksFiles []string) { p.op(opJoin, strs(tasksFiles)) }

// Pause blocks until the engine closes the socket, then exits: the
// process only holds the namespaces it was made in (a user namespace for
// Idmap and EnterUserns).
func (p *Plan) Pause() { p.op(opPause) }

// Idmap mounts an idmapped view of the directory src on dst, through the
// user namespace that OpenUserns opened.
func (p *Plan) Idmap(src, dst string) { p.op(opIdmap, []byte(src), []byte(dst)) }

// OpenUserns opens the user namespace file path (/proc/PID/ns/user) for
// Idmap and a later EnterUserns.
func (p *Plan) OpenUserns(path string) { p.op(opOpenUserns, []byte(path)) }

// EnterUserns enters the user namespace that OpenUserns opened.
func (p *Plan) EnterUserns() { p.op(opEnterUserns) }

// AutoRemove makes the monitor (see Monitor, which must follow) remove
// the container once it has recorded the exit: under the engine's lock
// file, it renames the container's directory to trash (holding a flock
// on it until the end) and records the destroy; then, without the lock,
// it removes the cgroup directories and deletes trash.
func (p *Plan) AutoRemove(lockFile, dir, trash string, cgroupDirs []string) {
	p.op(opAutoRemove, []byte(lockFile), []byte(dir), []byte(trash), strs(cgroupDirs))
}

// AutoRemoveVolumes makes the monitor, once AutoRemove (which must come
// first) has removed the container, remove the named volumes from
// volumesDir: still under the lock, it renames them into AutoRemove's
// trash, which is deleted with them.
// A volume whose name appears in the config.json of a container in
// containersDir is kept: another container mounts it. The check is a
// byte search, which errs only towards keeping a volume (the names are 64
// random hexadecimal characters).
func (p *Plan) AutoRemoveVolumes(containersDir, volumesDir string, names []string) {
	p.op(opAutoRemoveVolumes, []byte(containersDir), []byte(volumesDir), strs(names))
}

// Next ends this part of the plan: the init reads the next part from the
// socket, so that the engine can send the first part before it has
// resolved the rest.
func (p *Plan) Next() { p.op(opNext) }

// Stdio makes the three descriptors sent with the plan (Prespawned.SendPlan)
// the process's stdin, stdout and stderr, in a new session.
func (p *Plan) Stdio() { p.op(opStdio) }

// Console gives the process a new terminal, opened in the devpts mounted
// on the root's /dev/pts (which must be mounted by then), of rows x cols
// when both are set: it becomes the process's stdin, stdout, stderr and
// controlling terminal, owned by the host uid owner, and with
// bindConsole also /dev/console. Its master goes back with a report on
// the sync socket (Conn.Terminal), or, in a detached container's init,
// to its monitor.
func (p *Plan) Console(rows, cols uint16, bindConsole bool, owner uint32) {
	var b uint64
	if bindConsole {
		b = 1
	}
	p.op(opConsole, u64(uint64(rows)), u64(uint64(cols)), u64(b), u64(uint64(owner)))
}

// Unshare enters new namespaces (the cgroup namespace, made once the
// engine has placed the process in its cgroup).
func (p *Plan) Unshare(flags uintptr) { p.op(opUnshare, u64(uint64(flags))) }

// ExitHook makes the monitor run the binary at path (opened now, run
// later) with argv and env, and wait for it, when the container has
// exited, before it records the exit; only if the file at marker still
// exists then (an empty marker: always). A process that holds a flock on
// the marker makes the monitor wait until it lets go (or dies) first, and
// it can do the hook's work itself and remove the marker meanwhile. The
// wait and the hook take at most 10 s together.
func (p *Plan) ExitHook(path string, argv, env []string, marker string) {
	p.op(opExitHook, []byte(path), strs(argv), strs(env), []byte(marker))
}

// RestartHook makes the monitor, once the container has exited, its exit
// hook has run and its exit status is written, become the binary at
// path (opened now, executed then, keeping the monitor's PID) with argv
// and env: the program that applies the restart policy. It does not when
// the file stopMarker exists then (the user stopped the container), nor,
// with onFailure, when the container exited with status 0. The exit
// status it writes says "restart": true when it does, so that a reader
// leaves the recording of the exit to that program.
func (p *Plan) RestartHook(path string, argv, env []string, stopMarker string, onFailure bool) {
	var f uint64
	if onFailure {
		f = 1
	}
	p.op(opRestartHook, []byte(path), strs(argv), strs(env), []byte(stopMarker), u64(f))
}

// Health makes the monitor run the binary at path (opened now) with argv
// and env, one run at a time, while the container runs: the first after
// interval from the start (the start interval while the container is
// starting, within its start period), then each interval after the
// previous one ended, as Docker's health monitor does. A run that exits
// with HealthStarting leaves the container starting; one that runs past
// timeout plus a minute (the program bounds its own check by timeout) is
// killed. A run in progress when the container exits is killed.
func (p *Plan) Health(path string, argv, env []string, interval, startPeriod, startInterval, timeout time.Duration) {
	p.op(opHealth, []byte(path), strs(argv), strs(env), u64(uint64(interval)), u64(uint64(startPeriod)),
		u64(uint64(startInterval)), u64(uint64(timeout)))
}

// Events makes the monitor (see Monitor, which must follow) append event
// lines to the log at path: the templates of exit when the container
// has exited (just before its exit is recorded), those of removed once
// AutoRemove has removed it. A template is a whole line but for
// placeholder bytes: 0x01 becomes the exit code, 0x02 the seconds the
// container ran, 0x03 the time fields ("time":S,"timeNano":NS), 0x04
// `,"restarting":"true"` when the restart policy starts the container
// again (see RestartHook), else nothing. When the container exits, the
// monitor reads both lists again from the file templates (written by
// EventTemplates; "" for none) where it can, so that what changed since
// the start (a rename) shows in its events.
func (p *Plan) Events(path, templates string, exit, removed []string) {
	p.op(opEvents, []byte(path), []byte(templates), strs(exit), strs(removed))
}

// EventTemplates is the content of the templates file of Events: the
// exit templates each ended by a NUL, a NUL, then the removal templates
// the same way. No template holds a NUL (JSON never writes one raw).
func EventTemplates(exit, removed []string) []byte {
	b := append(strs(exit), 0)
	return append(append(b, strs(removed)...), 0)
}

// Loopback brings up the loopback interface of the process's network
// namespace.
func (p *Plan) Loopback() { p.op(opLoopback) }

// Link configures the link name, which the engine moved into the
// process's network namespace: its addresses (with their prefix
// lengths; IPv6 ones without duplicate detection), its MAC address when
// mac is not nil (set as it comes up: the engine may make the link
// before it knows the address), up, then a default route via each
// gateway. The wire form of an address is its length in bytes (4 or
// 16), the bytes, and for addrs the prefix length.
func (p *Plan) Link(name string, mac net.HardwareAddr, addrs []netip.Prefix, gateways []netip.Addr) {
	var a, g []byte
	for _, pr := range addrs {
		b := pr.Addr().AsSlice()
		a = append(append(append(a, byte(len(b))), b...), byte(pr.Bits()))
	}
	for _, gw := range gateways {
		b := gw.AsSlice()
		g = append(append(g, byte(len(b))), b...)
	}
	p.op(opLink, []byte(name), a, g, mac)
}

// Hold makes the monitor take n descriptors, which Conn.SendFiles sends
// after the plan, and keep them open until it exits.
func (p *Plan) Hold(n int) { p.op(opHold, u64(uint64(n))) }

// NullStdio reopens the descriptors of mask (bit 0 stdin, 1 stdout, 2
// stderr) on the container's own /dev/null, in place of the host's.
func (p *Plan) NullStdio(mask uint64) { p.op(opNullStdio, u64(mask)) }

// Pdeathsig asks for sig when the parent dies.
func (p *Plan) Pdeathsig(sig int) { p.op(opPdeathsig, u64(uint64(sig))) }

// Exec executes the process: path is searched in env's PATH when it has no
// slash.
func (p *Plan) Exec(path string, argv, env []string) {
	p.op(opExec, []byte(path), strs(argv), strs(env))
}

// WriteProc writes value to the file at path, which must be on procfs
// (a sysctl under /proc/sys, /proc/self/oom_score_adj): inside the root
// with ProcInRoot, else the host's (before Pivot).
func (p *Plan) WriteProc(flags uint64, path, value string) {
	p.op(opWriteProc, u64(flags), []byte(path), []byte(value))
}

// Device makes a device node inside the root at path (its parents
// made), with mode (type and permissions), dev, and the owner uid:gid.
// A file already there is left as it is, as runc leaves it.
func (p *Plan) Device(path string, mode uint32, dev uint64, uid, gid uint32) {
	p.op(opDevice, []byte(path), u64(uint64(mode)), u64(dev), u64(uint64(uid)), u64(uint64(gid)))
}

// ShareMount binds the mount at source in the mount namespace nsPath (a
// /proc/PID/ns/mnt file: another container's) on target inside the
// root, which is made as a directory when missing. A bind across mount
// namespaces is refused by the kernel: the init enters that namespace
// for a moment to clone the mount (open_tree), comes back and attaches
// the clone. Only that mount, not those under it.
func (p *Plan) ShareMount(nsPath, source, target string) {
	p.op(opShareMount, []byte(nsPath), []byte(source), []byte(target))
}

// SharedPidns tells the monitor (Monitor, which must follow) that the
// container's init does not get a PID namespace of its own: it is
// cloned into the one at nsPath (a /proc/PID/ns/pid file; empty: the
// monitor's own, the host's), and when it exits the processes left in
// the cgroup directories cgroupDirs are killed, as no namespace's end
// kills them.
func (p *Plan) SharedPidns(nsPath string, cgroupDirs []string) {
	p.op(opSharedPidns, []byte(nsPath), strs(cgroupDirs))
}

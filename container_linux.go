package dock

import (
	"context"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"golang.org/x/sys/unix"

	"github.com/go-dock/dock/internal/cgroup"
	"github.com/go-dock/dock/internal/nsinit"
	"github.com/go-dock/dock/internal/seccomp"
)

// proc is a container process that this Engine value started and waits
// for. Wait on any handle of the container in this process uses it.
type proc struct {
	done   chan struct{} // closed once status is set
	status ExitStatus
	pid    int
	pty    *os.File // the pty master, when Tty
	cg     cgroup.Manager
}

func (e *Engine) procs() *running {
	e.runOnce.Do(func() { e.run = &running{byID: map[string]*proc{}} })
	return e.run
}

func (r *running) get(id string) *proc {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.byID[id]
}

func (r *running) set(id string, p *proc) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if p == nil {
		delete(r.byID, id)
	} else {
		r.byID[id] = p
	}
}

// exeFile opens this binary through a detached, read-only mount, once per
// process. Inits and exec'd processes are executed from it, so that a
// container process reaching the binary through /proc/PID/exe cannot
// write to it (CVE-2019-5736), at no copying cost.
var exeFile = sync.OnceValues(func() (*os.File, error) {
	fd, err := unix.OpenTree(unix.AT_FDCWD, "/proc/self/exe", unix.OPEN_TREE_CLONE|unix.OPEN_TREE_CLOEXEC)
	if err != nil {
		return nil, fmt.Errorf("open_tree /proc/self/exe: %w", err)
	}
	attr := unix.MountAttr{Attr_set: unix.MOUNT_ATTR_RDONLY | unix.MOUNT_ATTR_NOSUID | unix.MOUNT_ATTR_NODEV}
	if err := unix.MountSetattr(fd, "", unix.AT_EMPTY_PATH, &attr); err != nil {
		unix.Close(fd)
		return nil, fmt.Errorf("make the binary's mount read-only: %w", err)
	}
	return os.NewFile(uintptr(fd), "dock-exe"), nil
})

// seccompFor returns Docker's profile compiled for a capability set. A
// compilation costs about a millisecond, a large part of a container's
// start, so programs are kept in memory and in the state directory
// (cache/), keyed by everything that shapes them: this binary, the
// kernel, the architecture and the capabilities.
func (e *Engine) seccompFor(caps capSet) ([]byte, error) {
	if v, ok := seccompCache.Load(caps); ok {
		return v.([]byte), nil
	}
	file := e.path("cache", "seccomp-"+seccompKey(caps))
	if b, err := os.ReadFile(file); err == nil && len(b) > 0 && len(b)%8 == 0 {
		seccompCache.Store(caps, b)
		return b, nil
	}
	prog, err := seccomp.Default(caps.names())
	if err != nil {
		return nil, fmt.Errorf("compile seccomp profile: %w", err)
	}
	b := prog.Bytes()
	seccompCache.Store(caps, b)
	if os.MkdirAll(e.path("cache"), 0o700) == nil {
		e.writeFileAtomic(file, b, 0o600) // a cache: a failure costs only time
	}
	return b, nil
}

var seccompCache sync.Map // capSet -> []byte

// binaryIdentity names this build of the program: a rebuilt binary gets
// new seccomp programs, never stale ones.
var binaryIdentity = sync.OnceValue(func() string {
	var uts unix.Utsname
	unix.Uname(&uts)
	id := runtime.GOARCH + " " + unix.ByteSliceToString(uts.Release[:])
	if fi, err := os.Stat("/proc/self/exe"); err == nil {
		id += fmt.Sprintf(" %d %d", fi.Size(), fi.ModTime().UnixNano())
	}
	return id
})

func seccompKey(caps capSet) string {
	sum := sha256.Sum256([]byte(fmt.Sprintf("dock-seccomp-1 %s %x", binaryIdentity(), uint64(caps))))
	return hex.EncodeToString(sum[:16])
}

func cgroupPath(id string) string { return "dock/" + id }

// prepareLaunch resolves what the init needs: identity, profile, cgroup.
func (c *Container) prepareLaunch(rec *containerRecord, procRoot string) (*launch, error) {
	cfg := &rec.Config
	l := &launch{
		rec:      rec,
		dir:      c.dir(),
		layers:   c.e.path("layers"),
		cgroupV2: cgroup.DetectMode() == cgroup.Unified,
		userns:   len(cfg.UIDMap) > 0,
	}
	var err error
	if !l.cgroupV2 {
		if l.cgroupV1, err = v1Hierarchies(); err != nil {
			return nil, err
		}
	}
	if l.user, err = c.e.lookupUser(rec, procRootOrEmpty(procRoot)); err != nil {
		return nil, err
	}
	if l.caps, err = effectiveCaps(cfg); err != nil {
		return nil, err
	}
	if !cfg.Privileged && !cfg.SeccompUnconfined {
		if l.seccomp, err = c.e.seccompFor(l.caps); err != nil {
			return nil, err
		}
	}
	return l, nil
}

// v1Hierarchies are read once: the host's cgroup mounts do not change
// under a running program.
var v1Hierarchies = sync.OnceValues(cgroup.V1Hierarchies)

func procRootOrEmpty(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

// Start starts the container's process and returns once it runs (the
// user's executable has been executed) or could not start. ctx bounds the
// setup only: the container lives until it exits or is killed.
//
// The program that calls Start is the container's parent and waits for it
// (no helper process). If the program exits first, the container is
// killed with it; use StartDetached for containers that outlive it.
func (c *Container) Start(ctx context.Context) error {
	return c.start(ctx, false)
}

func (c *Container) start(ctx context.Context, detached bool) (retErr error) {
	if !nsinit.Available {
		return fmt.Errorf("start container: built without cgo, the init is missing: %w", ErrUnsupported)
	}
	rec, err := c.record()
	if err != nil {
		return fmt.Errorf("start container: %w", err)
	}
	// One start at a time: a second concurrent Start (in any process)
	// fails at once instead of racing the first.
	guard, err := os.OpenFile(c.dir("start.lock"), os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return fmt.Errorf("start container: %w", err)
	}
	defer guard.Close()
	if err := unix.Flock(int(guard.Fd()), unix.LOCK_EX|unix.LOCK_NB); err != nil {
		return fmt.Errorf("start container %s: being started: %w", c.id[:12], ErrRunning)
	}
	var l *launch
	var cg cgroup.Manager
	err = c.e.locked(func() error {
		st, err := c.State(ctx)
		if err != nil {
			return err
		}
		if st.Status == StatusRunning || st.Status == StatusPaused {
			return fmt.Errorf("container %s: %w", c.id[:12], ErrRunning)
		}
		if l, err = c.prepareLaunch(rec, ""); err != nil {
			return err
		}
		cg, err = c.newCgroup(rec)
		return err
	})
	if err != nil {
		return fmt.Errorf("start container: %w", err)
	}
	defer func() {
		if retErr != nil && cg != nil {
			cg.Kill()
			cg.Destroy()
		}
	}()
	if l.userns {
		for i := range rec.Layers {
			if err := os.MkdirAll(c.dir("idmap", strconv.Itoa(i)), 0o700); err != nil {
				return fmt.Errorf("start container: %w", err)
			}
		}
		holder, err := usernsHolder(&rec.Config)
		if err != nil {
			return fmt.Errorf("start container: %w", err)
		}
		// Once the init has started, it holds the namespace itself.
		defer holder.Close()
		l.usernsFile = holder.file
	}
	p := &proc{done: make(chan struct{}), cg: cg}
	l.pdeathsig = !detached
	cmd, stdio, err := c.initCmd(l, p, detached)
	if err != nil {
		return fmt.Errorf("start container: %w", err)
	}
	defer stdio.closeChildEnds()
	parent, child, err := socketPair()
	if err != nil {
		return fmt.Errorf("start container: %w", err)
	}
	defer parent.Close()
	exe, err := exeFile()
	if err != nil {
		child.Close()
		return fmt.Errorf("start container: %w", err)
	}
	cmd.ExtraFiles = []*os.File{child, exe}
	// The init is born in its cgroup on cgroup v2 (and in the cgroup2
	// tracking directory of a hybrid host): clone3's CLONE_INTO_CGROUP.
	// On v1 it moves itself in (launch.joinFiles).
	cgfd, err := cg.Fd()
	if err == nil {
		defer unix.Close(cgfd)
		if !detached {
			cmd.SysProcAttr.UseCgroupFD = true
			cmd.SysProcAttr.CgroupFD = cgfd
		}
	}
	l.joinFiles = cg.JoinFiles()
	err = cmd.Start()
	child.Close()
	if err != nil {
		stdio.abort()
		return fmt.Errorf("start container: %w", err)
	}
	p.pid = cmd.Process.Pid
	fail := func(err error) error {
		if p.pid > 0 {
			unix.Kill(p.pid, unix.SIGKILL)
		}
		cmd.Process.Kill()
		// The init may have failed first and said why: that error is
		// the one to report (ours is then a consequence, such as EPIPE).
		initErr := readStarted(parent, nil)
		cmd.Wait()
		stdio.abort()
		var se *StartError
		if errors.As(initErr, &se) {
			return se
		}
		return fmt.Errorf("start container: %w", err)
	}
	plan := initPlan(l)
	var onPid func(int) error
	if detached {
		p.pid = 0
		head := new(nsinit.Plan)
		cgDir := ""
		if cgfd >= 0 {
			// The monitor opens the cgroup through this process's
			// descriptor, which stays open until the init has started.
			cgDir = fmt.Sprintf("/proc/%d/fd/%d", os.Getpid(), cgfd)
		}
		if rec.Config.AutoRemove {
			head.AutoRemove(c.e.path("lock"), c.dir(), c.e.path("tmp", "rm-"+c.id), cg.Dirs())
		}
		head.Monitor(c.dir("json.log"), c.dir("exit.json"), initCloneFlags(l), cgDir, rec.Config.Tty)
		plan = head.Append(plan)
		onPid = func(pid int) error {
			p.pid = pid
			return nil
		}
	}
	if err := sendPlan(parent, plan); err != nil {
		return fail(err)
	}
	if err := readStarted(parent, onPid); err != nil {
		if p.pid > 0 && detached {
			unix.Kill(p.pid, unix.SIGKILL)
		}
		cmd.Wait()
		stdio.abort()
		return err
	}
	started := time.Now().UTC()
	pidStart, _ := procStartTime(p.pid)
	if detached {
		cmd.Wait() // the monitor's first process, which has exited
		os.Remove(c.dir("exit.json"))
	}
	if err := c.writeState(State{Status: StatusRunning, Pid: p.pid, PidStart: pidStart, StartedAt: started, Detached: detached}); err != nil {
		return fail(err)
	}
	if detached {
		return nil
	}
	c.e.procs().set(c.id, p)
	go c.reap(cmd, p, stdio, started)
	return nil
}

// newCgroup makes the container's cgroup with its limits. The cgroup of a
// container that ran before is replaced.
func (c *Container) newCgroup(rec *containerRecord) (cgroup.Manager, error) {
	if old, err := cgroup.Load(cgroupPath(c.id)); err == nil {
		old.Kill()
		old.Destroy()
	}
	return cgroup.New(cgroupPath(c.id), cgroupResources(rec.Config.Resources, rec.Config.Privileged))
}

// reap waits for the init, records how it ended, and wakes Wait.
func (c *Container) reap(cmd *exec.Cmd, p *proc, stdio *stdioSet, started time.Time) {
	err := cmd.Wait()
	stdio.finish()
	st := exitStatusOf(cmd.ProcessState, err)
	if oom, _ := p.cg.OOMKilled(); oom {
		st.OOMKilled = true
	}
	// Every process of the container died with its init (PID namespace);
	// the cgroup stays, for stats and a restart, until Remove.
	c.writeState(State{Status: StatusExited, StartedAt: started, FinishedAt: st.ExitedAt, Exit: st})
	p.status = st
	close(p.done)
	if c.recordAutoRemove() {
		c.Remove(context.Background(), false)
	}
}

func (c *Container) recordAutoRemove() bool {
	rec, err := c.record()
	return err == nil && rec.Config.AutoRemove
}

func exitStatusOf(ps *os.ProcessState, err error) ExitStatus {
	st := ExitStatus{ExitedAt: time.Now().UTC()}
	if ps == nil {
		st.Code = 255
		if err != nil {
			st.Err = err.Error()
		}
		return st
	}
	ws := ps.Sys().(syscall.WaitStatus)
	switch {
	case ws.Signaled():
		st.Signal = int(ws.Signal())
		st.Code = 128 + st.Signal
	default:
		st.Code = ws.ExitStatus()
	}
	return st
}

func socketPair() (parent, child *os.File, err error) {
	fds, err := unix.Socketpair(unix.AF_UNIX, unix.SOCK_STREAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return nil, nil, fmt.Errorf("socketpair: %w", err)
	}
	return os.NewFile(uintptr(fds[0]), "sync"), os.NewFile(uintptr(fds[1]), "sync-child"), nil
}

func sendPlan(w io.Writer, p *nsinit.Plan) error {
	if _, err := w.Write(p.Bytes()); err != nil {
		return fmt.Errorf("send plan to init: %w", err)
	}
	return nil
}

// readStarted reads the init's reports until the socket closes (the exec
// succeeded) or an error report arrives. onPid handles a 'P' report (a
// forked process's host PID) and returns the go-ahead to send.
func readStarted(r io.ReadWriter, onPid func(pid int) error) error {
	var kind [1]byte
	for {
		_, err := io.ReadFull(r, kind[:])
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return fmt.Errorf("read from init: %w", err)
		}
		switch kind[0] {
		case 'P':
			var b [4]byte
			if _, err := io.ReadFull(r, b[:]); err != nil {
				return fmt.Errorf("read from init: %w", err)
			}
			if onPid == nil {
				return errors.New("read from init: unexpected pid report")
			}
			if err := onPid(int(binary.LittleEndian.Uint32(b[:]))); err != nil {
				return err
			}
			if _, err := r.Write([]byte{'G'}); err != nil {
				return fmt.Errorf("write to init: %w", err)
			}
		case 'E':
			var b [12]byte
			if _, err := io.ReadFull(r, b[:]); err != nil {
				return fmt.Errorf("read from init: %w", err)
			}
			n := binary.LittleEndian.Uint32(b[8:])
			if n > 4096 {
				return errors.New("read from init: oversized error report")
			}
			msg := make([]byte, n)
			if _, err := io.ReadFull(r, msg); err != nil {
				return fmt.Errorf("read from init: %w", err)
			}
			ie := &nsinit.Error{
				Code:  int(binary.LittleEndian.Uint32(b[0:])),
				Errno: int(binary.LittleEndian.Uint32(b[4:])),
				Msg:   string(msg),
			}
			return &StartError{Code: startCode(ie.Code), Err: ie}
		default:
			return fmt.Errorf("read from init: unexpected report %q", kind[0])
		}
	}
}

// startCode maps the init's failure to Docker's exit codes: 126 and 127
// for an executable that cannot run or is missing, 125 for the rest.
func startCode(code int) int {
	if code == 126 || code == 127 {
		return code
	}
	return 125
}

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

// initCloneFlags are the namespaces of a new container.
func initCloneFlags(l *launch) uintptr {
	flags := uintptr(unix.CLONE_NEWNS | unix.CLONE_NEWPID | unix.CLONE_NEWUTS | unix.CLONE_NEWIPC)
	if l.rec.Config.Network != "host" {
		flags |= unix.CLONE_NEWNET
	}
	// A user namespace is entered late, by the init itself (see
	// nsinit.Plan.Userns): every other namespace belongs to the host's.
	return flags
}

// initCmd prepares the re-execution of this binary as the container init
// (attached) or as its monitor (detached, which clones the init itself).
func (c *Container) initCmd(l *launch, p *proc, detached bool) (*exec.Cmd, *stdioSet, error) {
	cfg := &l.rec.Config
	attr := &syscall.SysProcAttr{Setsid: true}
	cmd := &exec.Cmd{
		Path:        "/proc/self/fd/" + strconv.Itoa(nsinit.ExeFd),
		Args:        []string{"dock-init"},
		Env:         []string{nsinit.Env + "=" + strconv.Itoa(nsinit.SyncFd)},
		SysProcAttr: attr,
	}
	if detached {
		if cfg.Tty {
			// The monitor makes the terminal; the init has it as stdin
			// when it binds it over /dev/console.
			l.consoleOnStdin = true
		}
		return cmd, &stdioSet{}, nil
	}
	attr.Cloneflags = initCloneFlags(l)
	attr.Pdeathsig = syscall.SIGKILL
	logw, err := c.openLog()
	if err != nil {
		return nil, nil, err
	}
	stdio := &stdioSet{log: logw}
	if cfg.Tty {
		master, slave, err := openPty(c.TtySize)
		if err != nil {
			logw.Close()
			return nil, nil, err
		}
		p.pty = master
		l.console = slave.Name()
		stdio.childEnds = append(stdio.childEnds, slave)
		cmd.Stdin, cmd.Stdout, cmd.Stderr = slave, slave, slave
		attr.Setctty, attr.Ctty = true, 0
		stdio.copyPty(master, c.Stdin, c.Stdout)
		return cmd, stdio, nil
	}
	cmd.Stdin = c.Stdin
	if c.Stdin == nil && cfg.OpenStdin {
		cmd.Stdin = nil
	}
	cmd.Stdout = logw.stream("stdout", c.Stdout)
	cmd.Stderr = logw.stream("stderr", c.Stderr)
	return cmd, stdio, nil
}

// stdioSet holds what the parent keeps for the container's stdio.
type stdioSet struct {
	log       *logWriter
	childEnds []*os.File // closed in the parent once the child has them
	wg        sync.WaitGroup
	pty       *os.File
}

func (s *stdioSet) closeChildEnds() {
	for _, f := range s.childEnds {
		f.Close()
	}
	s.childEnds = nil
}

func (s *stdioSet) copyPty(master *os.File, in io.Reader, out io.Writer) {
	s.pty = master
	if in != nil {
		go io.Copy(master, in) // ends when in ends or the pty closes
	}
	w := s.log.stream("stdout", out)
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		io.Copy(w, master) // EIO once every slave is closed
	}()
}

// finish waits for the output copies and closes the log.
func (s *stdioSet) finish() {
	s.wg.Wait()
	if s.pty != nil {
		s.pty.Close()
	}
	if s.log != nil {
		s.log.Close()
	}
}

func (s *stdioSet) abort() {
	s.closeChildEnds()
	s.finish()
}

// openPty opens a new pseudo-terminal of the given size.
func openPty(size WindowSize) (master, slave *os.File, err error) {
	m, err := os.OpenFile("/dev/ptmx", os.O_RDWR|unix.O_NOCTTY|unix.O_CLOEXEC, 0)
	if err != nil {
		return nil, nil, fmt.Errorf("open pty: %w", err)
	}
	if err := unix.IoctlSetPointerInt(int(m.Fd()), unix.TIOCSPTLCK, 0); err != nil {
		m.Close()
		return nil, nil, fmt.Errorf("unlock pty: %w", err)
	}
	n, err := unix.IoctlGetInt(int(m.Fd()), unix.TIOCGPTN)
	if err != nil {
		m.Close()
		return nil, nil, fmt.Errorf("pty number: %w", err)
	}
	if size.Rows > 0 && size.Cols > 0 {
		ws := unix.Winsize{Row: size.Rows, Col: size.Cols}
		if err := unix.IoctlSetWinsize(int(m.Fd()), unix.TIOCSWINSZ, &ws); err != nil {
			m.Close()
			return nil, nil, fmt.Errorf("set pty size: %w", err)
		}
	}
	name := "/dev/pts/" + strconv.Itoa(n)
	s, err := os.OpenFile(name, os.O_RDWR|unix.O_NOCTTY|unix.O_CLOEXEC, 0)
	if err != nil {
		m.Close()
		return nil, nil, fmt.Errorf("open pty: %w", err)
	}
	return m, s, nil
}

// Resize sets the size of the container's terminal. It needs a container
// started with Tty by this process.
func (c *Container) Resize(height, width uint16) error {
	p := c.e.procs().get(c.id)
	if p == nil || p.pty == nil {
		return fmt.Errorf("resize: container %s has no terminal in this process: %w", c.id[:12], ErrNotRunning)
	}
	return unix.IoctlSetWinsize(int(p.pty.Fd()), unix.TIOCSWINSZ, &unix.Winsize{Row: height, Col: width})
}

// State returns the container's state. A container recorded as running
// whose process is gone is reported, and recorded, as exited.
func (c *Container) State(ctx context.Context) (State, error) {
	st, err := c.readState()
	if err != nil {
		return st, err
	}
	if st.Status != StatusRunning && st.Status != StatusPaused {
		return st, nil
	}
	if p := c.e.procs().get(c.id); p != nil {
		return st, nil // our own child: reap records its exit
	}
	if alive(st.Pid, st.PidStart) {
		return st, nil
	}
	if !st.Detached {
		// The process that started it records the exit as it reaps it:
		// allow it a moment.
		for i := 0; i < 50; i++ {
			if st2, err := c.readState(); err == nil && st2.Status == StatusExited {
				return st2, nil
			}
			if !sleepCtx(ctx, 10*time.Millisecond) {
				break
			}
		}
	}
	st.Status = StatusExited
	st.FinishedAt = time.Now().UTC()
	st.Exit = ExitStatus{Code: 255, Err: "process vanished: exit status unknown", ExitedAt: st.FinishedAt}
	if st.Detached {
		if ex, ok := c.monitorExit(ctx); ok {
			st.Exit, st.FinishedAt = ex, ex.ExitedAt
		}
	}
	if cg, err := cgroup.Load(cgroupPath(c.id)); err == nil {
		if oom, _ := cg.OOMKilled(); oom {
			st.Exit.OOMKilled = true
			st.Exit.Code = 137
		}
	}
	c.writeState(st)
	return st, nil
}

// monitorExit reads the exit status that a detached container's monitor
// wrote. The monitor writes it once the output is drained, just after the
// init is gone: allow it a moment.
func (c *Container) monitorExit(ctx context.Context) (ExitStatus, bool) {
	for i := 0; i < 200; i++ {
		data, err := os.ReadFile(c.dir("exit.json"))
		if err == nil {
			var ex ExitStatus
			if json.Unmarshal(data, &ex) == nil {
				ex.ExitedAt = ex.ExitedAt.UTC()
				return ex, true
			}
		}
		if !sleepCtx(ctx, 5*time.Millisecond) {
			break
		}
	}
	return ExitStatus{}, false
}

// sleepCtx sleeps for d and reports whether ctx is still live.
func sleepCtx(ctx context.Context, d time.Duration) bool {
	select {
	case <-time.After(d):
		return true
	case <-ctx.Done():
		return false
	}
}

// alive reports whether pid still runs and is the process started at
// start (not a reused PID).
func alive(pid int, start uint64) bool {
	if pid <= 0 {
		return false
	}
	got, err := procStartTime(pid)
	if err != nil {
		return false
	}
	if start != 0 && got != start {
		return false
	}
	// A zombie is dead for us.
	data, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return false
	}
	s := string(data)
	if i := strings.LastIndexByte(s, ')'); i >= 0 && len(s) > i+2 && s[i+2] == 'Z' {
		return false
	}
	return true
}

// procStartTime reads field 22 of /proc/PID/stat.
func procStartTime(pid int) (uint64, error) {
	data, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return 0, err
	}
	s := string(data)
	i := strings.LastIndexByte(s, ')')
	if i < 0 {
		return 0, errors.New("malformed stat")
	}
	f := strings.Fields(s[i+1:])
	if len(f) < 20 {
		return 0, errors.New("malformed stat")
	}
	return strconv.ParseUint(f[19], 10, 64)
}

// Wait waits for the container to exit and returns how it ended. It may be
// called any number of times, from any goroutine, before or after the
// exit, and from another process than the one that started it. The exit
// code is data, not an error; ctx cancels only the waiting.
func (c *Container) Wait(ctx context.Context) (ExitStatus, error) {
	if p := c.e.procs().get(c.id); p != nil {
		select {
		case <-p.done:
			return p.status, nil
		case <-ctx.Done():
			return ExitStatus{}, ctx.Err()
		}
	}
	for {
		st, err := c.State(ctx)
		if err != nil {
			return ExitStatus{}, err
		}
		switch st.Status {
		case StatusExited:
			return st.Exit, nil
		case StatusCreated:
			return ExitStatus{}, fmt.Errorf("wait: container %s was never started: %w", c.id[:12], ErrNotRunning)
		}
		if err := waitPidExit(ctx, st.Pid); err != nil {
			return ExitStatus{}, err
		}
		// State now finds the process gone and reads or records the exit.
	}
}

// waitPidExit waits, through a pidfd, until pid exits.
func waitPidExit(ctx context.Context, pid int) error {
	fd, err := unix.PidfdOpen(pid, 0)
	if err != nil {
		return nil // already gone
	}
	defer unix.Close(fd)
	for {
		fds := []unix.PollFd{{Fd: int32(fd), Events: unix.POLLIN}}
		n, err := unix.Poll(fds, 100)
		if err != nil && !errors.Is(err, unix.EINTR) {
			return fmt.Errorf("wait: %w", err)
		}
		if n > 0 {
			return nil
		}
		if ctx.Err() != nil {
			return ctx.Err()
		}
	}
}

// Signal sends sig to the container's init. It fails with ErrNotRunning
// when the container is not running.
func (c *Container) Signal(ctx context.Context, sig syscall.Signal) error {
	st, err := c.State(ctx)
	if err != nil {
		return err
	}
	if st.Status != StatusRunning && st.Status != StatusPaused {
		return fmt.Errorf("signal container %s: %w", c.id[:12], ErrNotRunning)
	}
	// Through a pidfd, checked against the recorded start time, so that
	// a reused PID is never signalled.
	fd, err := unix.PidfdOpen(st.Pid, 0)
	if err != nil {
		return fmt.Errorf("signal container %s: %w", c.id[:12], ErrNotRunning)
	}
	defer unix.Close(fd)
	if !alive(st.Pid, st.PidStart) {
		return fmt.Errorf("signal container %s: %w", c.id[:12], ErrNotRunning)
	}
	if err := unix.PidfdSendSignal(fd, sig, nil, 0); err != nil {
		return fmt.Errorf("signal container %s: %w", c.id[:12], err)
	}
	return nil
}

// Kill sends SIGKILL to the container's init; every process of the
// container dies with it.
func (c *Container) Kill(ctx context.Context) error { return c.Signal(ctx, syscall.SIGKILL) }

// Stop sends the stop signal (the config's, else the image's, else
// SIGTERM), waits up to timeout for the container to exit, then kills it.
// A negative timeout means the config's StopTimeout, else 10 seconds. It
// returns once the container has exited.
func (c *Container) Stop(ctx context.Context, timeout time.Duration) error {
	rec, err := c.record()
	if err != nil {
		return err
	}
	if timeout < 0 {
		timeout = 10 * time.Second
		if rec.Config.StopTimeout != nil {
			timeout = *rec.Config.StopTimeout
		}
	}
	sig := syscall.SIGTERM
	if rec.Process.StopSignal != "" {
		if s, ok := ParseSignal(rec.Process.StopSignal); ok {
			sig = s
		}
	}
	if st, _ := c.State(ctx); st.Status == StatusPaused {
		c.Unpause(ctx)
	}
	if err := c.Signal(ctx, sig); err != nil {
		if errors.Is(err, ErrNotRunning) {
			return nil
		}
		return err
	}
	wctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	if _, err := c.Wait(wctx); err == nil {
		return nil
	}
	if ctx.Err() != nil {
		return ctx.Err()
	}
	if err := c.Kill(ctx); err != nil && !errors.Is(err, ErrNotRunning) {
		return err
	}
	_, err = c.Wait(ctx)
	return err
}

// Pause freezes every process of the container (cgroup freezer).
func (c *Container) Pause(ctx context.Context) error {
	return c.e.locked(func() error {
		st, err := c.State(ctx)
		if err != nil {
			return err
		}
		if st.Status != StatusRunning {
			return fmt.Errorf("pause container %s: %w", c.id[:12], ErrNotRunning)
		}
		cg, err := cgroup.Load(cgroupPath(c.id))
		if err != nil {
			return fmt.Errorf("pause container %s: %w", c.id[:12], err)
		}
		if err := cg.Freeze(); err != nil {
			return fmt.Errorf("pause container %s: %w", c.id[:12], err)
		}
		st.Status = StatusPaused
		return c.writeState(st)
	})
}

// Unpause thaws a paused container.
func (c *Container) Unpause(ctx context.Context) error {
	return c.e.locked(func() error {
		st, err := c.State(ctx)
		if err != nil {
			return err
		}
		if st.Status != StatusPaused {
			return fmt.Errorf("unpause container %s: not paused: %w", c.id[:12], ErrInvalid)
		}
		cg, err := cgroup.Load(cgroupPath(c.id))
		if err != nil {
			return fmt.Errorf("unpause container %s: %w", c.id[:12], err)
		}
		if err := cg.Thaw(); err != nil {
			return fmt.Errorf("unpause container %s: %w", c.id[:12], err)
		}
		st.Status = StatusRunning
		return c.writeState(st)
	})
}

// Remove deletes the container: its writable layer, logs, state and
// cgroup. A running container is refused with ErrRunning unless force is
// set, which kills it first. Named volumes are kept.
func (c *Container) Remove(ctx context.Context, force bool) error {
	st, err := c.State(ctx)
	if err != nil {
		return fmt.Errorf("remove container: %w", err)
	}
	if st.Status == StatusRunning || st.Status == StatusPaused {
		if !force {
			return fmt.Errorf("remove container %s: %w (stop it or force removal)", c.id[:12], ErrRunning)
		}
		if cg, err := cgroup.Load(cgroupPath(c.id)); err == nil && st.Status == StatusPaused {
			cg.Thaw()
		}
		if err := c.Kill(ctx); err != nil && !errors.Is(err, ErrNotRunning) {
			return fmt.Errorf("remove container: %w", err)
		}
		if _, err := c.Wait(ctx); err != nil {
			return fmt.Errorf("remove container: %w", err)
		}
	}
	return c.e.locked(func() error {
		var errs []error
		if cg, err := cgroup.Load(cgroupPath(c.id)); err == nil {
			// Every process died with the init (PID namespace), so the
			// cgroup is normally empty; kill only what a failed
			// removal shows is left.
			if err := cg.Destroy(); err != nil {
				errs = append(errs, cg.Kill(), cg.Destroy())
			}
		}
		tmp := c.e.path("tmp", "rm-"+c.id)
		if err := os.Rename(c.dir(), tmp); err != nil {
			return fmt.Errorf("remove container: %w", err)
		}
		c.e.procs().set(c.id, nil)
		errs = append(errs, os.RemoveAll(tmp))
		if err := errors.Join(errs...); err != nil {
			return fmt.Errorf("remove container: %w", err)
		}
		return nil
	})
}

// Stats reads the container's memory, CPU and process counts from its
// cgroup. It works while the container runs and after it exited, until
// it is removed.
func (c *Container) Stats(ctx context.Context) (*Stats, error) {
	cg, err := cgroup.Load(cgroupPath(c.id))
	if err != nil {
		return nil, fmt.Errorf("stats: %w: %w", ErrNotRunning, err)
	}
	s, err := cg.Stats()
	if err != nil {
		return nil, fmt.Errorf("stats: %w", err)
	}
	return &Stats{
		Memory: MemoryStats{Usage: s.Memory.Usage, MaxUsage: s.Memory.MaxUsage, Limit: s.Memory.Limit},
		CPU:    CPUStats{Usage: time.Duration(s.CPU.Usage), User: time.Duration(s.CPU.User), System: time.Duration(s.CPU.System)},
		PIDs:   PIDsStats{Current: s.PIDs.Current, Limit: s.PIDs.Limit},
	}, nil
}

func isDir(p string) bool {
	fi, err := os.Stat(p)
	return err == nil && fi.IsDir()
}

func itoa(n int) string { return strconv.Itoa(n) }

// StartDetached starts the container like Start, but hands it to a small
// monitor process (no Go runtime, well under 1 MiB) that copies its output
// to the log and records its exit, so that the container outlives the
// program. Another process that opens the same root can Wait for it, Kill
// it, read its logs and Remove it. The stdio fields must be nil.
func (c *Container) StartDetached(ctx context.Context) error {
	if c.Stdin != nil || c.Stdout != nil || c.Stderr != nil {
		return invalidf("start detached: stdio fields must be nil; read the output with Logs")
	}
	return c.start(ctx, true)
}

package dock

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"syscall"
	"time"

	"golang.org/x/sys/unix"

	"github.com/go-dock/dock/internal/cgroup"
	"github.com/go-dock/dock/internal/nsinit"
)

func cgroupPath(id string) string { return "dock/" + id }

// prepareLaunch resolves what the init needs: identity, profile, cgroup.
func (c *Container) prepareLaunch(rec *containerRecord, procRoot string) (*launch, error) {
	l := c.newLaunch(rec)
	if err := c.resolveLaunch(l, procRoot); err != nil {
		return nil, err
	}
	return l, nil
}

// newLaunch is the part of a launch that costs nothing: what the init's
// clone needs.
func (c *Container) newLaunch(rec *containerRecord) *launch {
	return &launch{
		rec:      rec,
		dir:      c.dir(),
		layers:   c.e.path("layers"),
		cgroupV2: cgroup.DetectMode() == cgroup.Unified,
		userns:   len(rec.Config.UIDMap) > 0,
	}
}

// resolveLaunch fills in what the init's plan needs: the cgroup v1
// hierarchies, the user, the capabilities and the seccomp program.
func (c *Container) resolveLaunch(l *launch, procRoot string) error {
	cfg := &l.rec.Config
	var err error
	if !l.cgroupV2 {
		if l.cgroupV1, err = cgroup.V1Hierarchies(); err != nil {
			return err
		}
	}
	var created *execUser
	if procRoot == "" {
		created = c.createdUser.Swap(nil)
	}
	if created != nil {
		l.user = *created // resolved by Create, from the same files
	} else if l.user, err = c.e.lookupUser(l.rec, procRootOrEmpty(procRoot)); err != nil {
		return err
	}
	if l.caps, err = effectiveCaps(cfg); err != nil {
		return err
	}
	if !cfg.Privileged && !cfg.SeccompUnconfined {
		if l.seccomp, err = c.e.seccompFor(l.caps); err != nil {
			return err
		}
	}
	return nil
}

// prefetchStart loads, in the background of Create, what Start will need
// and keeps in memory: the cgroup v1 hierarchies and the compiled seccomp
// program of cfg's capabilities when the cache has it. Start then finds
// them ready instead of reading them. It only reads: compiling (and
// writing the cache) stays Start's, and errors are Start's to report.
func (e *Engine) prefetchStart(cfg Config) {
	// os/exec checks once per process that pidfds work, by cloning and
	// waiting for a child (0.3-0.5 ms here); FindProcess makes the same
	// check, so it is made here, beside Create, instead of in Start. Not
	// when a prespawned init waits: Start will not use os/exec.
	if !nsinit.PrespawnedWaiting() {
		if p, err := os.FindProcess(os.Getpid()); err == nil {
			p.Release()
		}
	}
	cgroup.V1Hierarchies() // kept with the mountinfo it parsed
	if cfg.Privileged || cfg.SeccompUnconfined {
		return
	}
	if caps, err := effectiveCaps(&cfg); err == nil {
		e.seccompCached(caps)
	}
}

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

// errNoInit is the error of a container call in a program built without
// cgo: Go builds without it, silently, when CGO_ENABLED=0 or when it finds
// no C compiler, and the init (a C constructor) is then missing.
var errNoInit = fmt.Errorf("this program was built without cgo, so the container init is missing "+
	"(Go turns cgo off without a C compiler or with CGO_ENABLED=0): install a C compiler "+
	"(Debian: apt-get install gcc libc6-dev) and build again with CGO_ENABLED=1: %w", ErrUnsupported)

func (c *Container) start(ctx context.Context, detached bool) (retErr error) {
	if !nsinit.Available {
		return fmt.Errorf("start container: %w", errNoInit)
	}
	rec, err := c.knownRecord()
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
	l := c.newLaunch(rec)
	// An attached init on a cgroup v1 or hybrid host joins its v1 cgroups
	// by itself, from its plan: it is cloned first, and the rest of its
	// cgroup and of its plan are made while it execs (overlapped: a
	// fraction of a millisecond). Otherwise everything comes first.
	overlap := !detached && !l.cgroupV2
	var cg cgroup.Manager
	var finishCgroup func() error
	finish := func() error {
		if err := finishCgroup(); err != nil {
			return err
		}
		return c.resolveLaunch(l, "")
	}
	err = c.e.locked(func() error {
		st, err := c.State(ctx)
		if err != nil {
			return err
		}
		if st.Status == StatusRunning || st.Status == StatusPaused {
			return fmt.Errorf("container %s: %w", c.id[:12], ErrRunning)
		}
		if st.Status != StatusCreated {
			// It ran: its own /etc/passwd may have changed since.
			c.createdUser.Store(nil)
		}
		if cg, finishCgroup, err = c.newCgroup(rec); err != nil {
			return err
		}
		if !overlap {
			return finish()
		}
		return nil
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
	init, parent, cgfd, err := c.cloneInit(l, cmd, cg, detached, overlap)
	if err != nil {
		stdio.abort()
		return fmt.Errorf("start container: %w", err)
	}
	if cgfd >= 0 {
		defer unix.Close(cgfd)
	}
	pre, _ := init.(*prespawnedInit)
	defer parent.Close()
	p.pid = init.pid()
	fail := func(err error) error {
		if p.pid > 0 {
			unix.Kill(p.pid, unix.SIGKILL)
		}
		init.kill()
		// The init may have failed first and said why: that error is
		// the one to report (ours is then a consequence, such as EPIPE).
		initErr := startError(parent.Wait(nil))
		init.wait()
		stdio.abort()
		var se *StartError
		if errors.As(initErr, &se) {
			return se
		}
		return fmt.Errorf("start container: %w", err)
	}
	if pre != nil {
		// The init mounts its root while the cgroup is made.
		first := rootPlan(l)
		first.Next()
		if err := pre.sendPlan(first, rec.Config.Tty); err != nil {
			return fail(err)
		}
	}
	if overlap {
		if err := finish(); err != nil {
			return fail(err)
		}
	}
	l.joinFiles = cg.JoinFiles()
	var plan *nsinit.Plan
	if pre != nil {
		plan = restPlan(l)
	} else {
		plan = initPlan(l)
	}
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
			if vols := anonymousVolumes(c.e, rec); len(vols) > 0 {
				head.AutoRemoveVolumes(c.e.path("containers"), c.e.path("volumes"), c.e.path("tmp"), vols)
			}
		}
		lc := rec.Config.Log.resolved() // records made before Log: the defaults
		head.Monitor(c.dir("json.log"), c.dir("exit.json"), initCloneFlags(l), cgDir, rec.Config.Tty, lc.MaxSize, lc.MaxFiles)
		plan = head.Append(plan)
		onPid = func(pid int) error {
			p.pid = pid
			return nil
		}
	}
	if err := parent.Send(plan); err != nil {
		return fail(err)
	}
	if err := startError(parent.Wait(onPid)); err != nil {
		if p.pid > 0 && detached {
			unix.Kill(p.pid, unix.SIGKILL)
		}
		init.wait()
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
	go c.reap(init, p, stdio, started, rec.Config.AutoRemove)
	return nil
}

// cloneInit starts the container's init, waiting for its plan: the
// prespawned one (package prespawn) when there is one for an attached
// start on a cgroup v1 or hybrid host (overlap) in the same namespaces,
// else this binary re-executed. It returns the init, the engine's end of
// its sync socket, and the descriptor of the cgroup it was born in
// (CLONE_INTO_CGROUP), or -1, for the caller to close.
func (c *Container) cloneInit(l *launch, cmd *exec.Cmd, cg cgroup.Manager, detached, overlap bool) (initProcess, *nsinit.Conn, int, error) {
	if overlap {
		// A prespawned init joins its cgroups as a re-executed one
		// does, but not the cgroup2 tracking directory of a hybrid host
		// (Kill does without it).
		if pp := nsinit.TakePrespawned(initCloneFlags(l)); pp != nil {
			pre, err := newPrespawnedInit(pp, cmd)
			if err != nil {
				pp.Discard()
				return nil, nil, -1, err
			}
			return pre, pp.Conn, -1, nil
		}
	}
	// The init is born in its cgroup on cgroup v2 (and in the cgroup2
	// tracking directory of a hybrid host): clone3's CLONE_INTO_CGROUP.
	// On v1 it moves itself in (launch.joinFiles).
	cgfd, err := cg.Fd()
	if err != nil {
		cgfd = -1
	} else if !detached {
		cmd.SysProcAttr.UseCgroupFD = true
		cmd.SysProcAttr.CgroupFD = cgfd
	}
	parent, err := nsinit.Start(cmd)
	if err != nil {
		if cgfd >= 0 {
			unix.Close(cgfd)
		}
		return nil, nil, -1, err
	}
	return execInit{cmd}, parent, cgfd, nil
}

// newCgroup makes the container's cgroup with its limits, in two stages
// (see cgroup.NewStaged): it returns the function that makes the rest.
// The cgroup of a container that ran before is replaced.
func (c *Container) newCgroup(rec *containerRecord) (cgroup.Manager, func() error, error) {
	if old, err := cgroup.Load(cgroupPath(c.id)); err == nil {
		old.Kill()
		old.Destroy()
	}
	return cgroup.NewStaged(cgroupPath(c.id), cgroupResources(rec.Config.Resources, rec.Config.Privileged))
}

// reap waits for the init, records how it ended, wakes Wait, and removes
// the container when its config asks for it (autoRemove, known at start).
func (c *Container) reap(init initProcess, p *proc, stdio *stdioSet, started time.Time, autoRemove bool) {
	st := init.wait()
	stdio.finish()
	if oom, _ := p.cg.OOMKilled(); oom {
		st.OOMKilled = true
	}
	// Every process of the container died with its init (PID namespace);
	// the cgroup stays, for stats and a restart, until Remove.
	c.writeState(State{Status: StatusExited, StartedAt: started, FinishedAt: st.ExitedAt, Exit: st})
	p.status = st
	close(p.done)
	if autoRemove {
		c.Remove(context.Background(), false, RemoveVolumes())
	}
}

func exitStatusOf(ps *os.ProcessState, err error) ExitStatus {
	if ps == nil {
		st := ExitStatus{ExitedAt: time.Now().UTC(), Code: 255}
		if err != nil {
			st.Err = err.Error()
		}
		return st
	}
	return waitStatus(ps.Sys().(syscall.WaitStatus))
}

// waitStatus is how a process ended, as Docker reports it.
func waitStatus(ws syscall.WaitStatus) ExitStatus {
	st := ExitStatus{ExitedAt: time.Now().UTC()}
	switch {
	case ws.Signaled():
		st.Signal = int(ws.Signal())
		st.Code = 128 + st.Signal
	default:
		st.Code = ws.ExitStatus()
	}
	return st
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
	cmd := nsinit.Command("dock-init", attr)
	if detached {
		if cfg.Tty {
			// The monitor makes the terminal; the init has it as stdin
			// when it binds it over /dev/console.
			l.consoleOnStdin = true
		} else {
			l.nullStdio = 1 // the monitor opens the host's /dev/null
		}
		return cmd, &stdioSet{}, nil
	}
	attr.Cloneflags = initCloneFlags(l)
	attr.Pdeathsig = syscall.SIGKILL
	logw, err := c.openLog(cfg.Log)
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
		p.pty = &terminal{f: master}
		l.console = slave.Name()
		stdio.childEnds = append(stdio.childEnds, slave)
		cmd.Stdin, cmd.Stdout, cmd.Stderr = slave, slave, slave
		attr.Setctty, attr.Ctty = true, 0
		stdio.copyPty(p.pty, c.Stdin, c.Stdout)
		return cmd, stdio, nil
	}
	if c.Stdin == nil {
		l.nullStdio = 1 // os/exec opens the host's /dev/null
	} else {
		in, err := stdinPipe(c.Stdin)
		if err != nil {
			logw.Close()
			return nil, nil, err
		}
		stdio.childEnds = append(stdio.childEnds, in)
		cmd.Stdin = in
	}
	stdout, stderr := c.Stdout, c.Stderr
	if sameWriter(stdout, stderr) {
		// As os/exec promises: one writer for both streams is never
		// called by two goroutines at once.
		w := &lockedWriter{w: stdout}
		stdout, stderr = w, w
	}
	cmd.Stdout = logw.stream("stdout", stdout)
	cmd.Stderr = logw.stream("stderr", stderr)
	return cmd, stdio, nil
}

// StartDetached starts the container like Start, but hands it to a small
// monitor process (no Go runtime; about 360 KiB resident when the program
// is linked statically, about 1 MiB otherwise) that copies its output to
// the log and records its exit, so that the container outlives the
// program. Another process that opens the same root can Wait for it, Kill
// it, read its logs and Remove it. The stdio fields must be nil.
func (c *Container) StartDetached(ctx context.Context) error {
	if c.Stdin != nil || c.Stdout != nil || c.Stderr != nil {
		return invalidf("start detached: stdio fields must be nil; read the output with Logs")
	}
	return c.start(ctx, true)
}

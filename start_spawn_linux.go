package dock

import (
	"os/exec"
	"syscall"

	"golang.org/x/sys/unix"

	"github.com/go-dock/dock/internal/cgroup"
	"github.com/go-dock/dock/internal/nsinit"
)

// spawn starts the init (or, detached, its monitor) with its stdio: it
// waits for its plan on s.conn.
func (s *starting) spawn() error {
	s.p = &proc{done: make(chan struct{}), cg: s.cg}
	s.l.pdeathsig = !s.detached
	cmd, stdio, err := s.c.initCmd(s.l, s.p, s.detached)
	if err != nil {
		return err
	}
	init, conn, cgfd, err := s.c.cloneInit(s.l, cmd, s.cg, s.detached, s.overlap)
	if err != nil {
		stdio.abort()
		return err
	}
	s.cmd, s.stdio, s.init, s.conn, s.cgfd = cmd, stdio, init, conn, cgfd
	s.pre, _ = init.(*prespawnedInit)
	s.p.pid = init.pid()
	return nil
}

// closeEnds closes what the engine kept open for the init while it
// started: its sync socket, its cgroup's descriptor, the child's ends of
// its stdio.
func (s *starting) closeEnds() {
	s.conn.Close()
	if s.cgfd >= 0 {
		unix.Close(s.cgfd)
	}
	s.stdio.closeChildEnds()
}

// initCmd prepares the re-execution of this binary as the container init
// (attached) or as its monitor (detached, which clones the init itself).
func (c *Container) initCmd(l *launch, p *proc, detached bool) (*exec.Cmd, *stdioSet, error) {
	cfg := &l.rec.Config
	attr := &syscall.SysProcAttr{Setsid: true}
	cmd := nsinit.Command("dock-init", attr)
	l.ttySize = c.TtySize
	if detached {
		// With a terminal, the init opens it (see nsinit.Plan.Console)
		// and sends the master to the monitor, which logs its output.
		if !cfg.Tty && !cfg.OpenStdin {
			l.nullStdio = 1 // the monitor opens the host's /dev/null
		}
		return cmd, &stdioSet{}, nil
	}
	attr.Cloneflags = initCloneFlags(l)
	if l.pidns == "" {
		// In another container's PID namespace the child cannot see
		// its parent (getppid is 0), and os/exec's child would take
		// that for its parent's death: the plan sets it instead.
		attr.Pdeathsig = syscall.SIGKILL
	}
	logw, err := c.openLog(cfg.Log)
	if err != nil {
		return nil, nil, err
	}
	stdio := &stdioSet{log: logw}
	if cfg.Tty {
		// The init opens the terminal in the container's devpts and
		// sends its master back (takeTerminal); until then its stdio
		// is the null device.
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

// cloneInit starts the container's init, waiting for its plan: the
// prespawned one (package prespawn) when there is one for an attached
// start on a cgroup v1 or hybrid host (overlap) in the same namespaces,
// else this binary re-executed. It returns the init, the engine's end of
// its sync socket, and the descriptor of the cgroup it was born in
// (CLONE_INTO_CGROUP), or -1, for the caller to close.
func (c *Container) cloneInit(l *launch, cmd *exec.Cmd, cg cgroup.Manager, detached, overlap bool) (initProcess, *nsinit.Conn, int, error) {
	if overlap && l.pidns == "" {
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
	var parent *nsinit.Conn
	start := func() (err error) { parent, err = nsinit.Start(cmd); return err }
	if !detached {
		// Born in the PID namespace it joins (the monitor clones a
		// detached one there).
		err = startInPidns(l.pidns, start)
	} else {
		err = start()
	}
	if err != nil {
		if cgfd >= 0 {
			unix.Close(cgfd)
		}
		return nil, nil, -1, err
	}
	return execInit{cmd}, parent, cgfd, nil
}

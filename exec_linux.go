package dock

import (
	"context"
	"errors"
	"fmt"
	"os/exec"
	"strconv"
	"sync"
	"syscall"

	"github.com/go-dock/dock/internal/cgroup"
	"github.com/go-dock/dock/internal/envlist"
	"github.com/go-dock/dock/internal/nsinit"
	"golang.org/x/sys/unix"
)

func (p *Process) startImpl(ctx context.Context) (retErr error) {
	if !nsinit.Available {
		return fmt.Errorf("exec: %w", errNoInit)
	}
	c := p.c
	if len(p.cfg.Cmd) == 0 {
		return invalidf("exec: no command")
	}
	st, err := c.State(ctx)
	if err != nil {
		return fmt.Errorf("exec: %w", err)
	}
	if st.Status != StatusRunning {
		return fmt.Errorf("exec: container %s: %w", c.id[:12], ErrNotRunning)
	}
	rec, err := c.record()
	if err != nil {
		return fmt.Errorf("exec: %w", err)
	}
	spec := rec.Process
	spec.Args = p.cfg.Cmd
	spec.Env = envlist.Merge(spec.Env, p.cfg.Env)
	if p.cfg.User != "" {
		spec.User = p.cfg.User
	}
	if p.cfg.WorkingDir != "" {
		spec.WorkingDir = p.cfg.WorkingDir
	}
	if err := validateExec(&spec); err != nil {
		return fmt.Errorf("exec: %w", err)
	}
	cmdline := p.cmdline()
	if !p.created {
		p.emit(rec, "exec_create: "+cmdline)
	}
	recCopy := *rec
	recCopy.Process = spec
	recCopy.Config.Tty = p.cfg.Tty
	if p.cfg.Privileged {
		recCopy.Config.Privileged = true
	}
	l, err := c.prepareLaunch(&recCopy, "/proc/"+strconv.Itoa(st.Pid)+"/root")
	if err != nil {
		return fmt.Errorf("exec: %w", err)
	}
	cg, err := cgroup.Load(cgroupPath(c.id))
	if err != nil {
		return fmt.Errorf("exec: %w", err)
	}
	cmd := nsinit.Command("dock-exec", &syscall.SysProcAttr{Setsid: true})
	if p.cfg.Tty {
		// The process opens its terminal in the container's devpts
		// (nsinit.Plan.Console), and its master comes back in Wait.
		l.ttySize = p.TtySize
	} else {
		if p.Stdin != nil {
			in, err := stdinPipe(p.Stdin)
			if err != nil {
				return fmt.Errorf("exec: %w", err)
			}
			defer in.Close() // the child has its own once started
			cmd.Stdin = in
		}
		// One writer for both streams stays one (os/exec compares them).
		cmd.Stdout, cmd.Stderr = childWriter(p.Stdout), childWriter(p.Stderr)
		// os/exec opens the host's /dev/null for what is nil.
		for i, v := range []any{p.Stdin, p.Stdout, p.Stderr} {
			if v == nil {
				l.nullStdio |= 1 << i
			}
		}
	}
	parent, err := nsinit.Start(cmd)
	if err != nil {
		return fmt.Errorf("exec: %w", err)
	}
	defer parent.Close()
	// ctx bounds the whole setup. On failure the relay is killed and so is
	// the process it forked in the container, once reported: one still
	// waiting for its go-ahead exits when the socket closes.
	abort := func(err error) error {
		if p.pid > 0 {
			unix.Kill(p.pid, unix.SIGKILL)
		}
		cmd.Process.Kill()
		cmd.Wait()
		return fmt.Errorf("exec: %w", err)
	}
	plan := execPlan(l, st.Pid, spec)
	if testHookPlan != nil {
		plan = testHookPlan(plan)
	}
	if err := parent.Send(ctx, plan); err != nil {
		return abort(err)
	}
	err = startError(parent.Wait(ctx, func(pid int) error {
		p.pid = pid
		// The process waits for its go-ahead: the descriptor is its.
		if fd, err := unix.PidfdOpen(pid, 0); err == nil {
			p.pidfd = fd
		}
		return cg.AddProc(pid)
	}))
	if err != nil {
		p.closePidfd()
		return abort(err)
	}
	if p.cfg.Tty {
		master := parent.Terminal()
		if master == nil {
			return abort(errors.New("the init sent no terminal"))
		}
		p.pty = &terminal{f: master}
		if p.Stdin != nil {
			copyInput(master, p.Stdin)
		}
		p.copies.Add(1)
		go func() {
			defer p.copies.Done()
			if p.Stdout != nil {
				copyQuiet(p.Stdout, master)
			}
		}()
	}
	p.cmd = cmd
	p.emit(rec, "exec_start: "+cmdline)
	c.e.procs().addExec(c.id, p)
	go p.reap(rec)
	return nil
}

// reap waits for the process, records its exec_die as it ends (before the
// copy of a terminal's last output, as Docker records it when the
// process exits), then ends Wait.
func (p *Process) reap(rec *containerRecord) {
	err := p.cmd.Wait()
	p.closePidfd()
	p.status = exitStatusOf(p.cmd.ProcessState, err)
	p.emit(rec, "exec_die", "exitCode", strconv.Itoa(p.status.Code))
	p.c.e.procs().endExec(p.c.id, p)
	p.copies.Wait()
	p.pty.close()
	close(p.done)
}

func (p *Process) waitImpl(ctx context.Context) (ExitStatus, error) {
	if p.cmd == nil {
		return ExitStatus{}, fmt.Errorf("exec: not started: %w", ErrNotRunning)
	}
	select {
	case <-p.done:
		return p.status, nil
	case <-ctx.Done():
		return ExitStatus{}, ctx.Err()
	}
}

func (p *Process) signalImpl(sig syscall.Signal) error {
	if p.cmd == nil {
		return fmt.Errorf("exec: not started: %w", ErrNotRunning)
	}
	select {
	case <-p.done:
		return fmt.Errorf("exec: %w", ErrNotRunning)
	default:
	}
	if sig == syscall.SIGKILL {
		// The relay cannot forward SIGKILL (it would die of it, and
		// the process would run on): the process gets it itself.
		p.kill()
		return nil
	}
	return p.cmd.Process.Signal(sig)
}

func (p *Process) pidImpl() int { return p.pid }

func (p *Process) resizeImpl(size WindowSize) error {
	if p.pty == nil {
		return fmt.Errorf("exec: no terminal: %w", ErrInvalid)
	}
	if err := p.pty.resize(size); err != nil {
		return fmt.Errorf("exec: resize: %w", err)
	}
	return nil
}

// kill sends SIGKILL to the process in the container itself, which its
// relay cannot forward (a health check past its timeout).
func (p *Process) kill() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.pidfd > 0 {
		unix.PidfdSendSignal(p.pidfd, unix.SIGKILL, nil, 0)
	}
}

func (p *Process) closePidfd() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.pidfd > 0 {
		unix.Close(p.pidfd)
		p.pidfd = 0
	}
}

// processFields are the Linux parts of Process.
type processFields struct {
	cmd    *exec.Cmd
	pty    *terminal
	pid    int
	copies sync.WaitGroup
	// mu guards pidfd.
	mu sync.Mutex
	// pidfd is the process's (in the container), while it runs; 0
	// without.
	pidfd int
}

package dock

import (
	"context"
	"fmt"
	"io"
	"path"
	"strings"
	"syscall"
)

// ExecConfig describes a process to run in a running container. Unset
// fields take the container's values.
type ExecConfig struct {
	// Cmd is the command and its arguments. Required.
	Cmd []string
	// Env entries (KEY=VALUE) are added to the container's.
	Env []string
	// User, as in Config.User.
	User string
	// WorkingDir must be absolute.
	WorkingDir string
	// Tty gives the process a new pseudo-terminal in the container's
	// devpts (/dev/pts/N there), its stdio and controlling terminal.
	Tty bool
	// Privileged runs the process with every capability and no seccomp.
	Privileged bool
}

// Process is a process started in a running container by Exec. Its stdio
// fields follow os/exec semantics, with Container's exceptions: an
// *os.File is copied, never handed to the process, and Wait does not wait
// for the copy of Stdin. A Process is safe
// for use by many goroutines once started.
type Process struct {
	Stdin  io.Reader
	Stdout io.Writer
	Stderr io.Writer
	// TtySize is the size of the terminal at start (ExecConfig.Tty).
	TtySize WindowSize

	c       *Container
	id      string
	cfg     ExecConfig
	created bool          // CreateExec recorded exec_create
	exited  chan struct{} // closed once exec_die is recorded
	done    chan struct{}
	status  ExitStatus
	processFields
}

func validateExec(p *processSpec) error {
	if !path.IsAbs(p.WorkingDir) {
		return invalidf("working directory %q is not absolute", p.WorkingDir)
	}
	if strings.HasPrefix(path.Clean(p.WorkingDir), "/proc/") {
		return invalidf("working directory %q is inside /proc", p.WorkingDir)
	}
	return nil
}

func copyQuiet(w io.Writer, r io.Reader) { io.Copy(w, r) }

// Start starts the process and returns once it runs. ctx bounds the whole
// setup: if it ends first, Start kills what it started in the container
// and returns ctx's error; once the process runs, ctx no longer matters.
func (p *Process) Start(ctx context.Context) error { return p.startImpl(ctx) }

// Wait waits for the process to exit. It may be called any number of
// times from any goroutine; ctx cancels only the waiting.
func (p *Process) Wait(ctx context.Context) (ExitStatus, error) { return p.waitImpl(ctx) }

// Signal sends sig to the process (through the small relay that waits for
// it, which forwards it; SIGKILL, which the relay cannot forward, straight
// to the process).
func (p *Process) Signal(sig syscall.Signal) error { return p.signalImpl(sig) }

// Resize sets the size of the process's terminal (ExecConfig.Tty).
func (p *Process) Resize(size WindowSize) error { return p.resizeImpl(size) }

// Exec prepares another process to run inside the running container c,
// like docker exec. Set the stdio fields, then Start and Wait. The process
// joins every namespace and the cgroup of the container and runs under
// the same security profile (capabilities, no_new_privs, seccomp).
//
// Its events are Docker's: "exec_create: CMD" and "exec_start: CMD" when
// it starts (see CreateExec for the create step of its own), "exec_die"
// (exitCode) when it ends. Remove waits, before it records the
// container's destroy, for the execs that this Engine value started in
// the container to end (they die with the container) and record their
// exec_die; an exec of another process may record its exec_die after.
func (c *Container) Exec(cfg ExecConfig) *Process {
	return &Process{c: c, id: newID(), cfg: cfg, exited: make(chan struct{}), done: make(chan struct{})}
}

// CreateExec is Exec with docker exec's create step, as the Engine API's
// POST /containers/{id}/exec makes it: it checks now that the container
// runs (an error wrapping ErrPaused or ErrNotRunning) and that cfg has a
// command and, if any, an absolute working directory (ErrInvalid), and
// records the "exec_create: CMD" event now, as Docker does at create;
// Start then records "exec_start: CMD" only. The process may be started
// once, later, or never.
func (c *Container) CreateExec(ctx context.Context, cfg ExecConfig) (*Process, error) {
	switch {
	case len(cfg.Cmd) == 0:
		return nil, invalidf("exec: no command")
	case cfg.WorkingDir != "" && !path.IsAbs(cfg.WorkingDir):
		return nil, invalidf("exec: working directory %q is not absolute", cfg.WorkingDir)
	}
	st, err := c.State(ctx)
	if err != nil {
		return nil, fmt.Errorf("exec: %w", err)
	}
	switch st.Status {
	case StatusRunning:
	case StatusPaused:
		return nil, fmt.Errorf("exec: container %s: %w", c.id[:12], ErrPaused)
	default:
		return nil, fmt.Errorf("exec: container %s: %w", c.id[:12], ErrNotRunning)
	}
	rec, err := c.record()
	if err != nil {
		return nil, fmt.Errorf("exec: %w", err)
	}
	p := c.Exec(cfg)
	p.emit(rec, "exec_create: "+p.cmdline())
	p.created = true
	return p, nil
}

// cmdline is the command as the exec events name it.
func (p *Process) cmdline() string { return strings.Join(p.cfg.Cmd, " ") }

// ID returns the process's 64-character hexadecimal ID, Docker's exec
// ID: its events carry it (execID).
func (p *Process) ID() string { return p.id }

// Pid returns the process's ID in the host's PID namespace, as Docker's
// exec inspect shows it: valid once Start has returned (the process may
// have exited since), 0 before. Call it after Start, not concurrently
// with it.
func (p *Process) Pid() int { return p.pidImpl() }

// emit records an exec event of the process's container.
func (p *Process) emit(rec *containerRecord, action string, extra ...string) {
	p.c.emit(rec, action, append([]string{"execID", p.id}, extra...)...)
}

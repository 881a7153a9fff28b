package dock

import (
	"io"
	"path"
	"strings"
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
	// Tty gives the process a pseudo-terminal.
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

	c      *Container
	cfg    ExecConfig
	done   chan struct{}
	status ExitStatus
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

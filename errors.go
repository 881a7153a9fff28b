package dock

import (
	"errors"
	"fmt"
	"strings"

	"github.com/go-dock/dock/internal/build"
	"github.com/go-dock/dock/internal/dockerfile"
	"github.com/go-dock/dock/internal/portres"
)

// Sentinel errors. Test for them with errors.Is; the error returned usually
// wraps one of these with the object it concerns.
var (
	// ErrNotFound means the image, container or volume named does not exist.
	ErrNotFound = errors.New("not found")
	// ErrExist means the name, tag or object is already taken.
	ErrExist = errors.New("already exists")
	// ErrNotRunning means the container is not running.
	ErrNotRunning = errors.New("container is not running")
	// ErrRunning means the container is running and the call needs it stopped.
	ErrRunning = errors.New("container is running")
	// ErrInUse means the object is used by another (an image by a container,
	// a volume by a container).
	ErrInUse = errors.New("in use")
	// ErrClosed means the Engine has been closed.
	ErrClosed = errors.New("engine closed")
	// ErrUnsupported means the call needs a feature this system lacks
	// (containers need Linux).
	ErrUnsupported = errors.New("not supported on this system")
	// ErrInvalid means the input (a configuration, a reference, an archive)
	// is malformed or refused.
	ErrInvalid = errors.New("invalid argument")
	// ErrPaused means the container is paused and the call needs it
	// running (Attach and CreateExec, as Docker refuses to attach to or
	// exec in a paused one).
	ErrPaused = errors.New("container is paused")
	// ErrReadOnly means a write was refused because its target is
	// read-only: a container's read-only root filesystem
	// (Config.ReadOnly) or a read-only mount (ExtractToDir). The errors
	// that wrap it wrap ErrInvalid too: Docker answers them as invalid
	// input.
	ErrReadOnly = errors.New("read-only")
	// ErrDetached is Attach's error when the detach keys were read from
	// its Stdin: the container runs on. Its text is Docker's, which
	// docker attach prints then.
	ErrDetached = errors.New("read escape sequence")
)

// ExitError reports a container or exec process that ran and exited with a
// non-zero status. Wait returns the status as data, not as an error;
// ExitError is returned by the convenience call Engine.Run.
type ExitError struct {
	Status ExitStatus
}

func (e *ExitError) Error() string {
	if e.Status.OOMKilled {
		return fmt.Sprintf("container exited with code %d (out of memory)", e.Status.Code)
	}
	return fmt.Sprintf("container exited with code %d", e.Status.Code)
}

// StartError reports a container or exec process that could not start:
// the executable is missing (Code 127) or not executable (Code 126), the
// working directory is invalid, and the like. Code is the exit code Docker
// reports for such a failure.
type StartError struct {
	Code int
	Err  error
}

func (e *StartError) Error() string { return e.Err.Error() }
func (e *StartError) Unwrap() error { return e.Err }

func invalidf(format string, args ...any) error {
	return fmt.Errorf("%w: %s", ErrInvalid, fmt.Sprintf(format, args...))
}

// readOnlyError is a refusal of a write to something read-only, msg in
// Docker's words (which clients show as they are): it wraps ErrInvalid
// and ErrReadOnly.
type readOnlyError struct{ msg string }

func (e *readOnlyError) Error() string   { return e.msg }
func (e *readOnlyError) Unwrap() []error { return []error{ErrInvalid, ErrReadOnly} }

// BuildError is the error of a build that failed at a step of the
// Dockerfile, or on its syntax.
type BuildError struct {
	// File is the Dockerfile's path as given (or "Dockerfile").
	File string
	// Line is the line of the instruction, from 1; 0 when the error is
	// about the whole file.
	Line int
	// Instruction is the upper-case instruction ("RUN"), or "".
	Instruction string
	// Trigger is, for a failed ONBUILD trigger of the stage's base
	// image, the trigger's text ("RUN make"); Line is then the FROM's.
	Trigger string
	// ExitCode is the exit code of a failed RUN, else 0.
	ExitCode int
	// Output is the tail (up to 4 KiB) of the output of a failed RUN.
	Output string
	// Err is the cause: a *SyntaxError, an *ExitError for a failed RUN,
	// or another error.
	Err error
}

func (e *BuildError) Error() string {
	var b strings.Builder
	b.WriteString(e.File)
	if e.Line > 0 {
		fmt.Fprintf(&b, ":%d", e.Line)
	}
	switch {
	case strings.ContainsAny(e.Trigger, "\r\n"): // from an image's config
		fmt.Fprintf(&b, ": ONBUILD trigger %q", e.Trigger)
	case e.Trigger != "":
		b.WriteString(": ONBUILD trigger " + e.Trigger)
	case e.Instruction != "":
		b.WriteString(": " + e.Instruction)
	}
	b.WriteString(": ")
	switch {
	case e.ExitCode != 0:
		fmt.Fprintf(&b, "command returned a non-zero code: %d", e.ExitCode)
	case e.Err != nil:
		b.WriteString(e.Err.Error())
	}
	return b.String()
}

func (e *BuildError) Unwrap() error { return e.Err }

// SyntaxError is the cause (BuildError.Err) of a build refused because its
// Dockerfile does not parse: nothing ran. Where it is, is the BuildError's
// File, Line (0 when the error is about the whole file) and Instruction.
type SyntaxError struct {
	// Msg says what is wrong, in lower case ("unknown instruction:
	// FROBNICATE").
	Msg string
}

func (e *SyntaxError) Error() string { return e.Msg }

// buildError is the engine's form of an error of build.Build: its *Error
// as a *BuildError, the parser's syntax error as a *SyntaxError, and the
// sentinels of the builder and the store as the engine's.
func buildError(err error) error {
	var be *build.Error
	if !errors.As(err, &be) { // unwrapped when there is one: nothing is lost
		return translate(err)
	}
	out := &BuildError{
		File:        be.File,
		Line:        be.Line,
		Instruction: be.Instruction,
		Trigger:     be.Trigger,
		ExitCode:    be.ExitCode,
		Output:      be.Output,
		Err:         translate(be.Err),
	}
	var se *dockerfile.SyntaxError
	if errors.As(be.Err, &se) {
		out.Err = &SyntaxError{Msg: se.Msg}
	}
	return out
}

// ErrPortAllocated is the error of a start whose published host port is
// taken; its text is Docker's ("Bind for 0.0.0.0:8080 failed: port is
// already allocated"), which tools such as compose look for.
var ErrPortAllocated = portres.ErrPortAllocated

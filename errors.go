package dock

import (
	"errors"
	"fmt"
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

package build

import (
	"errors"
	"fmt"
)

// The builder's sentinel errors. Each has the text of the engine's
// sentinel of the same name, to which the engine maps it (translate), so
// that callers test the engine's only.
var (
	ErrNotFound    = errors.New("not found")
	ErrUnsupported = errors.New("not supported on this system")
	ErrInvalid     = errors.New("invalid argument")
)

// Error is the error of a build that failed at a step of the Dockerfile,
// or on its syntax. The engine hands it to callers as a *dock.BuildError,
// whose fields these are (see there); Build returns it unwrapped.
type Error struct {
	File        string
	Line        int
	Instruction string
	Trigger     string
	ExitCode    int
	Output      string
	Err         error
}

// Error is a short form for logs and tests; the engine's BuildError is
// what callers read.
func (e *Error) Error() string {
	return fmt.Sprintf("%s:%d: %s: %v", e.File, e.Line, e.Instruction, e.Err)
}

func (e *Error) Unwrap() error { return e.Err }

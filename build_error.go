package dock

import (
	"errors"
	"fmt"
	"strings"

	"github.com/go-dock/dock/internal/build"
	"github.com/go-dock/dock/internal/dockerfile"
)

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
	// Err is the cause: a *dockerfile.SyntaxError, an *ExitError for a
	// failed RUN, or another error.
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
	var se *dockerfile.SyntaxError
	switch {
	case errors.As(e.Err, &se):
		b.WriteString(se.Msg)
	case e.ExitCode != 0:
		fmt.Fprintf(&b, "command returned a non-zero code: %d", e.ExitCode)
	case e.Err != nil:
		b.WriteString(e.Err.Error())
	}
	return b.String()
}

func (e *BuildError) Unwrap() error { return e.Err }

// buildError is the engine's form of an error of build.Build: its *Error
// as a *BuildError, the builder's and the store's sentinels as the
// engine's.
func buildError(err error) error {
	var be *build.Error
	if !errors.As(err, &be) { // unwrapped when there is one: nothing is lost
		return translate(err)
	}
	return &BuildError{
		File:        be.File,
		Line:        be.Line,
		Instruction: be.Instruction,
		Trigger:     be.Trigger,
		ExitCode:    be.ExitCode,
		Output:      be.Output,
		Err:         translate(be.Err),
	}
}

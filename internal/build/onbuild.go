package build

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/go-dock/dock/internal/dockerfile"
)

// runTriggers runs the ONBUILD triggers of stage s's base image (or base
// stage), in order, right after its FROM, as docker does; the stage's
// image does not inherit them (docker clears them too). Each trigger is a
// step of the stage: cached as the same instruction would be, keyed by the
// base image ID (which fixes the triggers), and run in the child's context
// (a trigger COPY copies the child's files). A trigger that cannot be
// parsed or fails gives a *Error at the FROM line whose Trigger names
// it.
func (b *builder) runTriggers(ctx context.Context, s *stageState, st *dockerfile.Stage, ref string) error {
	triggers := s.cfg.Config.OnBuild
	if len(triggers) == 0 {
		return nil
	}
	s.cfg.Config.OnBuild = nil
	s.pending = true
	for i, text := range triggers {
		in, err := parseTrigger(text, st.Line)
		if err != nil {
			return &Error{File: b.file, Line: st.Line, Instruction: "ONBUILD", Trigger: redactURLs(text),
				Err: fmt.Errorf("base image %s: %w", ref, err)}
		}
		// A line like a step's (a display may show each as one), but
		// not counted in "Step n/m": the triggers are known only now.
		b.o.Progress(fmt.Sprintf("Trigger %d/%d : %s", i+1, len(triggers), redactURLs(text)))
		if err := b.doStep(ctx, s, in); err != nil {
			var be *Error
			if !errors.As(err, &be) {
				be = &Error{File: b.file, Instruction: strings.ToUpper(in.Cmd), Err: err}
			}
			be.Line, be.Trigger = st.Line, redactURLs(text)
			return be
		}
	}
	return nil
}

// parseTrigger parses the ONBUILD trigger text of an image config into
// the instruction it names, placed at line (the FROM's). It refuses what
// docker refuses as a trigger (ONBUILD, FROM, MAINTAINER) and, since the
// text comes from an image, anything that is not one instruction on one
// line.
func parseTrigger(text string, line int) (*dockerfile.Instruction, error) {
	if strings.ContainsAny(text, "\r\n") {
		return nil, fmt.Errorf("%w: the trigger spans several lines", ErrInvalid)
	}
	// The parser checks the trigger as it checks an ONBUILD of a
	// Dockerfile (default escape character, as docker parses triggers).
	df, err := dockerfile.Parse(strings.NewReader("FROM scratch\nONBUILD " + text + "\n"))
	if err != nil {
		var se *dockerfile.SyntaxError
		if errors.As(err, &se) {
			return nil, fmt.Errorf("%w: %s", ErrInvalid, se.Msg)
		}
		return nil, fmt.Errorf("%w: %w", ErrInvalid, err)
	}
	if len(df.Stages) != 1 || len(df.Stages[0].Instructions) != 1 || df.Stages[0].Instructions[0].Trigger == nil {
		return nil, fmt.Errorf("%w: the trigger is not one instruction", ErrInvalid)
	}
	in := df.Stages[0].Instructions[0].Trigger
	in.Line, in.EndLine = line, line
	return in, nil
}

package dockerfile

import "fmt"

// SyntaxError is the error Parse returns for a Dockerfile that does not
// follow the Dockerfile syntax. The engine gives callers a BuildError with
// its file, line and instruction, and a dock.SyntaxError with its Msg.
type SyntaxError struct {
	// Line is the 1-based line of the instruction (its first line when it
	// spans several), or 0 when the error concerns the whole file, such as
	// a file without FROM.
	Line int
	// Instruction is the upper-case instruction name ("RUN"), or "" when
	// the error is not inside one (a parser directive, the file size).
	Instruction string
	// Msg says what is wrong, in lower case.
	Msg string
}

func (e *SyntaxError) Error() string {
	switch {
	case e.Line > 0 && e.Instruction != "":
		return fmt.Sprintf("dockerfile line %d: %s: %s", e.Line, e.Instruction, e.Msg)
	case e.Line > 0:
		return fmt.Sprintf("dockerfile line %d: %s", e.Line, e.Msg)
	default:
		return "dockerfile: " + e.Msg
	}
}

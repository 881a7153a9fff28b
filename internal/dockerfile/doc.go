// Package dockerfile parses Dockerfiles and .dockerignore files with the
// standard library only. It is the syntax layer of Build: it checks and
// structures the text, but it runs nothing and expands only when asked.
//
// Parse reads a Dockerfile into stages of instructions:
//
//	df, err := dockerfile.Parse(r)
//	var se *dockerfile.SyntaxError
//	if errors.As(err, &se) {
//		// se.Line, se.Instruction, se.Msg
//	}
//	for _, st := range df.Stages {
//		for _, in := range st.Instructions {
//			// in.Cmd is "run", "copy", ...; in.Args, in.Flags, in.Heredocs
//		}
//	}
//
// It follows the Dockerfile reference (BuildKit's frontend): parser
// directives (escape; syntax and check are recorded and otherwise
// ignored), line continuations with the escape character, comment lines
// (also inside continuations), JSON ("exec") and shell forms, here-documents
// for RUN, COPY and ADD, ARG before the first FROM, multi-stage builds, and
// every instruction with its flags. Words are kept unexpanded: variable
// substitution happens at build time with Expand and ExpandWords, using the
// values ARG and ENV have at that point. Parse does check their syntax, so
// an unterminated "${" is a *SyntaxError, not a build failure.
//
// ParseIgnore reads a .dockerignore file; Ignore.Matches applies its
// patterns with Docker's rules (** for any number of directories, !
// exceptions, the last matching pattern wins).
//
// Everything here is pure data and safe for concurrent use: a parsed
// *Dockerfile or *Ignore is never modified by this package after it is
// returned.
//
// Differences from BuildKit's parser (which would add five to eight modules
// and raise the go directive) are listed in the package's tests and in the
// comments of the functions concerned.
package dockerfile

package build

import (
	"fmt"
	"regexp"
	"strings"
	"sync"

	"github.com/go-dock/dock/internal/dockerfile"
)

// heredocPipes is where a RUN's lone here-document that starts with "#!"
// is mounted to be executed, where BuildKit mounts it.
const heredocPipes = "/dev/pipes/"

// loneHeredoc matches a RUN whose whole command is one here-document
// marker ("RUN <<EOF", "RUN <<-'EOF'").
var loneHeredoc = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^<<-?(["']?)[A-Za-z0-9_.\-]+(["']?)$`) })

// heredocScript is a here-document to run as an executable file.
type heredocScript struct {
	name    string // file name under heredocPipes
	content string
}

// runArgs returns the argv of a RUN, with its here-documents as BuildKit
// runs them: a RUN that is a lone here-document runs its content with the
// stage's shell, or, when it starts with "#!", as an executable file
// (returned as script, for the caller to mount at heredocPipes); any other
// RUN with here-documents is given whole (command line, then each body and
// its delimiter) to the shell, which feeds them to the command's stdin. The
// Dockerfile does not expand variables in the bodies: the shell does, as
// in BuildKit, whatever the quoting of the delimiter.
func (b *builder) runArgs(s *stageState, in *dockerfile.Instruction) ([]string, *heredocScript, error) {
	if len(in.Heredocs) == 0 {
		return b.command(s, in), nil, nil
	}
	line := strings.Join(in.Args, " ")
	if len(in.Heredocs) == 1 && loneHeredoc().MatchString(strings.TrimSpace(line)) {
		h := in.Heredocs[0]
		if strings.HasPrefix(h.Content, "#!") {
			if h.Name == "." || h.Name == ".." {
				return nil, nil, fmt.Errorf("%w: here-document delimiter %q cannot name a file", ErrInvalid, h.Name)
			}
			return []string{heredocPipes + h.Name}, &heredocScript{name: h.Name, content: h.Content}, nil
		}
		return append(s.shellCmd(), h.Content), nil, nil
	}
	full := line
	for _, h := range in.Heredocs {
		full += "\n" + h.Content + h.Name
	}
	return append(s.shellCmd(), full), nil, nil
}

// heredocKey is the part of a RUN's cache key that its here-documents make:
// the instruction's text (Original) does not hold their bodies.
func heredocKey(in *dockerfile.Instruction) string {
	var b strings.Builder
	for _, h := range in.Heredocs {
		fmt.Fprintf(&b, "heredoc %q %q %t %t\x00", h.Name, h.Content, h.Expand, h.Chomp)
	}
	return b.String()
}

package dock

import (
	"encoding/json"
	"fmt"
	"runtime"

	moby "github.com/moby/profiles/seccomp"

	"github.com/go-dock/dock/internal/seccomp"
)

// compileSeccompProfile compiles a seccomp profile in Docker's JSON
// format (Config.SeccompProfile), as given, for a container with caps on
// this machine's architecture.
func compileSeccompProfile(profile string, caps capSet) ([]byte, error) {
	var p moby.Seccomp
	if err := json.Unmarshal([]byte(profile), &p); err != nil {
		return nil, fmt.Errorf("decoding seccomp profile failed: %w", err)
	}
	prog, err := seccomp.Compile(&p, runtime.GOARCH, caps.names())
	if err != nil {
		return nil, fmt.Errorf("compile seccomp profile: %w", err)
	}
	return prog.Bytes(), nil
}

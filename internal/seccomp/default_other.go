//go:build !linux

package seccomp

import (
	"errors"
	"fmt"
)

// Default compiles Docker's default profile for the host. The profile is
// only built on Linux (moby.DefaultProfile is Linux-only), so on other
// systems Default returns an error wrapping errors.ErrUnsupported; Compile
// and CompileSpec work everywhere.
func Default(caps []string) (Program, error) {
	return nil, fmt.Errorf("compile default seccomp profile: %w", errors.ErrUnsupported)
}

// Container compiles dock's profile for containers; see Default.
func Container(caps []string) (Program, error) {
	return nil, fmt.Errorf("compile container seccomp profile: %w", errors.ErrUnsupported)
}

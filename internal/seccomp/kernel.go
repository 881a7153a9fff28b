package seccomp

import (
	"fmt"

	moby "github.com/moby/profiles/seccomp"
)

// parseRelease parses a kernel release ("6.18.2-amd64") into the version
// and major revision that moby's minKernel compares.
func parseRelease(release string) (moby.KernelVersion, error) {
	var v moby.KernelVersion
	if _, err := fmt.Sscanf(release, "%d.%d", &v.Kernel, &v.Major); err != nil {
		return v, fmt.Errorf("parse kernel release %q: %w", release, err)
	}
	return v, nil
}

package seccomp

import (
	"fmt"
	"sync"

	moby "github.com/moby/profiles/seccomp"
	"golang.org/x/sys/unix"
)

// hostKernel returns the running kernel's version, read once.
var hostKernel = sync.OnceValues(func() (moby.KernelVersion, error) {
	var uts unix.Utsname
	if err := unix.Uname(&uts); err != nil {
		return moby.KernelVersion{}, fmt.Errorf("uname: %w", err)
	}
	return parseRelease(unix.ByteSliceToString(uts.Release[:]))
})

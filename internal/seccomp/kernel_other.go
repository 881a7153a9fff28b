//go:build !linux

package seccomp

import (
	"errors"

	moby "github.com/moby/profiles/seccomp"
)

// hostKernel fails: there is no Linux kernel to compare minKernel with.
func hostKernel() (moby.KernelVersion, error) {
	return moby.KernelVersion{}, errors.ErrUnsupported
}

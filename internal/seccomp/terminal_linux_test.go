package seccomp

import (
	"testing"

	moby "github.com/moby/profiles/seccomp"
	"github.com/opencontainers/runtime-spec/specs-go"
	"github.com/stretchr/testify/require"
)

// TestWithoutTerminalInjection checks that the containers' profile refuses
// TIOCSTI and TIOCLINUX, with or without high bits in the request (the
// kernel reads 32 bits), on every ABI, and allows every other ioctl, as
// Docker's profile does.
func TestWithoutTerminalInjection(t *testing.T) {
	eio := uint32(retErrno | 5)
	x64, x86, x32 := specs.ArchX86_64, specs.ArchX86, specs.ArchX32
	var calls []call
	for _, a := range []specs.Arch{x64, x86, x32} {
		req := func(r uint64) [6]uint64 { return [6]uint64{0, r} }
		calls = append(calls,
			call{name: "ioctl", abi: a, args: req(ioctlTIOCSTI), want: eio},
			call{name: "ioctl", abi: a, args: req(ioctlTIOCLINUX), want: eio},
			call{name: "ioctl", abi: a, args: req(0x5401 /* TCGETS */), want: allow},
			call{name: "ioctl", abi: a, args: req(0x5413 /* TIOCGWINSZ */), want: allow},
			call{name: "ioctl", abi: a, args: req(0), want: allow},
			call{name: "ioctl", abi: a, args: req(0xffffffff), want: allow},
			call{name: "read", abi: a, want: allow},
			call{name: "keyctl", abi: a, want: eperm},
		)
	}
	calls = append(calls,
		call{name: "ioctl", abi: x64, args: [6]uint64{0, 1<<32 | ioctlTIOCSTI}, want: eio},
		call{name: "ioctl", abi: x64, args: [6]uint64{0, 0xffffffff00000000 | ioctlTIOCLINUX}, want: eio},
	)
	for _, caps := range [][]string{dockerCaps, adminCaps} {
		spec, err := resolve(WithoutTerminalInjection(moby.DefaultProfile()), "amd64", caps, fixedKernel(6, 18))
		require.NoError(t, err)
		p, err := CompileSpec(spec, "amd64")
		require.NoError(t, err)
		check(t, p, calls)
	}
	// Docker's own profile is left as it is.
	check(t, compileDefault(t, "amd64", dockerCaps), []call{
		{name: "ioctl", abi: x64, args: [6]uint64{0, ioctlTIOCSTI}, want: allow},
	})
}

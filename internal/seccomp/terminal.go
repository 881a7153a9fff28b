package seccomp

import (
	"slices"

	moby "github.com/moby/profiles/seccomp"
	specs "github.com/opencontainers/runtime-spec/specs-go"
)

// Terminal ioctls that write into another program's input: TIOCSTI pushes
// bytes into a terminal's input queue, TIOCLINUX (TIOCL_PASTESEL) pastes
// the console's selection into it. A container that reaches a terminal it
// shares with the host (the console, the terminal of the program that
// started it) could type commands there. Docker's profile allows both.
const (
	ioctlTIOCSTI   = 0x5412
	ioctlTIOCLINUX = 0x541c
)

var errnoEIO uint = 5

// WithoutTerminalInjection returns a copy of profile in which ioctl is
// refused for TIOCSTI and TIOCLINUX and allowed as before for every other
// request. The refusal is EIO, what the kernel answers TIOCSTI when its
// legacy form is off (a rule with the profile's default action, EPERM,
// would be dropped as redundant before the catch-all allow that follows). The kernel reads the request as a 32-bit number,
// so only the low 32 bits of the argument are compared: a request with
// high bits set cannot slip through.
func WithoutTerminalInjection(profile *moby.Seccomp) *moby.Seccomp {
	p := *profile
	p.Syscalls = nil
	allowed := false
	for _, sc := range profile.Syscalls {
		if sc.Action == specs.ActAllow && len(sc.Args) == 0 && slices.Contains(sc.Names, "ioctl") {
			allowed = true
			c := *sc
			c.Names = slices.DeleteFunc(slices.Clone(sc.Names), func(n string) bool { return n == "ioctl" })
			if len(c.Names) == 0 {
				continue
			}
			sc = &c
		}
		p.Syscalls = append(p.Syscalls, sc)
	}
	if !allowed {
		return profile // ioctl is not allowed at all: nothing to narrow
	}
	request := func(req uint64) []specs.LinuxSeccompArg {
		return []specs.LinuxSeccompArg{{Index: 1, Value: 0xffffffff, ValueTwo: req, Op: specs.OpMaskedEqual}}
	}
	for _, req := range []uint64{ioctlTIOCSTI, ioctlTIOCLINUX} {
		p.Syscalls = append(p.Syscalls, &moby.Syscall{LinuxSyscall: specs.LinuxSyscall{
			Names: []string{"ioctl"}, Action: specs.ActErrno, ErrnoRet: &errnoEIO, Args: request(req),
		}})
	}
	// Any other request: the mask 0 matches every value. Rules are tried
	// in order, so the refusals above come first.
	p.Syscalls = append(p.Syscalls, &moby.Syscall{LinuxSyscall: specs.LinuxSyscall{
		Names: []string{"ioctl"}, Action: specs.ActAllow,
		Args: []specs.LinuxSeccompArg{{Index: 1, Value: 0, ValueTwo: 0, Op: specs.OpMaskedEqual}},
	}})
	return &p
}

package seccomp

import (
	"bytes"
	"errors"
	"fmt"
	"testing"

	moby "github.com/moby/profiles/seccomp"
	"github.com/opencontainers/runtime-spec/specs-go"
	"github.com/stretchr/testify/require"
)

const (
	allow  = retAllow
	eperm  = retErrno | errnoEPERM
	enosys = retErrno | errnoENOSYS
	kill   = retKillProcess
)

func errnoPtr(e uint) *uint { return &e }

// call describes one syscall as a task of some ABI makes it.
type call struct {
	name string
	abi  specs.Arch
	nr   uint32 // used when name is ""
	args [6]uint64
	want uint32
}

func (c call) String() string {
	if c.name == "" {
		return fmt.Sprintf("%s/%#x%v", c.abi, c.nr, c.args)
	}
	return fmt.Sprintf("%s/%s%v", c.abi, c.name, c.args)
}

// check runs p on each call and compares the result.
func check(t *testing.T, p Program, calls []call) {
	t.Helper()
	for _, c := range calls {
		a := abis()[c.abi]
		require.NotNil(t, a, "%v: unknown ABI", c)
		nr := c.nr
		if c.name != "" {
			var ok bool
			nr, ok = a.table[c.name]
			require.True(t, ok, "%v: no such syscall", c)
		}
		got, _, err := run(p, seccompData{nr: nr, arch: a.audit, args: c.args})
		require.NoError(t, err, "%v", c)
		require.Equal(t, retString(c.want), retString(got), "run(%v) = %s, want %s", c, retString(got), retString(c.want))
	}
}

func compileT(t *testing.T, spec *specs.LinuxSeccomp, arch string) Program {
	t.Helper()
	p, err := CompileSpec(spec, arch)
	require.NoError(t, err)
	return p
}

// cmp is the reference semantics of an arg comparison.
func cmp(op specs.LinuxSeccompOperator, arg, v, v2 uint64, bits32 bool) bool {
	if bits32 {
		arg, v, v2 = arg&0xffffffff, v&0xffffffff, v2&0xffffffff
	}
	switch op {
	case specs.OpEqualTo:
		return arg == v
	case specs.OpNotEqual:
		return arg != v
	case specs.OpLessThan:
		return arg < v
	case specs.OpLessEqual:
		return arg <= v
	case specs.OpGreaterThan:
		return arg > v
	case specs.OpGreaterEqual:
		return arg >= v
	case specs.OpMaskedEqual:
		return arg&v == v2
	}
	panic(op)
}

func TestOperators(t *testing.T) {
	values := []uint64{0, 1, 5, 0x7fffffff, 0xffffffff, 1 << 32, 1<<32 | 5, 0x12345678_9abcdef0, 1 << 63, ^uint64(0)}
	var args []uint64
	for _, v := range values {
		args = append(args, v-1, v, v+1, v^1<<32, v^0xffffffff00000000)
	}
	ops := []specs.LinuxSeccompOperator{specs.OpEqualTo, specs.OpNotEqual, specs.OpLessThan, specs.OpLessEqual,
		specs.OpGreaterThan, specs.OpGreaterEqual, specs.OpMaskedEqual}
	for _, op := range ops {
		for _, v := range values {
			v2 := v & 0x0000ffff_0000fff0
			t.Run(fmt.Sprintf("%s/%#x", op, v), func(t *testing.T) {
				spec := &specs.LinuxSeccomp{
					DefaultAction: specs.ActErrno,
					Architectures: []specs.Arch{specs.ArchX86_64, specs.ArchX86},
					Syscalls: []specs.LinuxSyscall{{
						Names:  []string{"getpid"},
						Action: specs.ActAllow,
						Args:   []specs.LinuxSeccompArg{{Index: 2, Value: v, ValueTwo: v2, Op: op}},
					}},
				}
				p := compileT(t, spec, "amd64")
				var calls []call
				for _, arg := range args {
					for _, a := range []specs.Arch{specs.ArchX86_64, specs.ArchX86} {
						want := uint32(eperm)
						if cmp(op, arg, v, v2, abis()[a].bits32) {
							want = allow
						}
						calls = append(calls, call{name: "getpid", abi: a, args: [6]uint64{2: arg}, want: want})
					}
				}
				check(t, p, calls)
			})
		}
	}
}

func TestRuleSemantics(t *testing.T) {
	x := specs.ArchX86_64
	tests := []struct {
		name  string
		rules []specs.LinuxSyscall
		calls []call
	}{{
		name: "args of one rule are ANDed",
		rules: []specs.LinuxSyscall{{Names: []string{"read"}, Action: specs.ActAllow, Args: []specs.LinuxSeccompArg{
			{Index: 0, Value: 1, Op: specs.OpEqualTo}, {Index: 1, Value: 2, Op: specs.OpEqualTo}}}},
		calls: []call{
			{name: "read", abi: x, args: [6]uint64{1, 2}, want: allow},
			{name: "read", abi: x, args: [6]uint64{1, 3}, want: eperm},
			{name: "read", abi: x, args: [6]uint64{0, 2}, want: eperm},
		},
	}, {
		name: "rules are ORed",
		rules: []specs.LinuxSyscall{
			{Names: []string{"read"}, Action: specs.ActAllow, Args: []specs.LinuxSeccompArg{{Index: 0, Value: 1, Op: specs.OpEqualTo}}},
			{Names: []string{"read"}, Action: specs.ActAllow, Args: []specs.LinuxSeccompArg{{Index: 1, Value: 2, Op: specs.OpEqualTo}}},
		},
		calls: []call{
			{name: "read", abi: x, args: [6]uint64{1, 0}, want: allow},
			{name: "read", abi: x, args: [6]uint64{0, 2}, want: allow},
			{name: "read", abi: x, args: [6]uint64{0, 0}, want: eperm},
		},
	}, {
		name: "one index twice: ORed as in runc",
		rules: []specs.LinuxSyscall{{Names: []string{"read"}, Action: specs.ActAllow, Args: []specs.LinuxSeccompArg{
			{Index: 0, Value: 1, Op: specs.OpEqualTo}, {Index: 0, Value: 7, Op: specs.OpEqualTo}}}},
		calls: []call{
			{name: "read", abi: x, args: [6]uint64{1}, want: allow},
			{name: "read", abi: x, args: [6]uint64{7}, want: allow},
			{name: "read", abi: x, args: [6]uint64{2}, want: eperm},
		},
	}, {
		name: "first matching rule decides",
		rules: []specs.LinuxSyscall{
			{Names: []string{"read"}, Action: specs.ActErrno, ErrnoRet: errnoPtr(5), Args: []specs.LinuxSeccompArg{{Index: 0, Value: 3, Op: specs.OpGreaterThan}}},
			{Names: []string{"read"}, Action: specs.ActAllow, Args: []specs.LinuxSeccompArg{{Index: 0, Value: 10, Op: specs.OpLessThan}}},
		},
		calls: []call{
			{name: "read", abi: x, args: [6]uint64{2}, want: allow},
			{name: "read", abi: x, args: [6]uint64{5}, want: retErrno | 5},
			{name: "read", abi: x, args: [6]uint64{50}, want: retErrno | 5},
		},
	}, {
		name: "a rule without args wins over rules with args",
		rules: []specs.LinuxSyscall{
			{Names: []string{"read"}, Action: specs.ActLog, Args: []specs.LinuxSeccompArg{{Index: 0, Value: 3, Op: specs.OpEqualTo}}},
			{Names: []string{"read"}, Action: specs.ActAllow},
		},
		calls: []call{
			{name: "read", abi: x, args: [6]uint64{3}, want: allow},
			{name: "read", abi: x, args: [6]uint64{4}, want: allow},
		},
	}, {
		name: "rules with the default action are skipped",
		rules: []specs.LinuxSyscall{
			{Names: []string{"read"}, Action: specs.ActErrno, Args: []specs.LinuxSeccompArg{{Index: 0, Value: 3, Op: specs.OpEqualTo}}},
			{Names: []string{"read"}, Action: specs.ActAllow, Args: []specs.LinuxSeccompArg{{Index: 0, Value: 5, Op: specs.OpLessThan}}},
		},
		calls: []call{
			{name: "read", abi: x, args: [6]uint64{3}, want: allow},
			{name: "read", abi: x, args: [6]uint64{6}, want: eperm},
		},
	}, {
		name: "actions",
		rules: []specs.LinuxSyscall{
			{Names: []string{"read"}, Action: specs.ActKill},
			{Names: []string{"write"}, Action: specs.ActKillThread},
			{Names: []string{"open"}, Action: specs.ActKillProcess},
			{Names: []string{"close"}, Action: specs.ActTrap},
			{Names: []string{"stat"}, Action: specs.ActTrace},
			{Names: []string{"fstat"}, Action: specs.ActTrace, ErrnoRet: errnoPtr(9)},
			{Names: []string{"lstat"}, Action: specs.ActLog},
			{Names: []string{"poll"}, Action: specs.ActErrno, ErrnoRet: errnoPtr(0)},
			{Names: []string{"no_such_syscall", "lseek"}, Action: specs.ActAllow},
		},
		calls: []call{
			{name: "read", abi: x, want: retKillThread},
			{name: "write", abi: x, want: retKillThread},
			{name: "open", abi: x, want: retKillProcess},
			{name: "close", abi: x, want: retTrap},
			{name: "stat", abi: x, want: retTrace | 1},
			{name: "fstat", abi: x, want: retTrace | 9},
			{name: "lstat", abi: x, want: retLog},
			{name: "poll", abi: x, want: retErrno},
			{name: "lseek", abi: x, want: allow},
			{name: "mmap", abi: x, want: enosys}, // above every syscall named
		},
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := compileT(t, &specs.LinuxSeccomp{DefaultAction: specs.ActErrno, Syscalls: tt.rules}, "amd64")
			check(t, p, tt.calls)
		})
	}
}

func TestArchitectures(t *testing.T) {
	rules := []specs.LinuxSyscall{{Names: []string{"read", "write", "set_tls", "getpid", "execve"}, Action: specs.ActAllow}}
	x64, x86, x32 := specs.ArchX86_64, specs.ArchX86, specs.ArchX32
	a64, arm := specs.ArchAARCH64, specs.ArchARM
	tests := []struct {
		name   string
		arch   string
		arches []specs.Arch
		calls  []call
	}{{
		name: "amd64 native only",
		arch: "amd64",
		calls: []call{
			{name: "read", abi: x64, want: allow},
			{name: "read", abi: x86, want: kill},
			{name: "read", abi: x32, want: kill},
			{name: "read", abi: a64, want: kill},
		},
	}, {
		name:   "amd64 with i386 and x32",
		arch:   "amd64",
		arches: []specs.Arch{x64, x86, x32},
		calls: []call{
			{name: "read", abi: x64, want: allow},
			{name: "read", abi: x86, want: allow},
			{name: "read", abi: x32, want: allow},
			{name: "open", abi: x32, want: eperm},
			{name: "execve", abi: x32, want: allow},
			// execve's x86_64 number with the x32 bit is not x32's execve.
			{abi: x32, nr: x32SyscallBit | sysX86_64()["execve"], want: eperm},
			{name: "write", abi: arm, want: kill},
		},
	}, {
		name:   "x32 listed without x86_64: native is added",
		arch:   "amd64",
		arches: []specs.Arch{x32},
		calls: []call{
			{name: "read", abi: x64, want: allow},
			{name: "read", abi: x32, want: allow},
			{name: "read", abi: x86, want: kill},
		},
	}, {
		name:   "foreign architectures are skipped",
		arch:   "amd64",
		arches: []specs.Arch{x64, a64, specs.ArchS390X},
		calls: []call{
			{name: "read", abi: x64, want: allow},
			{name: "read", abi: a64, want: kill},
		},
	}, {
		name:   "arm64 with arm",
		arch:   "arm64",
		arches: []specs.Arch{a64, arm},
		calls: []call{
			{name: "read", abi: a64, want: allow},
			{name: "read", abi: arm, want: allow},
			{name: "set_tls", abi: arm, want: allow},
			{name: "read", abi: x64, want: kill},
		},
	}, {
		name: "386",
		arch: "386",
		calls: []call{
			{name: "read", abi: x86, want: allow},
			{name: "read", abi: x64, want: kill},
		},
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := compileT(t, &specs.LinuxSeccomp{DefaultAction: specs.ActErrno, Architectures: tt.arches, Syscalls: rules}, tt.arch)
			check(t, p, tt.calls)
		})
	}
}

func TestENOSYSAboveProfile(t *testing.T) {
	rules := []specs.LinuxSyscall{{Names: []string{"read", "getpid"}, Action: specs.ActAllow}}
	getpid := sysX86_64()["getpid"]
	for _, tt := range []struct {
		def  specs.LinuxSeccompAction
		want uint32 // for numbers above getpid
	}{
		{specs.ActErrno, enosys},
		{specs.ActKillProcess, enosys},
		{specs.ActLog, retLog},
	} {
		t.Run(string(tt.def), func(t *testing.T) {
			p := compileT(t, &specs.LinuxSeccomp{DefaultAction: tt.def, Syscalls: rules}, "amd64")
			below, _ := actionValue(tt.def, nil)
			check(t, p, []call{
				{abi: specs.ArchX86_64, nr: getpid, want: allow},
				{abi: specs.ArchX86_64, nr: getpid - 1, want: below},
				{abi: specs.ArchX86_64, nr: getpid + 1, want: tt.want},
				{abi: specs.ArchX86_64, nr: 0x3fffffff, want: tt.want},
				{abi: specs.ArchX86_64, nr: 0xffffffff, want: kill}, // x32 bit, no x32
			})
		})
	}
}

// TestLongJumps compiles programs whose jumps span more than 255
// instructions, so that assemble must add BPF_JA trampolines.
func TestLongJumps(t *testing.T) {
	var rules []specs.LinuxSyscall
	var calls []call
	for i := range 250 {
		var args []specs.LinuxSeccompArg
		for j := range 3 {
			args = append(args, specs.LinuxSeccompArg{Index: uint(j), Value: uint64(i*10 + j), Op: specs.OpEqualTo})
		}
		rules = append(rules, specs.LinuxSyscall{Names: []string{"read", "write"}, Action: specs.ActErrno, ErrnoRet: errnoPtr(uint(i + 2)), Args: args})
		if i%37 == 0 || i == 99 || i == 249 {
			for _, n := range []string{"read", "write"} {
				calls = append(calls,
					call{name: n, args: [6]uint64{uint64(i * 10), uint64(i*10 + 1), uint64(i*10 + 2)}, want: retErrno | uint32(i+2)},
					call{name: n, args: [6]uint64{uint64(i * 10), uint64(i*10 + 1), 1 << 40}, want: allow})
			}
		}
	}
	for _, tt := range []struct {
		arch  string
		abi   specs.Arch
		rules int
	}{
		{"386", specs.ArchX86, 250},      // 32-bit compares: 7 instructions a rule
		{"amd64", specs.ArchX86_64, 100}, // 64-bit compares: 13 instructions a rule
	} {
		t.Run(tt.arch, func(t *testing.T) {
			p := compileT(t, &specs.LinuxSeccomp{DefaultAction: specs.ActAllow, Syscalls: rules[:tt.rules]}, tt.arch)
			require.Greater(t, len(p), 1000)
			var cs []call
			for _, c := range calls {
				if c.args[0] < uint64(tt.rules*10) {
					c.abi = tt.abi
					if c.want != allow && tt.abi == specs.ArchX86 && c.args[2] > 0xffffffff {
						c.want = allow
					}
					cs = append(cs, c)
				}
			}
			check(t, p, cs)
		})
	}

	// Too big for the kernel.
	_, err := CompileSpec(&specs.LinuxSeccomp{DefaultAction: specs.ActAllow, Syscalls: rules}, "amd64")
	require.ErrorContains(t, err, "limit of 4096")
}

func TestCompileErrors(t *testing.T) {
	ok := []specs.LinuxSyscall{{Names: []string{"read"}, Action: specs.ActAllow}}
	tests := []struct {
		name string
		spec *specs.LinuxSeccomp
		arch string
		want string
	}{
		{"nil", nil, "amd64", "profile is nil"},
		{"arch", &specs.LinuxSeccomp{DefaultAction: specs.ActErrno}, "riscv64", "unsupported"},
		{"no default", &specs.LinuxSeccomp{Syscalls: ok}, "amd64", "defaultAction is empty"},
		{"bad default", &specs.LinuxSeccomp{DefaultAction: "SCMP_ACT_FOO"}, "amd64", "unknown action"},
		{"notify", &specs.LinuxSeccomp{DefaultAction: specs.ActErrno, Syscalls: []specs.LinuxSyscall{{Names: []string{"read"}, Action: specs.ActNotify}}}, "amd64", "unsupported"},
		{"listener", &specs.LinuxSeccomp{DefaultAction: specs.ActErrno, ListenerPath: "/x"}, "amd64", "unsupported"},
		{"errno range", &specs.LinuxSeccomp{DefaultAction: specs.ActErrno, DefaultErrnoRet: errnoPtr(70000)}, "amd64", "out of range"},
		{"errno on allow", &specs.LinuxSeccomp{DefaultAction: specs.ActErrno, Syscalls: []specs.LinuxSyscall{{Names: []string{"read"}, Action: specs.ActAllow, ErrnoRet: errnoPtr(1)}}}, "amd64", "errnoRet is set"},
		{"index", &specs.LinuxSeccomp{DefaultAction: specs.ActErrno, Syscalls: []specs.LinuxSyscall{{Names: []string{"read"}, Action: specs.ActAllow, Args: []specs.LinuxSeccompArg{{Index: 6, Op: specs.OpEqualTo}}}}}, "amd64", "index 6"},
		{"op", &specs.LinuxSeccomp{DefaultAction: specs.ActErrno, Syscalls: []specs.LinuxSyscall{{Names: []string{"read"}, Action: specs.ActAllow, Args: []specs.LinuxSeccompArg{{Op: "SCMP_CMP_FOO"}}}}}, "amd64", "unknown operator"},
		{"conflict", &specs.LinuxSeccomp{DefaultAction: specs.ActErrno, Syscalls: []specs.LinuxSyscall{{Names: []string{"read"}, Action: specs.ActAllow}, {Names: []string{"read"}, Action: specs.ActLog}}}, "amd64", "conflicting actions"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := CompileSpec(tt.spec, tt.arch)
			require.ErrorContains(t, err, tt.want, "CompileSpec() = %d instructions", len(p))
			require.Nil(t, p)
		})
	}
	_, err := CompileSpec(&specs.LinuxSeccomp{DefaultAction: specs.ActErrno}, "mips")
	require.True(t, errors.Is(err, errors.ErrUnsupported), "CompileSpec(mips) = %v, want ErrUnsupported", err)
}

func fixedKernel(k, m uint64) func() (moby.KernelVersion, error) {
	return func() (moby.KernelVersion, error) { return moby.KernelVersion{Kernel: k, Major: m}, nil }
}

func TestResolve(t *testing.T) {
	rule := func(name string, in, ex *moby.Filter) *moby.Syscall {
		return &moby.Syscall{LinuxSyscall: specs.LinuxSyscall{Names: []string{name}, Action: specs.ActAllow}, Includes: in, Excludes: ex}
	}
	profile := &moby.Seccomp{
		LinuxSeccomp: specs.LinuxSeccomp{DefaultAction: specs.ActErrno},
		ArchMap: []moby.Architecture{
			{Arch: specs.ArchX86_64, SubArches: []specs.Arch{specs.ArchX86}},
			{Arch: specs.ArchAARCH64, SubArches: []specs.Arch{specs.ArchARM}},
		},
		Syscalls: []*moby.Syscall{
			rule("all", nil, nil),
			rule("admin", &moby.Filter{Caps: []string{"CAP_SYS_ADMIN"}}, nil),
			rule("admin+boot", &moby.Filter{Caps: []string{"CAP_SYS_ADMIN", "CAP_SYS_BOOT"}}, nil),
			rule("not-admin-or-boot", nil, &moby.Filter{Caps: []string{"CAP_SYS_ADMIN", "CAP_SYS_BOOT"}}),
			rule("amd64", &moby.Filter{Arches: []string{"amd64", "x32"}}, nil),
			rule("not-arm64", nil, &moby.Filter{Arches: []string{"arm64"}}),
			rule("kernel>=5.10", &moby.Filter{MinKernel: &moby.KernelVersion{Kernel: 5, Major: 10}}, nil),
			rule("kernel<5.10", nil, &moby.Filter{MinKernel: &moby.KernelVersion{Kernel: 5, Major: 10}}),
			{Name: "old-name", LinuxSyscall: specs.LinuxSyscall{Action: specs.ActAllow}},
		},
	}
	tests := []struct {
		arch   string
		caps   []string
		kernel moby.KernelVersion
		arches []specs.Arch
		names  []string
	}{
		{"amd64", nil, moby.KernelVersion{Kernel: 6, Major: 1}, []specs.Arch{specs.ArchX86_64, specs.ArchX86},
			[]string{"all", "not-admin-or-boot", "amd64", "not-arm64", "kernel>=5.10", "old-name"}},
		{"arm64", []string{"sys_admin"}, moby.KernelVersion{Kernel: 5, Major: 4}, []specs.Arch{specs.ArchAARCH64, specs.ArchARM},
			[]string{"all", "admin", "kernel<5.10", "old-name"}},
		{"386", []string{"CAP_SYS_ADMIN", "CAP_SYS_BOOT"}, moby.KernelVersion{Kernel: 5, Major: 10}, nil,
			[]string{"all", "admin", "admin+boot", "not-arm64", "kernel>=5.10", "old-name"}},
	}
	for _, tt := range tests {
		t.Run(tt.arch, func(t *testing.T) {
			spec, err := resolve(profile, tt.arch, tt.caps, fixedKernel(tt.kernel.Kernel, tt.kernel.Major))
			require.NoError(t, err)
			require.Equal(t, tt.arches, spec.Architectures)
			var names []string
			for _, sc := range spec.Syscalls {
				names = append(names, sc.Names...)
			}
			require.Equal(t, tt.names, names)
		})
	}
	require.Equal(t, "old-name", profile.Syscalls[8].Name, "resolve modified the profile")
	require.Empty(t, profile.Syscalls[8].Names, "resolve modified the profile")

	_, err := resolve(profile, "amd64", nil, func() (moby.KernelVersion, error) { return moby.KernelVersion{}, errors.ErrUnsupported })
	require.ErrorIs(t, err, errors.ErrUnsupported)
	_, err = resolve(&moby.Seccomp{LinuxSeccomp: specs.LinuxSeccomp{Architectures: []specs.Arch{specs.ArchX86}}, ArchMap: profile.ArchMap}, "amd64", nil, hostKernel)
	require.ErrorContains(t, err, "both architectures and archMap")
	_, err = resolve(&moby.Seccomp{Syscalls: []*moby.Syscall{{Name: "a", LinuxSyscall: specs.LinuxSyscall{Names: []string{"b"}}}}}, "amd64", nil, hostKernel)
	require.ErrorContains(t, err, "both name and names")
}

func TestBytes(t *testing.T) {
	p := Program{{Code: 0x0102, Jt: 3, Jf: 4, K: 0x05060708}, {Code: bpfRetK, K: retAllow}}
	b := p.Bytes()
	require.Len(t, b, 16)
	// The test machines are little endian (amd64, arm64).
	require.Equal(t, []byte{0x02, 0x01, 3, 4, 0x08, 0x07, 0x06, 0x05}, b[:8])
	require.Equal(t, "0000: op 0x102 jt 3 jf 4 k 0x5060708\n0001: ret ALLOW\n", p.String())
}

func TestParseRelease(t *testing.T) {
	for _, tt := range []struct {
		in   string
		want moby.KernelVersion
	}{
		{"6.18.2-amd64", moby.KernelVersion{Kernel: 6, Major: 18}},
		{"3.12-1-amd64", moby.KernelVersion{Kernel: 3, Major: 12}},
		{"5.10.0", moby.KernelVersion{Kernel: 5, Major: 10}},
	} {
		got, err := parseRelease(tt.in)
		require.NoError(t, err)
		require.Equal(t, tt.want, got, "parseRelease(%q)", tt.in)
	}
	_, err := parseRelease("garbage")
	require.Error(t, err)
}

func TestDeterministic(t *testing.T) {
	var rules []specs.LinuxSyscall
	for name := range sysX86_64() {
		rules = append(rules, specs.LinuxSyscall{Names: []string{name}, Action: specs.ActAllow,
			Args: []specs.LinuxSeccompArg{{Index: 1, Value: uint64(len(name)), Op: specs.OpNotEqual}}})
	}
	spec := &specs.LinuxSeccomp{DefaultAction: specs.ActErrno, Architectures: []specs.Arch{specs.ArchX86, specs.ArchX32}, Syscalls: rules[:100]}
	first := compileT(t, spec, "amd64").Bytes()
	for range 5 {
		require.True(t, bytes.Equal(first, compileT(t, spec, "amd64").Bytes()), "CompileSpec is not deterministic")
	}
}

package seccomp

//go:generate go run mksyscalls.go

import (
	"sync"

	"github.com/opencontainers/runtime-spec/specs-go"
)

const (
	// x32SyscallBit marks x32 syscall numbers; x32 tasks report
	// AUDIT_ARCH_X86_64 like native x86_64 ones (__X32_SYSCALL_BIT).
	x32SyscallBit = 0x40000000
	// armPrivateBase is __ARM_NR_BASE, where ARM's private syscalls start.
	armPrivateBase = 0x0f0000
)

// AUDIT_ARCH_* values of <linux/audit.h>, as seccomp_data.arch reports them.
// Kept here (not taken from x/sys/unix) so that compiling stays portable.
const (
	auditArchX86_64  = 0xc000003e
	auditArchI386    = 0x40000003
	auditArchAArch64 = 0xc00000b7
	auditArchARM     = 0x40000028
)

// abi is one syscall ABI a filter can hold rules for.
type abi struct {
	arch  specs.Arch        // libseccomp's name
	audit uint32            // seccomp_data.arch
	table map[string]uint32 // syscall numbers
	// bits32: arguments are 32 bits wide, so only the low halves of
	// seccomp_data.args are compared (as libseccomp does).
	bits32 bool
	// x32: numbers have x32SyscallBit set and share the audit arch with
	// x86_64.
	x32 bool
}

// abis returns the ABIs by libseccomp name, their tables built on the
// first call (a compile; a cached program needs none).
var abis = sync.OnceValue(func() map[specs.Arch]*abi {
	return map[specs.Arch]*abi{
		specs.ArchX86_64:  {arch: specs.ArchX86_64, audit: auditArchX86_64, table: sysX86_64()},
		specs.ArchX32:     {arch: specs.ArchX32, audit: auditArchX86_64, table: sysX32(), x32: true},
		specs.ArchX86:     {arch: specs.ArchX86, audit: auditArchI386, table: sysX86(), bits32: true},
		specs.ArchAARCH64: {arch: specs.ArchAARCH64, audit: auditArchAArch64, table: sysAArch64()},
		specs.ArchARM:     {arch: specs.ArchARM, audit: auditArchARM, table: sysARM(), bits32: true},
	}
})

// goArches maps the GOARCH values Compile accepts to the native libseccomp
// architecture, the name moby's Filter.Arches uses for it, and the
// architectures whose tasks can run there.
var goArches = map[string]struct {
	native specs.Arch
	name   string
	compat []specs.Arch
}{
	"amd64": {specs.ArchX86_64, "amd64", []specs.Arch{specs.ArchX86, specs.ArchX32}},
	"386":   {specs.ArchX86, "x86", nil},
	"arm64": {specs.ArchAARCH64, "arm64", []specs.Arch{specs.ArchARM}},
	"arm":   {specs.ArchARM, "arm", nil},
}

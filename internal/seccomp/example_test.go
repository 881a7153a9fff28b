package seccomp_test

import (
	"fmt"

	"github.com/go-dock/dock/internal/seccomp"
	"github.com/opencontainers/runtime-spec/specs-go"
)

func ExampleCompileSpec() {
	eperm := uint(1)
	profile := &specs.LinuxSeccomp{
		DefaultAction:   specs.ActErrno,
		DefaultErrnoRet: &eperm,
		Syscalls: []specs.LinuxSyscall{
			{Names: []string{"read", "write", "exit_group"}, Action: specs.ActAllow},
			{
				Names:  []string{"personality"},
				Action: specs.ActAllow,
				Args:   []specs.LinuxSeccompArg{{Index: 0, Value: 0, Op: specs.OpEqualTo}},
			},
		},
	}
	prog, err := seccomp.CompileSpec(profile, "amd64")
	if err != nil {
		fmt.Println(err)
		return
	}
	// x86_64 only (no architectures listed): i386 and x32 tasks are
	// killed. read=0, write=1, personality=135, exit_group=231; numbers
	// above 231 get ENOSYS, the rest EPERM.
	fmt.Print(prog)
	fmt.Println(len(prog.Bytes()), "bytes")
	// Output:
	// 0000: ld [4]
	// 0001: jeq #0xc000003e, 0003, 0002
	// 0002: ret KILL_PROCESS
	// 0003: ld [0]
	// 0004: jge #0x40000000, 0005, 0006
	// 0005: ret KILL_PROCESS
	// 0006: jge #0x88, 0011, 0007
	// 0007: jge #0x2, 0009, 0008
	// 0008: ret ALLOW
	// 0009: jge #0x87, 0016, 0010
	// 0010: ret ERRNO(1)
	// 0011: jge #0xe7, 0013, 0012
	// 0012: ret ERRNO(1)
	// 0013: jge #0xe8, 0015, 0014
	// 0014: ret ALLOW
	// 0015: ret ERRNO(38)
	// 0016: ld [20]
	// 0017: jeq #0x0, 0018, 0021
	// 0018: ld [16]
	// 0019: jeq #0x0, 0020, 0021
	// 0020: ret ALLOW
	// 0021: ret ERRNO(1)
	// 176 bytes
}

package seccomp

import (
	"runtime"
	"slices"
	"testing"

	moby "github.com/moby/profiles/seccomp"
	"github.com/opencontainers/runtime-spec/specs-go"
	"github.com/stretchr/testify/require"
	"golang.org/x/sys/unix"
)

// dockerCaps is Docker's default capability set.
var dockerCaps = []string{
	"CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_FSETID", "CAP_FOWNER", "CAP_MKNOD", "CAP_NET_RAW",
	"CAP_SETGID", "CAP_SETUID", "CAP_SETFCAP", "CAP_SETPCAP", "CAP_NET_BIND_SERVICE",
	"CAP_SYS_CHROOT", "CAP_KILL", "CAP_AUDIT_WRITE",
}

var adminCaps = append(slices.Clone(dockerCaps), "CAP_SYS_ADMIN")

// compileDefault compiles Docker's profile for arch as if on Linux 6.18.
func compileDefault(t testing.TB, arch string, caps []string) Program {
	t.Helper()
	spec, err := resolve(moby.DefaultProfile(), arch, caps, fixedKernel(6, 18))
	require.NoError(t, err)
	p, err := CompileSpec(spec, arch)
	require.NoError(t, err)
	return p
}

const (
	nsFlags = unix.CLONE_NEWNS | unix.CLONE_NEWUTS | unix.CLONE_NEWIPC | unix.CLONE_NEWUSER |
		unix.CLONE_NEWPID | unix.CLONE_NEWNET | unix.CLONE_NEWCGROUP
	forkFlags   = uint64(unix.SIGCHLD)
	threadFlags = uint64(unix.CLONE_VM | unix.CLONE_FS | unix.CLONE_FILES | unix.CLONE_SIGHAND |
		unix.CLONE_THREAD | unix.CLONE_SYSVSEM | unix.CLONE_SETTLS | unix.CLONE_PARENT_SETTID | unix.CLONE_CHILD_CLEARTID)
)

func TestDefaultAMD64(t *testing.T) {
	x64, x86, x32 := specs.ArchX86_64, specs.ArchX86, specs.ArchX32
	denied := []string{"keyctl", "kexec_load", "bpf", "mount", "umount2", "unshare", "setns", "io_uring_setup",
		"io_uring_enter", "io_uring_register", "userfaultfd", "add_key", "request_key", "init_module",
		"reboot", "swapon"}
	allowed := []string{"read", "write", "execve", "exit_group", "openat", "mmap", "futex", "rt_sigaction",
		"arch_prctl", "modify_ldt", "process_vm_readv", "ptrace", "socketpair"}
	var docker, admin []call
	for _, n := range denied {
		for _, a := range []specs.Arch{x64, x86, x32} {
			if _, ok := abis()[a].table[n]; ok {
				docker = append(docker, call{name: n, abi: a, want: eperm})
			}
		}
	}
	for _, n := range allowed {
		for _, a := range []specs.Arch{x64, x86, x32} {
			if _, ok := abis()[a].table[n]; ok && !(n == "arch_prctl" && a == x86) {
				docker = append(docker, call{name: n, abi: a, want: allow})
			}
		}
	}
	for _, a := range []specs.Arch{x64, x86, x32} {
		clone := func(flags uint64) [6]uint64 { return [6]uint64{flags} }
		docker = append(docker,
			call{name: "clone", abi: a, args: clone(forkFlags), want: allow},
			call{name: "clone", abi: a, args: clone(threadFlags), want: allow},
			call{name: "clone", abi: a, args: clone(forkFlags | unix.CLONE_NEWUSER), want: eperm},
			call{name: "clone", abi: a, args: clone(forkFlags | unix.CLONE_NEWNET), want: eperm},
			call{name: "clone", abi: a, args: clone(forkFlags | unix.CLONE_NEWCGROUP), want: eperm},
			call{name: "clone3", abi: a, want: enosys},
			call{name: "personality", abi: a, args: [6]uint64{0}, want: allow},
			call{name: "personality", abi: a, args: [6]uint64{8}, want: allow},
			call{name: "personality", abi: a, args: [6]uint64{0xffffffff}, want: allow},
			call{name: "personality", abi: a, args: [6]uint64{0x1234}, want: eperm},
			call{name: "personality", abi: a, args: [6]uint64{0x0040000 /* ADDR_NO_RANDOMIZE */}, want: eperm},
			call{name: "socket", abi: a, args: [6]uint64{unix.AF_UNIX}, want: allow},
			call{name: "socket", abi: a, args: [6]uint64{unix.AF_INET}, want: allow},
			call{name: "socket", abi: a, args: [6]uint64{unix.AF_INET6}, want: allow},
			call{name: "socket", abi: a, args: [6]uint64{unix.AF_NETLINK}, want: allow},
			call{name: "socket", abi: a, args: [6]uint64{unix.AF_PACKET}, want: allow},
			call{name: "socket", abi: a, args: [6]uint64{unix.AF_UNSPEC}, want: allow}, // the < AF_INET+1 range
			call{name: "socket", abi: a, args: [6]uint64{unix.AF_ALG}, want: eperm},
			call{name: "socket", abi: a, args: [6]uint64{unix.AF_VSOCK}, want: eperm},
			call{name: "socket", abi: a, args: [6]uint64{unix.AF_MAX}, want: eperm},
			call{name: "socket", abi: a, args: [6]uint64{unix.AF_DECnet}, want: eperm},
		)
		admin = append(admin,
			call{name: "mount", abi: a, want: allow},
			call{name: "unshare", abi: a, want: allow},
			call{name: "setns", abi: a, want: allow},
			call{name: "bpf", abi: a, want: allow},
			call{name: "clone", abi: a, args: [6]uint64{forkFlags | unix.CLONE_NEWUSER}, want: allow},
			call{name: "clone3", abi: a, want: allow},
			call{name: "keyctl", abi: a, want: eperm},
			call{name: "kexec_load", abi: a, want: eperm},
			call{name: "socket", abi: a, args: [6]uint64{unix.AF_ALG}, want: eperm},
		)
	}
	docker = append(docker,
		// 64-bit args: the high half counts on 64-bit ABIs, not on i386.
		call{name: "socket", abi: x64, args: [6]uint64{1<<32 | unix.AF_INET}, want: eperm},
		call{name: "socket", abi: x64, args: [6]uint64{1<<32 | unix.AF_UNIX}, want: eperm},
		call{name: "socket", abi: x86, args: [6]uint64{1<<32 | unix.AF_INET}, want: allow},
		call{name: "personality", abi: x64, args: [6]uint64{1 << 32}, want: eperm},
		call{name: "clone", abi: x64, args: [6]uint64{1<<40 | forkFlags}, want: allow},
		// Multiplexed calls on i386 are allowed whole (the profile's choice).
		call{name: "socketcall", abi: x86, args: [6]uint64{1}, want: allow},
		call{name: "ipc", abi: x86, want: allow},
		// Numbers the kernel does not know.
		call{abi: x64, nr: 1000, want: enosys},
		call{abi: x64, nr: 0x3fffffff, want: enosys},
		call{abi: x64, nr: 0xffffffff, want: enosys}, // x32 bit set: x32 table
		call{abi: x32, nr: x32SyscallBit | 1000, want: enosys},
		call{abi: x86, nr: 5000, want: enosys},
		call{abi: x32, nr: x32SyscallBit | sysX86_64()["execve"], want: eperm}, // x86_64-only number
		// Foreign architectures are killed.
		call{name: "read", abi: specs.ArchAARCH64, want: kill},
		call{name: "read", abi: specs.ArchARM, want: kill},
	)

	for _, tt := range []struct {
		name  string
		caps  []string
		calls []call
	}{
		{"docker caps", dockerCaps, docker},
		{"no caps", nil, docker},
		{"CAP_SYS_ADMIN", adminCaps, admin},
	} {
		t.Run(tt.name, func(t *testing.T) {
			p := compileDefault(t, "amd64", tt.caps)
			check(t, p, tt.calls)
		})
	}
	t.Run("CAP_SYS_PTRACE", func(t *testing.T) {
		p := compileDefault(t, "amd64", append(slices.Clone(dockerCaps), "CAP_SYS_PTRACE", "CAP_SYS_TIME"))
		check(t, p, []call{
			{name: "kcmp", abi: x64, want: allow},
			{name: "settimeofday", abi: x86, want: allow},
			{name: "mount", abi: x64, want: eperm},
		})
	})
	t.Run("CAP_SYS_CHROOT", func(t *testing.T) {
		check(t, compileDefault(t, "amd64", dockerCaps), []call{{name: "chroot", abi: x64, want: allow}})
		check(t, compileDefault(t, "amd64", nil), []call{{name: "chroot", abi: x64, want: eperm}})
	})
}

func TestDefaultARM64(t *testing.T) {
	a64, arm := specs.ArchAARCH64, specs.ArchARM
	p := compileDefault(t, "arm64", dockerCaps)
	check(t, p, []call{
		{name: "read", abi: a64, want: allow},
		{name: "execve", abi: a64, want: allow},
		{name: "openat", abi: a64, want: allow},
		{name: "mount", abi: a64, want: eperm},
		{name: "keyctl", abi: a64, want: eperm},
		{name: "io_uring_setup", abi: a64, want: eperm},
		{name: "clone", abi: a64, args: [6]uint64{forkFlags}, want: allow},
		{name: "clone", abi: a64, args: [6]uint64{unix.CLONE_NEWUSER}, want: eperm},
		{name: "clone3", abi: a64, want: enosys},
		{name: "socket", abi: a64, args: [6]uint64{unix.AF_ALG}, want: eperm},
		{name: "socket", abi: a64, args: [6]uint64{unix.AF_INET}, want: allow},
		{name: "read", abi: arm, want: allow},
		{name: "set_tls", abi: arm, want: allow},
		{name: "cacheflush", abi: arm, want: allow},
		{name: "arm_fadvise64_64", abi: arm, want: allow},
		{name: "mount", abi: arm, want: eperm},
		{name: "clone", abi: arm, args: [6]uint64{unix.CLONE_NEWNS}, want: eperm},
		{name: "read", abi: specs.ArchX86_64, want: kill},
		{name: "read", abi: specs.ArchX86, want: kill},
	})
}

// TestDefaultResolveMatchesMoby checks that resolve gives what moby's own
// setupSeccomp gives for the host's architecture.
func TestDefaultResolveMatchesMoby(t *testing.T) {
	for _, caps := range [][]string{nil, dockerCaps, adminCaps, {"CAP_SYS_PTRACE", "CAP_BPF", "CAP_SYS_ADMIN", "CAP_SYSLOG"}} {
		want, err := moby.GetDefaultProfile(&specs.Spec{Process: &specs.Process{Capabilities: &specs.LinuxCapabilities{Bounding: caps}}})
		require.NoError(t, err)
		got, err := resolve(moby.DefaultProfile(), runtime.GOARCH, caps, hostKernel)
		require.NoError(t, err)
		require.Equal(t, want, got, "resolve(%v)", caps)
	}
}

// Names of Docker's profile that an ABI does not have (libseccomp skips
// them too). Listed so that a new name in the profile, or a name missing
// from a table, fails TestDefaultNamesKnown.
var (
	// Private syscalls of other architectures.
	otherArchNames = []string{"arm_fadvise64_64", "arm_sync_file_range", "breakpoint", "cacheflush", "set_tls",
		"riscv_flush_icache", "riscv_hwprobe", "s390_pci_mmio_read", "s390_pci_mmio_write", "s390_runtime_instr",
		"swapcontext", "sync_file_range2"}
	// 64-bit time variants, only on 32-bit ABIs.
	time64Names = []string{"clock_adjtime64", "clock_getres_time64", "clock_gettime64", "clock_nanosleep_time64",
		"clock_settime64", "futex_time64", "io_pgetevents_time64", "mq_timedreceive_time64", "mq_timedsend_time64",
		"ppoll_time64", "pselect6_time64", "recvmmsg_time64", "rt_sigtimedwait_time64", "sched_rr_get_interval_time64",
		"semtimedop_time64", "timer_gettime64", "timer_settime64", "timerfd_gettime64", "timerfd_settime64",
		"utimensat_time64"}
	// Old 32-bit ABI calls that 64-bit ABIs never had.
	legacy32Names = []string{"_llseek", "_newselect", "chown32", "fadvise64_64", "fchown32", "fcntl64", "fstat64",
		"fstatat64", "fstatfs64", "ftruncate64", "getegid32", "geteuid32", "getgid32", "getgroups32", "getresgid32",
		"getresuid32", "getuid32", "ipc", "lchown32", "lstat64", "mmap2", "recv", "send", "sendfile64", "setfsgid32",
		"setfsuid32", "setgid32", "setgroups32", "setregid32", "setresgid32", "setresuid32", "setreuid32", "setuid32",
		"sigprocmask", "sigreturn", "socketcall", "stat64", "statfs64", "stime", "truncate64", "ugetrlimit", "umount",
		"waitpid"}
	// x86_64-only calls.
	x86_64OnlyNames = []string{"epoll_ctl_old", "epoll_wait_old", "get_thread_area", "set_thread_area"}
	// Calls the generic (asm-generic/unistd.h) ABI of arm64 replaced by *at
	// and newer variants.
	genericMissingNames = []string{"access", "alarm", "chmod", "chown", "creat", "dup2", "epoll_create", "epoll_wait",
		"eventfd", "fork", "futimesat", "getdents", "getpgrp", "inotify_init", "lchown", "link", "lstat", "mkdir",
		"mknod", "open", "pause", "pipe", "poll", "readlink", "rename", "rmdir", "select", "signalfd", "stat", "symlink",
		"time", "unlink", "utime", "utimes", "vfork"}

	knownMissing = map[specs.Arch][][]string{
		specs.ArchX86_64: {otherArchNames, time64Names, legacy32Names},
		specs.ArchX32:    {otherArchNames, time64Names, legacy32Names, x86_64OnlyNames},
		specs.ArchX86: {otherArchNames, x86_64OnlyNames[:2], {"uretprobe", "newfstatat", "accept", "recv", "send",
			"semop", "semtimedop"}},
		specs.ArchAARCH64: {otherArchNames, time64Names, legacy32Names, x86_64OnlyNames, genericMissingNames,
			{"arch_prctl", "modify_ldt", "iopl", "ioperm", "uretprobe"}},
		specs.ArchARM: {x86_64OnlyNames, {"alarm", "arch_prctl", "fadvise64", "fadvise64_64",
			"getrlimit", "ioperm", "iopl", "ipc", "memfd_secret", "mmap", "modify_ldt", "newfstatat", "select",
			"socketcall", "stime", "sync_file_range", "time", "umount", "uretprobe", "utime", "waitpid",
			"riscv_flush_icache", "riscv_hwprobe", "s390_pci_mmio_read", "s390_pci_mmio_write", "s390_runtime_instr",
			"swapcontext"}},
	}
)

func TestDefaultNamesKnown(t *testing.T) {
	for arch, lists := range knownMissing {
		t.Run(string(arch), func(t *testing.T) {
			want := map[string]bool{}
			for _, l := range lists {
				for _, n := range l {
					want[n] = true
				}
			}
			got := map[string]bool{}
			for _, sc := range moby.DefaultProfile().Syscalls {
				for _, n := range sc.Names {
					if _, ok := abis()[arch].table[n]; !ok {
						got[n] = true
					}
				}
			}
			for n := range got {
				require.True(t, want[n], "%s: profile names %q, which is not in the table nor known to be missing", arch, n)
			}
			for n := range want {
				require.True(t, got[n], "%s: %q is listed as missing, but the profile does not name it or the table has it", arch, n)
			}
		})
	}
}

func TestDefaultSize(t *testing.T) {
	for _, arch := range []string{"amd64", "arm64"} {
		p := compileDefault(t, arch, dockerCaps)
		require.Less(t, len(p), maxInsns)
		native := abis()[goArches[arch].native]
		var total, most int
		var worst string
		for name, nr := range native.table {
			d := seccompData{nr: nr, arch: native.audit}
			_, steps, err := run(p, d)
			require.NoError(t, err)
			total += steps
			if steps > most {
				most, worst = steps, name
			}
		}
		t.Logf("%s: %d instructions; a native syscall runs %.1f on average, at most %d (%s)",
			arch, len(p), float64(total)/float64(len(native.table)), most, worst)
	}
}

func TestDefaultHost(t *testing.T) {
	p, err := Default(dockerCaps)
	require.NoError(t, err)
	require.Equal(t, compileDefault(t, runtime.GOARCH, dockerCaps), p)
}

func BenchmarkDefault(b *testing.B) {
	for b.Loop() {
		if _, err := Default(dockerCaps); err != nil {
			b.Fatal(err)
		}
	}
}

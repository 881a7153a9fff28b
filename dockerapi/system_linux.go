package dockerapi

import "golang.org/x/sys/unix"

// kernelVersion is the kernel's release ("6.1.0-18-amd64").
func kernelVersion() string {
	var u unix.Utsname
	if unix.Uname(&u) != nil {
		return ""
	}
	return unix.ByteSliceToString(u.Release[:])
}

// unameAndMemory are the kernel's release, the machine ("x86_64", as
// docker info shows it) and the memory in bytes; arch where the machine
// cannot be read.
func unameAndMemory(arch string) (kernel, machine string, mem int64) {
	var u unix.Utsname
	machine = arch
	if unix.Uname(&u) == nil {
		kernel, machine = unix.ByteSliceToString(u.Release[:]), unix.ByteSliceToString(u.Machine[:])
	}
	var si unix.Sysinfo_t
	if unix.Sysinfo(&si) == nil {
		mem = int64(si.Totalram) * int64(si.Unit)
	}
	return kernel, machine, mem
}

package seccomp

import (
	"runtime"

	moby "github.com/moby/profiles/seccomp"
)

// Default compiles Docker's default profile (moby.DefaultProfile) for the
// host's architecture (runtime.GOARCH) and kernel, for a container whose
// capabilities are caps ("CAP_SYS_ADMIN" form). See Compile and
// CompileSpec for the semantics.
//
// With Docker's default capabilities the program denies with EPERM, among
// others, mount, unshare, setns, bpf, keyctl, add_key, kexec_load,
// userfaultfd and io_uring_setup, clone with namespace flags, and sockets
// of families other than those Docker allows (AF_ALG and AF_VSOCK among
// them); clone3 gets ENOSYS so that libc falls back to clone.
//
// Default compiles anew on each call (about half a millisecond); callers that
// start many containers may cache the result per capability set. It is
// safe for concurrent use.
func Default(caps []string) (Program, error) {
	return Compile(moby.DefaultProfile(), runtime.GOARCH, caps)
}

// Container compiles the profile dock gives containers: Docker's default
// (see Default), with the ioctls that inject input into a terminal
// refused (see WithoutTerminalInjection).
func Container(caps []string) (Program, error) {
	return Compile(WithoutTerminalInjection(moby.DefaultProfile()), runtime.GOARCH, caps)
}

// Package prespawn makes a program that imports it start the init of its
// first container as the program itself starts:
//
//	import _ "github.com/go-dock/dock/prespawn"
//
// A C constructor forks, before the Go runtime starts, a small process
// that clones the init, in new mount, PID, UTS, IPC and network
// namespaces, and exits. The init waits. The first Container.Start of the
// program (attached, with those namespaces, on a cgroup v1 or hybrid
// host) takes it, instead of cloning and executing a new one: the clone
// and the exec (about 1.3 ms here) happened while the Go runtime and the
// program started, on another CPU.
//
// Import it in a program that starts one container per run, such as a
// command line: the fork is paid by every run, a container started or
// not (0.3 ms here: the example CLI's ps takes 2.1 ms instead of 1.8),
// and an unused init stays, idle, until the program exits (it is killed
// with it). A program with several commands can narrow the request with
// a C function of its own, int dock_prespawn_filter(void): when the
// program defines one, it is asked first, before the Go runtime starts,
// and a zero answer forks nothing (examples/dock reads its command from
// /proc/self/cmdline). It needs the privileges that starting a container
// needs; without them nothing is forked. On cgroup v2 hosts the init is
// born in its cgroup (clone3 CLONE_INTO_CGROUP), which a prespawned one
// cannot be, so the engine starts a new one there.
package prespawn

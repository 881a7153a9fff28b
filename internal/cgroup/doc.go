// Package cgroup puts processes into Linux control groups and limits them,
// behind one Manager for cgroup v1 (legacy and hybrid hosts) and v2.
//
// A container's life with it:
//
//	m, err := cgroup.New("dock/"+id, cgroup.Resources{
//		Memory:  256 << 20,
//		PIDs:    512,
//		Devices: cgroup.DefaultDevices(),
//	})
//	if err != nil { ... }         // nothing is left behind on error
//	err = m.AddProc(cmd.Process.Pid) // or clone3 into m.Fd() on v2
//	st, err := m.Stats()
//	err = m.Freeze(); err = m.Thaw() // pause, unpause
//	err = m.Kill()                  // SIGKILL all, wait until empty
//	oom, err := m.OOMKilled()
//	err = m.Destroy()
//
// Where cgroups go: New("dock/<id>") creates <hierarchy>/dock/<id> at the
// top of each hierarchy, as Docker does with /docker/<id>, whatever
// cgroup the calling process sits in. On v1 the hierarchies are the mount
// points of cpu, cpuacct, cpuset, memory, devices, freezer, pids and blkio
// found in /proc/self/mountinfo (co-mounted controllers share a
// directory); on hybrid hosts also /sys/fs/cgroup/unified, only to track
// processes (Kill uses its cgroup.kill). On v2 it is /sys/fs/cgroup/dock/<id>,
// with cpu, cpuset, io, memory and pids enabled in cgroup.subtree_control
// of each level above.
//
// Decisions are pure data (v1Writes, v2Writes, deviceFilter), tested on
// any OS; the *_linux.go files do the I/O. Off Linux, New and Load return
// errors wrapping errors.ErrUnsupported.
//
// Devices: on v1 the rules are written to devices.allow/devices.deny in
// order. On v2 they are compiled into an eBPF program of type
// BPF_PROG_TYPE_CGROUP_DEVICE, attached with BPF_F_ALLOW_MULTI to the
// cgroup (replacing the one attached before) with raw bpf(2) calls.
//
// The package needs root (or a delegated cgroup subtree on v2). It starts
// no goroutines and keeps no file open.
package cgroup

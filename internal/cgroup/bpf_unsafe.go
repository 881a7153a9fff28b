//go:build linux

package cgroup

import (
	"encoding/binary"
	"errors"
	"fmt"
	"runtime"
	"unsafe"

	"golang.org/x/sys/unix"
)

// Raw bpf(2) for the cgroup v2 device filter. The attribute structs are
// the prefixes of union bpf_attr that the commands read; the kernel
// zero-fills the rest.

type bpfProgLoadAttr struct {
	progType           uint32
	insnCnt            uint32
	insns              uint64
	license            uint64
	logLevel           uint32
	logSize            uint32
	logBuf             uint64
	kernVersion        uint32
	progFlags          uint32
	progName           [16]byte
	progIfindex        uint32
	expectedAttachType uint32
}

type bpfAttachAttr struct {
	targetFd    uint32
	attachBpfFd uint32
	attachType  uint32
	attachFlags uint32
}

type bpfQueryAttr struct {
	targetFd    uint32
	attachType  uint32
	queryFlags  uint32
	attachFlags uint32
	progIDs     uint64
	progCnt     uint32
	_           uint32
}

type bpfGetFdByIDAttr struct {
	id        uint32
	nextID    uint32
	openFlags uint32
}

func bpf(cmd uintptr, attr unsafe.Pointer, size uintptr) (uintptr, error) {
	r, _, errno := unix.Syscall(unix.SYS_BPF, cmd, uintptr(attr), size)
	if errno != 0 {
		return 0, errno
	}
	return r, nil
}

var bigEndian = binary.NativeEndian.Uint16([]byte{0, 1}) == 1

// loadDeviceFilter loads prog as a BPF_PROG_TYPE_CGROUP_DEVICE program
// and returns its fd. On a verifier error the error includes the log.
func loadDeviceFilter(prog []insn) (int, error) {
	code := encodeInsns(prog, bigEndian)
	license := []byte(bpfLicense + "\x00")
	load := func(logBuf []byte) (int, error) {
		attr := bpfProgLoadAttr{
			progType:           unix.BPF_PROG_TYPE_CGROUP_DEVICE,
			insnCnt:            uint32(len(prog)),
			insns:              uint64(uintptr(unsafe.Pointer(&code[0]))),
			license:            uint64(uintptr(unsafe.Pointer(&license[0]))),
			expectedAttachType: unix.BPF_CGROUP_DEVICE,
		}
		copy(attr.progName[:], "dock_devices")
		if logBuf != nil {
			attr.logLevel = 1
			attr.logSize = uint32(len(logBuf))
			attr.logBuf = uint64(uintptr(unsafe.Pointer(&logBuf[0])))
		}
		fd, err := bpf(unix.BPF_PROG_LOAD, unsafe.Pointer(&attr), unsafe.Sizeof(attr))
		runtime.KeepAlive(code)
		runtime.KeepAlive(license)
		runtime.KeepAlive(logBuf)
		return int(fd), err
	}
	// The verifier gives up with EAGAIN when a signal is pending, and the
	// Go runtime signals its threads (preemption): try again, as libbpf
	// does.
	fd, err := load(nil)
	for i := 0; i < 10 && errors.Is(err, unix.EAGAIN); i++ {
		fd, err = load(nil)
	}
	if err == nil {
		return fd, nil
	}
	if errors.Is(err, unix.EACCES) || errors.Is(err, unix.EINVAL) {
		logBuf := make([]byte, 64*1024)
		if fd, err2 := load(logBuf); err2 == nil {
			return fd, nil // a second try worked; keep it
		}
		if n := clen(logBuf); n > 0 {
			return -1, fmt.Errorf("load device filter: %w: verifier: %s", err, logBuf[:n])
		}
	}
	return -1, fmt.Errorf("load device filter: %w", err)
}

func clen(b []byte) int {
	for i, c := range b {
		if c == 0 {
			return i
		}
	}
	return len(b)
}

// attachDeviceFilter attaches progFd to the cgroup dirFd with
// BPF_F_ALLOW_MULTI and then detaches the device programs that were
// attached before, so that Apply replaces the filter without a window in
// which no filter is attached (while both are attached, an access must
// pass both).
func attachDeviceFilter(dirFd, progFd int) error {
	ids := make([]uint32, 64)
	q := bpfQueryAttr{
		targetFd:   uint32(dirFd),
		attachType: unix.BPF_CGROUP_DEVICE,
		progIDs:    uint64(uintptr(unsafe.Pointer(&ids[0]))),
		progCnt:    uint32(len(ids)),
	}
	if _, err := bpf(unix.BPF_PROG_QUERY, unsafe.Pointer(&q), unsafe.Sizeof(q)); err != nil {
		return fmt.Errorf("query device filters: %w", err)
	}
	runtime.KeepAlive(ids)
	old := ids[:min(int(q.progCnt), len(ids))]

	a := bpfAttachAttr{
		targetFd:    uint32(dirFd),
		attachBpfFd: uint32(progFd),
		attachType:  unix.BPF_CGROUP_DEVICE,
		attachFlags: unix.BPF_F_ALLOW_MULTI,
	}
	if _, err := bpf(unix.BPF_PROG_ATTACH, unsafe.Pointer(&a), unsafe.Sizeof(a)); err != nil {
		return fmt.Errorf("attach device filter: %w", err)
	}
	var errs []error
	for _, id := range old {
		g := bpfGetFdByIDAttr{id: id}
		fd, err := bpf(unix.BPF_PROG_GET_FD_BY_ID, unsafe.Pointer(&g), unsafe.Sizeof(g))
		if err != nil {
			if !errors.Is(err, unix.ENOENT) {
				errs = append(errs, fmt.Errorf("open old device filter %d: %w", id, err))
			}
			continue
		}
		d := bpfAttachAttr{targetFd: uint32(dirFd), attachBpfFd: uint32(fd), attachType: unix.BPF_CGROUP_DEVICE}
		if _, err := bpf(unix.BPF_PROG_DETACH, unsafe.Pointer(&d), unsafe.Sizeof(d)); err != nil && !errors.Is(err, unix.ENOENT) {
			errs = append(errs, fmt.Errorf("detach old device filter %d: %w", id, err))
		}
		unix.Close(int(fd))
	}
	return errors.Join(errs...)
}

// deviceFilterCount reports how many device programs are attached to the
// cgroup dirFd (for tests).
func deviceFilterCount(dirFd int) (int, error) {
	q := bpfQueryAttr{targetFd: uint32(dirFd), attachType: unix.BPF_CGROUP_DEVICE}
	if _, err := bpf(unix.BPF_PROG_QUERY, unsafe.Pointer(&q), unsafe.Sizeof(q)); err != nil {
		return 0, err
	}
	return int(q.progCnt), nil
}

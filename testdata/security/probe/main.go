// Command probe runs inside containers for security_test.go. It is built
// statically (CGO_ENABLED=0) and copied into a test image as /bin/probe.
// It only uses the standard library, so that it builds without network.
// Never run it on the host: there, the calls it makes succeed.
//
//	probe syscalls        try syscalls a container must not have; print "name errno"
//	probe exerace STOP MS until the file STOP exists (at most MS milliseconds),
//	                      try to get write access to the binary of every
//	                      other process through /proc/PID/exe
//	probe exeinfo         report the mount of /proc/self/exe (read-only or not)
//	probe tiocsti         try to push input into the terminal on stdin
//	                      (TIOCSTI, TIOCLINUX); print "name errno"
package main

import (
	"fmt"
	"os"
	"sort"
	"strconv"
	"syscall"
	"time"
	"unsafe"
)

func main() {
	if len(os.Args) < 2 {
		fmt.Fprintln(os.Stderr, "usage: probe syscalls|exerace STOP MS|exeinfo")
		os.Exit(2)
	}
	switch os.Args[1] {
	case "syscalls":
		syscalls()
	case "exerace":
		ms, _ := strconv.Atoi(os.Args[3])
		exerace(os.Args[2], time.Duration(ms)*time.Millisecond)
	case "exeinfo":
		exeinfo()
	case "tiocsti":
		tiocsti()
	default:
		fmt.Fprintln(os.Stderr, "probe: unknown command", os.Args[1])
		os.Exit(2)
	}
}

func errno(err error) int {
	if err == nil {
		return 0
	}
	if e, ok := err.(syscall.Errno); ok {
		return int(e)
	}
	return -1
}

func raw(nr uintptr, a ...uintptr) int {
	var args [6]uintptr
	copy(args[:], a)
	r, _, e := syscall.Syscall6(nr, args[0], args[1], args[2], args[3], args[4], args[5])
	if e != 0 {
		return int(e)
	}
	if int(r) >= 0 && nr != sysUnshare && nr != sysKeyctl {
		syscall.Close(int(r)) // a descriptor we should not have got
	}
	return 0
}

// Syscall numbers the syscall package lacks (x86_64; arm64 in sys_arm64.go
// would differ: the test builds for the host).
const (
	sysUnshare        = syscall.SYS_UNSHARE
	sysKeyctl         = 250
	sysAddKey         = 248
	sysIoUringSetup   = 425
	sysBpf            = 321
	sysUserfaultfd    = 323
	sysKexecLoad      = 246
	sysOpenByHandleAt = 304
	sysPerfEventOpen  = 298
	sysClone3         = 435
	sysSetns          = 308
)

func syscalls() {
	var params [120]byte // struct io_uring_params
	var bpfAttr [128]byte
	bpfAttr[0] = 1 // BPF_MAP_TYPE_HASH
	bpfAttr[4] = 4 // key size
	bpfAttr[8] = 4 // value size
	bpfAttr[12] = 1
	var handle [8 + 128]byte
	var perfAttr [128]byte
	*(*uint32)(unsafe.Pointer(&perfAttr[4])) = 128
	// struct clone_args with CLONE_NEWUSER and an invalid exit signal:
	// past the filter, the kernel refuses it (EINVAL), so that no child
	// is ever made; the filter itself answers ENOSYS.
	var cloneArgs [88]byte
	*(*uint64)(unsafe.Pointer(&cloneArgs[0])) = syscall.CLONE_NEWUSER
	*(*uint64)(unsafe.Pointer(&cloneArgs[32])) = 0xffff
	none, _ := syscall.BytePtrFromString("none")
	tmpfs, _ := syscall.BytePtrFromString("tmpfs")
	mnt, _ := syscall.BytePtrFromString("/tmp")
	user, _ := syscall.BytePtrFromString("user")
	desc, _ := syscall.BytePtrFromString("dock-test")
	results := []struct {
		name string
		err  int
	}{
		{"unshare(CLONE_NEWUSER)", raw(sysUnshare, syscall.CLONE_NEWUSER)},
		{"unshare(CLONE_NEWNS)", raw(sysUnshare, syscall.CLONE_NEWNS)},
		{"mount(tmpfs)", raw(syscall.SYS_MOUNT, uintptr(unsafe.Pointer(none)), uintptr(unsafe.Pointer(mnt)), uintptr(unsafe.Pointer(tmpfs)), 0, 0)},
		{"keyctl(GET_KEYRING_ID)", raw(sysKeyctl, 0, ^uintptr(2), 1)},
		{"add_key(user)", raw(sysAddKey, uintptr(unsafe.Pointer(user)), uintptr(unsafe.Pointer(desc)), uintptr(unsafe.Pointer(desc)), 4, ^uintptr(2))},
		{"io_uring_setup", raw(sysIoUringSetup, 1, uintptr(unsafe.Pointer(&params)))},
		{"bpf(BPF_MAP_CREATE)", raw(sysBpf, 0, uintptr(unsafe.Pointer(&bpfAttr)), uintptr(len(bpfAttr)))},
		{"socket(AF_ALG)", raw(syscall.SYS_SOCKET, 38, syscall.SOCK_SEQPACKET, 0)},
		{"socket(AF_VSOCK)", raw(syscall.SYS_SOCKET, 40, syscall.SOCK_STREAM, 0)},
		{"userfaultfd", raw(sysUserfaultfd, 0)},
		{"kexec_load", raw(sysKexecLoad, 0, 0, 0, 0)},
		{"open_by_handle_at", raw(sysOpenByHandleAt, 0, uintptr(unsafe.Pointer(&handle)), 0)},
		{"perf_event_open", raw(sysPerfEventOpen, uintptr(unsafe.Pointer(&perfAttr)), 0, ^uintptr(0), ^uintptr(0), 0)},
		{"setns", raw(sysSetns, 0, syscall.CLONE_NEWNS)},
		{"clone3(CLONE_NEWUSER)", raw(sysClone3, uintptr(unsafe.Pointer(&cloneArgs)), uintptr(len(cloneArgs)))},
	}
	for _, r := range results {
		fmt.Printf("%s %d\n", r.name, r.err)
	}
}

// exerace looks, again and again, at every other process's /proc/PID/exe:
// it tries to open it for writing, and keeps an O_PATH descriptor of it to
// reopen for writing at the end (the CVE-2019-5736 attack waits for the
// runtime to exit before writing). It prints:
//
//	write_ok N        opens for writing that succeeded
//	errno E N         how often each error was seen
//	target T RO N     readlink of an exe reached with O_PATH, whether its
//	                  mount is read-only, and how often
//	reopen T RO E     the result (errno, 0 for success) of reopening one
//	                  O_PATH descriptor of each target for writing, once
//	                  the scan is over and most processes have exited
func exerace(stop string, d time.Duration) {
	self := os.Getpid()
	errs := map[int]int{}
	type key struct {
		target string
		ro     bool
	}
	targets := map[key]int{}
	kept := map[key]int{}
	var keptKeys []key
	writeOK := 0
	for end := time.Now().Add(d); time.Now().Before(end); {
		if _, err := os.Stat(stop); err == nil {
			break
		}
		dir, err := os.Open("/proc")
		if err != nil {
			fmt.Println("error", err)
			os.Exit(1)
		}
		names, _ := dir.Readdirnames(-1)
		dir.Close()
		for _, n := range names {
			pid, err := strconv.Atoi(n)
			if err != nil || pid == self {
				continue
			}
			exe := "/proc/" + n + "/exe"
			if fd, err := syscall.Open(exe, syscall.O_WRONLY|syscall.O_APPEND|syscall.O_CLOEXEC, 0); err == nil {
				writeOK++
				syscall.Close(fd)
			} else {
				errs[errno(err)]++
			}
			fd, err := syscall.Open(exe, 0x200000|syscall.O_CLOEXEC, 0) // O_PATH
			if err != nil {
				errs[errno(err)]++
				continue
			}
			var st syscall.Statfs_t
			ro := syscall.Fstatfs(fd, &st) == nil && st.Flags&1 != 0 // ST_RDONLY
			target, _ := os.Readlink("/proc/self/fd/" + strconv.Itoa(fd))
			k := key{target, ro}
			if targets[k] == 0 && len(kept) < 256 {
				kept[k] = fd
				keptKeys = append(keptKeys, k)
			} else {
				syscall.Close(fd)
			}
			targets[k]++
		}
	}
	var reopens []string
	for _, k := range keptKeys {
		w, err := syscall.Open("/proc/self/fd/"+strconv.Itoa(kept[k]), syscall.O_WRONLY|syscall.O_APPEND|syscall.O_CLOEXEC, 0)
		if err == nil {
			syscall.Close(w)
		}
		reopens = append(reopens, fmt.Sprintf("reopen %s %v %d", k.target, k.ro, errno(err)))
	}
	fmt.Println("write_ok", writeOK)
	for _, r := range reopens {
		fmt.Println(r)
	}
	var es []int
	for e := range errs {
		es = append(es, e)
	}
	sort.Ints(es)
	for _, e := range es {
		fmt.Println("errno", e, errs[e])
	}
	for k, n := range targets {
		fmt.Println("target", k.target, k.ro, n)
	}
}

// exeinfo reports whether /proc/self/exe is on a read-only mount and what
// opening it for writing gives.
func exeinfo() {
	fd, err := syscall.Open("/proc/self/exe", 0x200000|syscall.O_CLOEXEC, 0)
	if err != nil {
		fmt.Println("open_path", errno(err))
		return
	}
	var st syscall.Statfs_t
	if err := syscall.Fstatfs(fd, &st); err != nil {
		fmt.Println("statfs", errno(err))
		return
	}
	fmt.Println("readonly", st.Flags&1 != 0)
	_, err = syscall.Open("/proc/self/exe", syscall.O_WRONLY|syscall.O_APPEND|syscall.O_CLOEXEC, 0)
	fmt.Println("open_write", errno(err))
}

// tiocsti tries the ioctls that inject input into a terminal, on stdin,
// also with high bits set in the request (the kernel reads 32 bits).
func tiocsti() {
	c := byte('x')
	sel := [2]byte{3 /* TIOCL_PASTESEL */, 0}
	for _, t := range []struct {
		name string
		req  uintptr
		arg  unsafe.Pointer
	}{
		{"TIOCSTI", 0x5412, unsafe.Pointer(&c)},
		{"TIOCSTI-high", 1<<32 | 0x5412, unsafe.Pointer(&c)},
		{"TIOCLINUX", 0x541c, unsafe.Pointer(&sel[0])},
	} {
		_, _, e := syscall.Syscall(syscall.SYS_IOCTL, 0, t.req, uintptr(t.arg))
		fmt.Println(t.name, int(e))
	}
}

package nettest

import (
	"errors"
	"fmt"
	"os"
	"runtime"
	"syscall"
	"testing"

	"golang.org/x/sys/unix"
)

// InNetNS runs fn on an OS thread that is in the network namespace ns, and
// returns fn's error. The caller's thread never moves: fn runs in a new
// goroutine locked to its thread, which returns to the caller's namespace
// afterwards; if that fails, the thread stays locked, and Go ends it with
// the goroutine, so no other goroutine ever runs in ns by accident.
//
// Only what fn does on its own goroutine happens in ns: sockets it opens
// stay in ns for their whole life, but goroutines it starts, and name
// lookups (which run on other goroutines), do not. Files under
// /proc/thread-self/net describe ns; /proc/self/net does not.
func InNetNS(ns *os.File, fn func() error) error {
	errc := make(chan error, 1)
	go func() {
		runtime.LockOSThread()
		home, err := os.Open("/proc/thread-self/ns/net")
		if err != nil {
			runtime.UnlockOSThread()
			errc <- err
			return
		}
		defer home.Close()
		if err := unix.Setns(int(ns.Fd()), unix.CLONE_NEWNET); err != nil {
			runtime.UnlockOSThread()
			errc <- fmt.Errorf("setns into %s: %w", ns.Name(), err)
			return
		}
		ferr := fn()
		if err := unix.Setns(int(home.Fd()), unix.CLONE_NEWNET); err != nil {
			// Locked on purpose: the thread dies with this goroutine.
			errc <- errors.Join(ferr, fmt.Errorf("setns back: %w", err))
			return
		}
		runtime.UnlockOSThread()
		errc <- ferr
	}()
	return <-errc
}

// NewNetNS makes a network namespace and returns a handle to it, closed
// at the end of the test; the namespace lives as long as the handle, a
// socket or a process in it does.
func NewNetNS(t testing.TB) *os.File {
	t.Helper()
	Require(t)
	f, err := newNetNS()
	if err != nil {
		t.Fatalf("new network namespace: %v", err)
	}
	t.Cleanup(func() { f.Close() })
	return f
}

// newNetNS creates a network namespace and returns a handle to it. The
// thread that makes it goes back to its namespace afterwards (or, if it
// cannot, stays locked and dies): a thread left in the new namespace
// could be the main one, whose /proc/self/net everyone reads.
func newNetNS() (*os.File, error) {
	type result struct {
		f   *os.File
		err error
	}
	c := make(chan result, 1)
	go func() {
		runtime.LockOSThread()
		home, err := os.Open(fmt.Sprintf("/proc/self/task/%d/ns/net", unix.Gettid()))
		if err != nil {
			runtime.UnlockOSThread()
			c <- result{nil, err}
			return
		}
		defer home.Close()
		if err := unix.Unshare(unix.CLONE_NEWNET); err != nil {
			runtime.UnlockOSThread()
			c <- result{nil, fmt.Errorf("unshare network namespace: %w", err)}
			return
		}
		f, err := os.Open(fmt.Sprintf("/proc/self/task/%d/ns/net", unix.Gettid()))
		if serr := unix.Setns(int(home.Fd()), unix.CLONE_NEWNET); serr != nil {
			c <- result{f, errors.Join(err, serr)}
			return // locked: the thread dies
		}
		runtime.UnlockOSThread()
		c <- result{f, err}
	}()
	r := <-c
	return r.f, r.err
}

// fileInode returns the inode of an open file (a namespace handle).
func fileInode(f *os.File) (uint64, error) {
	fi, err := f.Stat()
	if err != nil {
		return 0, err
	}
	return fi.Sys().(*syscall.Stat_t).Ino, nil
}

// checkSocketNS returns a Control function for net.Dialer and
// net.ListenConfig that fails unless the socket is in the network namespace
// with inode want: the proof, per socket, that InNetNS did its job.
func checkSocketNS(want uint64) func(network, address string, c syscall.RawConn) error {
	return func(network, address string, c syscall.RawConn) error {
		var ino uint64
		var serr error
		if err := c.Control(func(fd uintptr) {
			nsfd, err := unix.IoctlRetInt(int(fd), unix.SIOCGSKNS)
			if err != nil {
				serr = fmt.Errorf("SIOCGSKNS: %w", err)
				return
			}
			defer unix.Close(nsfd)
			var st unix.Stat_t
			serr = unix.Fstat(nsfd, &st)
			ino = st.Ino
		}); err != nil {
			return err
		}
		if serr != nil {
			return serr
		}
		if ino != want {
			return fmt.Errorf("socket for %s %s is in netns %d, want %d", network, address, ino, want)
		}
		return nil
	}
}

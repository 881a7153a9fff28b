package dock

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strconv"
	"syscall"

	"golang.org/x/sys/unix"

	"github.com/go-dock/dock/internal/nsinit"
)

// The engine's side of the sync socket with the C init (internal/nsinit):
// the plan goes out; PID reports, error reports and the end of the socket
// (the init's execve) come back.

// nsinitCmd is this binary re-executed as the C init (internal/nsinit),
// named name in ps. Start it with startNsinit, after setting its stdio and
// whatever attr needs.
func nsinitCmd(name string, attr *syscall.SysProcAttr) *exec.Cmd {
	return &exec.Cmd{
		Path:        "/proc/self/fd/" + strconv.Itoa(nsinit.ExeFd),
		Args:        []string{name},
		Env:         []string{nsinit.Env + "=" + strconv.Itoa(nsinit.SyncFd)},
		SysProcAttr: attr,
	}
}

// startNsinit starts cmd with the sync socket as its descriptor 3 and the
// binary, through its read-only mount, as 4 (what cmd.Path executes), and
// returns this side of the socket. The child's side is closed here once
// the child has it, so that the socket ends with the child's execve.
func startNsinit(cmd *exec.Cmd) (*os.File, error) {
	exe, err := exeFile()
	if err != nil {
		return nil, err
	}
	parent, child, err := socketPair()
	if err != nil {
		return nil, err
	}
	cmd.ExtraFiles = []*os.File{child, exe}
	err = cmd.Start()
	child.Close()
	if err != nil {
		parent.Close()
		return nil, err
	}
	return parent, nil
}

func socketPair() (parent, child *os.File, err error) {
	fds, err := unix.Socketpair(unix.AF_UNIX, unix.SOCK_STREAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return nil, nil, fmt.Errorf("socketpair: %w", err)
	}
	return os.NewFile(uintptr(fds[0]), "sync"), os.NewFile(uintptr(fds[1]), "sync-child"), nil
}

func sendPlan(w io.Writer, p *nsinit.Plan) error {
	if _, err := w.Write(p.Bytes()); err != nil {
		return fmt.Errorf("send plan to init: %w", err)
	}
	return nil
}

// readStarted reads the init's reports until the socket closes (the exec
// succeeded) or an error report arrives. onPid handles a 'P' report (a
// forked process's host PID) and returns the go-ahead to send.
func readStarted(r io.ReadWriter, onPid func(pid int) error) error {
	var kind [1]byte
	for {
		_, err := io.ReadFull(r, kind[:])
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return fmt.Errorf("read from init: %w", err)
		}
		switch kind[0] {
		case 'P':
			var b [4]byte
			if _, err := io.ReadFull(r, b[:]); err != nil {
				return fmt.Errorf("read from init: %w", err)
			}
			if onPid == nil {
				return errors.New("read from init: unexpected pid report")
			}
			if err := onPid(int(binary.LittleEndian.Uint32(b[:]))); err != nil {
				return err
			}
			if _, err := r.Write([]byte{'G'}); err != nil {
				return fmt.Errorf("write to init: %w", err)
			}
		case 'E':
			var b [12]byte
			if _, err := io.ReadFull(r, b[:]); err != nil {
				return fmt.Errorf("read from init: %w", err)
			}
			n := binary.LittleEndian.Uint32(b[8:])
			if n > 4096 {
				return errors.New("read from init: oversized error report")
			}
			msg := make([]byte, n)
			if _, err := io.ReadFull(r, msg); err != nil {
				return fmt.Errorf("read from init: %w", err)
			}
			ie := &nsinit.Error{
				Code:  int(binary.LittleEndian.Uint32(b[0:])),
				Errno: int(binary.LittleEndian.Uint32(b[4:])),
				Msg:   string(msg),
			}
			if ie.Errno == int(unix.EINVAL) && rootNotMounted() {
				return &StartError{Code: 125, Err: fmt.Errorf("%w (the init failed: %w): %w", errRootNotMountPoint, ie, ErrUnsupported)}
			}
			return &StartError{Code: startCode(ie.Code), Err: ie}
		default:
			return fmt.Errorf("read from init: unexpected report %q", kind[0])
		}
	}
}

// startCode maps the init's failure to Docker's exit codes: 126 and 127
// for an executable that cannot run or is missing, 125 for the rest.
func startCode(code int) int {
	if code == 126 || code == 127 {
		return code
	}
	return 125
}

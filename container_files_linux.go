package dock

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"sync"

	"golang.org/x/sys/unix"
)

// readBuffers are the buffers readFileAt reads into: a state or a record
// fits in one, and what it returns is a copy of the exact size.
var readBuffers = sync.Pool{New: func() any { b := make([]byte, 16<<10); return &b }}

// readFileAt reads the file name in dir as os.ReadFile would, with the
// system calls a listing of many containers cannot spare: open, read to
// the end, close (os.ReadFile adds a check for the poller, a change of
// the descriptor's flags and a stat).
func readFileAt(dir *os.File, name string) ([]byte, error) {
	fd, err := unix.Openat(int(dir.Fd()), name, unix.O_RDONLY|unix.O_CLOEXEC, 0)
	if err != nil {
		return nil, &fs.PathError{Op: "open", Path: filepath.Join(dir.Name(), name), Err: err}
	}
	defer unix.Close(fd)
	bp := readBuffers.Get().(*[]byte)
	defer readBuffers.Put(bp)
	buf, n := *bp, 0
	for {
		if n == len(buf) {
			buf = append(buf, make([]byte, len(buf))...) // a big file: this one only
		}
		m, err := unix.Read(fd, buf[n:])
		if errors.Is(err, unix.EINTR) {
			continue
		}
		if err != nil {
			return nil, &fs.PathError{Op: "read", Path: filepath.Join(dir.Name(), name), Err: err}
		}
		if m == 0 {
			return append([]byte(nil), buf[:n]...), nil
		}
		n += m
	}
}

package dock

import (
	"io/fs"
	"os"
	"path/filepath"

	"golang.org/x/sys/unix"
)

// dirStamp identifies a version of a container's directory. Everything
// Containers reads there (state.json, settings.json, networks.json,
// health.json; config.json never changes) is replaced through a rename
// into the directory, by the engine and by the monitor alike, and each
// rename sets the directory's change times: a directory whose stamp is
// the same holds the same files.
type dirStamp struct {
	ino          uint64
	mtime, ctime int64 // ns since the epoch
}

// statStamp returns the stamp of the directory name in dir; ok is false
// where stamps cannot be had (then nothing is cached).
func statStamp(dir *os.File, name string) (s dirStamp, ok bool, err error) {
	var st unix.Stat_t
	if err := unix.Fstatat(int(dir.Fd()), name, &st, unix.AT_SYMLINK_NOFOLLOW); err != nil {
		return s, false, &fs.PathError{Op: "stat", Path: filepath.Join(dir.Name(), name), Err: err}
	}
	return dirStamp{ino: st.Ino, mtime: st.Mtim.Nano(), ctime: st.Ctim.Nano()}, true, nil
}

// coarseNow is the kernel's coarse clock, which stamps the changes of
// files, in ns since the epoch; 0 when it cannot be read.
func coarseNow() int64 {
	var now unix.Timespec
	if err := unix.ClockGettime(unix.CLOCK_REALTIME_COARSE, &now); err != nil {
		return 0
	}
	return now.Nano()
}

// settledAt reports whether what is read of the directory after the
// coarse clock showed now can be kept under the stamp s. The kernel
// stamps a change with its coarse clock (a tick of up to 10 ms), so a
// second change within the tick of the first leaves the same times: what
// was read between the two would pass for current. Once the coarse clock
// has passed the stamp's times, any later change gets later times, and a
// new stamp.
func (s dirStamp) settledAt(now int64) bool {
	return now > max(s.mtime, s.ctime)
}

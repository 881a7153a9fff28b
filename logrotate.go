package dock

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"slices"
	"strconv"
	"time"
)

// The rotation of json.log (see LogConfig). The monitor of a detached
// container (internal/nsinit/monitor.c, log_rotate) does the same in C:
// keep the two in step.

// resolved returns lc with its defaults filled in: MaxSize is positive
// or -1, MaxFiles is at least 1 (and 1 when MaxSize is -1).
func (lc LogConfig) resolved() LogConfig {
	if lc.MaxSize == 0 {
		lc.MaxSize = DefaultLogMaxSize
	}
	if lc.MaxFiles == 0 {
		lc.MaxFiles = DefaultLogMaxFiles
		if lc.MaxSize < 0 {
			lc.MaxFiles = 1
		}
	}
	return lc
}

// validateLog checks a LogConfig as given (before resolved).
func validateLog(lc LogConfig) error {
	if lc.MaxSize < -1 {
		return invalidf("log max size %d: want a positive number of bytes, 0 for the default or -1 for no limit", lc.MaxSize)
	}
	if lc.MaxFiles < 0 || lc.MaxFiles > MaxLogFiles {
		return invalidf("log max files %d: want 1 to %d, or 0 for the default", lc.MaxFiles, MaxLogFiles)
	}
	if lc.MaxSize == -1 && lc.MaxFiles > 1 {
		return invalidf("log max files %d needs a max size (it is -1, no limit)", lc.MaxFiles)
	}
	return nil
}

// rotatedLog is the name of the i-th rotated file of the log at path
// (path itself for 0).
func rotatedLog(path string, i int) string {
	if i == 0 {
		return path
	}
	return path + "." + strconv.Itoa(i)
}

// rotateLog shifts the log files at path by one, as Docker does:
// path.(n-2) to path.(n-1), ..., path to path.1, dropping the oldest (n is
// maxFiles; with 1, path is removed). The caller then starts a new file
// at path. Renames of files that do not exist (not rotated that often
// yet) are skipped; an error on path itself is returned, and the caller
// then keeps its file.
func rotateLog(path string, maxFiles int) error {
	if maxFiles <= 1 {
		if err := os.Remove(path); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("rotate log: %w", err)
		}
		return nil
	}
	for i := maxFiles - 1; i >= 2; i-- {
		os.Rename(rotatedLog(path, i-1), rotatedLog(path, i)) // may not exist yet
	}
	if err := os.Rename(path, rotatedLog(path, 1)); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("rotate log: %w", err)
	}
	return nil
}

// openLogFiles opens the files of the log at path, oldest first:
// path.(maxFiles-1), ..., path.1, path. It returns none when there is no
// log yet. A rotation while it opens them could show a file twice or out
// of order: when the file at path changed meanwhile, it starts again.
func openLogFiles(path string, maxFiles int) ([]*os.File, error) {
	for try := 0; ; try++ {
		first, _ := os.Stat(path)
		var files []*os.File // newest first
		var infos []os.FileInfo
		for i := range max(maxFiles, 1) {
			f, err := os.Open(rotatedLog(path, i))
			if errors.Is(err, fs.ErrNotExist) {
				continue // not rotated that often yet, or mid-rotation
			}
			if err != nil {
				closeFiles(files)
				return nil, err
			}
			fi, err := f.Stat()
			if err != nil {
				f.Close()
				closeFiles(files)
				return nil, err
			}
			if slices.ContainsFunc(infos, func(o os.FileInfo) bool { return os.SameFile(o, fi) }) {
				f.Close()
				continue
			}
			files, infos = append(files, f), append(infos, fi)
		}
		last, _ := os.Stat(path)
		stable := first != nil && last != nil && os.SameFile(first, last)
		if stable || (first == nil && len(files) == 0) || try == 100 {
			slices.Reverse(files)
			return files, nil
		}
		// A rotation is under way: path is being replaced.
		closeFiles(files)
		time.Sleep(time.Millisecond)
	}
}

func closeFiles(files []*os.File) {
	for _, f := range files {
		f.Close()
	}
}

// nextLogFile returns the file that came after cur, once the log at path
// has been rotated away from cur (nil while cur is still the file at
// path): the file that is now one newer than cur, or, when cur has been
// dropped (the reader fell MaxFiles rotations behind), the oldest one.
func nextLogFile(path string, maxFiles int, cur *os.File) (*os.File, error) {
	curInfo, err := cur.Stat()
	if err != nil {
		return nil, err
	}
	if fi, err := os.Stat(path); err != nil || os.SameFile(fi, curInfo) {
		return nil, nil // not rotated, or the new file is not there yet
	}
	files, err := openLogFiles(path, maxFiles)
	if err != nil {
		return nil, err
	}
	next := 0
	for i, f := range files {
		if fi, err := f.Stat(); err == nil && os.SameFile(fi, curInfo) {
			next = i + 1
		}
	}
	if next >= len(files) {
		closeFiles(files)
		return nil, nil
	}
	closeFiles(slices.Delete(slices.Clone(files), next, next+1))
	return files[next], nil
}

// tailStart returns where the last n lines of the log files begin: the
// index of a file and the number of lines to skip in it. It reads the
// files from the newest back, no further than needed; every file it read
// is rewound.
func tailStart(files []*os.File, n int) (index, skip int, err error) {
	buf := make([]byte, 64<<10)
	total := 0
	for i := len(files) - 1; i >= 0; i-- {
		lines := 0
		for {
			k, err := files[i].Read(buf)
			lines += bytes.Count(buf[:k], []byte{'\n'})
			if err == io.EOF {
				break
			}
			if err != nil {
				return 0, 0, err
			}
		}
		if _, err := files[i].Seek(0, io.SeekStart); err != nil {
			return 0, 0, err
		}
		total += lines
		if total >= n {
			return i, total - n, nil
		}
	}
	return 0, 0, nil
}

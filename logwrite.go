package dock

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"slices"
	"strconv"
	"sync"
	"time"
)

// logWriter appends the container's output to its log file, rotated as
// lc says (see LogConfig and rotateLog). Lines of the two streams never
// interleave within a line. A failure to write or rotate loses log lines,
// never the container.
type logWriter struct {
	path   string
	limits LogConfig // resolved
	// mu guards the file: the two streams write from two goroutines.
	mu      sync.Mutex
	f       *os.File // nil after a failed reopen; the next line retries
	size    int64    // of f, as far as this writer knows
	streams []*lineSplitter
}

// openLog opens the container's log for appending, with the limits lc.
func (c *Container) openLog(lc LogConfig) (*logWriter, error) {
	l := &logWriter{path: c.dir("json.log"), limits: lc.resolved()}
	if err := l.open(); err != nil {
		return nil, fmt.Errorf("open log: %w", err)
	}
	return l, nil
}

// open opens the file at l.path; a restarted container appends to its
// log, whose size counts towards the limit.
func (l *logWriter) open() error {
	f, err := os.OpenFile(l.path, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o600)
	if err != nil {
		return err
	}
	st, err := f.Stat()
	if err != nil {
		f.Close()
		return err
	}
	l.f, l.size = f, st.Size()
	return nil
}

// Close logs what is left of unfinished lines, then closes the file.
func (l *logWriter) Close() error {
	for _, s := range l.streams {
		if len(s.buf) > 0 {
			l.write(s.name, s.buf)
			s.buf = nil
		}
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.f == nil {
		return nil
	}
	err := l.f.Close()
	l.f = nil
	return err
}

// maxLogLine is where a line without a newline is cut, as Docker does.
const maxLogLine = 16 << 10

func (l *logWriter) write(stream string, line []byte) {
	data, _ := json.Marshal(logLine{Log: string(line), Stream: stream, Time: time.Now().UTC()})
	data = append(data, '\n')
	l.mu.Lock()
	defer l.mu.Unlock()
	l.append(data)
}

// append writes one encoded line, after a rotation when the line would
// take a file that is not empty past MaxSize. When the rotation fails the
// line goes to the current file (the next line tries again); when the new
// file cannot be opened, the line is lost.
func (l *logWriter) append(data []byte) {
	limit := l.limits.MaxSize
	if l.f != nil && limit > 0 && l.size > 0 && l.size+int64(len(data)) > limit {
		if rotateLog(l.path, l.limits.MaxFiles) == nil {
			l.f.Close()
			l.f = nil
		}
	}
	if l.f == nil && l.open() != nil {
		return
	}
	n, _ := l.f.Write(data) // a full disk loses log lines, never the container
	l.size += int64(n)
}

// stream returns a writer that logs each line of a stream and copies the
// bytes to out (when not nil).
func (l *logWriter) stream(name string, out io.Writer) io.Writer {
	s := &lineSplitter{log: l, name: name, out: out}
	l.streams = append(l.streams, s)
	return s
}

type lineSplitter struct {
	log  *logWriter
	name string
	out  io.Writer
	buf  []byte
}

func (s *lineSplitter) Write(p []byte) (int, error) {
	if s.out != nil {
		// A reader that went away must not stop the container's output
		// from reaching the log.
		if _, err := s.out.Write(p); err != nil {
			s.out = nil
		}
	}
	s.buf = append(s.buf, p...)
	for {
		i := bytes.IndexByte(s.buf, '\n')
		if i < 0 {
			break
		}
		s.log.write(s.name, s.buf[:i+1])
		s.buf = s.buf[i+1:]
	}
	for len(s.buf) >= maxLogLine {
		s.log.write(s.name, s.buf[:maxLogLine])
		s.buf = s.buf[maxLogLine:]
	}
	if len(s.buf) == 0 {
		s.buf = nil
	}
	return len(p), nil
}

// lockedWriter serialises the writes of several goroutines to w.
type lockedWriter struct {
	mu sync.Mutex
	w  io.Writer
}

func (l *lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}

// sameWriter reports whether a and b are the same non-nil writer, as
// os/exec decides it: comparable and equal.
func sameWriter(a, b io.Writer) bool {
	if a == nil || b == nil {
		return false
	}
	defer func() { recover() }() // an uncomparable dynamic type
	return a == b
}

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

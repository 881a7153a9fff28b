// Package pipe is io.Pipe with a buffer: a writer goes on until the buffer
// is full instead of waiting for each read. io.Pipe hands each write to the
// reader and blocks until it is consumed, so the two goroutines of a
// pipeline (hashing a layer and unpacking it, say) take turns on one CPU;
// with a buffer of a few MiB between them they run at once.
package pipe

import (
	"io"
	"sync"
)

// ErrClosedPipe is what a Write or Read on its own closed end returns.
var ErrClosedPipe = io.ErrClosedPipe

type pipe struct {
	mu      sync.Mutex
	changed sync.Cond
	buf     []byte // a ring
	start   int    // of the buffered bytes
	n       int    // bytes buffered
	werr    error  // the writer closed: io.EOF or its error
	rerr    error  // the reader closed: the writer's error
}

// Reader is the read end of a pipe.
type Reader struct{ p *pipe }

// Writer is the write end of a pipe.
type Writer struct{ p *pipe }

// New returns a pipe that buffers up to size bytes (at least 1).
func New(size int) (*Reader, *Writer) {
	p := &pipe{buf: make([]byte, max(size, 1))}
	p.changed.L = &p.mu
	return &Reader{p}, &Writer{p}
}

// Read reads buffered bytes, waiting for some when there are none. Once
// the writer closed and the buffer is empty, it returns the writer's
// error (io.EOF for a Close).
func (r *Reader) Read(b []byte) (int, error) {
	p := r.p
	p.mu.Lock()
	defer p.mu.Unlock()
	for p.n == 0 && p.werr == nil && p.rerr == nil {
		p.changed.Wait()
	}
	switch {
	case p.rerr != nil:
		return 0, ErrClosedPipe
	case p.n == 0:
		return 0, p.werr
	case len(b) == 0:
		return 0, nil
	}
	k := copy(b, p.buf[p.start:min(p.start+p.n, len(p.buf))])
	if k < len(b) && k < p.n { // wrapped around
		k += copy(b[k:], p.buf[:p.n-k])
	}
	p.start = (p.start + k) % len(p.buf)
	p.n -= k
	p.changed.Broadcast()
	return k, nil
}

// Close closes the read end: writes fail with io.ErrClosedPipe.
func (r *Reader) Close() error { return r.CloseWithError(nil) }

// CloseWithError closes the read end: writes fail with err
// (io.ErrClosedPipe when nil). Buffered bytes are dropped.
func (r *Reader) CloseWithError(err error) error {
	if err == nil {
		err = ErrClosedPipe
	}
	p := r.p
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.rerr == nil {
		p.rerr = err
	}
	p.n = 0
	p.changed.Broadcast()
	return nil
}

// Write copies b into the buffer, waiting for room as needed. It fails
// when the reader closed, with the reader's error.
func (w *Writer) Write(b []byte) (int, error) {
	p := w.p
	p.mu.Lock()
	defer p.mu.Unlock()
	written := 0
	for len(b) > 0 {
		for p.n == len(p.buf) && p.rerr == nil && p.werr == nil {
			p.changed.Wait()
		}
		if p.rerr != nil {
			return written, p.rerr
		}
		if p.werr != nil {
			return written, ErrClosedPipe
		}
		end := (p.start + p.n) % len(p.buf)
		room := len(p.buf) - p.n
		if end >= p.start { // free space is end..len, then 0..start
			room = min(room, len(p.buf)-end)
		}
		k := copy(p.buf[end:end+room], b)
		p.n += k
		b = b[k:]
		written += k
		p.changed.Broadcast()
	}
	return written, nil
}

// Close closes the write end: reads return io.EOF once the buffer is
// drained.
func (w *Writer) Close() error { return w.CloseWithError(nil) }

// CloseWithError closes the write end: reads return err (io.EOF when nil)
// once the buffer is drained.
func (w *Writer) CloseWithError(err error) error {
	if err == nil {
		err = io.EOF
	}
	p := w.p
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.werr == nil {
		p.werr = err
	}
	p.changed.Broadcast()
	return nil
}

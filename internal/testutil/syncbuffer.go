package testutil

import (
	"bytes"
	"io"
	"sync"
)

// SyncBuffer is a bytes.Buffer that one goroutine writes (a process's
// output, a daemon's log) while the test reads it. The zero value is
// empty and ready; its methods are safe for concurrent use.
type SyncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *SyncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

// String is what was written so far.
func (b *SyncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// ReadInBackground copies r into a SyncBuffer until a read fails (a pty
// master's EIO once nothing holds its terminal, a pipe's EOF), then
// closes done: the test reads out meanwhile, and all of it after done.
func ReadInBackground(r io.Reader) (out *SyncBuffer, done <-chan struct{}) {
	out = &SyncBuffer{}
	ch := make(chan struct{})
	go func() {
		defer close(ch)
		_, _ = io.Copy(out, r)
	}()
	return out, ch
}

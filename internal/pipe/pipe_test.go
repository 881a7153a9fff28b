package pipe

import (
	"bytes"
	"crypto/rand"
	"errors"
	"io"
	"testing"
	"testing/iotest"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The bytes come out as they went in, whatever the sizes of the writes,
// the reads and the buffer (wrapping around the ring many times).
func TestPipeCopies(t *testing.T) {
	data := make([]byte, 1<<20+123)
	rand.Read(data)
	for _, size := range []int{1, 7, 4096, 1 << 16, 4 << 20} {
		data := data
		if size < 4096 {
			data = data[:20011] // a byte at a time is slow under -race
		}
		for _, chunk := range []int{1, 500, 65536} {
			r, w := New(size)
			go func() {
				for b := data; len(b) > 0; {
					k := min(chunk, len(b))
					if _, err := w.Write(b[:k]); err != nil {
						w.CloseWithError(err)
						return
					}
					b = b[k:]
				}
				w.Close()
			}()
			got, err := io.ReadAll(iotest.OneByteReader(io.LimitReader(r, 1000)))
			require.NoError(t, err)
			rest, err := io.ReadAll(r)
			require.NoError(t, err)
			assert.True(t, bytes.Equal(data, append(got, rest...)), "size %d chunk %d", size, chunk)
		}
	}
}

// A writer does not wait for the reader while the buffer has room.
func TestPipeBuffers(t *testing.T) {
	r, w := New(10)
	n, err := w.Write([]byte("0123456789"))
	require.NoError(t, err)
	assert.Equal(t, 10, n)
	w.Close()
	b, err := io.ReadAll(r)
	require.NoError(t, err)
	assert.Equal(t, "0123456789", string(b))
}

// The writer's error reaches the reader after the buffered bytes.
func TestPipeWriterError(t *testing.T) {
	r, w := New(100)
	boom := errors.New("boom")
	w.Write([]byte("abc"))
	w.CloseWithError(boom)
	b, err := io.ReadAll(r)
	assert.Equal(t, "abc", string(b))
	assert.ErrorIs(t, err, boom)
	_, err = w.Write([]byte("x"))
	assert.ErrorIs(t, err, ErrClosedPipe)
}

// A reader that stops unblocks a writer waiting for room, with the
// reader's error.
func TestPipeReaderClose(t *testing.T) {
	r, w := New(4)
	stop := errors.New("stop")
	done := make(chan error)
	go func() {
		_, err := w.Write(make([]byte, 100))
		done <- err
	}()
	buf := make([]byte, 2)
	_, err := r.Read(buf)
	require.NoError(t, err)
	r.CloseWithError(stop)
	assert.ErrorIs(t, <-done, stop)
	_, err = r.Read(buf)
	assert.ErrorIs(t, err, ErrClosedPipe)

	r, w = New(4)
	r.Close()
	_, err = w.Write([]byte("x"))
	assert.ErrorIs(t, err, ErrClosedPipe)
}

package dockerapi

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"sync"
	"time"
)

// The media types of a hijacked stream (Docker's).
const (
	rawStreamType         = "application/vnd.docker.raw-stream"
	multiplexedStreamType = "application/vnd.docker.multiplexed-stream"
)

// Docker's stream numbers in a multiplexed frame's header.
const (
	streamStdin  byte = 0
	streamStdout byte = 1
	streamStderr byte = 2
)

// rawStream is a connection taken from net/http to carry a process's
// standard streams, as Docker's exec start and attach do: the client's
// bytes are the process's stdin, and its output goes back either as is
// (a terminal's) or in multiplexed frames (stdout and stderr apart).
//
// The client may half-close its side (CloseWrite) when its input ends:
// Stdin then ends with io.EOF and the output keeps flowing. Once the
// client is gone the output is discarded, so that the process does not
// die of a broken pipe, and Gone tells the handler, which decides what
// becomes of the process. Its methods are safe for concurrent use.
type rawStream struct {
	conn net.Conn
	// gone is closed once the client has closed the connection for good
	// or a write to it failed; done once the stream is closed.
	gone     chan struct{}
	goneOnce sync.Once
	done     chan struct{}
	doneOnce sync.Once
	in       io.Reader
	out      *streamOut
}

// hijack takes the connection of r and answers as Docker does: with
// the client's Upgrade header, 101 UPGRADED with the stream's type
// (multiplexed for a multiplexed stream from API 1.42, raw before and for
// a terminal's), Connection: Upgrade and Upgrade: tcp; without it, 200 OK
// and the raw stream's type (the frames are the same). The headers the
// handler set on w go too.
func hijack(w http.ResponseWriter, r *http.Request, multiplexed bool) (*rawStream, error) {
	conn, rw, err := http.NewResponseController(w).Hijack()
	if err != nil {
		return nil, fmt.Errorf("hijack the connection: %w", err)
	}
	// A server's read and write timeouts bound requests, not streams.
	_ = conn.SetDeadline(time.Time{})
	var head strings.Builder
	head.WriteString(upgradeAnswer(r, multiplexed))
	_ = w.Header().WriteSubset(&head, nil)
	head.WriteString("\r\n")
	if _, err := io.WriteString(conn, head.String()); err != nil {
		conn.Close()
		return nil, fmt.Errorf("answer the hijack: %w", err)
	}
	// What the server read ahead of the body's end is the stream's start.
	in := io.Reader(conn)
	if n := rw.Reader.Buffered(); n > 0 {
		buffered, _ := rw.Reader.Peek(n)
		in = io.MultiReader(strings.NewReader(string(buffered)), conn)
	}
	s := &rawStream{conn: conn, in: in, gone: make(chan struct{}), done: make(chan struct{})}
	s.out = &streamOut{w: conn, multiplexed: multiplexed, failed: s.hangUp}
	go s.watch()
	return s, nil
}

// hangUpPoll is how often a stream checks that its client is still there.
const hangUpPoll = 200 * time.Millisecond

// watch closes gone when the client closes the connection, until the
// stream is closed. net/http no longer watches a hijacked connection
// (the request's context does not end with it), and a silent process
// would not write to it for a failure to tell.
func (s *rawStream) watch() {
	t := time.NewTicker(hangUpPoll)
	defer t.Stop()
	for {
		select {
		case <-s.done:
			return
		case <-s.gone:
			return
		case <-t.C:
			if peerClosed(s.conn) {
				s.hangUp()
				return
			}
		}
	}
}

func (s *rawStream) hangUp() { s.goneOnce.Do(func() { close(s.gone) }) }

// Gone is closed once the client has gone: it closed the connection for
// good (a half-close is not going) or a write to it failed.
func (s *rawStream) Gone() <-chan struct{} { return s.gone }

// upgradeAnswer is the status line and the stream's headers, without
// the blank line that ends them.
func upgradeAnswer(r *http.Request, multiplexed bool) string {
	if r.Header.Get("Upgrade") == "" {
		return "HTTP/1.1 200 OK\r\nContent-Type: " + rawStreamType + "\r\n"
	}
	contentType := rawStreamType
	if multiplexed && versionAtLeast(r, "1.42") {
		contentType = multiplexedStreamType
	}
	return "HTTP/1.1 101 UPGRADED\r\nContent-Type: " + contentType + "\r\nConnection: Upgrade\r\nUpgrade: tcp\r\n"
}

// Stdin is what the client sends: it ends with io.EOF when the client
// half-closes or goes.
func (s *rawStream) Stdin() io.Reader { return s.in }

// Stdout is the writer of the process's standard output.
func (s *rawStream) Stdout() io.Writer { return s.out.writer(streamStdout) }

// Stderr is the writer of its standard error: framed apart when the
// stream is multiplexed, mixed with Stdout otherwise (a terminal has one
// output).
func (s *rawStream) Stderr() io.Writer { return s.out.writer(streamStderr) }

// Close ends the stream: the client reads EOF.
func (s *rawStream) Close() error {
	s.doneOnce.Do(func() { close(s.done) })
	return s.conn.Close()
}

// streamOut writes to the client, one frame (or one raw write) at a time.
type streamOut struct {
	multiplexed bool
	// mu guards w's writes and gone.
	mu   sync.Mutex
	w    io.Writer
	gone bool
	// failed is called once when a write fails: the client has gone.
	failed func()
}

// writer writes stream's bytes.
func (o *streamOut) writer(stream byte) io.Writer {
	return writerFunc(func(p []byte) (int, error) { return o.write(stream, p) })
}

// write sends p, in a frame of stream when multiplexed, and reports it
// written whatever happens: once the client is gone the output is
// dropped.
func (o *streamOut) write(stream byte, p []byte) (int, error) {
	if len(p) == 0 {
		return 0, nil
	}
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.gone {
		return len(p), nil
	}
	var err error
	if o.multiplexed {
		_, err = o.w.Write(appendFrame(nil, stream, p))
	} else {
		_, err = o.w.Write(p)
	}
	if err != nil {
		o.gone = true
		if o.failed != nil {
			o.failed()
		}
	}
	return len(p), nil
}

// appendFrame appends to b Docker's multiplexed frame of p: the stream's
// number, three zero bytes, p's length (big-endian, 32 bits), p.
func appendFrame(b []byte, stream byte, p []byte) []byte {
	b = append(b, stream, 0, 0, 0)
	b = binary.BigEndian.AppendUint32(b, uint32(len(p)))
	return append(b, p...)
}

type writerFunc func(p []byte) (int, error)

func (f writerFunc) Write(p []byte) (int, error) { return f(p) }

// defaultDetachKeys are Docker's: ctrl-p ctrl-q.
var defaultDetachKeys = []byte{16, 17}

// parseDetachKeys reads Docker's detach keys: a comma-separated list of
// single characters and ctrl-X (X a letter or one of @ [ \ ] ^ _); ""
// is Docker's default. A list it cannot read is Docker's 400.
func parseDetachKeys(s string) ([]byte, error) {
	if s == "" {
		return defaultDetachKeys, nil
	}
	var keys []byte
	for k := range strings.SplitSeq(s, ",") {
		switch {
		case len(k) == 1:
			keys = append(keys, k[0])
		case len(k) == 6 && strings.EqualFold(k[:5], "ctrl-"):
			c := k[5]
			switch {
			case 'a' <= c && c <= 'z':
				keys = append(keys, c-'a'+1)
			case 'A' <= c && c <= 'Z':
				keys = append(keys, c-'A'+1)
			case c == '@':
				keys = append(keys, 0)
			case '[' <= c && c <= '_':
				keys = append(keys, c-'['+27)
			default:
				return nil, errorf(http.StatusBadRequest, "Invalid escape keys (%s) provided", s)
			}
		default:
			return nil, errorf(http.StatusBadRequest, "Invalid escape keys (%s) provided", s)
		}
	}
	return keys, nil
}

// errDetached ends the stdin of a client that typed its detach keys.
var errDetached = errors.New("detached")

// detachReader passes r's bytes on until keys come in a row: then it
// calls detach once and ends with errDetached. Bytes that begin the
// sequence are held until the next one shows whether it goes on. It is
// Docker's escape proxy: the client leaves, the process goes on.
type detachReader struct {
	r       io.Reader
	keys    []byte
	detach  func()
	matched int    // how many of keys the last bytes matched
	pending []byte // bytes to give before reading more
	err     error  // r's error, or errDetached, once seen
	buf     []byte
}

func (d *detachReader) Read(p []byte) (int, error) {
	for len(d.pending) == 0 && d.err == nil {
		d.fill(len(p))
	}
	if len(d.pending) > 0 {
		n := copy(p, d.pending)
		d.pending = d.pending[n:]
		return n, nil
	}
	return 0, d.err
}

// fill reads up to n bytes from r into pending, holding those that may
// begin the keys.
func (d *detachReader) fill(n int) {
	if cap(d.buf) < n {
		d.buf = make([]byte, n)
	}
	n, err := d.r.Read(d.buf[:n])
	for _, b := range d.buf[:n] {
		if b != d.keys[d.matched] && d.matched > 0 {
			// Not the sequence after all: the held bytes are input.
			d.pending = append(d.pending, d.keys[:d.matched]...)
			d.matched = 0
		}
		if b != d.keys[d.matched] {
			d.pending = append(d.pending, b)
			continue
		}
		if d.matched++; d.matched == len(d.keys) {
			d.err = errDetached
			d.detach()
			return
		}
	}
	if err != nil {
		d.pending = append(d.pending, d.keys[:d.matched]...)
		d.matched = 0
		d.err = err
	}
}

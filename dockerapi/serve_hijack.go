package dockerapi

import (
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/go-dock/dock"
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
	in   io.Reader
	out  *streamOut // its gone is the stream's Gone
	// done is closed once the stream is closed.
	done     chan struct{}
	doneOnce sync.Once
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
	s := &rawStream{conn: conn, in: in, out: newStreamOut(conn, multiplexed), done: make(chan struct{})}
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
		case <-s.out.gone:
			return
		case <-t.C:
			if peerClosed(s.conn) {
				s.out.hangUp()
				return
			}
		}
	}
}

// Gone is closed once the client has gone: it closed the connection for
// good (a half-close is not going) or a write to it failed. The output
// is dropped from then on.
func (s *rawStream) Gone() <-chan struct{} { return s.out.gone }

// upgradeAnswer is the status line and the stream's headers, without
// the blank line that ends them.
func upgradeAnswer(r *http.Request, multiplexed bool) string {
	if r.Header.Get("Upgrade") == "" {
		return "HTTP/1.1 200 OK\r\nContent-Type: " + rawStreamType + "\r\n"
	}
	return "HTTP/1.1 101 UPGRADED\r\nContent-Type: " + streamType(r, multiplexed) + "\r\nConnection: Upgrade\r\nUpgrade: tcp\r\n"
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

// streamOut writes to the client, one frame (or one raw write) at a
// time, until the client is gone.
type streamOut struct {
	multiplexed bool
	// mu lets one write at a time to w.
	mu sync.Mutex
	w  io.Writer
	// gone is closed (by hangUp) once the client is gone: a write to it
	// failed, or the connection's watch saw it close.
	gone     chan struct{}
	goneOnce sync.Once
}

func newStreamOut(w io.Writer, multiplexed bool) *streamOut {
	return &streamOut{w: w, multiplexed: multiplexed, gone: make(chan struct{})}
}

func (o *streamOut) hangUp() { o.goneOnce.Do(func() { close(o.gone) }) }

func (o *streamOut) isGone() bool {
	select {
	case <-o.gone:
		return true
	default:
		return false
	}
}

// writer writes stream's bytes, in its frames when multiplexed.
func (o *streamOut) writer(stream byte) io.Writer {
	if o.multiplexed {
		return &frameWriter{w: writerFunc(o.write), stream: stream}
	}
	return writerFunc(o.write)
}

// write sends p and reports it written whatever happens: once the client
// is gone the output is dropped.
func (o *streamOut) write(p []byte) (int, error) {
	if len(p) == 0 {
		return 0, nil
	}
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.isGone() {
		return len(p), nil
	}
	if _, err := o.w.Write(p); err != nil {
		o.hangUp()
	}
	return len(p), nil
}

type writerFunc func(p []byte) (int, error)

func (f writerFunc) Write(p []byte) (int, error) { return f(p) }

// parseDetachKeys reads Docker's detach keys (dock.ParseDetachKeys); ""
// is Docker's default. A list it cannot read is Docker's 400.
func parseDetachKeys(s string) ([]byte, error) {
	if s == "" {
		return dock.DefaultDetachKeys, nil
	}
	keys, err := dock.ParseDetachKeys(s)
	if err != nil {
		return nil, errorf(http.StatusBadRequest, "Invalid escape keys (%s) provided", s)
	}
	return keys, nil
}

// onDetach passes r's bytes on (a dock.NewDetachReader) and calls detach
// once when the keys came: Docker's escape proxy, the client leaves, the
// process goes on.
func onDetach(r io.Reader, detach func()) io.Reader {
	return readerFunc(func(p []byte) (int, error) {
		n, err := r.Read(p)
		if errors.Is(err, dock.ErrDetached) {
			detach()
		}
		return n, err
	})
}

// readerFunc is a function as an io.Reader.
type readerFunc func([]byte) (int, error)

func (f readerFunc) Read(p []byte) (int, error) { return f(p) }

package dockerapi

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"sync"

	"github.com/go-dock/dock"
)

// attachRoutes are docker attach's endpoints: the hijacked stream (docker
// run and docker attach use it) and its websocket form.
func (s *server) attachRoutes() []route {
	return []route{
		{"POST /containers/{id}/attach", s.attachContainer},
		{"GET /containers/{id}/attach/ws", s.attachWebsocket},
	}
}

// attachQuery is what an attach asks for.
type attachQuery struct {
	stdin, stdout, stderr bool
	// logs writes the log first; stream attaches to the live streams
	// (Docker: either or both, or the attach does nothing).
	logs, stream bool
	detachKeys   []byte
}

// readAttachQuery reads an attach's query. Detach keys Docker cannot
// read are its 400, before the container is looked up (as Docker's).
func readAttachQuery(r *http.Request) (attachQuery, error) {
	q := attachQuery{
		stdin: boolValue(r, "stdin"), stdout: boolValue(r, "stdout"), stderr: boolValue(r, "stderr"),
		logs: boolValue(r, "logs"), stream: boolValue(r, "stream"),
	}
	keys := r.URL.Query().Get("detachKeys")
	var err error
	if q.detachKeys, err = parseDetachKeys(keys); err != nil {
		return q, errorf(http.StatusBadRequest, "Invalid detach keys (%s) provided", keys)
	}
	return q, nil
}

// attachTarget finds the container an attach names and refuses one that
// cannot be attached to; its Tty decides the stream's frames.
func (s *server) attachTarget(r *http.Request) (*dock.Container, bool, error) {
	ref := r.PathValue("id")
	c, err := s.container(ref)
	if err != nil {
		return nil, false, err
	}
	info, err := c.Inspect(r.Context())
	if err != nil {
		return nil, false, attachError(ref, err)
	}
	switch info.State.Status {
	case dock.StatusPaused:
		return nil, false, attachError(ref, dock.ErrPaused)
	case dock.StatusRestarting:
		return nil, false, attachError(ref, dock.ErrRunning)
	}
	return c, info.Config.Tty, nil
}

// attachError is an error of Attach in Docker's status and words (the
// container named as the client named it).
func attachError(ref string, err error) error {
	switch {
	case errors.Is(err, dock.ErrPaused):
		return errorf(http.StatusConflict, "container %s is paused, unpause the container before attach", ref)
	case errors.Is(err, dock.ErrRunning):
		return errorf(http.StatusConflict, "container %s is restarting, wait until the container is running", ref)
	case errors.Is(err, dock.ErrNotFound):
		return errorf(http.StatusNotFound, "No such container: %s", ref)
	}
	return err
}

// attachStreams runs one attach of c on the client's streams: the log
// alone when the query asks for no stream (as Docker's logs=1&stream=0),
// else Attach, which calls attached once no output can be missed (before
// the start of a container that has not started).
func attachStreams(ctx context.Context, c *dock.Container, q attachQuery, in io.Reader, out, errOut io.Writer, attached func()) error {
	var stdout, stderr io.Writer
	if q.stdout {
		stdout = out
	}
	if q.stderr {
		stderr = errOut
	}
	if !q.stream {
		if !q.logs {
			return nil
		}
		return c.Logs(ctx, stdout, stderr, dock.LogOptions{})
	}
	opts := dock.AttachOptions{Stdout: stdout, Stderr: stderr, Logs: q.logs, DetachKeys: q.detachKeys, Attached: attached}
	if q.stdin {
		opts.Stdin = in
	}
	return c.Attach(ctx, opts)
}

// quietEnd tells whether an attach ended in a way its client knows of:
// the output's end, the detach keys, the client gone.
func quietEnd(err error) bool {
	return err == nil || errors.Is(err, dock.ErrDetached) || errors.Is(err, context.Canceled) || errors.Is(err, errClientGone)
}

func (s *server) attachContainer(w http.ResponseWriter, r *http.Request) {
	q, err := readAttachQuery(r)
	var c *dock.Container
	var tty bool
	if err == nil {
		c, tty, err = s.attachTarget(r)
	}
	if err != nil {
		writeError(w, r, err)
		return
	}
	// A body the client sent with the request is not stdin.
	_, _ = io.Copy(io.Discard, io.LimitReader(r.Body, 1<<20))
	// The container outlives the request; the attach ends with the
	// container's output, the detach keys, or a failed write.
	ctx, cancel := context.WithCancel(context.WithoutCancel(r.Context()))
	defer cancel()
	conn := &lazyStream{w: w, r: r, multiplexed: !tty, gone: cancel}
	err = attachStreams(ctx, c, q, conn, conn.writer(streamStdout), conn.writer(streamStderr),
		func() { _, _ = conn.open() })
	stream, herr := conn.end(err == nil)
	if stream == nil {
		if err != nil {
			writeError(w, r, attachError(r.PathValue("id"), err))
		} else {
			s.log.Error("attach", "container", c.ID(), "err", herr)
		}
		return
	}
	defer stream.Close()
	if !quietEnd(err) {
		// The answer is sent: Docker writes the error into the stream.
		_, _ = fmt.Fprintf(stream.Stdout(), "Error attaching: %s\n", err)
	}
}

// errClientGone ends an attach whose client went away.
var errClientGone = errors.New("the client is gone")

// errAnswered refuses a hijack once the handler has ended.
var errAnswered = errors.New("the attach has ended")

// lazyStream is an attach's connection, hijacked when it is first needed:
// when Attach is attached (so that the 101 comes before the start of a
// container that has not started: docker run sends the start only once
// it has the answer), at the first output, or at the end. Until then the
// handler can still answer an error with its status. Safe for concurrent
// use; it hijacks nothing once ended.
type lazyStream struct {
	w           http.ResponseWriter
	r           *http.Request
	multiplexed bool
	// gone is called when the client goes, even while the container is
	// silent (no failed write tells then): it ends the attach.
	gone func()

	// mu guards what follows.
	mu     sync.Mutex
	stream *rawStream
	err    error // the hijack's, or errAnswered
}

// open hijacks the connection if it is not yet.
func (l *lazyStream) open() (*rawStream, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.stream == nil && l.err == nil {
		l.stream, l.err = hijack(l.w, l.r, l.multiplexed)
		if l.err == nil && l.gone != nil {
			stream := l.stream
			go func() {
				select {
				case <-stream.Gone():
					l.gone()
				case <-stream.done:
				}
			}()
		}
	}
	return l.stream, l.err
}

// end ends the use of w: it answers now, if it has not yet and answer is
// set, and returns the stream (nil when none was answered).
func (l *lazyStream) end(answer bool) (*rawStream, error) {
	if answer {
		_, _ = l.open()
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.stream == nil && l.err == nil {
		l.err = errAnswered
	}
	return l.stream, l.err
}

// Read reads the client's bytes, stdin.
func (l *lazyStream) Read(p []byte) (int, error) {
	s, err := l.open()
	if err != nil {
		return 0, err
	}
	return s.Stdin().Read(p)
}

// writer writes to the client in stream's frames, failing once the
// client is gone: Attach then ends, and the container goes on.
func (l *lazyStream) writer(stream byte) io.Writer {
	return writerFunc(func(p []byte) (int, error) {
		s, err := l.open()
		if err != nil {
			return 0, err
		}
		n, _ := s.out.writer(stream).Write(p)
		select {
		case <-s.Gone():
			return n, errClientGone
		default:
			return n, nil
		}
	})
}

package dockerapi

import (
	"bufio"
	"bytes"
	"errors"
	"io"
	"net"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"testing/iotest"

	"github.com/go-dock/dock"
	"github.com/moby/moby/api/pkg/stdcopy"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestServeHijackAnswer(t *testing.T) {
	for _, tc := range []struct {
		version     string
		upgrade     bool
		multiplexed bool
		want        string
	}{
		{"1.57", true, true, "HTTP/1.1 101 UPGRADED\r\nContent-Type: application/vnd.docker.multiplexed-stream\r\nConnection: Upgrade\r\nUpgrade: tcp\r\n"},
		{"1.42", true, true, "HTTP/1.1 101 UPGRADED\r\nContent-Type: application/vnd.docker.multiplexed-stream\r\nConnection: Upgrade\r\nUpgrade: tcp\r\n"},
		{"1.41", true, true, "HTTP/1.1 101 UPGRADED\r\nContent-Type: application/vnd.docker.raw-stream\r\nConnection: Upgrade\r\nUpgrade: tcp\r\n"},
		{"1.57", true, false, "HTTP/1.1 101 UPGRADED\r\nContent-Type: application/vnd.docker.raw-stream\r\nConnection: Upgrade\r\nUpgrade: tcp\r\n"},
		{"1.57", false, true, "HTTP/1.1 200 OK\r\nContent-Type: application/vnd.docker.raw-stream\r\n"},
	} {
		r, err := http.NewRequest(http.MethodPost, "http://docker/v"+tc.version+"/exec/x/start", nil)
		require.NoError(t, err)
		if tc.upgrade {
			r.Header.Set("Connection", "Upgrade")
			r.Header.Set("Upgrade", "tcp")
		}
		r, err = withAPIVersion(r)
		require.NoError(t, err)
		assert.Equal(t, tc.want, upgradeAnswer(r, tc.multiplexed), "%+v", tc)
	}
}

// The frames are Docker's: stdcopy reads them apart.
func TestServeHijackFrames(t *testing.T) {
	var buf bytes.Buffer
	o := newStreamOut(&buf, true)
	for _, w := range []struct {
		stream byte
		s      string
	}{{streamStdout, "out1 "}, {streamStderr, "err1 "}, {streamStdout, ""}, {streamStdout, strings.Repeat("x", 70000)}} {
		n, err := o.writer(w.stream).Write([]byte(w.s))
		require.NoError(t, err)
		assert.Equal(t, len(w.s), n)
	}
	assert.Equal(t, []byte{1, 0, 0, 0, 0, 0, 0, 5}, buf.Bytes()[:8])
	var out, errOut bytes.Buffer
	_, err := stdcopy.StdCopy(&out, &errOut, &buf)
	require.NoError(t, err)
	assert.Equal(t, "out1 "+strings.Repeat("x", 70000), out.String())
	assert.Equal(t, "err1 ", errOut.String())

	// Raw: as is, both streams.
	buf.Reset()
	o = newStreamOut(&buf, false)
	o.writer(streamStdout).Write([]byte("a"))
	o.writer(streamStderr).Write([]byte("b"))
	assert.Equal(t, "ab", buf.String())

	// A client gone: the output is dropped, reported written.
	o = newStreamOut(failWriter{}, true)
	n, err := o.writer(streamStdout).Write([]byte("lost"))
	assert.NoError(t, err)
	assert.Equal(t, 4, n)
	assert.True(t, o.isGone())
}

type failWriter struct{}

func (failWriter) Write([]byte) (int, error) { return 0, errors.New("gone") }

func TestServeHijackDetachKeys(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want []byte
		err  bool
	}{
		{"", []byte{16, 17}, false},
		{"ctrl-p,ctrl-q", []byte{16, 17}, false},
		{"ctrl-a,x,ctrl-@,ctrl-[,ctrl-_", []byte{1, 'x', 0, 27, 31}, false},
		{"CTRL-Z", []byte{26}, false},
		{"ctrl-", nil, true},
		{"ctrl-1", nil, true},
		{"ab", nil, true},
		{"a,,b", nil, true},
	} {
		got, err := parseDetachKeys(tc.in)
		if tc.err {
			assert.ErrorContains(t, err, "Invalid escape keys ("+tc.in+") provided", tc.in)
			assert.Equal(t, http.StatusBadRequest, statusOf(err))
			continue
		}
		require.NoError(t, err, tc.in)
		assert.Equal(t, tc.want, got, tc.in)
	}

	keys := []byte{16, 17}
	for _, tc := range []struct {
		in       string
		want     string
		detached bool
	}{
		{"hello", "hello", false},
		{"ab\x10\x11cd", "ab", true},
		{"\x10x\x10\x10\x11", "\x10x\x10", true},
		{"tail\x10", "tail\x10", false},
		{"\x11\x10", "\x11\x10", false},
	} {
		for _, oneByte := range []bool{false, true} {
			var r io.Reader = strings.NewReader(tc.in)
			if oneByte {
				r = iotest.OneByteReader(r)
			}
			calls := 0
			d := onDetach(dock.NewDetachReader(r, keys), func() { calls++ })
			got, err := io.ReadAll(d)
			assert.Equal(t, tc.want, string(got), "%q one byte at a time: %v", tc.in, oneByte)
			if tc.detached {
				assert.ErrorIs(t, err, dock.ErrDetached, "%q", tc.in)
				assert.Equal(t, 1, calls)
				_, err = d.Read(make([]byte, 4))
				assert.ErrorIs(t, err, dock.ErrDetached, "again")
			} else {
				assert.NoError(t, err, "%q", tc.in)
				assert.Zero(t, calls)
			}
		}
	}
}

// Through a server: the bytes the client sent with its request are
// stdin's first, the client's half-close ends stdin, and the output goes
// on after it.
func TestServeHijackHalfClose(t *testing.T) {
	sock := filepath.Join(t.TempDir(), "s")
	l, err := net.Listen("unix", sock)
	require.NoError(t, err)
	handled := make(chan error, 1)
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		r, _ = withAPIVersion(r)
		s, err := hijack(w, r, true)
		if err != nil {
			handled <- err
			return
		}
		defer s.Close()
		in, err := io.ReadAll(s.Stdin())
		if err == nil {
			_, err = s.Stdout().Write(append([]byte("got "), in...))
		}
		if err == nil {
			_, err = s.Stderr().Write([]byte("done"))
		}
		handled <- err
	})}
	go srv.Serve(l)
	t.Cleanup(func() { srv.Close() })

	conn, err := net.Dial("unix", sock)
	require.NoError(t, err)
	defer conn.Close()
	// The request and the start of stdin in one write.
	_, err = io.WriteString(conn, "POST /v1.44/exec/x/start HTTP/1.1\r\nHost: docker\r\nConnection: Upgrade\r\nUpgrade: tcp\r\nContent-Length: 0\r\n\r\nearly ")
	require.NoError(t, err)
	br := bufio.NewReader(conn)
	resp, err := http.ReadResponse(br, nil)
	require.NoError(t, err)
	assert.Equal(t, http.StatusSwitchingProtocols, resp.StatusCode)
	assert.Equal(t, "UPGRADED", strings.TrimPrefix(resp.Status, "101 "))
	assert.Equal(t, multiplexedStreamType, resp.Header.Get("Content-Type"))
	assert.Equal(t, "Upgrade", resp.Header.Get("Connection"))
	assert.Equal(t, "tcp", resp.Header.Get("Upgrade"))

	_, err = io.WriteString(conn, "late")
	require.NoError(t, err)
	require.NoError(t, conn.(*net.UnixConn).CloseWrite())
	var out, errOut bytes.Buffer
	_, err = stdcopy.StdCopy(&out, &errOut, br)
	require.NoError(t, err)
	assert.Equal(t, "got early late", out.String())
	assert.Equal(t, "done", errOut.String())
	require.NoError(t, <-handled)
}

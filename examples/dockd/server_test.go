package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/go-dock/dock"
	"github.com/go-dock/dock/dockerapi"
	"github.com/go-dock/dock/internal/testutil"
)

// serveAPI serves an engine's API through apiServer on a socket until the
// test ends.
func serveAPI(t *testing.T, timeout time.Duration) (*dock.Engine, string) {
	t.Helper()
	testutil.RequireRoot(t)
	e, err := dock.Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { e.Close() })
	sock := filepath.Join(t.TempDir(), "api.sock")
	l, err := net.Listen("unix", sock)
	if err != nil {
		t.Fatal(err)
	}
	srv := apiServer(dockerapi.Handler(e), timeout)
	done := make(chan error, 1)
	go func() { done <- srv.Serve(l) }()
	t.Cleanup(func() {
		srv.Close()
		if err := <-done; !errors.Is(err, http.ErrServerClosed) {
			t.Errorf("serve: %v", err)
		}
	})
	return e, sock
}

// TestServerSlowHeaders: a client that sends its headers a byte at a time,
// forever, is cut once headerTimeout is over (the test's is 1 s).
func TestServerSlowHeaders(t *testing.T) {
	_, sock := serveAPI(t, time.Second)
	c, err := net.Dial("unix", sock)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if _, err := io.WriteString(c, "GET /_ping HTTP/1.1\r\nHost: docker\r\nX-Slow: "); err != nil {
		t.Fatal(err)
	}
	// Generous: the server should cut at 1 s; 60 s only bounds a broken one.
	deadline := time.Now().Add(60 * time.Second)
	for time.Now().Before(deadline) {
		if _, err := c.Write([]byte("a")); err != nil {
			return // cut
		}
		c.SetReadDeadline(time.Now().Add(100 * time.Millisecond))
		var b [512]byte
		if n, err := c.Read(b[:]); err != nil && !errors.Is(err, context.DeadlineExceeded) && !isTimeout(err) {
			return // closed: EOF or reset
		} else if n > 0 {
			t.Fatalf("the server answered headers that never ended: %q", b[:n])
		}
	}
	t.Fatal("a client sending its headers a byte at a time was not cut in 60 s")
}

func isTimeout(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}

// TestServerHugeHeaders: headers over maxHeaderBytes are a 431.
func TestServerHugeHeaders(t *testing.T) {
	_, sock := serveAPI(t, time.Second)
	c := &http.Client{Transport: &http.Transport{DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
		var d net.Dialer
		return d.DialContext(ctx, "unix", sock)
	}}}
	req, _ := http.NewRequest("GET", "http://docker/_ping", nil)
	req.Header.Set("X-Registry-Auth", strings.Repeat("A", 2*maxHeaderBytes))
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusRequestHeaderFieldsTooLarge {
		t.Fatalf("headers of 2 MiB: %s; want 431", resp.Status)
	}
}

// TestServerLongStream: an event stream lives past the header timeout, the
// idle timeout's scale aside: an event sent after several header timeouts
// still reaches the client.
func TestServerLongStream(t *testing.T) {
	e, sock := serveAPI(t, 200*time.Millisecond)
	c, err := net.Dial("unix", sock)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if _, err := io.WriteString(c, "GET /v1.45/events HTTP/1.1\r\nHost: docker\r\n\r\n"); err != nil {
		t.Fatal(err)
	}
	br := bufio.NewReader(c)
	resp, err := http.ReadResponse(br, nil)
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("events: %s", resp.Status)
	}
	// Silence for ten header timeouts: no read, no write on the connection.
	time.Sleep(2 * time.Second)
	if _, err := e.CreateVolume(context.Background(), "late"); err != nil {
		t.Fatal(err)
	}
	dec := json.NewDecoder(resp.Body)
	var ev struct {
		Type, Action string
		Actor        struct{ ID string }
	}
	if err := dec.Decode(&ev); err != nil {
		t.Fatalf("the stream was cut: %v", err)
	}
	if ev.Type != "volume" || ev.Action != "create" || ev.Actor.ID != "late" {
		t.Fatalf("event %+v; want the volume late's create", ev)
	}
}

package dnsserver

import (
	"errors"
	"net"
	"os"
	"testing"
	"time"

	"golang.org/x/net/dns/dnsmessage"
)

// waitReturn waits, a bounded while, for a Serve call's result.
func waitReturn(t *testing.T, name string, done <-chan error) error {
	t.Helper()
	select {
	case err := <-done:
		return err
	case <-time.After(10 * time.Second):
		t.Fatalf("%s did not return", name)
		return nil
	}
}

// TestServeReturnsOnClose: closing the sockets ends both Serve calls with
// nil, though forwards wait on a silent upstream with a Timeout far longer
// than the test's guard, and a TCP connection is open: forwards are
// cancelled, connections closed, no goroutine left.
func TestServeReturnsOnClose(t *testing.T) {
	checkGoroutines(t)
	silent := newSilentUpstream(t)
	srv := &Server{Names: testNames(silent.addr), Timeout: time.Hour}
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	udpDone, tcpDone := make(chan error, 1), make(chan error, 1)
	go func() { udpDone <- srv.ServeUDP(pc, testAsker) }()
	go func() { tcpDone <- srv.ServeTCP(ln, testAsker) }()

	uc, err := net.Dial("udp", pc.LocalAddr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer uc.Close()
	uc.Write(newQuery(t, 1, "slow.example.", dnsmessage.TypeA, 0))
	tc, err := net.DialTimeout("tcp", ln.Addr().String(), ioTimeout)
	if err != nil {
		t.Fatal(err)
	}
	defer tc.Close()
	tc.SetDeadline(time.Now().Add(ioTimeout))
	tc.Write(frame(nil, newQuery(t, 2, "slow.example.", dnsmessage.TypeA, 0)))
	silent.recv(t)
	silent.recv(t) // both forwards are in flight

	pc.Close()
	if err := waitReturn(t, "ServeUDP", udpDone); err != nil {
		t.Errorf("ServeUDP after close = %v, want nil", err)
	}
	ln.Close()
	if err := waitReturn(t, "ServeTCP", tcpDone); err != nil {
		t.Errorf("ServeTCP after close = %v, want nil", err)
	}
	if _, err := readFrame(tc); err == nil || errors.Is(err, os.ErrDeadlineExceeded) {
		t.Errorf("TCP connection after ServeTCP returned: read = %v, want it closed", err)
	}
	if n := srv.forwards.Load(); n != 0 {
		t.Errorf("forwards in flight after return = %d, want 0", n)
	}
}

// TestServeDeadline: a deadline the caller set on the socket ends ServeUDP
// with that error.
func TestServeDeadline(t *testing.T) {
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer pc.Close()
	pc.SetReadDeadline(time.Now().Add(-time.Second))
	done := make(chan error, 1)
	go func() { done <- (&Server{Names: testNames()}).ServeUDP(pc, testAsker) }()
	if err := waitReturn(t, "ServeUDP", done); !errors.Is(err, os.ErrDeadlineExceeded) {
		t.Errorf("ServeUDP past the socket's deadline = %v, want os.ErrDeadlineExceeded", err)
	}
}

func TestServeWithoutNames(t *testing.T) {
	var s Server
	if err := s.ServeUDP(nil, "x"); !errors.Is(err, errNoNames) {
		t.Errorf("ServeUDP without Names = %v, want %v", err, errNoNames)
	}
	if err := s.ServeTCP(nil, "x"); !errors.Is(err, errNoNames) {
		t.Errorf("ServeTCP without Names = %v, want %v", err, errNoNames)
	}
}

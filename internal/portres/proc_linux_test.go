package portres

import (
	"bufio"
	"encoding/hex"
	"fmt"
	"net/netip"
	"os"
	"slices"
	"strconv"
	"strings"
	"testing"

	"golang.org/x/sys/unix"
)

// procSocket is a line of /proc/net/{tcp,tcp6,udp,udp6}.
type procSocket struct {
	local netip.AddrPort
	state string // 0A: TCP_LISTEN; 07: TCP_CLOSE, an unconnected UDP socket
	rxq   uint64 // for a listener, its accept queue; for UDP, the bytes queued
	drops uint64 // UDP only: the datagrams dropped (by the filter too)
}

// procSockets returns the sockets of proto ("tcp" or "udp", both families)
// in the test's network namespace.
func procSockets(t *testing.T, proto string) []procSocket {
	t.Helper()
	var out []procSocket
	for _, name := range []string{proto, proto + "6"} {
		f, err := os.Open("/proc/thread-self/net/" + name)
		if os.IsNotExist(err) && name == proto+"6" {
			continue // no IPv6
		}
		if err != nil {
			t.Fatal(err)
		}
		sc := bufio.NewScanner(f)
		sc.Scan() // the header
		for sc.Scan() {
			s, err := parseProcLine(proto, sc.Text())
			if err != nil {
				t.Fatalf("/proc/net/%s: %v", name, err)
			}
			out = append(out, s)
		}
		f.Close()
		if err := sc.Err(); err != nil {
			t.Fatal(err)
		}
	}
	return out
}

// parseProcLine parses "sl local rem st tx_queue:rx_queue ... [drops]".
func parseProcLine(proto, line string) (procSocket, error) {
	f := strings.Fields(line)
	if len(f) < 10 {
		return procSocket{}, fmt.Errorf("short line %q", line)
	}
	ap, err := parseProcAddr(f[1])
	if err != nil {
		return procSocket{}, err
	}
	_, rx, _ := strings.Cut(f[4], ":")
	rxq, err := strconv.ParseUint(rx, 16, 64)
	if err != nil {
		return procSocket{}, fmt.Errorf("queues in %q: %w", line, err)
	}
	s := procSocket{local: ap, state: f[3], rxq: rxq}
	if proto == "udp" {
		if s.drops, err = strconv.ParseUint(f[len(f)-1], 10, 64); err != nil {
			return procSocket{}, fmt.Errorf("drops in %q: %w", line, err)
		}
	}
	return s, nil
}

// parseProcAddr decodes "0100007F:1F90": the address in 32-bit words of
// host byte order (little-endian on the machines we test on), the port in
// hexadecimal.
func parseProcAddr(s string) (netip.AddrPort, error) {
	h, p, _ := strings.Cut(s, ":")
	raw, err := hex.DecodeString(h)
	if err != nil || (len(raw) != 4 && len(raw) != 16) {
		return netip.AddrPort{}, fmt.Errorf("bad address %q", s)
	}
	for i := 0; i < len(raw); i += 4 {
		slices.Reverse(raw[i : i+4])
	}
	port, err := strconv.ParseUint(p, 16, 16)
	if err != nil {
		return netip.AddrPort{}, fmt.Errorf("bad port %q", s)
	}
	a, _ := netip.AddrFromSlice(raw)
	return netip.AddrPortFrom(a, uint16(port)), nil
}

// findSocket returns the socket of proto bound on ap, if any.
func findSocket(t *testing.T, proto string, ap netip.AddrPort) (procSocket, bool) {
	t.Helper()
	for _, s := range procSockets(t, proto) {
		if s.local == ap {
			return s, true
		}
	}
	return procSocket{}, false
}

// openFDs is the number of open file descriptors of the test process.
func openFDs(t *testing.T) int {
	t.Helper()
	ents, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		t.Fatal(err)
	}
	return len(ents)
}

// readable reports whether f has something to read (a datagram) or to
// accept (a connection) right now; poll with a zero timeout does not wait.
func readable(t *testing.T, f *os.File) bool {
	t.Helper()
	fds := []unix.PollFd{{Fd: int32(f.Fd()), Events: unix.POLLIN}}
	n, err := unix.Poll(fds, 0)
	if err != nil {
		t.Fatal(err)
	}
	return n > 0 && fds[0].Revents&unix.POLLIN != 0
}

// writeSysctl sets a sysctl of the test's network namespace and restores
// it when the test ends.
func writeSysctl(t *testing.T, key, value string) {
	t.Helper()
	path := "/proc/sys/" + key
	old, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(value), 0o644); err != nil {
		t.Fatalf("set %s to %q: %v", key, value, err)
	}
	t.Cleanup(func() {
		if err := os.WriteFile(path, old, 0o644); err != nil {
			t.Errorf("restore %s: %v", key, err)
		}
	})
}

package portres

import (
	"errors"
	"net"
	"net/netip"
	"os"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/sys/unix"

	"github.com/go-dock/dock/internal/nettest"
)

var (
	any4 = netip.IPv4Unspecified()
	any6 = netip.IPv6Unspecified()
	lo4  = netip.MustParseAddr("127.0.0.1")
)

// mustReserve calls Reserve, requires success and closes the sockets when the
// test ends.
func mustReserve(t *testing.T, ms ...Mapping) ([]*os.File, []Mapping) {
	t.Helper()
	files, out, err := Reserve(ms)
	require.NoError(t, err, "Reserve(%v)", ms)
	t.Cleanup(func() { closeAll(files) })
	return files, out
}

// refused calls Reserve, requires it to fail and to leave no descriptor
// open, and returns the error.
func refused(t *testing.T, ms ...Mapping) error {
	t.Helper()
	before := openFDs(t)
	files, out, err := Reserve(ms)
	require.Error(t, err, "Reserve(%v) = %v", ms, out)
	assert.Nil(t, files)
	assert.Nil(t, out)
	assert.Equal(t, before, openFDs(t), "Reserve(%v) left descriptors open", ms)
	return err
}

func ipv6(t *testing.T) {
	t.Helper()
	if _, err := os.Stat("/proc/sys/net/ipv6"); err != nil {
		t.Skip("no IPv6 in this kernel")
	}
}

func TestReserveTCPListensAndAcceptsNothing(t *testing.T) {
	nettest.Require(t)
	files, out := mustReserve(t, Mapping{Proto: "tcp", HostPort: 18080})
	require.Len(t, files, 1)
	assert.Equal(t, []Mapping{{Proto: "tcp", HostPort: 18080}}, out)

	flags, err := unix.FcntlInt(files[0].Fd(), unix.F_GETFD, 0)
	require.NoError(t, err)
	assert.NotZero(t, flags&unix.FD_CLOEXEC, "the socket is close-on-exec")

	s, ok := findSocket(t, "tcp", netip.AddrPortFrom(any4, 18080))
	require.True(t, ok, "0.0.0.0:18080 in /proc/net/tcp")
	assert.Equal(t, "0A", s.state, "0.0.0.0:18080 listens")

	// The filter drops the SYNs: the handshake never completes, so the
	// dial fails when its (bounding) timeout runs out, and nothing waits
	// in the accept queue.
	c, err := net.DialTimeout("tcp", "127.0.0.1:18080", 300*time.Millisecond)
	if err == nil {
		c.Close()
	}
	require.Error(t, err, "a connection to the reserved port")
	assert.False(t, errors.Is(err, unix.ECONNREFUSED), "the port listens: %v", err)
	assert.False(t, readable(t, files[0]), "a connection waits to be accepted")
	s, _ = findSocket(t, "tcp", netip.AddrPortFrom(any4, 18080))
	assert.Zero(t, s.rxq, "the accept queue")
}

func TestReserveUDPDropsDatagrams(t *testing.T) {
	nettest.Require(t)
	files, _ := mustReserve(t, Mapping{Proto: "udp", HostIP: lo4, HostPort: 15353})
	require.Len(t, files, 1)
	ap := netip.AddrPortFrom(lo4, 15353)
	s, ok := findSocket(t, "udp", ap)
	require.True(t, ok, "127.0.0.1:15353 in /proc/net/udp")
	assert.Zero(t, s.drops)

	c, err := net.Dial("udp", ap.String())
	require.NoError(t, err)
	defer c.Close()
	_, err = c.Write([]byte("hello"))
	require.NoError(t, err)
	// Delivery on lo is asynchronous: wait (bounded) until the socket
	// counts the datagram as dropped.
	for range 500 {
		if s, _ = findSocket(t, "udp", ap); s.drops > 0 {
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	assert.Equal(t, uint64(1), s.drops, "the datagram dropped by the filter")
	assert.Zero(t, s.rxq, "bytes queued on the socket")
	assert.False(t, readable(t, files[0]), "a datagram waits to be read")
}

func TestReservePortTaken(t *testing.T) {
	nettest.Require(t)
	mustReserve(t, Mapping{Proto: "tcp", HostPort: 18081}, Mapping{Proto: "udp", HostIP: lo4, HostPort: 18081})

	for _, tc := range []struct {
		name string
		ms   []Mapping
		msg  string
	}{
		{"tcp", []Mapping{{Proto: "tcp", HostPort: 18081}}, "Bind for 0.0.0.0:18081 failed: port is already allocated"},
		{"tcp on an address under the wildcard", []Mapping{{Proto: "tcp", HostIP: lo4, HostPort: 18081}}, "Bind for 127.0.0.1:18081 failed: port is already allocated"},
		{"udp", []Mapping{{Proto: "udp", HostIP: lo4, HostPort: 18081}}, "Bind for 127.0.0.1:18081 failed: port is already allocated"},
		{"udp wildcard over an address", []Mapping{{Proto: "udp", HostPort: 18081}}, "Bind for 0.0.0.0:18081 failed: port is already allocated"},
		// What was opened before the failure is closed again.
		{"after others", []Mapping{{Proto: "tcp", HostPort: 18082}, {Proto: "udp", HostPort: 18082}, {Proto: "tcp", HostPort: 18081}}, "Bind for 0.0.0.0:18081 failed: port is already allocated"},
		{"twice in one call", []Mapping{{Proto: "udp", HostPort: 18082}, {Proto: "udp", HostPort: 18082}}, "Bind for 0.0.0.0:18082 failed: port is already allocated"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := refused(t, tc.ms...)
			assert.ErrorIs(t, err, ErrPortAllocated)
			assert.EqualError(t, err, tc.msg)
			_, tcp := findSocket(t, "tcp", netip.AddrPortFrom(any4, 18082))
			_, udp := findSocket(t, "udp", netip.AddrPortFrom(any4, 18082))
			assert.False(t, tcp || udp, "18082 left bound")
		})
	}
}

func TestReservePortTakenIPv6(t *testing.T) {
	nettest.Require(t)
	ipv6(t)
	files, _ := mustReserve(t, Mapping{Proto: "tcp", HostPort: 18083, IPv6: true})
	require.Len(t, files, 2, "0.0.0.0 and [::]")
	for _, a := range []netip.Addr{any4, any6} {
		s, ok := findSocket(t, "tcp", netip.AddrPortFrom(a, 18083))
		assert.True(t, ok && s.state == "0A", "%s:18083 listens", a)
	}
	// [::] alone (as Docker writes it: no brackets).
	err := refused(t, Mapping{Proto: "tcp", HostIP: any6, HostPort: 18083})
	assert.ErrorIs(t, err, ErrPortAllocated)
	assert.EqualError(t, err, "Bind for :::18083 failed: port is already allocated")
	// A v4-only holder of 18084 does not stop [::]:18084 (IPV6_V6ONLY),
	// but the pair is all or nothing.
	mustReserve(t, Mapping{Proto: "tcp", HostIP: any4, HostPort: 18084})
	mustReserve(t, Mapping{Proto: "tcp", HostIP: any6, HostPort: 18085})
	err = refused(t, Mapping{Proto: "tcp", HostPort: 18085, IPv6: true})
	assert.EqualError(t, err, "Bind for :::18085 failed: port is already allocated")
	_, ok := findSocket(t, "tcp", netip.AddrPortFrom(any4, 18085))
	assert.False(t, ok, "0.0.0.0:18085 left bound")
	_, out := mustReserve(t, Mapping{Proto: "tcp", HostIP: any6, HostPort: 18084})
	assert.Equal(t, uint16(18084), out[0].HostPort)
}

// TestReservePlainListener: ports held by ordinary programs are refused.
func TestReservePlainListener(t *testing.T) {
	nettest.Require(t)
	dual, err := net.Listen("tcp", ":0") // Go's default: [::] for both families
	require.NoError(t, err)
	defer dual.Close()
	lo, err := net.Listen("tcp4", "127.0.0.1:0")
	require.NoError(t, err)
	defer lo.Close()
	pc, err := net.ListenPacket("udp4", "0.0.0.0:0")
	require.NoError(t, err)
	defer pc.Close()
	dualPort := uint16(dual.Addr().(*net.TCPAddr).Port)
	loPort := uint16(lo.Addr().(*net.TCPAddr).Port)
	udpPort := uint16(pc.LocalAddr().(*net.UDPAddr).Port)

	for _, tc := range []struct {
		m   Mapping
		msg string
	}{
		{Mapping{Proto: "tcp", HostPort: dualPort}, "Bind for 0.0.0.0:" + itoa(dualPort) + " failed: port is already allocated"},
		{Mapping{Proto: "tcp", HostIP: lo4, HostPort: dualPort}, "Bind for 127.0.0.1:" + itoa(dualPort) + " failed: port is already allocated"},
		{Mapping{Proto: "tcp", HostPort: loPort}, "Bind for 0.0.0.0:" + itoa(loPort) + " failed: port is already allocated"},
		{Mapping{Proto: "udp", HostIP: lo4, HostPort: udpPort}, "Bind for 127.0.0.1:" + itoa(udpPort) + " failed: port is already allocated"},
	} {
		t.Run(tc.m.String(), func(t *testing.T) {
			err := refused(t, tc.m)
			assert.ErrorIs(t, err, ErrPortAllocated)
			assert.EqualError(t, err, tc.msg)
		})
	}
	// And the other way round: a reserved port is taken for programs.
	_, out := mustReserve(t, Mapping{Proto: "tcp", HostPort: 0})
	_, err = net.Listen("tcp4", "127.0.0.1:"+itoa(out[0].HostPort))
	assert.ErrorIs(t, err, unix.EADDRINUSE)
}

func TestReserveEphemeral(t *testing.T) {
	nettest.Require(t)
	ipv6(t)
	lowest, highest := portRange(t)
	ms := []Mapping{
		{Proto: "tcp", IPv6: true}, {Proto: "tcp", IPv6: true}, {Proto: "tcp", HostIP: lo4},
		{Proto: "udp", IPv6: true}, {Proto: "udp"},
	}
	files, out := mustReserve(t, ms...)
	assert.Len(t, files, 2+2+1+2+1)
	seen := map[string]bool{}
	for i, m := range out {
		key := m.Proto + " " + itoa(m.HostPort)
		assert.False(t, seen[key], "%s given twice", key)
		seen[key] = true
		assert.True(t, m.HostPort >= lowest && m.HostPort <= highest, "port %d in ip_local_port_range %d-%d", m.HostPort, lowest, highest)
		want := ms[i]
		want.HostPort = m.HostPort
		assert.Equal(t, want, m)
		for _, a := range ms[i].addrs() {
			s, ok := findSocket(t, m.Proto, netip.AddrPortFrom(a, m.HostPort))
			assert.True(t, ok, "%s %s:%d bound", m.Proto, a, m.HostPort)
			if m.Proto == "tcp" {
				assert.Equal(t, "0A", s.state)
			}
		}
	}
}

// TestReserveEphemeralExhausted narrows the ephemeral range of the test's
// network namespace to four ports, one of them reserved. (Four: bind to
// port 0 scans by pairs of ports and may never reach the last port of a
// small range of odd length; 6.18 does not for 40000-40002.)
func TestReserveEphemeralExhausted(t *testing.T) {
	nettest.Require(t)
	writeSysctl(t, "net/ipv4/ip_local_port_range", "40000 40003")
	writeSysctl(t, "net/ipv4/ip_local_reserved_ports", "40001")

	files, out := mustReserve(t, Mapping{Proto: "tcp"}, Mapping{Proto: "tcp"}, Mapping{Proto: "tcp"})
	got := []uint16{out[0].HostPort, out[1].HostPort, out[2].HostPort}
	slices.Sort(got)
	assert.Equal(t, []uint16{40000, 40002, 40003}, got, "the range less the reserved port")

	err := refused(t, Mapping{Proto: "udp", HostPort: 18090}, Mapping{Proto: "tcp"})
	assert.ErrorIs(t, err, ErrPortAllocated)
	assert.EqualError(t, err, "Bind for 0.0.0.0 failed: all ports are allocated (the ephemeral range, net.ipv4.ip_local_port_range, is 40000-40003)")
	_, ok := findSocket(t, "udp", netip.AddrPortFrom(any4, 18090))
	assert.False(t, ok, "udp 18090 left bound")

	// A reserved port is the kernel's to avoid, not ours: asked for, it
	// is given (as Docker gives a port asked for).
	_, out = mustReserve(t, Mapping{Proto: "tcp", HostPort: 40001})
	assert.Equal(t, uint16(40001), out[0].HostPort)

	// Closing frees: the next ephemeral port is one of those closed.
	closeAll(files)
	_, out = mustReserve(t, Mapping{Proto: "tcp"})
	assert.Contains(t, got, out[0].HostPort)
}

// TestReserveEphemeralBothFamilies: the kernel's choice on 0.0.0.0 may be
// taken on [::]; Reserve tries again and closes what it tried.
func TestReserveEphemeralBothFamilies(t *testing.T) {
	nettest.Require(t)
	ipv6(t)
	writeSysctl(t, "net/ipv4/ip_local_port_range", "40000 40003")
	// [::] is taken on every port but 40003.
	for p := 40000; p <= 40002; p++ {
		pc, err := net.ListenPacket("udp6", "[::]:"+strconv.Itoa(p)) // Go sets IPV6_V6ONLY
		require.NoError(t, err)
		defer pc.Close()
	}
	before := openFDs(t)
	files, out := mustReserve(t, Mapping{Proto: "udp", IPv6: true})
	assert.Equal(t, uint16(40003), out[0].HostPort)
	assert.Len(t, files, 2)
	assert.Equal(t, before+2, openFDs(t), "only the two sockets stay open")
	for p := uint16(40000); p <= 40002; p++ {
		_, ok := findSocket(t, "udp", netip.AddrPortFrom(any4, p))
		assert.False(t, ok, "0.0.0.0:%d left bound", p)
	}
	// Now no port is free on both.
	err := refused(t, Mapping{Proto: "udp", IPv6: true})
	assert.ErrorIs(t, err, ErrPortAllocated)
	assert.ErrorContains(t, err, "all ports are allocated")
}

func TestReserveRange(t *testing.T) {
	nettest.Require(t)
	l, err := net.Listen("tcp4", "127.0.0.1:18100")
	require.NoError(t, err)
	defer l.Close()
	m := Mapping{Proto: "tcp", HostPort: 18100, HostPortEnd: 18102}
	_, out := mustReserve(t, m)
	assert.Equal(t, []Mapping{{Proto: "tcp", HostPort: 18101}}, out, "the first free port of the range")
	_, out = mustReserve(t, m)
	assert.Equal(t, uint16(18102), out[0].HostPort)
	err = refused(t, m)
	assert.ErrorIs(t, err, ErrPortAllocated)
	assert.EqualError(t, err, "Bind for 0.0.0.0:18100-18102 failed: all ports are allocated")
	// A range up to 65535 ends.
	_, out = mustReserve(t, Mapping{Proto: "udp", HostPort: 65535, HostPortEnd: 65535})
	assert.Equal(t, uint16(65535), out[0].HostPort)
	err = refused(t, Mapping{Proto: "udp", HostPort: 65534, HostPortEnd: 65535}, Mapping{Proto: "udp", HostPort: 65534})
	assert.EqualError(t, err, "Bind for 0.0.0.0:65534 failed: port is already allocated")
}

// TestReserveCloseFrees: closing the sockets leaves the namespace as it was
// and the ports free for anyone.
func TestReserveCloseFrees(t *testing.T) {
	nettest.Require(t)
	ipv6(t)
	before := nettest.Snapshot(t)
	fds := openFDs(t)
	files, out, err := Reserve([]Mapping{
		{Proto: "tcp", HostPort: 18110, IPv6: true}, {Proto: "udp", HostPort: 18110, IPv6: true},
		{Proto: "tcp", HostIP: lo4}, {Proto: "udp", HostIP: netip.IPv6Loopback(), HostPort: 18111},
	})
	require.NoError(t, err)
	during := nettest.Snapshot(t)
	assert.Len(t, nettest.Diff(before, during), 6, "the sockets show: %v", nettest.Diff(before, during))
	closeAll(files)
	assert.Empty(t, nettest.Diff(before, nettest.Snapshot(t)))
	assert.Equal(t, fds, openFDs(t))

	for _, a := range []string{"0.0.0.0:18110", "[::]:18110", "127.0.0.1:" + itoa(out[2].HostPort)} {
		l, err := net.Listen("tcp", a)
		require.NoError(t, err, "listen on %s after close", a)
		l.Close()
	}
	for _, a := range []string{"0.0.0.0:18110", "[::]:18110", "[::1]:18111"} {
		pc, err := net.ListenPacket("udp", a)
		require.NoError(t, err, "bind %s after close", a)
		pc.Close()
	}
}

func TestReserveInvalid(t *testing.T) {
	nettest.Require(t)
	for _, tc := range []struct {
		m   Mapping
		msg string
	}{
		{Mapping{Proto: "sctp", HostPort: 80}, `reserve host port 0.0.0.0:80/sctp: protocol "sctp" not supported`},
		{Mapping{Proto: "", HostPort: 80}, `protocol "" not supported`},
		{Mapping{Proto: "tcp", HostPort: 90, HostPortEnd: 80}, "invalid port range: 90-80"},
		{Mapping{Proto: "tcp", HostPortEnd: 80}, "invalid port range: 0-80"},
		{Mapping{Proto: "tcp", HostIP: netip.MustParseAddr("fe80::1%lo"), HostPort: 80}, "zone"},
		// Not an address of this host (RFC 5737): the kernel refuses it.
		{Mapping{Proto: "tcp", HostIP: netip.MustParseAddr("192.0.2.1"), HostPort: 8080}, "failed to bind host port 192.0.2.1:8080/tcp: cannot assign requested address"},
	} {
		t.Run(tc.msg, func(t *testing.T) {
			err := refused(t, Mapping{Proto: "udp", HostPort: 18120}, tc.m)
			assert.NotErrorIs(t, err, ErrPortAllocated)
			assert.ErrorContains(t, err, tc.msg)
		})
	}
	_, ok := findSocket(t, "udp", netip.AddrPortFrom(any4, 18120))
	assert.False(t, ok, "18120 left bound")
}

func TestMappingString(t *testing.T) {
	assert.Equal(t, "0.0.0.0:0/tcp", Mapping{Proto: "tcp", IPv6: true}.String())
	assert.Equal(t, "[::1]:8000-8010/udp", Mapping{Proto: "udp", HostIP: netip.IPv6Loopback(), HostPort: 8000, HostPortEnd: 8010}.String())
	assert.Equal(t, "10.0.0.1:80/tcp", Mapping{Proto: "tcp", HostIP: netip.MustParseAddr("::ffff:10.0.0.1"), HostPort: 80}.String())
}

// portRange is net.ipv4.ip_local_port_range of the test's namespace.
func portRange(t *testing.T) (uint16, uint16) {
	t.Helper()
	b, err := os.ReadFile("/proc/sys/net/ipv4/ip_local_port_range")
	require.NoError(t, err)
	f := strings.Fields(string(b))
	require.Len(t, f, 2)
	lo, err1 := strconv.ParseUint(f[0], 10, 16)
	hi, err2 := strconv.ParseUint(f[1], 10, 16)
	require.NoError(t, errors.Join(err1, err2))
	return uint16(lo), uint16(hi)
}

func itoa(p uint16) string { return strconv.Itoa(int(p)) }

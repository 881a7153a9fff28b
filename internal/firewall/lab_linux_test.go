package firewall

import (
	"bufio"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/go-dock/dock/internal/nettest"
	"github.com/vishvananda/netlink"
	"golang.org/x/sys/unix"
)

// The test's topology lives in H, nettest's private host namespace:
// bridges, and containers (network namespaces of their own) behind veths.

// newNS returns a handle to a new network namespace, closed at cleanup
// (the namespace dies with its last handle and socket).
func newNS(t *testing.T) *os.File {
	t.Helper()
	return nettest.NewNetNS(t)
}

// sysctl writes a per-namespace knob of H (the test's namespace is
// private, so the machine's stay as they are) and restores it at cleanup,
// for the next test.
func sysctl(t *testing.T, key, value string) {
	t.Helper()
	nettest.Require(t)
	path := "/proc/sys/" + key
	old, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("sysctl %s: %v", key, err)
	}
	if err := os.WriteFile(path, []byte(value), 0o644); err != nil {
		t.Fatalf("sysctl %s=%s: %v", key, value, err)
	}
	t.Cleanup(func() {
		if err := os.WriteFile(path, old, 0o644); err != nil {
			t.Errorf("restore sysctl %s: %v", key, err)
		}
	})
}

// addBridge creates the bridge name with the addresses (gateways, with
// their prefix) and sets it up; cleanup deletes it.
func addBridge(t *testing.T, name string, addrs ...string) {
	t.Helper()
	la := netlink.NewLinkAttrs()
	la.Name = name
	br := &netlink.Bridge{LinkAttrs: la}
	if err := netlink.LinkAdd(br); err != nil {
		t.Fatalf("add bridge %s: %v", name, err)
	}
	t.Cleanup(func() {
		if err := netlink.LinkDel(br); err != nil {
			t.Errorf("delete bridge %s: %v", name, err)
		}
	})
	if err := setAddrs(&netlink.Handle{}, br, addrs); err != nil {
		t.Fatal(err)
	}
	if err := netlink.LinkSetUp(br); err != nil {
		t.Fatalf("set %s up: %v", name, err)
	}
}

// setAddrs adds addresses without duplicate address detection, which
// would keep IPv6 addresses unusable for a second or two.
func setAddrs(h *netlink.Handle, link netlink.Link, addrs []string) error {
	for _, a := range addrs {
		p := netip.MustParsePrefix(a)
		ipn := &net.IPNet{IP: p.Addr().AsSlice(), Mask: net.CIDRMask(p.Bits(), p.Addr().BitLen())}
		if err := h.AddrAdd(link, &netlink.Addr{IPNet: ipn, Flags: unix.IFA_F_NODAD}); err != nil {
			return fmt.Errorf("add %s to %s: %w", a, link.Attrs().Name, err)
		}
	}
	return nil
}

// container is a network namespace behind a veth on a bridge.
type container struct {
	name string
	ns   *os.File
	ip   netip.Addr // its IPv4 address
}

// addContainer creates a namespace whose eth0 is the peer of veth (on the
// bridge) with the addresses, and default routes via the gateways.
func addContainer(t *testing.T, name, bridge, veth string, addrs []string, gateways ...string) *container {
	t.Helper()
	ns := newNS(t)
	la := netlink.NewLinkAttrs()
	la.Name = veth
	v := &netlink.Veth{LinkAttrs: la, PeerName: "eth0", PeerNamespace: netlink.NsFd(int(ns.Fd()))}
	if err := netlink.LinkAdd(v); err != nil {
		t.Fatalf("add veth %s: %v", veth, err)
	}
	// The veth dies with the namespace; deleting it now keeps H's next
	// snapshot clean at once.
	t.Cleanup(func() {
		if l, err := netlink.LinkByName(veth); err == nil {
			netlink.LinkDel(l)
		}
	})
	br, err := netlink.LinkByName(bridge)
	if err != nil {
		t.Fatal(err)
	}
	if err := netlink.LinkSetMaster(v, br); err != nil {
		t.Fatalf("%s master %s: %v", veth, bridge, err)
	}
	// A container reaching its own published port comes back through
	// the port it left by when br_netfilter is loaded (the kernel DNATs
	// on the bridge): the bridge's owner sets hairpin mode, as Docker
	// does without its proxy.
	if err := netlink.LinkSetHairpin(v, true); err != nil {
		t.Fatalf("hairpin on %s: %v", veth, err)
	}
	if err := netlink.LinkSetUp(v); err != nil {
		t.Fatal(err)
	}
	err = nettest.InNetNS(ns, func() error {
		h, err := netlink.NewHandle()
		if err != nil {
			return err
		}
		defer h.Close()
		for _, n := range []string{"lo", "eth0"} {
			l, err := h.LinkByName(n)
			if err != nil {
				return err
			}
			if n == "eth0" {
				if err := setAddrs(h, l, addrs); err != nil {
					return err
				}
			}
			if err := h.LinkSetUp(l); err != nil {
				return fmt.Errorf("set %s up: %w", n, err)
			}
		}
		eth0, err := h.LinkByName("eth0")
		if err != nil {
			return err
		}
		for _, gw := range gateways {
			if err := h.RouteAdd(&netlink.Route{LinkIndex: eth0.Attrs().Index, Gw: net.IP(netip.MustParseAddr(gw).AsSlice())}); err != nil {
				return fmt.Errorf("default route via %s: %w", gw, err)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatalf("container %s: %v", name, err)
	}
	return &container{name: name, ns: ns, ip: netip.MustParsePrefix(addrs[0]).Addr()}
}

// serve answers, in ns, on TCP and UDP port (every address): each TCP
// connection and each datagram gets one line, "name peer". Cleanup stops
// the servers and waits for their goroutines.
func serve(t *testing.T, ns *os.File, name string, port int) {
	t.Helper()
	var ln net.Listener
	var pc net.PacketConn
	err := nettest.InNetNS(ns, func() error {
		var err error
		if ln, err = net.Listen("tcp", fmt.Sprintf(":%d", port)); err != nil {
			return err
		}
		pc, err = net.ListenPacket("udp", fmt.Sprintf(":%d", port))
		return err
	})
	if err != nil {
		t.Fatalf("serve %s: %v", name, err)
	}
	var wg sync.WaitGroup
	t.Cleanup(func() {
		ln.Close()
		pc.Close()
		wg.Wait()
	})
	wg.Go(func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			c.SetDeadline(time.Now().Add(5 * time.Second))
			fmt.Fprintf(c, "%s %s\n", name, c.RemoteAddr())
			c.Close()
		}
	})
	wg.Go(func() { answerPackets(pc, name) })
}

// answerPackets answers each datagram on pc with "name peer" until pc is
// closed.
func answerPackets(pc net.PacketConn, name string) {
	buf := make([]byte, 1500)
	for {
		_, from, err := pc.ReadFrom(buf)
		if errors.Is(err, net.ErrClosed) {
			return
		}
		if err == nil {
			pc.WriteTo(fmt.Appendf(nil, "%s %s\n", name, from), from)
		}
	}
}

// dial connects from ns (nil: H) to addr with nettest's timeout.
func dial(ns *os.File, network, addr string) (net.Conn, error) {
	if ns == nil {
		return net.DialTimeout(network, addr, nettest.DialTimeout)
	}
	return nettest.DialFrom(ns, network, addr)
}

// ask returns the answer line of a serve server (or a nettest echo: its
// first line) at addr, asked over network from ns (nil: H).
func ask(ns *os.File, network, addr string) (string, error) {
	c, err := dial(ns, network, addr)
	if err != nil {
		return "", err
	}
	defer c.Close()
	return askOn(c)
}

// askOn sends "?" on c and returns the first line of the answer. UDP asks
// up to three times: a datagram may be lost while neighbours are resolved.
func askOn(c net.Conn) (string, error) {
	tries := 1
	if _, ok := c.(*net.UDPConn); ok {
		tries = 3
	}
	var err error
	for i := range tries {
		if _, err = c.Write([]byte("?")); err != nil {
			return "", err
		}
		c.SetReadDeadline(time.Now().Add(2 * time.Second))
		var line string
		line, err = bufio.NewReader(c).ReadString('\n')
		if err == nil {
			return strings.TrimSuffix(line, "\n"), nil
		}
		if ne := net.Error(nil); !errors.As(err, &ne) || !ne.Timeout() || i == tries-1 {
			break
		}
	}
	return "", err
}

// silence is how long a check waits to see that nothing comes back from
// a blocked path. A drop has no other sign; every such check is paired with
// a check that the same path works without the table, so a slow machine
// can only make it pass late, never fail.
const silence = time.Second

// blocked reports nil when a TCP connection from ns (nil: H) to addr
// times out, and an error saying what happened otherwise.
func blocked(ns *os.File, addr string) error {
	var c net.Conn
	var err error
	d := net.Dialer{Timeout: silence}
	if ns == nil {
		c, err = d.Dial("tcp", addr)
	} else {
		err = nettest.InNetNS(ns, func() error {
			var err error
			c, err = d.DialContext(context.Background(), "tcp", addr)
			return err
		})
	}
	if err == nil {
		c.Close()
		return fmt.Errorf("connected to %s", addr)
	}
	if ne := net.Error(nil); !errors.As(err, &ne) || !ne.Timeout() {
		return fmt.Errorf("dial %s = %v, want a timeout", addr, err)
	}
	return nil
}

// forgeUDP sends, from ns's eth0, an IPv4 UDP datagram from src to dst in
// an Ethernet frame to mac, through a packet socket: a packet the
// container's own stack would never route (dst is its loopback).
func forgeUDP(ns *os.File, mac net.HardwareAddr, src netip.Addr, dst netip.AddrPort, payload string) error {
	udp := binary.BigEndian.AppendUint16(nil, 40000) // source port
	udp = binary.BigEndian.AppendUint16(udp, dst.Port())
	udp = binary.BigEndian.AppendUint16(udp, uint16(8+len(payload)))
	udp = append(udp, 0, 0) // no checksum: allowed over IPv4
	udp = append(udp, payload...)
	ip := []byte{0x45, 0, 0, 0, 0, 0, 0x40, 0, 64, unix.IPPROTO_UDP, 0, 0}
	binary.BigEndian.PutUint16(ip[2:], uint16(20+len(udp)))
	ip = append(ip, src.AsSlice()...)
	ip = append(ip, dst.Addr().AsSlice()...)
	var sum uint32
	for i := 0; i < len(ip); i += 2 {
		sum += uint32(binary.BigEndian.Uint16(ip[i:]))
	}
	for sum > 0xffff {
		sum = sum&0xffff + sum>>16
	}
	binary.BigEndian.PutUint16(ip[10:], ^uint16(sum))
	return nettest.InNetNS(ns, func() error {
		eth0, err := net.InterfaceByName("eth0")
		if err != nil {
			return err
		}
		proto := int(binary.BigEndian.Uint16(binary.NativeEndian.AppendUint16(nil, unix.ETH_P_IP))) // htons
		fd, err := unix.Socket(unix.AF_PACKET, unix.SOCK_DGRAM|unix.SOCK_CLOEXEC, proto)
		if err != nil {
			return fmt.Errorf("packet socket: %w", err)
		}
		defer unix.Close(fd)
		to := &unix.SockaddrLinklayer{Protocol: uint16(proto), Ifindex: eth0.Index, Halen: 6}
		copy(to.Addr[:], mac)
		return unix.Sendto(fd, append(ip, udp...), 0, to)
	})
}

// readPacket waits, at most silence, for a datagram on pc that is
// payload; nil when one came.
func readPacket(pc net.PacketConn, payload string) error {
	buf := make([]byte, 1500)
	pc.SetReadDeadline(time.Now().Add(silence))
	for {
		n, _, err := pc.ReadFrom(buf)
		if err != nil {
			return err
		}
		if string(buf[:n]) == payload {
			return nil
		}
	}
}

package firewall

import (
	"bufio"
	"fmt"
	"net"
	"net/netip"
	"os"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/go-dock/dock/internal/nettest"
	"github.com/google/nftables"
	"github.com/vishvananda/netlink"
)

// upNS returns a new namespace with lo up: a container without a network
// of its own, enough for 127.0.0.11.
func upNS(t *testing.T) *os.File {
	t.Helper()
	ns := newNS(t)
	err := nettest.InNetNS(ns, func() error {
		lo, err := netlink.LinkByName("lo")
		if err != nil {
			return err
		}
		return netlink.LinkSetUp(lo)
	})
	if err != nil {
		t.Fatalf("lo up: %v", err)
	}
	return ns
}

// nftTables lists the tables of the namespace at ns as "family name".
func nftTables(t *testing.T, ns *os.File) []string {
	t.Helper()
	c, err := nftables.New(nftables.WithNetNSFd(int(ns.Fd())))
	if err != nil {
		t.Fatal(err)
	}
	tables, err := c.ListTables()
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, tab := range tables {
		rules := 0
		chains, err := c.ListChainsOfTableFamily(tab.Family)
		if err != nil {
			t.Fatal(err)
		}
		for _, ch := range chains {
			if ch.Table.Name == tab.Name {
				r, err := c.GetRules(tab, ch)
				if err != nil {
					t.Fatal(err)
				}
				rules += len(r)
			}
		}
		out = append(out, fmt.Sprintf("family=%d %s rules=%d", tab.Family, tab.Name, rules))
	}
	slices.Sort(out)
	return out
}

// TestContainerDNS: a name server bound to random ports on 127.0.0.11 in a
// container answers at 127.0.0.11:53, over UDP (from :53, as a resolver
// checks) and TCP, and the container can still bind :53 itself.
func TestContainerDNS(t *testing.T) {
	ns := upNS(t)
	var pc net.PacketConn
	var ln net.Listener
	err := nettest.InNetNS(ns, func() error {
		var err error
		if pc, err = net.ListenPacket("udp4", "127.0.0.11:0"); err != nil {
			return err
		}
		ln, err = net.Listen("tcp4", "127.0.0.11:0")
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	defer wg.Wait()
	defer pc.Close()
	defer ln.Close()
	wg.Go(func() { answerPackets(pc, "dns") })
	wg.Go(func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			fmt.Fprintf(c, "dns %s\n", c.RemoteAddr())
			c.Close()
		}
	})
	udpPort := uint16(pc.LocalAddr().(*net.UDPAddr).Port)
	tcpPort := uint16(ln.Addr().(*net.TCPAddr).Port)

	// Twice: replacing the table is idempotent.
	for range 2 {
		if err := ContainerDNS(int(ns.Fd()), udpPort, tcpPort); err != nil {
			t.Fatalf("ContainerDNS = %v", err)
		}
	}
	if got, want := nftTables(t, ns), []string{"family=2 dock-dns rules=4"}; !slices.Equal(got, want) {
		t.Errorf("tables in the container = %q, want %q", got, want)
	}
	if got := readTable(t, nil); got != nil {
		t.Errorf("ContainerDNS wrote H's inet dock: %q", got)
	}

	// UDP, unconnected, to see where the answer comes from.
	err = nettest.InNetNS(ns, func() error {
		c, err := net.ListenPacket("udp4", "127.0.0.1:0")
		if err != nil {
			return err
		}
		defer c.Close()
		buf := make([]byte, 512)
		for try := 0; ; try++ {
			if _, err := c.WriteTo([]byte("?"), net.UDPAddrFromAddrPort(DNSAddr)); err != nil {
				return err
			}
			c.SetReadDeadline(time.Now().Add(2 * time.Second))
			n, from, err := c.ReadFrom(buf)
			if err != nil {
				if try < 2 {
					continue
				}
				return fmt.Errorf("no answer at %v: %w", DNSAddr, err)
			}
			if got := from.(*net.UDPAddr).AddrPort(); got != netip.AddrPortFrom(DNSAddr.Addr(), DNSAddr.Port()) {
				return fmt.Errorf("answer from %v, want %v", got, DNSAddr)
			}
			if !strings.HasPrefix(string(buf[:n]), "dns ") {
				return fmt.Errorf("answer %q, want the server's", buf[:n])
			}
			return nil
		}
	})
	if err != nil {
		t.Errorf("UDP: %v", err)
	}

	c, err := nettest.DialFrom(ns, "tcp4", DNSAddr.String())
	if err != nil {
		t.Fatalf("TCP: %v", err)
	}
	c.SetDeadline(time.Now().Add(5 * time.Second))
	line, err := bufio.NewReader(c).ReadString('\n')
	c.Close()
	if !strings.HasPrefix(line, "dns ") {
		t.Errorf("TCP %v answers %q, %v; want the server's", DNSAddr, line, err)
	}

	// The container's own :53, on every address.
	err = nettest.InNetNS(ns, func() error {
		u, err := net.ListenPacket("udp4", ":53")
		if err != nil {
			return err
		}
		u.Close()
		l, err := net.Listen("tcp4", ":53")
		if err != nil {
			return err
		}
		return l.Close()
	})
	if err != nil {
		t.Errorf("the container binds :53: %v", err)
	}

	if err := ContainerDNS(int(ns.Fd()), 0, tcpPort); err == nil {
		t.Errorf("ContainerDNS with UDP port 0 = nil, want an error")
	}
	if err := ContainerDNS(0, udpPort, tcpPort); err == nil {
		t.Errorf("ContainerDNS(fd 0) = nil, want an error")
	}
}

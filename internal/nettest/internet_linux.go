package nettest

import (
	"errors"
	"fmt"
	"net"
	"os"
	"testing"
	"time"

	"github.com/vishvananda/netlink"
	"golang.org/x/sys/unix"
)

// Net is the "internet" I that Internet builds: a network namespace joined
// to H by the veth HostLink <-> InternetLink, with servers on InternetIP.
// Its fields are read-only; it is safe for use by several goroutines.
type Net struct {
	// NS is a handle to I's network namespace, for InNetNS and DialFrom.
	// Internet's cleanup closes it.
	NS *os.File

	nsIno   uint64
	servers *servers
}

// Internet builds I for the test and tears it down at t.Cleanup: the
// namespace, the veth (HostLink HostIP/24 in H with a default route via
// InternetIP; InternetLink InternetIP/24 in I, with no default route) and
// the servers in I, on every address:
//
//   - TCP echo on EchoPort: first a line with the peer address it sees
//     ("203.0.113.2:40000\n"), then every byte it reads, back;
//   - UDP echo on EchoPort: each datagram back, after the same line;
//   - HTTP on HTTPPort: HTTPBody for every request;
//   - DNS over UDP on DNSPort: A *.example.test is ExampleIPv4, AAAA is
//     ExampleIPv6, other types there have no answers, other names NXDOMAIN.
//
// The test must run in H (see Require). One I at a time per H: the link
// names are fixed, so tests that call Internet cannot be parallel.
func Internet(t testing.TB) *Net {
	t.Helper()
	Require(t)
	ns, err := newNetNS()
	if err != nil {
		t.Fatalf("Internet: %v", err)
	}
	n := &Net{NS: ns}
	t.Cleanup(func() {
		if err := n.close(); err != nil {
			t.Errorf("Internet: cleanup: %v", err)
		}
	})
	if n.nsIno, err = fileInode(ns); err != nil {
		t.Fatalf("Internet: %v", err)
	}
	if err := n.wire(); err != nil {
		t.Fatalf("Internet: %v", err)
	}
	if n.servers, err = startServers(n); err != nil {
		t.Fatalf("Internet: %v", err)
	}
	return n
}

// wire creates the veth and configures both ends.
func (n *Net) wire() error {
	la := netlink.NewLinkAttrs()
	la.Name = HostLink
	veth := &netlink.Veth{LinkAttrs: la, PeerName: InternetLink, PeerNamespace: netlink.NsFd(int(n.NS.Fd()))}
	if err := netlink.LinkAdd(veth); err != nil {
		return fmt.Errorf("add veth %s: %w", HostLink, err)
	}
	if err := configure(nil, HostLink, HostIP.String(), true); err != nil {
		return err
	}
	// A handle opened in I through InNetNS, not netlink.NewHandleAt, whose
	// thread handling is not ours to vouch for.
	err := InNetNS(n.NS, func() error {
		h, err := netlink.NewHandle()
		if err != nil {
			return err
		}
		defer h.Close()
		lo, err := h.LinkByName("lo")
		if err != nil {
			return err
		}
		if err := h.LinkSetUp(lo); err != nil {
			return fmt.Errorf("set lo up in the internet: %w", err)
		}
		return configure(h, InternetLink, InternetIP.String(), false)
	})
	if err != nil {
		return err
	}
	// The link-local address (and its routes) comes when the link's
	// carrier does, a moment after both ends are up: wait for it, so that
	// a snapshot taken now stays true.
	return waitLinkLocal(HostLink)
}

// waitLinkLocal waits, a bounded while, until the link name has its IPv6
// link-local address.
func waitLinkLocal(name string) error {
	link, err := netlink.LinkByName(name)
	if err != nil {
		return err
	}
	for range 500 {
		addrs, err := netlink.AddrList(link, netlink.FAMILY_V6)
		if err != nil {
			return err
		}
		for _, a := range addrs {
			if a.IP.IsLinkLocalUnicast() && a.Flags&unix.IFA_F_TENTATIVE == 0 {
				return nil
			}
		}
		time.Sleep(10 * time.Millisecond)
	}
	return fmt.Errorf("%s has no IPv6 link-local address after 5 s", name)
}

// configure gives the link name the address ip/PrefixLen and sets it up; with
// gateway, H also gets its default route via InternetIP. A nil h is the
// calling thread's namespace.
func configure(h *netlink.Handle, name, ip string, gateway bool) error {
	if h == nil {
		h = &netlink.Handle{}
	}
	link, err := h.LinkByName(name)
	if err != nil {
		return fmt.Errorf("find %s: %w", name, err)
	}
	// No duplicate address detection: the link-local address (and its
	// route) is there at once, not a moment after a snapshot.
	if err := os.WriteFile("/proc/sys/net/ipv6/conf/"+name+"/accept_dad", []byte("0"), 0o644); err != nil {
		return fmt.Errorf("accept_dad on %s: %w", name, err)
	}
	addr, err := netlink.ParseAddr(fmt.Sprintf("%s/%d", ip, PrefixLen))
	if err != nil {
		return err
	}
	if err := h.AddrAdd(link, addr); err != nil {
		return fmt.Errorf("add %s to %s: %w", addr, name, err)
	}
	if err := h.LinkSetUp(link); err != nil {
		return fmt.Errorf("set %s up: %w", name, err)
	}
	if gateway {
		r := &netlink.Route{LinkIndex: link.Attrs().Index, Gw: net.IP(InternetIP.AsSlice())}
		if err := h.RouteAdd(r); err != nil {
			return fmt.Errorf("add default route via %s: %w", InternetIP, err)
		}
	}
	return nil
}

// close stops the servers, removes the veth (its peer, addresses and routes
// go with it) and drops the handle; I disappears with its last socket.
func (n *Net) close() error {
	var errs []error
	if n.servers != nil {
		errs = append(errs, n.servers.close(10*time.Second))
	}
	if link, err := netlink.LinkByName(HostLink); err == nil {
		errs = append(errs, netlink.LinkDel(link))
	} else if !errors.As(err, new(netlink.LinkNotFoundError)) {
		errs = append(errs, err)
	}
	errs = append(errs, n.NS.Close())
	return errors.Join(errs...)
}

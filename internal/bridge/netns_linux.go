package bridge

import (
	"errors"
	"fmt"
	"net"
	"net/netip"
	"os"
	"runtime"
	"strconv"

	"github.com/vishvananda/netlink"
	"golang.org/x/sys/unix"
)

// Namespace is a new network namespace, with a netlink handle in it.
type Namespace struct {
	// File holds the namespace: it lives while File, a socket in it or
	// a process in it does.
	File *os.File
	h    *netlink.Handle
}

// Close drops the handle and the namespace's file; the namespace goes
// once nothing else holds it, and the veths in it with it.
func (ns *Namespace) Close() error {
	ns.h.Close()
	return ns.File.Close()
}

// Link is a container's link to a bridge.
type Link struct {
	Bridge string // the bridge the host's end joins
	Host   string // the host's end's name
	Name   string // the container's end's name, eth0 for the first
	MAC    net.HardwareAddr
	// Addrs are the container's addresses with the subnets' lengths,
	// and Gateways the default routes (at most one per family; none
	// on an internal network, whose gateways only route to the host).
	Addrs    []netip.Prefix
	Gateways []netip.Addr
	// Hairpin lets the bridge send frames back out of the port they
	// came in on: a container reaching its own published port.
	Hairpin bool
}

// Attach makes the veth pair of l (AddPair), the container's end in ns,
// and configures that end from here (a running container's: its init no
// longer takes operations).
func (ns *Namespace) Attach(l Link) error {
	if err := AddPair(l, int(ns.File.Fd())); err != nil {
		return err
	}
	link, err := ns.h.LinkByName(l.Name)
	if err != nil {
		DeleteLink(l.Host)
		return fmt.Errorf("find %s in the container: %w", l.Name, err)
	}
	return ns.configure(l, link.Attrs().Index)
}

// configure gives the container's end (its index) its addresses and
// routes.
func (ns *Namespace) configure(l Link, index int) error {
	attrs := netlink.NewLinkAttrs()
	attrs.Index, attrs.Name = index, l.Name
	link := &netlink.Device{LinkAttrs: attrs}
	for _, a := range l.Addrs {
		addr := &netlink.Addr{IPNet: ipNet(a)}
		if a.Addr().Is6() {
			addr.Flags = unix.IFA_F_NODAD
		}
		if err := ns.h.AddrAdd(link, addr); err != nil {
			return fmt.Errorf("add %s to %s: %w", a, l.Name, err)
		}
	}
	if err := ns.h.LinkSetUp(link); err != nil {
		return fmt.Errorf("set %s up: %w", l.Name, err)
	}
	for _, gw := range l.Gateways {
		r := &netlink.Route{LinkIndex: index, Gw: net.IP(gw.AsSlice())}
		if err := ns.h.RouteAdd(r); err != nil {
			return fmt.Errorf("add default route via %s: %w", gw, err)
		}
	}
	return nil
}

// Detach removes the container's end named name from ns (docker network
// disconnect); its host end goes with it.
func (ns *Namespace) Detach(name string) error {
	link, err := ns.h.LinkByName(name)
	if err != nil {
		return fmt.Errorf("find %s in the container: %w", name, err)
	}
	return ns.h.LinkDel(link)
}

// OpenNamespace opens the network namespace at path (/proc/PID/ns/net
// of a container's init) to attach or detach links. fresh says that it
// was just made and has no link but lo (an init that waits for its plan).
func OpenNamespace(path string, fresh bool) (*Namespace, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("open network namespace: %w", err)
	}
	h, err := netlink.NewHandleAt(netnsHandle(f))
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("netlink in %s: %w", path, err)
	}
	if fresh {
		// lo (index 1 in a new namespace) up now: the name server's
		// sockets are bound to 127.0.0.11 before the init runs.
		attrs := netlink.NewLinkAttrs()
		attrs.Index, attrs.Name = 1, "lo"
		if err := h.LinkSetUp(&netlink.Device{LinkAttrs: attrs}); err != nil {
			h.Close()
			f.Close()
			return nil, fmt.Errorf("set lo up: %w", err)
		}
	}
	return &Namespace{File: f, h: h}, nil
}

// Do runs fn on a thread in the namespace: sockets fn opens belong to
// it. The thread goes back to the caller's namespace afterwards, or,
// when it cannot, dies with fn's goroutine (it stays locked).
func (ns *Namespace) Do(fn func() error) error {
	errc := make(chan error, 1)
	go func() {
		runtime.LockOSThread()
		home, err := os.Open(fmt.Sprintf("/proc/self/task/%d/ns/net", unix.Gettid()))
		if err != nil {
			runtime.UnlockOSThread()
			errc <- err
			return
		}
		defer home.Close()
		if err := unix.Setns(int(ns.File.Fd()), unix.CLONE_NEWNET); err != nil {
			runtime.UnlockOSThread()
			errc <- fmt.Errorf("enter the container's network namespace: %w", err)
			return
		}
		ferr := fn()
		if err := unix.Setns(int(home.Fd()), unix.CLONE_NEWNET); err != nil {
			errc <- errors.Join(ferr, err) // locked: the thread dies
			return
		}
		runtime.UnlockOSThread()
		errc <- ferr
	}()
	return <-errc
}

// FreeName is the first of prefix0, prefix1... that no link in the
// namespace has.
func (ns *Namespace) FreeName(prefix string) (string, error) {
	links, err := ns.h.LinkList()
	if err != nil {
		return "", err
	}
	taken := map[string]bool{}
	for _, l := range links {
		taken[l.Attrs().Name] = true
	}
	for i := 0; ; i++ {
		if name := prefix + strconv.Itoa(i); !taken[name] {
			return name, nil
		}
	}
}

// Package portres holds the host ports of published container ports, the
// way Docker 29 does (research/networking.md §2): for every host address
// and port it binds a socket, and for TCP listens on it, with a classic BPF
// filter attached that drops every packet. The port is then taken, shows
// as LISTEN in /proc/net/tcp, and accepts nothing: the real traffic is
// sent to the container by the DNAT rules. The sockets are held for as long
// as the container runs (by the process that runs it) and closed when it
// ends, which frees the ports.
package portres

import (
	"errors"
	"fmt"
	"net/netip"
	"os"
)

// ErrPortAllocated means that a host port is held by another socket (of
// another container, of a program on the host): the error of Reserve then
// wraps it, in Docker's words ("Bind for 0.0.0.0:8080 failed: port is
// already allocated").
var ErrPortAllocated = errors.New("port is already allocated")

// Mapping is the host side of a published port.
type Mapping struct {
	// Proto is "tcp" or "udp".
	Proto string
	// HostIP is the address to bind. The zero value binds the wildcard
	// 0.0.0.0 and, when IPv6 is set, [::] too (IPV6_V6ONLY) on the same
	// port. 0.0.0.0 or :: given explicitly binds that family only.
	HostIP netip.Addr
	// HostPort is the port to bind; 0 for an ephemeral port chosen by the
	// kernel, which honours net.ipv4.ip_local_port_range and
	// ip_local_reserved_ports.
	HostPort uint16
	// HostPortEnd, when above HostPort, makes HostPort-HostPortEnd a range
	// of which the first port free on every address is taken. 0 otherwise.
	HostPortEnd uint16
	// IPv6 asks for [::] besides 0.0.0.0 when HostIP is zero; it is
	// ignored otherwise.
	IPv6 bool
}

// Reserve binds the host address and port of every mapping, in order: a
// TCP socket is bound and listens, a UDP socket is bound, both with a
// drop-all socket filter, so that the ports are taken but nothing reaches
// (or is answered by) the sockets. A zero HostIP binds 0.0.0.0, then [::]
// when IPv6 is set, both on the same port.
//
// It returns the sockets, as close-on-exec *os.File in blocking mode to
// hand to another process (os/exec's ExtraFiles) and to close when the
// container ends, in the order of the mappings and of their addresses;
// and the mappings with HostPort set to the port taken and HostPortEnd 0.
//
// A port that another socket holds fails the whole call with an error
// wrapping ErrPortAllocated, in Docker's text: "Bind for 0.0.0.0:8080
// failed: port is already allocated" for a port, "Bind for
// 0.0.0.0:8000-8010 failed: all ports are allocated" for a range, and the
// same for the ephemeral range. On any error every socket opened is closed
// again: nothing is left bound.
//
// Reserve is safe to call from several goroutines; the kernel arbitrates.
func Reserve(ms []Mapping) ([]*os.File, []Mapping, error) {
	for _, m := range ms {
		if err := m.check(); err != nil {
			return nil, nil, err
		}
	}
	return reserve(ms)
}

// check refuses a mapping that Reserve cannot bind.
func (m Mapping) check() error {
	switch {
	case m.Proto != "tcp" && m.Proto != "udp":
		return fmt.Errorf("reserve host port %s: protocol %q not supported", m, m.Proto)
	case m.HostIP.Zone() != "":
		return fmt.Errorf("reserve host port %s: an address with a zone is not supported", m)
	case m.HostPortEnd != 0 && (m.HostPort == 0 || m.HostPortEnd < m.HostPort):
		return fmt.Errorf("reserve host port %s: invalid port range: %d-%d", m, m.HostPort, m.HostPortEnd)
	}
	return nil
}

// String is the mapping as the errors show it: "0.0.0.0:8080/tcp",
// "[::1]:8000-8010/udp".
func (m Mapping) String() string {
	ports := fmt.Sprint(m.HostPort)
	if m.HostPortEnd > m.HostPort {
		ports = fmt.Sprintf("%d-%d", m.HostPort, m.HostPortEnd)
	}
	host := m.addrs()[0].String()
	if m.addrs()[0].Is6() {
		host = "[" + host + "]"
	}
	return host + ":" + ports + "/" + m.Proto
}

// addrs returns the addresses to bind, IPv4 first.
func (m Mapping) addrs() []netip.Addr {
	switch {
	case m.HostIP.IsValid():
		return []netip.Addr{m.HostIP.Unmap()}
	case m.IPv6:
		return []netip.Addr{netip.IPv4Unspecified(), netip.IPv6Unspecified()}
	}
	return []netip.Addr{netip.IPv4Unspecified()}
}

// allocatedError is a port (or every port of a range) held by another
// socket. Its text is Docker's, which users grep for; the address is
// written as Docker writes it, without brackets (":::8080").
type allocatedError struct{ msg string }

func (e *allocatedError) Error() string { return e.msg }
func (e *allocatedError) Unwrap() error { return ErrPortAllocated }

// portAllocated is the error of one port in use on addr.
func portAllocated(addr netip.Addr, port uint16) error {
	return &allocatedError{fmt.Sprintf("Bind for %s:%d failed: port is already allocated", addr, port)}
}

// rangeAllocated is the error of a range of which no port is free.
func rangeAllocated(addr netip.Addr, start, end uint16) error {
	return &allocatedError{fmt.Sprintf("Bind for %s:%d-%d failed: all ports are allocated", addr, start, end)}
}

// ephemeralAllocated is the error of an ephemeral port that the kernel
// could not find; span is the ephemeral range, "" if unknown.
func ephemeralAllocated(addr netip.Addr, span string) error {
	msg := fmt.Sprintf("Bind for %s failed: all ports are allocated", addr)
	if span != "" {
		msg += " (the ephemeral range, net.ipv4.ip_local_port_range, is " + span + ")"
	}
	return &allocatedError{msg}
}

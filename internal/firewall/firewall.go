package firewall

import (
	"fmt"
	"net/netip"
)

// Apply replaces the table inet dock of the calling thread's network
// namespace with the one rs describes, in one netlink transaction, and
// deletes it when rs is empty (nil included). A Ruleset that the table
// cannot express (see Network and Port) is refused before anything is
// sent; the kernel applies the transaction whole or not at all, so on error
// the old table, if any, is as it was. Needs CAP_NET_ADMIN and Linux 5.6
// or later (inet NAT, concatenated interval sets).
func Apply(rs *Ruleset) error {
	return apply(0, rs)
}

// ApplyIn is Apply in the network namespace open at nsfd (a file
// descriptor of /proc/PID/ns/net or of a bind mount of it), which must be
// positive. The calling thread's namespace does not change.
func ApplyIn(nsfd int, rs *Ruleset) error {
	if err := checkFd(nsfd); err != nil {
		return err
	}
	return apply(nsfd, rs)
}

func apply(nsfd int, rs *Ruleset) error {
	var p plan
	if !rs.empty() {
		var err error
		if p, err = planFor(rs); err != nil {
			return err
		}
	}
	return applyImpl(nsfd, p)
}

// DNSAddr is the address of the embedded name server in a container:
// Docker's 127.0.0.11, port 53.
var DNSAddr = netip.AddrPortFrom(netip.AddrFrom4([4]byte{127, 0, 0, 11}), 53)

// ContainerDNS replaces, in the network namespace open at nsfd (a
// container's), the table ip dock-dns with one that sends DNSAddr over UDP
// to 127.0.0.11:udpPort and over TCP to 127.0.0.11:tcpPort, and gives
// answers from those ports the source port 53 again. This is Docker's
// embedded DNS addressing: the server's sockets in the container are bound
// to random ports, so the container's own programs can still bind :53.
// Both ports are required. The namespace's other tables are untouched.
func ContainerDNS(nsfd int, udpPort, tcpPort uint16) error {
	if err := checkFd(nsfd); err != nil {
		return err
	}
	if udpPort == 0 || tcpPort == 0 {
		return fmt.Errorf("firewall: container DNS ports %d/udp, %d/tcp: want both", udpPort, tcpPort)
	}
	return containerDNSImpl(nsfd, udpPort, tcpPort)
}

// ForgetUDP deletes, in the calling thread's network namespace, the
// conntrack entries of the published UDP ports among ports (others are
// ignored): those whose original destination is the port's host port, and
// its host address when it names one. Without this a client that kept
// sending across a container's restart would still reach the old
// container address, as the entry outlives the map element (moby#8795).
// Call it after Apply published the new address. The host port is the
// key, not the container's (moby#53384).
func ForgetUDP(ports []Port) error {
	return forgetUDPImpl(ports)
}

// checkFd refuses what cannot be a namespace descriptor. 0 could (stdin),
// but google/nftables reads it as "the current namespace".
func checkFd(nsfd int) error {
	if nsfd <= 0 {
		return fmt.Errorf("firewall: network namespace fd %d: want a positive fd", nsfd)
	}
	return nil
}

package firewall

import (
	"github.com/google/nftables"
	"github.com/google/nftables/binaryutil"
	"github.com/google/nftables/expr"
	"golang.org/x/sys/unix"
)

// dnsTable is the table ContainerDNS writes, in the ip family.
const dnsTable = "dock-dns"

// containerDNSImpl replaces ip dock-dns in the namespace at nsfd.
func containerDNSImpl(nsfd int, udpPort, tcpPort uint16) error {
	return replace("ip "+dnsTable, func(c *nftables.Conn) error {
		addDNSTable(c, udpPort, tcpPort)
		return nil
	}, nsOption(nsfd)...)
}

// addDNSTable queues the replacement of ip dock-dns:
//
//	chain output { type nat hook output priority -100;
//		ip daddr 127.0.0.11 udp dport 53 dnat to 127.0.0.11:udpPort
//		ip daddr 127.0.0.11 tcp dport 53 dnat to 127.0.0.11:tcpPort }
//	chain postrouting { type nat hook postrouting priority 100;
//		ip saddr 127.0.0.11 udp sport udpPort snat to 127.0.0.11:53
//		ip saddr 127.0.0.11 tcp sport tcpPort snat to 127.0.0.11:53 }
//
// Conntrack already restores the source of replies to a DNATed query; the
// SNAT rules cover packets that conntrack does not tie to a query (after
// its entry expired), as Docker's rules do.
func addDNSTable(c *nftables.Conn, udpPort, tcpPort uint16) {
	t := &nftables.Table{Family: nftables.TableFamilyIPv4, Name: dnsTable}
	c.AddTable(t)
	c.DelTable(t)
	c.AddTable(t)
	out := c.AddChain(&nftables.Chain{Name: "output", Table: t, Type: nftables.ChainTypeNAT,
		Hooknum: nftables.ChainHookOutput, Priority: nftables.ChainPriorityNATDest})
	post := c.AddChain(&nftables.Chain{Name: "postrouting", Table: t, Type: nftables.ChainTypeNAT,
		Hooknum: nftables.ChainHookPostrouting, Priority: nftables.ChainPriorityNATSource})
	ip := DNSAddr.Addr().AsSlice()
	for _, x := range []struct {
		proto byte
		port  uint16
	}{{unix.IPPROTO_UDP, udpPort}, {unix.IPPROTO_TCP, tcpPort}} {
		// In the ip family: saddr and daddr at offsets 12 and 16 of the IP
		// header, sport and dport at 0 and 2 of the transport header.
		nat := func(typ expr.NATType, addrOff, portOff uint32, port, to uint16) []expr.Any {
			return []expr.Any{
				network(addrOff, 4, reg1), eq(reg1, ip),
				meta(expr.MetaKeyL4PROTO, reg1), eq(reg1, []byte{x.proto}),
				transport(portOff, 2, reg1), eq(reg1, binaryutil.BigEndian.PutUint16(port)),
				&expr.Immediate{Register: reg1, Data: ip},
				&expr.Immediate{Register: reg1 + 1, Data: binaryutil.BigEndian.PutUint16(to)},
				&expr.NAT{Type: typ, Family: unix.NFPROTO_IPV4, RegAddrMin: reg1, RegProtoMin: reg1 + 1, Specified: true},
			}
		}
		c.AddRule(&nftables.Rule{Table: t, Chain: out, Exprs: nat(expr.NATTypeDestNAT, 16, 2, DNSAddr.Port(), x.port)})
		c.AddRule(&nftables.Rule{Table: t, Chain: post, Exprs: nat(expr.NATTypeSourceNAT, 12, 0, x.port, DNSAddr.Port())})
	}
}

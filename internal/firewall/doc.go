// Package firewall writes dock's nftables table, inet dock, over netlink
// (github.com/google/nftables; never the nft or iptables programs).
//
// The table is a pure function of a Ruleset: the bridge networks and the
// published ports that exist now. Every Apply replaces the whole table in one
// netlink transaction (one batch: create the table if missing, delete it,
// create it again with its content), so the kernel never holds half of a
// change, and a table damaged or flushed by someone else is rebuilt whole by
// the next Apply. An empty Ruleset deletes the table. No other table is ever
// read or written.
//
//	err := firewall.Apply(&firewall.Ruleset{
//		Networks: []firewall.Network{{
//			Bridge:  "dock0",
//			Subnets: []netip.Prefix{netip.MustParsePrefix("172.17.0.0/16")},
//		}},
//		Ports: []firewall.Port{{
//			Proto: "tcp", HostPort: 8080,
//			Addr: netip.MustParseAddr("172.17.0.2"), Port: 80,
//		}},
//	})
//
// What the table does (Docker's semantics with userland-proxy=false):
//
//   - Published ports are DNATed in nat prerouting and nat output for
//     packets to a local address (fib daddr type local), through maps keyed
//     by [daddr .] l4proto . dport: a range of ports is that many map
//     elements, not rules.
//   - The host reaches ports published on 127.0.0.1 (or on every address)
//     at 127.0.0.1:PORT. This needs route_localnet=1 on the bridge, which
//     the bridge's owner sets; the table masquerades 127.0.0.0/8 sources
//     leaving through a dock bridge, and drops, in raw prerouting, packets
//     to 127.0.0.0/8 that arrive on any interface but lo (the remote
//     loopback attack of CVE-2020-8558, which route_localnet opens).
//   - Traffic from a non-internal network's subnets that leaves through
//     any interface other than its bridge is masqueraded, IPv4 and IPv6;
//     so is DNATed traffic from a network's subnet that leaves through its
//     bridge (hairpin: a container reaching a published port through a
//     host address). When br_netfilter is loaded, a container reaching its
//     own published port also needs hairpin mode on its bridge port (the
//     bridge's owner sets it, as Docker does without its proxy).
//   - Forwarding between two dock bridges is dropped (a published port of
//     another network's container included, as in Docker without its
//     proxy), and so is anything forwarded into or out of an internal
//     network's bridge.
//
// The table needs Linux 5.6 or later (NAT in the inet family, sets of
// concatenations with intervals).
//
// Container DNS (ContainerDNS) uses a second, small table ip dock-dns inside
// a container's network namespace. ForgetUDP drops stale conntrack entries
// of published UDP ports.
//
// The functions are safe for concurrent use, but two Applies race for the
// last word: callers serialize them (dock holds its network lock) and pass
// the complete state each time.
package firewall

// Package dnsserver is the name server that containers on user-defined
// networks see at 127.0.0.11, as Docker's embedded DNS: it answers A, AAAA
// and PTR questions about the containers an asker can see, and forwards
// every other question to that asker's upstream servers.
//
// The engine opens, inside a container's network namespace, a UDP socket
// and a TCP listener on 127.0.0.11 with port 0 (a DNAT rule there maps :53
// to them), and hands both to one Server, naming the container that asks:
//
//	srv := &dnsserver.Server{Names: names} // names: the engine's runtime state
//	go srv.ServeUDP(udp, containerID)
//	go srv.ServeTCP(tcp, containerID)
//	...
//	udp.Close() // ServeUDP returns nil once its forwards are cancelled
//	tcp.Close() // ServeTCP closes its connections and returns nil
//
// One Server serves any number of containers; its Names decide, per asker,
// which names exist and where the others go.
//
// # Local answers
//
// A question of class IN about a name that Names.Lookup knows is answered
// here, with a TTL of 600 seconds as Docker does: A with the IPv4
// addresses, AAAA with the IPv6 ones, ANY with both, and every other type
// (or an address family the name lacks) with NOERROR and no answers: the
// name exists, so NXDOMAIN would be a lie that resolvers cache for the
// other family too. A PTR question about a full in-addr.arpa or ip6.arpa
// name is answered from Names.Reverse. Names match without regard to ASCII
// case; the question is echoed as it came (resolvers that randomize case
// check it). A UDP answer larger than the asker allows (512 bytes, or its
// EDNS payload size) is replaced by an empty one with the TC bit, so that
// the asker retries over TCP.
//
// # Forwarding
//
// Every other well-formed query is forwarded as it came, byte for byte but
// for a fresh random ID, to the asker's Names.Upstreams in order: each try
// waits at most Server.Timeout (1.5 s by default, below the 5 s a stub
// resolver waits, so that trying the next server still helps). A server
// that answers SERVFAIL or REFUSED is passed over too. Replies must come
// from the server asked, carry the ID sent and repeat the question;
// anything else is ignored. The reply goes back with the asker's ID. UDP
// queries go upstream over UDP; a TCP query goes over UDP first and, if
// that reply is truncated, again over TCP. When nothing answers the asker
// gets SERVFAIL; when the asker has no upstreams (an internal network), it
// gets REFUSED, as Docker answers. At most Server.MaxForwards forwards run
// at once (1024 by default, for all askers together); beyond that, queries
// get SERVFAIL at once.
//
// Upstream sockets are opened by the Server's own goroutines, so they live
// in the network namespace of the process's threads (the host's), not in
// the container's, though the serving sockets do. That is a choice: a
// resolver on the host's loopback (systemd-resolved's 127.0.0.53) works for
// every container, the host's routes and firewall apply to forwarded
// queries, and the Server needs no thread per container namespace. A
// --dns server that only the container's own network can reach is not
// reachable; Docker dials from the container except for host loopback
// servers.
//
// # Hostile input
//
// Askers are untrusted. Datagrams shorter than a DNS header and messages
// that are responses are dropped; a query whose opcode is not QUERY gets
// NOTIMP; one with other than exactly one question, or that does not parse
// (compression loops included), gets FORMERR. A TCP connection ends on a
// bad length prefix, and after Server.IdleTimeout without a whole query.
// Every goroutine a Serve call starts ends before it returns.
package dnsserver

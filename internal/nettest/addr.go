package nettest

import "net/netip"

// The fixed addresses of the harness. All are documentation addresses
// (RFC 5737 for IPv4, RFC 3849 for IPv6) that no real network routes.
var (
	// InternetIP is I's address on its link "wan": the servers, DNS
	// included, and H's default gateway.
	InternetIP = netip.MustParseAddr("203.0.113.1")
	// HostIP is H's address on its uplink "wan0"; masqueraded traffic
	// reaches I from it.
	HostIP = netip.MustParseAddr("203.0.113.2")
	// ExampleIPv4 is the A answer of the DNS server for *.example.test.
	ExampleIPv4 = netip.MustParseAddr("198.51.100.7")
	// ExampleIPv6 is the AAAA answer of the DNS server for *.example.test.
	ExampleIPv6 = netip.MustParseAddr("2001:db8::7")
)

// The links and ports of the harness.
const (
	HostLink     = "wan0" // H's end of the veth
	InternetLink = "wan"  // I's end of the veth
	PrefixLen    = 24     // of 203.0.113.0/24, the only network I knows

	EchoPort = 7  // TCP and UDP echo
	HTTPPort = 80 // HTTP: "hello from the internet\n"
	DNSPort  = 53 // DNS over UDP

	// HTTPBody is what the HTTP server answers for every request.
	HTTPBody = "hello from the internet\n"
	// ResolvConf is the content of /etc/resolv.conf in H.
	ResolvConf = "nameserver 203.0.113.1\noptions timeout:1 attempts:2\n"
)

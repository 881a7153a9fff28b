// Package nettest is the networking test harness: it runs a package's tests
// in a private "host" network namespace wired to a fake "internet", so that
// bridge, NAT, port and DNS tests never touch the machine's real network.
//
// A test package opts in from its TestMain:
//
//	func TestMain(m *testing.M) { nettest.Main(m) }
//
// Main re-executes the test binary in a new network and mount namespace
// (the "host", H): / is made rprivate, lo is up, /run is a private tmpfs and
// /etc/resolv.conf names the internet's DNS server (203.0.113.1). A test then
// builds the internet (I) and talks to it:
//
//	func TestNAT(t *testing.T) {
//		inet := nettest.Internet(t) // veth wan0 203.0.113.2 <-> wan 203.0.113.1
//		c, err := net.DialTimeout("tcp", "203.0.113.1:7", 5*time.Second)
//		// the echo's first line is the source address it saw: 203.0.113.2:port
//		...
//		c2, err := nettest.DialFrom(inet.NS, "tcp", "203.0.113.2:8080") // from I
//	}
//
// I has no default route, so nothing routed in H or I can leave the
// machine: H's only link besides lo is the veth to I, and I only knows
// 203.0.113.0/24. Addresses are from the documentation ranges (RFC 5737,
// RFC 3849).
//
// Every helper first calls Require, which proves that the calling thread is
// not in the real network namespace (see Require). Without root the tests
// skip; with CI=true they fail instead.
//
// On systems other than Linux, Main runs the tests unchanged and every helper
// skips (or fails in CI).
package nettest

package nettest

import (
	"fmt"
	"net"
	"net/netip"
	"os"
	"time"
)

// DialTimeout bounds DialFrom.
const DialTimeout = 5 * time.Second

// DialFrom dials addr ("ip:port", a literal address: a name would be
// resolved on other goroutines, in the wrong namespace) over network ("tcp",
// "udp", or their 4/6 forms) from inside the network namespace ns, and
// returns the connection, which stays in ns. The socket's namespace is
// checked before it connects.
func DialFrom(ns *os.File, network, addr string) (net.Conn, error) {
	if _, err := netip.ParseAddrPort(addr); err != nil {
		return nil, fmt.Errorf("DialFrom %s: want a literal ip:port: %w", addr, err)
	}
	ino, err := fileInode(ns)
	if err != nil {
		return nil, err
	}
	var c net.Conn
	err = InNetNS(ns, func() error {
		d := net.Dialer{Timeout: DialTimeout, Control: checkSocketNS(ino)}
		var err error
		c, err = d.Dial(network, addr)
		return err
	})
	return c, err
}

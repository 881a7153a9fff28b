package firewall

import (
	"fmt"
	"testing"

	"github.com/go-dock/dock/internal/nettest"
)

// sized is a Ruleset of nets networks and ports published TCP ports,
// spread over the networks.
func sized(nets, ports int) *Ruleset {
	rs := &Ruleset{}
	for i := range nets {
		rs.Networks = append(rs.Networks, Network{Bridge: fmt.Sprintf("br-%012d", i), Subnets: pfx(fmt.Sprintf("10.99.%d.0/24", i))})
	}
	for i := range ports {
		rs.Ports = append(rs.Ports, Port{Proto: "tcp", HostPort: uint16(20000 + i), Addr: addr(fmt.Sprintf("10.99.%d.%d", i%nets, 2+i%250)), Port: 80})
	}
	return rs
}

// BenchmarkApply is the cost of one Apply that replaces an existing table
// of the same size: what every network operation pays, under dock's lock.
func BenchmarkApply(b *testing.B) {
	nettest.Require(b)
	for _, c := range []struct{ nets, ports int }{{1, 1}, {20, 200}, {50, 2000}} {
		b.Run(fmt.Sprintf("networks=%d/ports=%d", c.nets, c.ports), func(b *testing.B) {
			rs := sized(c.nets, c.ports)
			if err := Apply(rs); err != nil {
				b.Fatal(err)
			}
			b.Cleanup(func() { Apply(nil) })
			for b.Loop() {
				if err := Apply(rs); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

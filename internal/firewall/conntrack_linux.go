package firewall

import (
	"errors"
	"fmt"
	"net"

	"github.com/vishvananda/netlink"
	"golang.org/x/sys/unix"
)

// forgetUDPImpl deletes the conntrack entries of the UDP ports.
func forgetUDPImpl(ports []Port) error {
	var filters [2][]netlink.CustomConntrackFilter
	for i := range ports {
		p := &ports[i]
		if p.Proto != "udp" {
			continue
		}
		f := &netlink.ConntrackFilter{}
		if err := f.AddProtocol(unix.IPPROTO_UDP); err != nil {
			return fmt.Errorf("firewall: forget %s: %w", p, err)
		}
		if err := f.AddPort(netlink.ConntrackOrigDstPort, p.HostPort); err != nil {
			return fmt.Errorf("firewall: forget %s: %w", p, err)
		}
		fam := family(p.Addr.Unmap())
		if host, one := p.hostIP(); one {
			fam = family(host)
			if err := f.AddIP(netlink.ConntrackOrigDstIP, net.IP(host.AsSlice())); err != nil {
				return fmt.Errorf("firewall: forget %s: %w", p, err)
			}
		}
		filters[fam] = append(filters[fam], f)
	}
	var errs []error
	for fam, fs := range filters {
		if len(fs) == 0 {
			continue
		}
		inet := [2]netlink.InetFamily{unix.AF_INET, unix.AF_INET6}[fam]
		// The dump that finds the entries is restarted when the table
		// changes under it; a few tries, then the error.
		var err error
		for range 3 {
			if _, err = netlink.ConntrackDeleteFilters(netlink.ConntrackTable, inet, fs...); !errors.Is(err, netlink.ErrDumpInterrupted) {
				break
			}
		}
		if err != nil {
			errs = append(errs, fmt.Errorf("firewall: delete conntrack entries of published UDP ports (family %d): %w", inet, err))
		}
	}
	return errors.Join(errs...)
}

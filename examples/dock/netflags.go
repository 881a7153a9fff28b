package main

import (
	"fmt"
	"net"
	"net/netip"
	"regexp"
	"strings"

	"github.com/go-dock/dock"
)

// netFlags are the network flags of docker run and create, as given. The
// CLI's default network is docker's, the default bridge, where the
// library's is none (a program that asks for nothing changes nothing on
// the host's network; a docker user expects a network).
type netFlags struct {
	network    string
	aliases    []string
	ip, ip6    string
	mac        string
	publish    []string
	publishAll bool
	expose     []string
	dns        []netip.Addr
	dnsSearch  []string
	dnsOptions []string
	addHosts   []string
}

// register adds the flags to fs, with docker's names (the hidden
// --net, --net-alias and --dns-opt too).
func (n *netFlags) register(fs *flagSet) {
	fs.String(&n.network, "network,net", "Connect a container to a network (default bridge; none, host, container:NAME, a network's name or ID)")
	fs.Strings(&n.aliases, "network-alias,net-alias", "Add network-scoped alias for the container")
	fs.String(&n.ip, "ip", "IPv4 address (e.g., 172.30.100.104)")
	fs.String(&n.ip6, "ip6", "IPv6 address (e.g., 2001:db8::33)")
	fs.String(&n.mac, "mac-address", "Container MAC address (e.g., 92:d0:c6:0a:29:33)")
	fs.Strings(&n.publish, "p,publish", "Publish a container's port(s) to the host")
	fs.Bool(&n.publishAll, "P,publish-all", "Publish all exposed ports to random ports")
	fs.Strings(&n.expose, "expose", "Expose a port or a range of ports")
	fs.Func("dns", "Set custom DNS servers", func(s string) error {
		a, err := netip.ParseAddr(s)
		if err != nil || a.Zone() != "" {
			return fmt.Errorf("IP address is not correctly formatted: %s", s)
		}
		n.dns = append(n.dns, a.Unmap())
		return nil
	})
	fs.Func("dns-search", "Set custom DNS search domains", func(s string) error {
		d, err := validDNSSearch(s)
		n.dnsSearch = append(n.dnsSearch, d)
		return err
	})
	fs.Strings(&n.dnsOptions, "dns-option,dns-opt", "Set DNS options")
	fs.Func("add-host", "Add a custom host-to-IP mapping (host:ip)", func(s string) error {
		h, err := extraHost(s)
		n.addHosts = append(n.addHosts, h)
		return err
	})
}

// apply checks the flags with docker's rules and words and sets them in
// cfg. warn gets docker's warnings.
func (n *netFlags) apply(cfg *dock.Config, warn func(string)) error {
	switch n.network {
	case "", "default":
		cfg.Network = "bridge"
	default:
		cfg.Network = n.network
	}
	cfg.NetworkAliases = n.aliases
	if n.ip != "" {
		a, err := netip.ParseAddr(n.ip)
		if err != nil || !a.Is4() {
			return fmt.Errorf("invalid IPv4 address: %s", n.ip)
		}
		cfg.IPv4Address = a
	}
	if n.ip6 != "" {
		a, err := netip.ParseAddr(n.ip6)
		if err != nil || !a.Is6() || a.Is4In6() || a.Zone() != "" {
			return fmt.Errorf("invalid IPv6 address: %s", n.ip6)
		}
		cfg.IPv6Address = a
	}
	if n.mac != "" {
		if hw, err := net.ParseMAC(n.mac); err != nil || len(hw) != 6 {
			return fmt.Errorf("%s is not a valid mac address", n.mac)
		}
		cfg.MacAddress = n.mac
	}
	ports, err := dock.ParsePortMappings(n.publish...)
	if err != nil {
		return err
	}
	for _, e := range n.expose {
		if strings.Contains(e, ":") {
			return fmt.Errorf("invalid port format for --expose: %s", e)
		}
	}
	exposed, err := dock.ParseExposedPorts(n.expose...)
	if err != nil {
		return err
	}
	if cfg.Network == "host" && (len(ports) > 0 || n.publishAll) {
		warn("WARNING: Published ports are discarded when using host network mode")
		ports, n.publishAll = nil, false
	}
	cfg.Ports, cfg.PublishAllPorts, cfg.ExposedPorts = ports, n.publishAll, exposed
	cfg.DNS, cfg.DNSSearch, cfg.DNSOptions = n.dns, n.dnsSearch, n.dnsOptions
	cfg.ExtraHosts = n.addHosts
	return nil
}

// domainRE is a domain name as docker's --dns-search takes it: labels of
// letters, digits and inner hyphens, a final dot allowed.
var domainRE = regexp.MustCompile(`^(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])(?:\.(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9]))*\.?$`)

// validDNSSearch checks a --dns-search domain as docker does; "." (no
// search domain) is allowed.
func validDNSSearch(s string) (string, error) {
	d := strings.Trim(s, " ")
	if d == "." {
		return d, nil
	}
	if len(d) > 255 || !domainRE.MatchString(d) {
		return "", fmt.Errorf("%s is not a valid domain", s)
	}
	return d, nil
}

// extraHost checks an --add-host value, "name:ip", "name=ip" (docker 25's
// form) or "name:host-gateway", an IPv6 address with brackets or not, and
// returns it as the library takes it: "name:ip".
func extraHost(s string) (string, error) {
	sep := strings.IndexAny(s, "=:")
	if sep <= 0 {
		return "", fmt.Errorf("bad format for add-host: %q", s)
	}
	name, ip := s[:sep], s[sep+1:]
	if ip == "host-gateway" {
		return name + ":" + ip, nil
	}
	bare := ip
	if strings.HasPrefix(bare, "[") && strings.HasSuffix(bare, "]") {
		bare = bare[1 : len(bare)-1]
	}
	a, err := netip.ParseAddr(bare)
	if err != nil || a.Zone() != "" {
		return "", fmt.Errorf("invalid IP address in add-host: %q", ip)
	}
	return name + ":" + a.String(), nil
}

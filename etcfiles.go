package dock

import (
	"net/netip"
	"os"
	"path"
	"slices"
	"strings"
)

// The files bound over the image's /etc/hostname, /etc/hosts and
// /etc/resolv.conf, written at Create and again at each start on a
// bridge network, when the container's addresses are known.

// etcNet is what the files say of the container's network at start.
type etcNet struct {
	addrs   []netip.Addr // the container's addresses on its first network
	gateway netip.Addr   // that network's IPv4 gateway (host-gateway)
	// embedded: the network has the name server at 127.0.0.11.
	embedded bool
}

// defaultGateway is host-gateway for a container off the bridges: the
// default bridge's gateway, as in Docker.
var defaultGateway = predefinedNetworks[0].IPAM[0].Gateway

// writeEtcFiles writes the three files into dir; n is nil at Create.
func writeEtcFiles(dir string, rec *containerRecord, n *etcNet) error {
	for name, content := range map[string]string{
		"hostname":    rec.Hostname + "\n",
		"hosts":       etcHosts(rec, n),
		"resolv.conf": etcResolv(&rec.Config, n),
	} {
		if err := os.WriteFile(path.Join(dir, name), []byte(content), 0o644); err != nil {
			return err
		}
	}
	return nil
}

// etcHosts is Docker's /etc/hosts: localhost, the container's own name
// on its address, then the extra hosts. With the host's network it is
// the host's.
func etcHosts(rec *containerRecord, n *etcNet) string {
	if rec.Config.Network == "host" {
		if h, err := os.ReadFile("/etc/hosts"); err == nil {
			return string(h) + extraHosts(rec.Config.ExtraHosts, defaultGateway)
		}
	}
	hosts := "127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n" +
		"fe00::0\tip6-localnet\nff00::0\tip6-mcastprefix\nff02::1\tip6-allnodes\nff02::2\tip6-allrouters\n"
	gw := defaultGateway
	if n != nil && len(n.addrs) > 0 {
		for _, a := range n.addrs {
			hosts += a.String() + "\t" + rec.Hostname + "\n"
		}
		if n.gateway.IsValid() {
			gw = n.gateway
		}
	} else {
		hosts += "127.0.1.1\t" + rec.Hostname + "\n"
	}
	return hosts + extraHosts(rec.Config.ExtraHosts, gw)
}

func extraHosts(list []string, gateway netip.Addr) string {
	var b strings.Builder
	for _, h := range list {
		name, addr, err := parseExtraHost(h)
		if err != nil {
			continue // refused at Create
		}
		if addr == "host-gateway" {
			addr = gateway.String()
		}
		b.WriteString(addr + "\t" + name + "\n")
	}
	return b.String()
}

// etcResolv is the container's resolv.conf: the host's (without its
// loopback name servers, unreachable from another namespace), or the
// network's name server at 127.0.0.11, with the container's DNS
// settings over either.
func etcResolv(cfg *Config, n *etcNet) string {
	hostNet := cfg.Network == "host"
	if hostNet && len(cfg.DNS)+len(cfg.DNSSearch)+len(cfg.DNSOptions) == 0 {
		data, _ := os.ReadFile("/etc/resolv.conf")
		return string(data)
	}
	servers, search, options := hostResolv(hostNet)
	switch {
	case n != nil && n.embedded:
		// The name server forwards to cfg.DNS, or the host's.
		servers = []string{"127.0.0.11"}
		options = append(options, "ndots:0")
	case len(cfg.DNS) > 0:
		servers = servers[:0]
		for _, a := range cfg.DNS {
			servers = append(servers, a.String())
		}
	}
	if len(cfg.DNSSearch) > 0 {
		search = cfg.DNSSearch
	}
	if len(cfg.DNSOptions) > 0 {
		options = cfg.DNSOptions
	}
	var b strings.Builder
	for _, s := range servers {
		b.WriteString("nameserver " + s + "\n")
	}
	if len(search) > 0 {
		b.WriteString("search " + strings.Join(search, " ") + "\n")
	}
	if len(options) > 0 {
		b.WriteString("options " + strings.Join(slices.Compact(options), " ") + "\n")
	}
	return b.String()
}

// hostResolv reads the host's /etc/resolv.conf; without the host's
// network, loopback name servers are dropped, as Docker does.
func hostResolv(hostNet bool) (servers, search, options []string) {
	data, _ := os.ReadFile("/etc/resolv.conf")
	for _, line := range strings.Split(string(data), "\n") {
		f := strings.Fields(line)
		if len(f) < 2 {
			continue
		}
		switch f[0] {
		case "nameserver":
			if !hostNet && (strings.HasPrefix(f[1], "127.") || f[1] == "::1") {
				continue
			}
			servers = append(servers, f[1])
		case "search", "domain":
			search = f[1:]
		case "options":
			options = append(options, f[1:]...)
		}
	}
	return servers, search, options
}

// hostUpstreams are the host's name servers, loopback ones included (the
// network's name server forwards from the host's namespace, where they
// work), as addresses with port 53.
func hostUpstreams() []netip.AddrPort {
	servers, _, _ := hostResolv(true)
	var out []netip.AddrPort
	for _, s := range servers {
		if a, err := netip.ParseAddr(s); err == nil {
			out = append(out, netip.AddrPortFrom(a.WithZone(""), 53))
		}
	}
	return out
}

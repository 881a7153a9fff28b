package main

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"net"
	"net/netip"
	"slices"
	"strconv"
	"strings"

	"github.com/go-dock/dock"
	"github.com/go-dock/dock/dockerapi"
)

// portBinding is a host address and port a container port is published
// on, as docker inspect shows it under NetworkSettings.Ports.
type portBinding struct {
	HostIP   string `json:"HostIp"`
	HostPort string
}

// containerPorts is docker's NetworkSettings.Ports (dockerapi.Ports) by
// "80/tcp" keys, with exposed added as ports published nowhere: each
// exposed or published port with the host addresses it is bound to. Only
// a running container on a bridge network has any.
func containerPorts(info *dock.Info, exposed []dock.Port) map[string][]portBinding {
	out := map[string][]portBinding{}
	if !attached(info) {
		return out
	}
	for _, p := range exposed {
		out[p.String()] = nil
	}
	for port, bindings := range dockerapi.Ports(info) {
		key := port.String()
		out[key] = nil // exposed, or bound below
		for _, b := range bindings {
			out[key] = append(out[key], portBinding{b.HostIP.String(), b.HostPort})
		}
	}
	return out
}

// attached reports whether the container runs on a bridge network: it
// has an address there.
func attached(info *dock.Info) bool {
	running := info.State.Status == dock.StatusRunning || info.State.Status == dock.StatusPaused
	return running && len(info.Networks) > 0 && (info.Networks[0].IPv4.IsValid() || info.Networks[0].IPv6.IsValid())
}

// exposedPorts are the container's exposed ports: its image's EXPOSE and
// its own --expose. images caches the images read, by ID.
func exposedPorts(ctx context.Context, e *dock.Engine, info *dock.Info, images map[string]*dock.Image) []dock.Port {
	img, ok := images[info.ImageID]
	if !ok {
		img, _ = e.Image(ctx, info.ImageID) // removed since: no EXPOSE to add
		images[info.ImageID] = img
	}
	var keys []string
	if img != nil {
		keys = slices.Sorted(maps.Keys(img.Config.ExposedPorts))
	}
	ports, err := dock.ParseExposedPorts(keys...)
	if err != nil {
		ports = nil // an image's bad EXPOSE: the library refuses to start it anyway
	}
	for _, p := range info.Config.ExposedPorts {
		if !slices.Contains(ports, p) {
			ports = append(ports, p)
		}
	}
	return ports
}

// cmdPort is docker port: the container's published ports, or the host
// addresses of one.
func cmdPort(ctx context.Context, c *cli, args []string) error {
	fs := newFlagSet("port", true)
	args, err := fs.ParseArgs(args, 1, 2)
	if err != nil {
		return err
	}
	ct, done, err := c.openContainer(args[0])
	if err != nil {
		return err
	}
	defer done()
	info, err := ct.Inspect(ctx)
	if err != nil {
		return err
	}
	ports := containerPorts(info, nil)
	var out []string
	if len(args) == 2 {
		number, proto, _ := strings.Cut(args[1], "/")
		if proto == "" {
			proto = "tcp"
		}
		if _, err := strconv.ParseUint(number, 10, 16); err != nil {
			return fmt.Errorf("invalid port (%s): %w", number, err)
		}
		bindings := ports[number+"/"+proto]
		if len(bindings) == 0 {
			return errNoPublicPort(args[1], args[0])
		}
		for _, b := range bindings {
			out = append(out, net.JoinHostPort(b.HostIP, b.HostPort))
		}
	} else {
		for key, bindings := range ports {
			for _, b := range bindings {
				out = append(out, key+" -> "+net.JoinHostPort(b.HostIP, b.HostPort))
			}
		}
	}
	slices.SortFunc(out, naturalCompare)
	for _, line := range out {
		fmt.Fprintln(c.stdout, line)
	}
	return nil
}

// errNoPublicPort is docker port's error for a port not published.
func errNoPublicPort(port, container string) error {
	return errors.New("No public port '" + port + "' published for " + container)
}

// naturalCompare orders strings as people do: runs of digits by their
// value ("80/tcp" before "443/tcp"), the rest byte by byte.
func naturalCompare(a, b string) int {
	for a != "" && b != "" {
		da, db := digits(a), digits(b)
		if da > 0 && db > 0 {
			na, nb := strings.TrimLeft(a[:da], "0"), strings.TrimLeft(b[:db], "0")
			if c := len(na) - len(nb); c != 0 {
				return c
			}
			if c := strings.Compare(na, nb); c != 0 {
				return c
			}
			a, b = a[da:], b[db:]
			continue
		}
		if a[0] != b[0] {
			return int(a[0]) - int(b[0])
		}
		a, b = a[1:], b[1:]
	}
	return len(a) - len(b)
}

// digits is the length of the run of ASCII digits that s starts with.
func digits(s string) int {
	n := 0
	for n < len(s) && s[n] >= '0' && s[n] <= '9' {
		n++
	}
	return n
}

// psPort is one line of docker's port summary: a port exposed (no IP)
// or one host binding of a published port.
type psPort struct {
	ip          netip.Addr
	public      uint16
	private     uint16
	proto       string
	unpublished bool
}

// psPorts is docker ps's PORTS column: "0.0.0.0:8080->80/tcp,
// [::]:8080->80/tcp, 9000/udp". Runs of consecutive ports published on
// the same port numbers (or only exposed) are collapsed into a range
// ("0.0.0.0:8000-8002->8000-8002/tcp"); ports published on other numbers
// come last, one by one. As docker 28 and later, an IPv6 host address is
// in brackets.
func psPorts(ports map[string][]portBinding) string {
	var list []psPort
	for key, bindings := range ports {
		n, proto, _ := strings.Cut(key, "/")
		private, _ := strconv.ParseUint(n, 10, 16)
		if len(bindings) == 0 {
			list = append(list, psPort{private: uint16(private), proto: proto, unpublished: true})
		}
		for _, b := range bindings {
			public, _ := strconv.ParseUint(b.HostPort, 10, 16)
			ip, _ := netip.ParseAddr(b.HostIP)
			list = append(list, psPort{ip: ip, public: uint16(public), private: uint16(private), proto: proto})
		}
	}
	slices.SortFunc(list, func(a, b psPort) int {
		switch {
		case a.private != b.private:
			return int(a.private) - int(b.private)
		case a.ip != b.ip:
			return a.ip.Compare(b.ip)
		case a.public != b.public:
			return int(a.public) - int(b.public)
		}
		return strings.Compare(a.proto, b.proto)
	})

	type group struct {
		ip          netip.Addr
		proto       string
		first, last uint16
	}
	type groupKey struct {
		ip    netip.Addr
		proto string
	}
	var (
		out, remapped []string
		open          = map[groupKey]*group{}
		order         []groupKey // the keys in the order of their first group
	)
	for _, p := range list {
		if !p.unpublished && p.public != p.private {
			remapped = append(remapped, net.JoinHostPort(p.ip.String(), strconv.Itoa(int(p.public)))+
				"->"+strconv.Itoa(int(p.private))+"/"+p.proto)
			continue
		}
		k := groupKey{p.ip, p.proto}
		g := open[k]
		switch {
		case g == nil:
			order = append(order, k)
		case p.private == g.last+1:
			g.last = p.private
			continue
		default:
			out = append(out, formatGroup(g.ip, g.first, g.last, g.proto))
		}
		open[k] = &group{ip: p.ip, proto: p.proto, first: p.private, last: p.private}
	}
	for _, k := range order {
		g := open[k]
		out = append(out, formatGroup(g.ip, g.first, g.last, g.proto))
	}
	return strings.Join(append(out, remapped...), ", ")
}

// formatGroup writes a run of ports: "80/tcp", "8000-8002/tcp", or with a
// host address "0.0.0.0:8000-8002->8000-8002/tcp".
func formatGroup(ip netip.Addr, first, last uint16, proto string) string {
	ports := strconv.Itoa(int(first))
	if last != first {
		ports += "-" + strconv.Itoa(int(last))
	}
	if ip.IsValid() {
		return net.JoinHostPort(ip.String(), ports) + "->" + ports + "/" + proto
	}
	return ports + "/" + proto
}

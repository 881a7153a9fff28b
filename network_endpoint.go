package dock

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"net"
	"net/netip"
	"os"
	"slices"
	"strings"

	"github.com/go-dock/dock/internal/netstate"
)

// netStore is the host-wide runtime state of networks.
var netStore = netstate.New(netstate.DefaultDir)

// networkByID reads a network's definition.
func (e *Engine) networkByID(id string) (*Network, error) {
	for _, p := range predefinedNetworks {
		if p.ID == id {
			return &p, nil
		}
	}
	n, err := e.readNetwork(id)
	if errors.Is(err, os.ErrNotExist) {
		return nil, fmt.Errorf("network %s %w", id[:12], ErrNotFound)
	}
	return n, err
}

// endpointConfig is how a container joins a bridge network, as recorded
// with it: Config.Network's at Create, and those Connect adds. The
// kernel's side (the addresses given out, the veth) lives in the
// per-boot network state while the container runs.
type endpointConfig struct {
	// Network is the network's ID.
	Network string     `json:"network"`
	Aliases []string   `json:"aliases,omitempty"`
	IPv4    netip.Addr `json:"ipv4,omitzero"`
	IPv6    netip.Addr `json:"ipv6,omitzero"`
	MAC     string     `json:"mac,omitempty"`
}

// networkMode is what Config.Network asks for.
type networkMode int

const (
	netNone networkMode = iota
	netHost
	netContainer // another container's namespace
	netBridge    // a bridge network
)

// modeOf classifies a Config.Network value.
func modeOf(network string) networkMode {
	switch {
	case network == "" || network == "none":
		return netNone
	case network == "host":
		return netHost
	case strings.HasPrefix(network, "container:"):
		return netContainer
	}
	return netBridge
}

// validateNetworkConfig checks the network fields of cfg that need
// nothing but cfg, with Docker's rules and words.
func validateNetworkConfig(cfg *Config) error {
	mode := modeOf(cfg.Network)
	if mode == netContainer && strings.TrimPrefix(cfg.Network, "container:") == "" {
		return invalidf("invalid network %q: no container named", cfg.Network)
	}
	if mode != netBridge {
		switch {
		case len(cfg.NetworkAliases) > 0:
			return invalidf("network-scoped aliases are only supported for user-defined networks")
		case cfg.IPv4Address.IsValid() || cfg.IPv6Address.IsValid():
			return invalidf("user specified IP address is supported on user defined networks only")
		case cfg.MacAddress != "":
			return invalidf("conflicting options: mac-address and the network mode %q", cfg.Network)
		}
	}
	if mode == netContainer {
		// The other container's namespace and /etc files are taken as
		// they are: nothing of them can be set here (Docker's rules).
		switch {
		case len(cfg.DNS) > 0 || len(cfg.DNSSearch) > 0 || len(cfg.DNSOptions) > 0:
			return invalidf("conflicting options: dns and the network mode")
		case len(cfg.ExtraHosts) > 0:
			return invalidf("conflicting options: custom host-to-IP mapping and the network mode")
		case len(cfg.Ports) > 0 || cfg.PublishAllPorts:
			return invalidf("conflicting options: port publishing and the container type network mode")
		case cfg.Hostname != "":
			return invalidf("conflicting options: hostname and the network mode")
		}
	}
	if cfg.MacAddress != "" {
		if _, err := net.ParseMAC(cfg.MacAddress); err != nil {
			return invalidf("invalid MAC address %q", cfg.MacAddress)
		}
	}
	if a := cfg.IPv4Address; a.IsValid() && !a.Is4() {
		return invalidf("invalid IPv4 address %s", a)
	}
	if a := cfg.IPv6Address; a.IsValid() && (!a.Is6() || a.Is4In6()) {
		return invalidf("invalid IPv6 address %s", a)
	}
	for _, h := range cfg.ExtraHosts {
		if _, _, err := parseExtraHost(h); err != nil {
			return err
		}
	}
	return nil
}

// parseExtraHost splits "name:address" (the address may be an IPv6 one
// with its colons, or host-gateway).
func parseExtraHost(s string) (name, addr string, err error) {
	name, addr, ok := strings.Cut(s, ":")
	if !ok || name == "" || strings.ContainsAny(name, " \t\n") {
		return "", "", invalidf("invalid extra host %q: want NAME:ADDRESS", s)
	}
	addr = strings.TrimSuffix(strings.TrimPrefix(addr, "["), "]")
	if addr == "host-gateway" {
		return name, addr, nil
	}
	if _, err := netip.ParseAddr(addr); err != nil {
		return "", "", invalidf("invalid IP address in add-host: %q", addr)
	}
	return name, addr, nil
}

// resolveEndpoints turns Config.Network, when it names a bridge network,
// into the container's first endpoint, checking what the network allows.
func (e *Engine) resolveEndpoints(ctx context.Context, cfg *Config) ([]endpointConfig, error) {
	if modeOf(cfg.Network) != netBridge {
		return nil, nil
	}
	n, err := e.Network(ctx, cfg.Network)
	if err != nil {
		return nil, err
	}
	switch n.Driver {
	case "host":
		cfg.Network = "host"
		return nil, validateNetworkConfig(cfg)
	case "null":
		cfg.Network = "none"
		return nil, validateNetworkConfig(cfg)
	}
	ep := endpointConfig{Network: n.ID, Aliases: slices.Clone(cfg.NetworkAliases),
		IPv4: cfg.IPv4Address, IPv6: cfg.IPv6Address, MAC: cfg.MacAddress}
	if err := checkEndpoint(n, &ep); err != nil {
		return nil, err
	}
	return []endpointConfig{ep}, nil
}

// checkEndpoint applies Docker's rules on what an endpoint asks of n.
func checkEndpoint(n *Network, ep *endpointConfig) error {
	userDefined := !n.Predefined()
	if len(ep.Aliases) > 0 && !userDefined {
		return invalidf("network-scoped aliases are only supported for user-defined networks")
	}
	for _, want := range []netip.Addr{ep.IPv4, ep.IPv6} {
		if !want.IsValid() {
			continue
		}
		if !userDefined {
			return invalidf("user specified IP address is supported on user defined networks only")
		}
		i := slices.IndexFunc(n.IPAM, func(c IPAMConfig) bool { return c.Subnet.Contains(want) })
		if i < 0 {
			return invalidf("no configured subnet or ip-range contain the IP address %s", want)
		}
	}
	return nil
}

// networkUsers maps the IDs of the bridge networks that containers join
// to those containers' IDs.
func (e *Engine) networkUsers() map[string][]string {
	users := map[string][]string{}
	entries, _ := os.ReadDir(e.path("containers"))
	for _, ent := range entries {
		rec, err := e.readRecord(ent.Name())
		if err != nil {
			continue
		}
		eps, err := e.containerNetworks(rec)
		if err != nil {
			continue
		}
		for _, ep := range eps {
			users[ep.Network] = append(users[ep.Network], rec.ID)
		}
	}
	return users
}

// defaultMAC derives a MAC address from an IPv4 address, as Docker did:
// 02:42 then the four bytes of the address.
func defaultMAC(a netip.Addr) net.HardwareAddr {
	b := a.As4()
	return net.HardwareAddr{0x02, 0x42, b[0], b[1], b[2], b[3]}
}

// exposedPorts merges the image's EXPOSE keys ("80/tcp") with the
// container's own, without duplicates.
func exposedPorts(image map[string]struct{}, extra []Port) ([]Port, error) {
	keys := slices.Sorted(maps.Keys(image))
	ports, err := ParseExposedPorts(keys...)
	if err != nil {
		return nil, fmt.Errorf("image EXPOSE: %w", err)
	}
	for _, p := range extra {
		if p.Number == 0 {
			return nil, invalidf("exposed port 0")
		}
		if p.Proto == "" {
			p.Proto = "tcp"
		}
		if !slices.Contains(ports, p) {
			ports = append(ports, p)
		}
	}
	return ports, nil
}

// publishedPorts are the mappings a start reserves: Config.Ports, and
// with PublishAllPorts every exposed port on an ephemeral one.
func publishedPorts(rec *containerRecord) []PortMapping {
	out := slices.Clone(rec.Config.Ports)
	if rec.Config.PublishAllPorts {
		for _, p := range rec.ExposedPorts {
			out = append(out, PortMapping{ContainerPort: p.Number, Proto: p.Proto})
		}
	}
	for i := range out {
		if out[i].Proto == "" {
			out[i].Proto = "tcp"
		}
	}
	return out
}

// readNetState is the network state now, or nil when it cannot be read
// (Inspect then shows the configured networks without addresses).
func readNetState() *netstate.State {
	st, err := netStore.Read()
	if err != nil {
		return nil
	}
	return st
}

// networkInfo fills in the container's networks (wants, from
// containerNetworks) and ports: from the network state while it runs
// (the addresses and host ports taken), from its record otherwise.
func (e *Engine) networkInfo(info *Info, rec *containerRecord, wants []endpointConfig, look *infoLookups) {
	var eps map[string]*netstate.Endpoint
	var nets map[string]*netstate.Network
	if len(wants) > 0 && (info.State.Status == StatusRunning || info.State.Status == StatusPaused) {
		if st := look.netState(); st != nil {
			eps, nets = st.Endpoints(rec.ID), st.Networks
		}
	}
	for _, want := range wants {
		ei := EndpointInfo{NetworkID: want.Network, Aliases: want.Aliases, Network: look.networkName(want.Network)}
		if ep := eps[want.Network]; ep != nil {
			ei.MacAddress = ep.MAC
			for _, sub := range nets[want.Network].Subnets {
				for _, a := range ep.Addrs {
					if !sub.Prefix.Contains(a) {
						continue
					}
					if a.Is4() {
						ei.IPv4, ei.Gateway = netip.PrefixFrom(a, sub.Prefix.Bits()), sub.Gateway
					} else {
						ei.IPv6, ei.IPv6Gateway = netip.PrefixFrom(a, sub.Prefix.Bits()), sub.Gateway
					}
				}
			}
		}
		info.Networks = append(info.Networks, ei)
	}
	info.Ports = publishedPorts(rec)
	if len(wants) == 0 {
		return
	}
	if ep := eps[wants[0].Network]; ep != nil && len(ep.Ports) == len(info.Ports) {
		for i, p := range ep.Ports {
			info.Ports[i].HostIP, info.Ports[i].HostPort, info.Ports[i].HostPortEnd = p.HostIP, p.HostPort, 0
		}
	}
}

// ReloadNetworks writes the host's network rules again from the network
// state, as podman network reload does: after an nftables restart or
// `nft flush ruleset` took dock's table away, containers keep running but
// lose their way out and their published ports until then. It also takes
// back what containers that died unseen (kill -9) still held.
func (e *Engine) ReloadNetworks(ctx context.Context) error {
	if err := reloadNetworks(); err != nil {
		return fmt.Errorf("reload networks: %w", err)
	}
	return nil
}

package dockerapi

import (
	"crypto/sha256"
	"encoding/hex"
	"net"
	"net/netip"
	"strings"

	"github.com/moby/moby/api/types/container"
	"github.com/moby/moby/api/types/network"

	"github.com/go-dock/dock"
)

// attached reports whether the container runs on a bridge network: it
// has an address there.
func attached(info *dock.Info) bool {
	return running(info) && len(info.Networks) > 0 &&
		(info.Networks[0].IPv4.IsValid() || info.Networks[0].IPv6.IsValid())
}

// Ports is Docker's NetworkSettings.Ports: each exposed or published
// port ("80/tcp") with the host addresses it is bound to (none for a port
// only exposed). Only a running container on a bridge network has any:
// Docker shows none for a stopped one, nor on the host's network. A port
// published on every address is bound to 0.0.0.0, and to [::] too when
// the container has an IPv6 address (what the library binds). The map is
// never nil.
func Ports(info *dock.Info) network.PortMap {
	out := network.PortMap{}
	if !attached(info) {
		return out
	}
	for p := range exposedPorts(info) {
		out[p] = nil
	}
	v6 := info.Networks[0].IPv6.IsValid()
	for _, m := range info.Ports {
		if m.HostPort == 0 {
			continue // not taken (yet)
		}
		port := portOf(dock.Port{Number: m.ContainerPort, Proto: m.Proto})
		hostPort := itoa(int(m.HostPort))
		switch {
		case m.HostIP.IsValid():
			out[port] = append(out[port], network.PortBinding{HostIP: m.HostIP, HostPort: hostPort})
		case v6:
			out[port] = append(out[port], network.PortBinding{HostIP: netip.IPv4Unspecified(), HostPort: hostPort},
				network.PortBinding{HostIP: netip.IPv6Unspecified(), HostPort: hostPort})
		default:
			out[port] = append(out[port], network.PortBinding{HostIP: netip.IPv4Unspecified(), HostPort: hostPort})
		}
	}
	return out
}

// endpointID stands for Docker's endpoint ID: dock has no endpoint
// objects, so it is derived from the network's and the container's IDs
// (stable while the container is on the network).
func endpointID(networkID, containerID string) string {
	sum := sha256.Sum256([]byte("dock endpoint " + networkID + " " + containerID))
	return hex.EncodeToString(sum[:])
}

// macAddr is the MAC address s, nil if s is not one.
func macAddr(s string) network.HardwareAddr {
	mac, err := net.ParseMAC(s)
	if err != nil {
		return nil
	}
	return network.HardwareAddr(mac)
}

// endpoints are Docker's NetworkSettings.Networks: the container's
// networks by name, with its addresses there while it runs; the host or
// none network for those modes (a container sharing another's namespace
// has none).
func endpoints(info *dock.Info) map[string]*network.EndpointSettings {
	out := map[string]*network.EndpointSettings{}
	cfg := &info.Config
	for i, ep := range info.Networks {
		es := &network.EndpointSettings{
			Aliases: append([]string(nil), ep.Aliases...), NetworkID: ep.NetworkID,
		}
		if ep.IPv4.IsValid() || ep.IPv6.IsValid() {
			es.EndpointID, es.MacAddress = endpointID(ep.NetworkID, info.ID), macAddr(ep.MacAddress)
		}
		if ep.IPv4.IsValid() {
			es.IPAddress, es.IPPrefixLen, es.Gateway = ep.IPv4.Addr(), ep.IPv4.Bits(), ep.Gateway
		}
		if ep.IPv6.IsValid() {
			es.GlobalIPv6Address, es.GlobalIPv6PrefixLen, es.IPv6Gateway = ep.IPv6.Addr(), ep.IPv6.Bits(), ep.IPv6Gateway
		}
		// --ip and --ip6 apply to the first network.
		if i == 0 && (cfg.IPv4Address.IsValid() || cfg.IPv6Address.IsValid()) {
			es.IPAMConfig = &network.EndpointIPAMConfig{IPv4Address: cfg.IPv4Address, IPv6Address: cfg.IPv6Address}
		}
		// The names the container has on the network: on a user-defined
		// one its name, aliases and short ID; none on the default
		// bridge, which resolves no names.
		if ep.Network != network.NetworkBridge {
			if info.Name != "" {
				es.DNSNames = append(es.DNSNames, info.Name)
			}
			es.DNSNames = append(es.DNSNames, ep.Aliases...)
			es.DNSNames = append(es.DNSNames, shortID(info.ID))
		}
		out[ep.Network] = es
	}
	switch mode := info.Config.Network; mode {
	case "", network.NetworkNone, network.NetworkHost:
		if mode == "" {
			mode = network.NetworkNone // the library's default
		}
		out[mode] = &network.EndpointSettings{NetworkID: dock.PredefinedNetworkID(mode)}
	}
	return out
}

// LegacyInspectResponse is a container as API versions before 1.52 showed
// it, and as Docker's clients of those versions (and scripts written for
// them) read it: NetworkSettings also has the default bridge's
// addresses at its top level.
type LegacyInspectResponse struct {
	*container.InspectResponse
	NetworkSettings *LegacyNetworkSettings
}

// LegacyNetworkSettings are NetworkSettings with the default bridge's
// endpoint at the top level, as strings, empty when the container is not
// on the default bridge or not running (as Docker 28 showed them).
type LegacyNetworkSettings struct {
	*container.NetworkSettings
	EndpointID          string
	Gateway             string
	GlobalIPv6Address   string
	GlobalIPv6PrefixLen int
	IPAddress           string
	IPPrefixLen         int
	IPv6Gateway         string
	MacAddress          string
}

// LegacyInspect is r with the legacy NetworkSettings fields. It shares
// r's memory.
func LegacyInspect(r *container.InspectResponse) *LegacyInspectResponse {
	ns := &LegacyNetworkSettings{NetworkSettings: r.NetworkSettings}
	if r.NetworkSettings != nil {
		if es := r.NetworkSettings.Networks[network.NetworkBridge]; es != nil {
			ns.EndpointID, ns.MacAddress = es.EndpointID, es.MacAddress.String()
			ns.Gateway, ns.IPAddress, ns.IPPrefixLen = addrString(es.Gateway), addrString(es.IPAddress), es.IPPrefixLen
			ns.IPv6Gateway, ns.GlobalIPv6Address = addrString(es.IPv6Gateway), addrString(es.GlobalIPv6Address)
			ns.GlobalIPv6PrefixLen = es.GlobalIPv6PrefixLen
		}
	}
	return &LegacyInspectResponse{InspectResponse: r, NetworkSettings: ns}
}

// addrString is a as Docker's older types held it: "" for none.
func addrString(a netip.Addr) string {
	if !a.IsValid() {
		return ""
	}
	return a.String()
}

// shortID is the 12-character form of an ID that docker prints.
func shortID(id string) string {
	id = strings.TrimPrefix(id, "sha256:")
	return id[:min(12, len(id))]
}

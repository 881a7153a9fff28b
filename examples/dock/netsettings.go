package main

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"strconv"

	"github.com/go-dock/dock"
)

// networkSettingsJSON is docker inspect's NetworkSettings: the published
// and exposed ports, the container's networks by name, and at the top
// level its addresses on the default bridge, as Docker showed them until
// API 1.52 (--format '{{.NetworkSettings.IPAddress}}' is in many
// scripts).
type networkSettingsJSON struct {
	// SandboxKey is the path of the container's network namespace while
	// it runs (docker's is a bind mount of it; nsenter --net takes both).
	SandboxKey string
	Ports      map[string][]portBinding
	endpointAddrs
	Networks map[string]*endpointJSON
}

// endpointAddrs are a container's addresses on a network, as Docker's
// endpoint settings name them.
type endpointAddrs struct {
	EndpointID          string
	Gateway             string
	GlobalIPv6Address   string
	GlobalIPv6PrefixLen int
	IPAddress           string
	IPPrefixLen         int
	IPv6Gateway         string
	MacAddress          string
}

// endpointJSON is a container on a network, under
// NetworkSettings.Networks.
type endpointJSON struct {
	// IPAMConfig has the addresses asked for (--ip, --ip6); null when
	// none was.
	IPAMConfig *ipamRequestJSON
	Links      []string
	Aliases    []string
	DriverOpts map[string]string
	GwPriority int
	NetworkID  string
	endpointAddrs
	// DNSNames are the names the container has on the network: on a
	// user-defined network its name, aliases and short ID; none on the
	// default bridge, which resolves no names.
	DNSNames []string
}

type ipamRequestJSON struct {
	IPv4Address string `json:",omitempty"`
	IPv6Address string `json:",omitempty"`
}

// endpointID stands for Docker's endpoint ID: dock has no endpoint
// objects, so it is derived from the network's and the container's IDs
// (stable while the container is on the network). Empty when the
// container is not running there.
func endpointID(network, container string) string {
	sum := sha256.Sum256([]byte("dock endpoint " + network + " " + container))
	return hex.EncodeToString(sum[:])
}

// newEndpointAddrs are the container's addresses on the network ep.
func newEndpointAddrs(info *dock.Info, ep dock.EndpointInfo) endpointAddrs {
	var a endpointAddrs
	if ep.IPv4.IsValid() || ep.IPv6.IsValid() {
		a.EndpointID = endpointID(ep.NetworkID, info.ID)
		a.MacAddress = ep.MacAddress
	}
	if ep.IPv4.IsValid() {
		a.IPAddress, a.IPPrefixLen, a.Gateway = ep.IPv4.Addr().String(), ep.IPv4.Bits(), ep.Gateway.String()
	}
	if ep.IPv6.IsValid() {
		a.GlobalIPv6Address, a.GlobalIPv6PrefixLen = ep.IPv6.Addr().String(), ep.IPv6.Bits()
		a.IPv6Gateway = ep.IPv6Gateway.String()
	}
	return a
}

// newNetworkSettings is the NetworkSettings of info; exposed are its
// exposed ports (the image's, --expose and -p).
func newNetworkSettings(ctx context.Context, e *dock.Engine, info *dock.Info, exposed []dock.Port) networkSettingsJSON {
	j := networkSettingsJSON{Ports: containerPorts(info, exposed), Networks: map[string]*endpointJSON{}}
	if attached(info) {
		j.SandboxKey = "/proc/" + strconv.Itoa(info.State.Pid) + "/ns/net"
	}
	cfg := info.Config
	for i, ep := range info.Networks {
		ej := &endpointJSON{Aliases: ep.Aliases, NetworkID: ep.NetworkID, endpointAddrs: newEndpointAddrs(info, ep)}
		if i == 0 && (cfg.IPv4Address.IsValid() || cfg.IPv6Address.IsValid()) {
			ej.IPAMConfig = &ipamRequestJSON{}
			if cfg.IPv4Address.IsValid() {
				ej.IPAMConfig.IPv4Address = cfg.IPv4Address.String()
			}
			if cfg.IPv6Address.IsValid() {
				ej.IPAMConfig.IPv6Address = cfg.IPv6Address.String()
			}
		}
		if ep.Network != "bridge" {
			if info.Name != "" {
				ej.DNSNames = append(ej.DNSNames, info.Name)
			}
			ej.DNSNames = append(ej.DNSNames, ep.Aliases...)
			ej.DNSNames = append(ej.DNSNames, shortID(info.ID))
		} else {
			j.endpointAddrs = ej.endpointAddrs
		}
		j.Networks[ep.Network] = ej
	}
	mode := cfg.Network
	if mode == "" {
		mode = "none" // the library's default
	}
	if mode == "none" || mode == "host" {
		// Docker shows the predefined network; another container's
		// namespace has none.
		ej := &endpointJSON{}
		if n, err := e.Network(ctx, mode); err == nil {
			ej.NetworkID = n.ID
		}
		j.Networks[mode] = ej
	}
	return j
}

package main

import (
	"fmt"
	"net"
	"strings"
)

// The addresses dockd listens on when -H names no path or port: dock's
// own socket (not Docker's /var/run/docker.sock, which a real dockerd may
// hold), and Docker's TCP ports.
const (
	defaultUnixHost = "unix:///run/dock.sock"
	defaultTCPPort  = "2375" // plain
	defaultTLSPort  = "2376" // with --tlsverify
)

// host is one -H address.
type host struct {
	network string // "unix" or "tcp"
	addr    string // a path, or host:port ("" until the TLS default is known)
}

func (h host) String() string { return h.network + "://" + h.addr }

// parseHost reads -H as Docker does for the forms dockd serves:
// unix:///path, unix:// (the default socket), tcp://host:port, tcp://host
// (Docker's port) and tcp://:port (every address).
func parseHost(s string) (host, error) {
	network, rest, ok := strings.Cut(s, "://")
	if !ok {
		return host{}, fmt.Errorf("-H %q: want unix:///path or tcp://host:port", s)
	}
	switch network {
	case "unix":
		if rest == "" {
			return parseHost(defaultUnixHost)
		}
		if !strings.HasPrefix(rest, "/") {
			return host{}, fmt.Errorf("-H %q: the socket's path must be absolute", s)
		}
		return host{network: "unix", addr: rest}, nil
	case "tcp":
		if strings.ContainsAny(rest, "/?#") {
			return host{}, fmt.Errorf("-H %q: a TCP address is host:port, without a path", s)
		}
		if rest == "" {
			rest = "127.0.0.1"
		}
		if _, _, err := net.SplitHostPort(rest); err != nil {
			// No port: Docker's, chosen once --tlsverify is known.
			if strings.Count(rest, ":") > 1 && !strings.HasPrefix(rest, "[") {
				rest = "[" + rest + "]" // a bare IPv6 address
			}
			if _, _, err := net.SplitHostPort(rest + ":0"); err != nil {
				return host{}, fmt.Errorf("-H %q: %v", s, err)
			}
			return host{network: "tcp", addr: rest}, nil
		}
		return host{network: "tcp", addr: rest}, nil
	default:
		return host{}, fmt.Errorf("-H %q: unsupported protocol %q (dockd serves unix and tcp)", s, network)
	}
}

// withPort completes a TCP address that named no port.
func (h host) withPort(tls bool) host {
	if h.network != "tcp" {
		return h
	}
	if _, _, err := net.SplitHostPort(h.addr); err == nil {
		return h
	}
	if tls {
		h.addr += ":" + defaultTLSPort
	} else {
		h.addr += ":" + defaultTCPPort
	}
	return h
}

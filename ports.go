package dock

import (
	"fmt"
	"net/netip"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// The syntax and the error texts here are Docker's: docker run -p is parsed
// by ParsePortSpec in github.com/docker/go-connections nat/nat.go (with
// parsePortRange in nat/parse.go), --expose and the image's EXPOSE keys by
// ParsePortRange in github.com/moby/moby api/types/network/port.go. Where
// dock differs, the comments below say so.

// PortMapping publishes a container port on the host (docker run -p).
type PortMapping struct {
	// HostIP is the host address the port is published on. The zero
	// value publishes on every address: 0.0.0.0, and [::] too when the
	// container has an IPv6 address. An IPv4-mapped IPv6 address is
	// taken as the IPv4 address; zones are refused.
	HostIP netip.Addr `json:"hostIP,omitzero"`
	// HostPort is the port on the host; 0 asks for an ephemeral port that
	// the kernel chooses at start, from net.ipv4.ip_local_port_range less
	// net.ipv4.ip_local_reserved_ports.
	HostPort uint16 `json:"hostPort,omitempty"`
	// HostPortEnd, when above HostPort, makes HostPort-HostPortEnd a range
	// of which the first free port is taken at start, as Docker does for
	// a host range published to a single container port
	// ("8000-8010:80"). Otherwise it is 0.
	HostPortEnd uint16 `json:"hostPortEnd,omitempty"`
	// ContainerPort is the port inside the container, never 0.
	ContainerPort uint16 `json:"containerPort"`
	// Proto is "tcp" or "udp"; "" means "tcp".
	Proto string `json:"proto,omitempty"`
}

// String returns m in the syntax of docker run -p, with the protocol
// always written: "80/tcp", "127.0.0.1::80/udp", "[::1]:8080:80/tcp",
// "8000-8010:80/tcp". ParsePortMappings reads it back as m.
func (m PortMapping) String() string {
	var b strings.Builder
	if m.HostIP.IsValid() {
		if m.HostIP.Is6() {
			b.WriteString("[" + m.HostIP.String() + "]:")
		} else {
			b.WriteString(m.HostIP.String() + ":")
		}
	}
	switch {
	case m.HostPortEnd > m.HostPort:
		fmt.Fprintf(&b, "%d-%d:", m.HostPort, m.HostPortEnd)
	case m.HostPort != 0:
		fmt.Fprintf(&b, "%d:", m.HostPort)
	case m.HostIP.IsValid():
		b.WriteString(":") // "127.0.0.1::80": an ephemeral port on an address
	}
	b.WriteString(Port{Number: m.ContainerPort, Proto: m.Proto}.String())
	return b.String()
}

// Port is a container port and its protocol, as docker run --expose and
// an image's EXPOSE name it.
type Port struct {
	Number uint16 `json:"number"`
	// Proto is "tcp" or "udp"; "" means "tcp".
	Proto string `json:"proto,omitempty"`
}

// String returns "80/tcp": the form of the keys of an image's
// ExposedPorts.
func (p Port) String() string {
	proto := p.Proto
	if proto == "" {
		proto = "tcp"
	}
	return strconv.Itoa(int(p.Number)) + "/" + proto
}

// ParsePortMappings parses the specs of docker run -p (--publish):
//
//	[hostIP:][hostPort:]containerPort[/proto]
//
// hostIP is an IPv4 address or an IPv6 address, in brackets or not
// ("[::1]:8080:80", "::1:8080:80"); hostPort and containerPort are a port
// or a range "8000-8010"; proto is tcp (the default) or udp, in any case.
// An empty hostPort ("80", "127.0.0.1::80") or a hostPort of 0 ("0:80")
// asks for an ephemeral host port.
//
// Ranges expand to one PortMapping per port, in order: "8000-8002:80-82"
// is 8000:80, 8001:81, 8002:82, and "80-82" is three ephemeral ports.
// A host range and a container range must be of the same length, except
// that a host range with a single container port ("8000-8010:80") is one
// PortMapping whose host port is the first free port of the range, chosen
// at start (HostPortEnd): Docker's rule.
//
// The mappings of all specs are returned in the order given; duplicates
// are kept (the start refuses a host port taken twice). An error wraps
// ErrInvalid and names the spec; sctp, which Docker accepts, wraps
// ErrUnsupported as well. Unlike Docker, a port of 0 (but for the
// ephemeral hostPort "0"), a sign ("+80"), an empty IP in brackets
// ("[]:80:80") and non-printable characters are refused.
func ParsePortMappings(specs ...string) ([]PortMapping, error) {
	var out []PortMapping
	for _, spec := range specs {
		ms, err := parsePortSpec(spec)
		if err != nil {
			return nil, err
		}
		out = append(out, ms...)
	}
	return out, nil
}

// ParseExposedPorts parses the specs of docker run --expose and the keys
// of an image's ExposedPorts: a port or a range with an optional protocol
// ("80", "80/tcp", "8000-8010/udp"). A range expands to one Port per port.
// The result has each port once, in the order first given. An error wraps
// ErrInvalid and names the spec (and ErrUnsupported for sctp). Unlike
// Docker, which takes any protocol here, only tcp and udp are accepted.
func ParseExposedPorts(specs ...string) ([]Port, error) {
	var out []Port
	seen := map[Port]bool{}
	for _, spec := range specs {
		if !printable(spec) {
			return nil, specError("exposed port", spec, fmt.Errorf("non-printable character"))
		}
		ports, proto, _ := strings.Cut(spec, "/")
		start, end, err := parsePortRange(ports)
		if err != nil {
			return nil, specError("exposed port", spec, err)
		}
		if proto, err = portProto(proto); err != nil {
			return nil, specError("exposed port", spec, err)
		}
		for n := int(start); n <= int(end); n++ { // int: end may be 65535
			p := Port{Number: uint16(n), Proto: proto}
			if !seen[p] {
				seen[p] = true
				out = append(out, p)
			}
		}
	}
	return out, nil
}

// parsePortSpec parses one spec of docker run -p. The checks come in
// Docker's order, so that a spec with several faults gets Docker's error.
func parsePortSpec(spec string) ([]PortMapping, error) {
	bad := func(format string, args ...any) error {
		return specError("port spec", spec, fmt.Errorf(format, args...))
	}
	if !printable(spec) {
		return nil, bad("non-printable character") // kept out of the messages below
	}
	ip, hostPort, ctrPort := splitPortSpec(spec)
	ctrPort, proto, _ := strings.Cut(ctrPort, "/")
	if ctrPort == "" {
		return nil, bad("no port specified: %s<empty>", spec)
	}
	proto, err := portProto(proto)
	if err != nil {
		return nil, bad("%w", err)
	}
	var addr netip.Addr
	if ip != "" {
		if addr, err = parseHostIP(ip); err != nil {
			return nil, bad("%w", err)
		}
	}
	start, end, err := parsePortRange(ctrPort)
	if err != nil {
		return nil, bad("invalid containerPort: %s: %w", ctrPort, err)
	}
	var hostStart, hostEnd uint16
	if hostPort != "" && hostPort != "0" { // "0": ephemeral, as in Docker
		if hostStart, hostEnd, err = parsePortRange(hostPort); err != nil {
			return nil, bad("invalid hostPort: %s: %w", hostPort, err)
		}
	}
	// A host range must match the container range, or serve one
	// container port (any free port of it).
	if hostPort != "" && end-start != hostEnd-hostStart && start != end {
		return nil, bad("invalid ranges specified for container and host Ports: %s and %s", ctrPort, hostPort)
	}
	if start == end && hostEnd > hostStart {
		return []PortMapping{{HostIP: addr, HostPort: hostStart, HostPortEnd: hostEnd, ContainerPort: start, Proto: proto}}, nil
	}
	out := make([]PortMapping, 0, int(end)-int(start)+1)
	for i := 0; i <= int(end-start); i++ {
		m := PortMapping{HostIP: addr, ContainerPort: start + uint16(i), Proto: proto}
		if hostStart != 0 {
			m.HostPort = hostStart + uint16(i)
		}
		out = append(out, m)
	}
	return out, nil
}

// printable reports whether s is valid UTF-8 without control or other
// non-printable characters: the parts of a spec go unquoted into the
// errors, in Docker's words.
func printable(s string) bool {
	return utf8.ValidString(s) && strings.IndexFunc(s, func(r rune) bool { return !unicode.IsPrint(r) }) < 0
}

// splitPortSpec splits "ip:hostPort:containerPort/proto" at its colons as
// Docker does: the last part is the container's, the one before it the
// host port, and all before those (colons included) the IP, which lets an
// IPv6 address go without brackets.
func splitPortSpec(spec string) (ip, hostPort, ctrPort string) {
	parts := strings.Split(spec, ":")
	n := len(parts)
	switch n {
	case 1:
		return "", "", parts[0]
	case 2:
		return "", parts[0], parts[1]
	}
	return strings.Join(parts[:n-2], ":"), parts[n-2], parts[n-1]
}

// parseHostIP parses the host IP of a -p spec: an address, IPv6 with or
// without brackets, without a zone.
func parseHostIP(ip string) (netip.Addr, error) {
	s := ip
	if strings.HasPrefix(s, "[") {
		if !strings.HasSuffix(s, "]") {
			return netip.Addr{}, fmt.Errorf("invalid IP address %s: missing ']' in address", ip)
		}
		s = s[1 : len(s)-1]
	}
	addr, err := netip.ParseAddr(s)
	if err != nil || addr.Zone() != "" {
		return netip.Addr{}, fmt.Errorf("invalid IP address: %s", ip)
	}
	return addr.Unmap(), nil
}

// specError is the error of a spec: ErrInvalid, what and which spec, and
// why (wrapped too: ErrUnsupported for sctp).
func specError(what, spec string, why error) error {
	return fmt.Errorf("%w: %s %q: %w", ErrInvalid, what, spec, why)
}

// portProto returns a spec's protocol lower-cased, "tcp" for none.
func portProto(proto string) (string, error) {
	switch proto = strings.ToLower(proto); proto {
	case "":
		return "tcp", nil
	case "tcp", "udp":
		return proto, nil
	case "sctp":
		return "", fmt.Errorf("invalid proto: sctp is %w", ErrUnsupported)
	}
	return "", fmt.Errorf("invalid proto: %s", proto)
}

// parsePortRange parses "80" or "8000-8010" (Docker allows "80-80") with
// Docker's messages, refusing port 0.
func parsePortRange(s string) (start, end uint16, err error) {
	if s == "" {
		return 0, 0, fmt.Errorf("value is empty")
	}
	first, last, isRange := strings.Cut(s, "-")
	what := "port"
	if isRange {
		what = "start port"
	}
	if start, err = parsePortNumber(first); err != nil {
		return 0, 0, fmt.Errorf("invalid %s '%s': %w", what, first, err)
	}
	if !isRange || first == last {
		return start, start, nil
	}
	if end, err = parsePortNumber(last); err != nil {
		return 0, 0, fmt.Errorf("invalid end port '%s': %w", last, err)
	}
	if end < start {
		return 0, 0, fmt.Errorf("invalid port range: %s", s)
	}
	return start, end, nil
}

// parsePortNumber parses a port from 1 to 65535 in ASCII decimal digits
// (leading zeros allowed): no sign, no space, no other digits.
func parsePortNumber(s string) (uint16, error) {
	if s == "" {
		return 0, fmt.Errorf("value is empty")
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return 0, strconv.ErrSyntax
		}
	}
	n, err := strconv.ParseUint(s, 10, 16)
	if err != nil || n == 0 {
		return 0, fmt.Errorf("value out of range (1-65535)")
	}
	return uint16(n), nil
}

package dock

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"net/netip"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/go-dock/dock/internal/ipam"
)

// Networks come in three tiers of state (DESIGN.md, research/networking.md):
// the definitions, kept here in the root as networks/<id>.json; the
// per-boot allocations (addresses, ports, names) under the host-wide
// /run/dock/net with its one flock; and the kernel objects (bridges, the
// nftables table). This file is the first tier; network_attach_linux.go
// the other two.

// Network is a network's definition, as docker network inspect shows it
// (the CLI and the Engine API turn it into Docker's JSON).
type Network struct {
	// ID is 64 hexadecimal characters: random for the networks
	// CreateNetwork makes, fixed for the predefined bridge, host and none
	// (so that every root on a host names them alike: they are the host's).
	ID   string `json:"id"`
	Name string `json:"name"`
	// Driver is "bridge", or "host" and "null" for the predefined host
	// and none networks.
	Driver  string    `json:"driver"`
	Created time.Time `json:"created"`
	// IPAM is the network's subnets, at most one per address family,
	// IPv4 first.
	IPAM []IPAMConfig `json:"ipam,omitempty"`
	// Internal networks have no route out of the host.
	Internal bool `json:"internal,omitempty"`
	// EnableIPv6 gives the network an IPv6 subnet.
	EnableIPv6 bool              `json:"enableIPv6,omitempty"`
	Labels     map[string]string `json:"labels,omitempty"`
	// Options are the driver's options (docker network create -o).
	Options map[string]string `json:"options,omitempty"`
}

// IPAMConfig is a subnet of a network, with its gateway and the range
// that containers' addresses are taken from.
type IPAMConfig struct {
	Subnet netip.Prefix `json:"subnet"`
	// Gateway is the host's address on the network: by default the
	// first address of Subnet.
	Gateway netip.Addr `json:"gateway,omitzero"`
	// IPRange is the part of Subnet that containers get their addresses
	// from; zero for the whole subnet.
	IPRange netip.Prefix `json:"ipRange,omitzero"`
}

// Predefined reports whether the network is one of bridge, host and none,
// which every Engine has and none can remove.
func (n *Network) Predefined() bool {
	return slices.ContainsFunc(predefinedNetworks, func(p Network) bool { return p.ID == n.ID })
}

// predefinedNetworks are Docker's: the default bridge on Docker's first
// pool (its bridge will be dock0, not docker0, so that both can live on
// one host; which one keeps 172.17.0.0/16 then is the bridge tier's
// question), host and none. Their IDs are derived from their names.
var predefinedNetworks = []Network{
	{
		ID: predefinedID("bridge"), Name: "bridge", Driver: "bridge",
		IPAM: []IPAMConfig{{Subnet: ipam.DefaultPools[0].Base, Gateway: ipam.DefaultPools[0].Base.Addr().Next()}},
		Options: map[string]string{
			"com.docker.network.bridge.default_bridge": "true",
			"com.docker.network.bridge.name":           "dock0",
		},
	},
	{ID: predefinedID("host"), Name: "host", Driver: "host"},
	{ID: predefinedID("none"), Name: "none", Driver: "null"},
}

// PredefinedNetworkID returns the ID of the predefined network named name
// (bridge, host or none), the same for every Engine on every host; "" for
// another name.
func PredefinedNetworkID(name string) string {
	for _, p := range predefinedNetworks {
		if p.Name == name {
			return p.ID
		}
	}
	return ""
}

func predefinedID(name string) string {
	sum := sha256.Sum256([]byte("dock predefined network " + name))
	return hex.EncodeToString(sum[:])
}

// NetworkOption configures CreateNetwork.
type NetworkOption func(*networkOptions) error

type networkOptions struct {
	driver   string
	subnets  []netip.Prefix
	gateways []netip.Addr
	ranges   []netip.Prefix
	internal bool
	ipv6     bool
	labels   map[string]string
	options  map[string]string
}

// NetworkDriver sets the network's driver. Only "bridge", the default,
// exists.
func NetworkDriver(name string) NetworkOption {
	return func(o *networkOptions) error {
		if name != "bridge" {
			return invalidf("network driver %q: only bridge is supported", name)
		}
		o.driver = name
		return nil
	}
}

// NetworkSubnet sets a subnet in CIDR form ("10.1.0.0/16", "fd00:1::/64"),
// at most one per address family; an IPv6 one needs NetworkIPv6. By
// default the IPv4 subnet is the first of Docker's default pools
// (172.17.0.0/16 to 172.31.0.0/16, then 192.168.0.0/16 in /20s) that
// overlaps no other network of this root, no route of the host and no
// nameserver of /etc/resolv.conf; the IPv6 one (with NetworkIPv6) a
// unique local /64 derived from the network's ID.
func NetworkSubnet(cidr string) NetworkOption {
	return func(o *networkOptions) error {
		p, err := parseSubnet(cidr)
		if err != nil {
			return err
		}
		o.subnets = append(o.subnets, p)
		return nil
	}
}

// NetworkGateway sets the gateway of the subnet that contains ip. By
// default a subnet's gateway is its first address.
func NetworkGateway(ip string) NetworkOption {
	return func(o *networkOptions) error {
		a, err := netip.ParseAddr(ip)
		if err != nil || a.Zone() != "" {
			return invalidf("invalid gateway %q: not an IP address", ip)
		}
		o.gateways = append(o.gateways, a.Unmap())
		return nil
	}
}

// NetworkIPRange sets the range, in CIDR form, that containers get their
// addresses from in the subnet that contains it. By default it is the
// whole subnet.
func NetworkIPRange(cidr string) NetworkOption {
	return func(o *networkOptions) error {
		p, err := parseSubnet(cidr)
		if err != nil {
			return invalidf("invalid ip range %q: %v", cidr, errors.Unwrap(err))
		}
		o.ranges = append(o.ranges, p)
		return nil
	}
}

// NetworkInternal makes the network internal: containers on it reach
// each other and the host, nothing beyond. By default a network is not.
func NetworkInternal() NetworkOption {
	return func(o *networkOptions) error { o.internal = true; return nil }
}

// NetworkIPv6 gives the network an IPv6 subnet as well. By default a
// network is IPv4 only.
func NetworkIPv6() NetworkOption {
	return func(o *networkOptions) error { o.ipv6 = true; return nil }
}

// NetworkLabel sets a label (docker network create --label). Later ones
// replace earlier ones of the same key.
func NetworkLabel(key, value string) NetworkOption {
	return func(o *networkOptions) error {
		if key == "" {
			return invalidf("network label %q: empty key", "="+value)
		}
		if o.labels == nil {
			o.labels = map[string]string{}
		}
		o.labels[key] = value
		return nil
	}
}

// NetworkDriverOpt sets an option of the driver (docker network create
// -o). The options are kept as given; the bridge tier gives them their
// meaning.
func NetworkDriverOpt(key, value string) NetworkOption {
	return func(o *networkOptions) error {
		if key == "" {
			return invalidf("network option %q: empty key", "="+value)
		}
		if o.options == nil {
			o.options = map[string]string{}
		}
		o.options[key] = value
		return nil
	}
}

// parseSubnet parses a CIDR that must be a network address: Docker refuses
// "10.1.2.3/16" in favour of "10.1.0.0/16".
func parseSubnet(cidr string) (netip.Prefix, error) {
	p, err := netip.ParsePrefix(cidr)
	if err != nil {
		return p, invalidf("invalid subnet %q: not a CIDR", cidr)
	}
	if p.Addr().Is4In6() {
		return p, invalidf("invalid subnet %q: an IPv4-mapped address", cidr)
	}
	if m := p.Masked(); m != p {
		return p, invalidf("invalid subnet %s: it should be %s", cidr, m)
	}
	return p, nil
}

// CreateNetwork defines a network named name (Docker's rule for container
// names: [a-zA-Z0-9][a-zA-Z0-9_.-]*) and returns it. A name that a network
// has (bridge, host and none included) fails with ErrExist; bad options
// (a malformed CIDR, a gateway or range outside every subnet, a subnet
// that overlaps another network of this root, an IPv6 subnet without
// NetworkIPv6, a driver other than bridge) with ErrInvalid, and nothing
// is written. Two Engines on one root that create the same name at once:
// one succeeds, the other gets ErrExist.
func (e *Engine) CreateNetwork(ctx context.Context, name string, opts ...NetworkOption) (*Network, error) {
	o := networkOptions{driver: "bridge"}
	for _, opt := range opts {
		if err := opt(&o); err != nil {
			return nil, fmt.Errorf("create network %s: %w", name, err)
		}
	}
	if !validName(name, 255) {
		return nil, invalidf("create network: invalid name %q: it must match [a-zA-Z0-9][a-zA-Z0-9_.-]*", name)
	}
	n := &Network{
		ID: newID(), Name: name, Driver: o.driver, Created: time.Now().UTC(),
		Internal: o.internal, EnableIPv6: o.ipv6, Labels: o.labels, Options: o.options,
	}
	cfgs, err := ipamConfigs(o)
	if err != nil {
		return nil, fmt.Errorf("create network %s: %w", name, err)
	}
	err = e.locked(func() error {
		nets, err := e.Networks(ctx)
		if err != nil {
			return err
		}
		var taken []netip.Prefix
		for _, other := range nets {
			if other.Name == name {
				return fmt.Errorf("network with name %s %w", name, ErrExist)
			}
			for _, c := range other.IPAM {
				for _, mine := range cfgs {
					if mine.Subnet.Overlaps(c.Subnet) {
						return invalidf("subnet %s overlaps %s of network %s", mine.Subnet, c.Subnet, other.Name)
					}
				}
				taken = append(taken, c.Subnet)
			}
		}
		if cfgs, err = e.defaultSubnets(n.ID, cfgs, o.ipv6, taken); err != nil {
			return err
		}
		n.IPAM = cfgs
		data, err := json.MarshalIndent(n, "", "\t")
		if err != nil {
			return err
		}
		return e.writeFileAtomic(e.path("networks", n.ID+".json"), data, 0o644)
	})
	if err != nil {
		return nil, fmt.Errorf("create network %s: %w", name, err)
	}
	e.emitNetwork(n, "create")
	return n, nil
}

// emitNetwork records a network event, about container when not empty
// (connect, disconnect).
func (e *Engine) emitNetwork(n *Network, action string, container ...string) {
	a := attrs("name", n.Name, "type", n.Driver)
	if len(container) > 0 {
		a["container"] = container[0]
	}
	e.emit(EventNetwork, action, n.ID, a)
}

// ipamConfigs checks the subnets, gateways and ranges given, and pairs
// each gateway and range with the subnet that contains it, as docker
// network create does.
func ipamConfigs(o networkOptions) ([]IPAMConfig, error) {
	var cfgs []IPAMConfig
	for _, s := range o.subnets {
		if slices.ContainsFunc(cfgs, func(c IPAMConfig) bool { return c.Subnet.Addr().Is4() == s.Addr().Is4() }) {
			return nil, invalidf("subnet %s: one subnet per address family", s)
		}
		if s.Addr().Is6() && !o.ipv6 {
			return nil, invalidf("subnet %s: an IPv6 subnet needs IPv6 enabled (--ipv6)", s)
		}
		if s.Bits() > s.Addr().BitLen()-2 {
			return nil, invalidf("subnet %s: too small for a gateway and a container", s)
		}
		cfgs = append(cfgs, IPAMConfig{Subnet: s})
	}
	slices.SortStableFunc(cfgs, func(a, b IPAMConfig) int { return a.Subnet.Addr().BitLen() - b.Subnet.Addr().BitLen() })
	match := func(what string, p netip.Prefix) (*IPAMConfig, error) {
		for i := range cfgs {
			if cfgs[i].Subnet.Contains(p.Addr()) && p.Bits() >= cfgs[i].Subnet.Bits() {
				return &cfgs[i], nil
			}
		}
		return nil, invalidf("no matching subnet for %s %s", what, p)
	}
	for _, g := range o.gateways {
		c, err := match("gateway", netip.PrefixFrom(g, g.BitLen()))
		if err != nil {
			return nil, err
		}
		if c.Gateway.IsValid() {
			return nil, invalidf("cannot configure multiple gateways (%s, %s) for subnet %s", c.Gateway, g, c.Subnet)
		}
		c.Gateway = g
	}
	for _, r := range o.ranges {
		c, err := match("ip range", r)
		if err != nil {
			return nil, err
		}
		if c.IPRange.IsValid() {
			return nil, invalidf("cannot configure multiple ranges (%s, %s) on subnet %s", c.IPRange, r, c.Subnet)
		}
		c.IPRange = r
	}
	return cfgs, nil
}

// defaultSubnets adds the subnets that were not given (an IPv4 one, and
// an IPv6 one when ipv6 is set) and the gateways. taken are the other
// networks' subnets. The caller holds the lock.
func (e *Engine) defaultSubnets(id string, cfgs []IPAMConfig, ipv6 bool, taken []netip.Prefix) ([]IPAMConfig, error) {
	has := func(v4 bool) bool {
		return slices.ContainsFunc(cfgs, func(c IPAMConfig) bool { return c.Subnet.Addr().Is4() == v4 })
	}
	if !has(true) || ipv6 && !has(false) {
		taken = append(taken, e.hostNetworks()...)
	}
	if !has(true) {
		p, ok := ipam.Choose(ipam.DefaultPools, taken)
		if !ok {
			return nil, errors.New("all predefined address pools have been fully subnetted")
		}
		cfgs = slices.Insert(cfgs, 0, IPAMConfig{Subnet: p})
	}
	if ipv6 && !has(false) {
		seed, _ := hex.DecodeString(id)
		p, ok := ipam.ULA(seed, taken)
		if !ok {
			return nil, errors.New("no free unique local IPv6 /64")
		}
		cfgs = append(cfgs, IPAMConfig{Subnet: p})
	}
	for i := range cfgs {
		if !cfgs[i].Gateway.IsValid() {
			cfgs[i].Gateway = cfgs[i].Subnet.Addr().Next()
		}
	}
	return cfgs, nil
}

// hostNetworks are what the host uses, for a subnet to avoid: the
// destinations of its routes (default routes aside) and its nameservers,
// as Docker's InferReservedNetworks. A file that cannot be read adds
// nothing. It reads the routes of the calling thread's network namespace.
func (e *Engine) hostNetworks() []netip.Prefix {
	if e.hostNets != nil {
		return e.hostNets()
	}
	out := hostRoutes()
	if data, err := os.ReadFile("/etc/resolv.conf"); err == nil {
		p, _ := ipam.ParseResolvConf(bytes.NewReader(data))
		out = append(out, p...)
	}
	return out
}

// hostRoutes are the destinations of the host's routes, default routes
// aside: the calling thread's namespace's (/proc/net is the main
// thread's, which need not be this one's).
func hostRoutes() []netip.Prefix {
	var out []netip.Prefix
	if data, err := os.ReadFile("/proc/thread-self/net/route"); err == nil {
		p, _ := ipam.ParseRoutes(bytes.NewReader(data), binary.NativeEndian)
		out = append(out, p...)
	}
	if data, err := os.ReadFile("/proc/thread-self/net/ipv6_route"); err == nil {
		p, _ := ipam.ParseIPv6Routes(bytes.NewReader(data))
		out = append(out, p...)
	}
	return out
}

// Networks lists the networks, the predefined bridge, host and none
// included, sorted by name as docker network ls shows them.
func (e *Engine) Networks(ctx context.Context) ([]*Network, error) {
	created := time.Time{}
	if fi, err := os.Stat(e.path("lock")); err == nil {
		created = fi.ModTime().UTC() // about when the root was made
	}
	var out []*Network
	for _, p := range predefinedNetworks {
		n := p
		n.Created = created
		out = append(out, &n)
	}
	entries, err := os.ReadDir(e.path("networks"))
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("list networks: %w", err)
	}
	for _, ent := range entries {
		id, ok := strings.CutSuffix(ent.Name(), ".json")
		if !ok || !isID(id) {
			continue
		}
		n, err := e.readNetwork(id)
		if err != nil {
			return nil, fmt.Errorf("list networks: %w", err)
		}
		out = append(out, n)
	}
	slices.SortFunc(out, func(a, b *Network) int { return strings.Compare(a.Name, b.Name) })
	return out, nil
}

func isID(s string) bool {
	if len(s) != 64 {
		return false
	}
	_, err := hex.DecodeString(s)
	return err == nil && strings.ToLower(s) == s
}

func (e *Engine) readNetwork(id string) (*Network, error) {
	data, err := os.ReadFile(e.path("networks", id+".json"))
	if err != nil {
		return nil, err
	}
	var n Network
	if err := json.Unmarshal(data, &n); err != nil {
		return nil, fmt.Errorf("network %s: %w", id, err)
	}
	return &n, nil
}

// Network returns the network with the given name, ID or unique ID
// prefix, in Docker's order: a full ID, then a name, then a prefix. None
// fails with ErrNotFound, a prefix of several IDs with ErrInvalid.
func (e *Engine) Network(ctx context.Context, nameOrID string) (*Network, error) {
	if nameOrID == "" {
		return nil, invalidf("empty network reference")
	}
	nets, err := e.Networks(ctx)
	if err != nil {
		return nil, err
	}
	for _, match := range []func(*Network) bool{
		func(n *Network) bool { return n.ID == nameOrID },
		func(n *Network) bool { return n.Name == nameOrID },
	} {
		if i := slices.IndexFunc(nets, match); i >= 0 {
			return nets[i], nil
		}
	}
	var found []*Network
	for _, n := range nets {
		if strings.HasPrefix(n.ID, nameOrID) {
			found = append(found, n)
		}
	}
	switch len(found) {
	case 0:
		return nil, fmt.Errorf("network %s %w", nameOrID, ErrNotFound)
	case 1:
		return found[0], nil
	}
	return nil, invalidf("network %s is ambiguous (%d matches found based on ID prefix)", nameOrID, len(found))
}

// RemoveNetwork removes a network by name, ID or unique ID prefix. The
// predefined bridge, host and none are refused with ErrInvalid, a
// network that a container uses with ErrInUse.
func (e *Engine) RemoveNetwork(ctx context.Context, nameOrID string) error {
	return e.locked(func() error {
		n, err := e.Network(ctx, nameOrID)
		if err != nil {
			return fmt.Errorf("remove network: %w", err)
		}
		if n.Predefined() {
			return fmt.Errorf("remove network: %s is a pre-defined network and cannot be removed: %w", n.Name, ErrInvalid)
		}
		if ids := e.networkUsers()[n.ID]; len(ids) > 0 {
			return fmt.Errorf("remove network %s: used by container %s: %w", n.Name, ids[0][:12], ErrInUse)
		}
		if err := takeDownNetwork(n.ID); err != nil {
			return fmt.Errorf("remove network %s: %w", n.Name, err)
		}
		if err := os.Remove(e.path("networks", n.ID+".json")); err != nil {
			return fmt.Errorf("remove network %s: %w", n.Name, err)
		}
		e.emitNetwork(n, "destroy")
		return nil
	})
}

// PruneNetworks removes the networks that no container uses, the
// predefined ones aside, and returns their names (docker network prune).
// PruneUntil and PruneLabel narrow the networks removed (by their
// creation time, their labels); PruneAll is refused.
func (e *Engine) PruneNetworks(ctx context.Context, opts ...PruneOption) ([]string, error) {
	o, err := applyPruneOptions(opts)
	if err == nil && (o.all || o.volumes) {
		err = fmt.Errorf("%w: PruneNetworks takes PruneUntil and PruneLabel only", ErrInvalid)
	}
	if err != nil {
		return nil, fmt.Errorf("prune networks: %w", err)
	}
	var removed []string
	err = e.locked(func() error {
		nets, err := e.Networks(ctx)
		if err != nil {
			return err
		}
		used := e.networkUsers()
		var errs []error
		for _, n := range nets {
			if ctx.Err() != nil {
				return errors.Join(append(errs, ctx.Err())...)
			}
			if n.Predefined() || len(used[n.ID]) > 0 || !o.selectsNetwork(n) {
				continue
			}
			if err := takeDownNetwork(n.ID); err != nil {
				errs = append(errs, fmt.Errorf("remove network %s: %w", n.Name, err))
				continue
			}
			if err := os.Remove(e.path("networks", n.ID+".json")); err != nil {
				errs = append(errs, fmt.Errorf("remove network %s: %w", n.Name, err))
				continue
			}
			removed = append(removed, n.Name)
			e.emitNetwork(n, "destroy")
		}
		return errors.Join(errs...)
	})
	e.emitPrune(EventNetwork, 0)
	if err != nil {
		return removed, fmt.Errorf("prune networks: %w", err)
	}
	return removed, nil
}

// selectsNetwork reports whether the prune's filters select n.
func (o *pruneOptions) selectsNetwork(n *Network) bool {
	if !o.until.IsZero() && !n.Created.Before(o.until) {
		return false
	}
	return o.matchLabels(n.Labels)
}

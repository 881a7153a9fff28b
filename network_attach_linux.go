package dock

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"os"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/go-dock/dock/internal/bridge"
	"github.com/go-dock/dock/internal/firewall"
	"github.com/go-dock/dock/internal/ipam"
	"github.com/go-dock/dock/internal/netstate"
	"github.com/go-dock/dock/internal/portres"
	"github.com/go-dock/dock/internal/procstat"
)

// The second and third tiers of networks (network.go has the first): at
// start, while the container's init is cloned, the container gets its
// addresses from the host-wide state and its ports in the nftables table
// (reserve, which makes the bridge with its first container); once the
// init exists, a veth pair on each bridge, with the container's end in
// its network namespace (place), and the init gives that end its
// addresses, MAC address and routes itself (the Link operations of its
// plan). The init gets its plan as soon as its links are there: the
// table, the state's save and the hairpins come meanwhile, and the start
// waits for them only before it returns. When
// the container ends, whoever sees it (the engine for an attached
// container, the monitor's hook for a detached one, or the next network
// operation after a kill -9) takes it all back.

// netSetup is what a start made for the container's network.
type netSetup struct {
	// join is the namespace the init joins (container:NAME), etcDir
	// the directory of the hostname, hosts and resolv.conf files bound
	// in the container, and hostname its hostname: the other
	// container's.
	join     string
	etcDir   string
	hostname string
	// On bridge networks: the container, its networks, and what
	// prepareNetwork reserved: the host ports (the engine's until the
	// container ends when attached, the monitor's when detached) and
	// their mappings.
	container string
	eps       []endpointConfig
	defs      []*Network
	ports     []*os.File
	published []netstate.Port
	// links are the container's veth pairs and etc what its /etc files
	// say, planned by reserve (it runs while the init is cloned: planned
	// waits for them); place makes the links, the init's plan configures
	// them. reserved waits for the rest of reserve, the table and the
	// state, which only the start's commit needs.
	links    []bridge.Link
	etc      *etcNet
	planned  func() error
	reserved func() error
	// embedded: a network has the name server, whose sockets are
	// opened in the init's namespace (ns), held while it starts.
	embedded bool
	ns       *bridge.Namespace
	// attached: the container's endpoints are in the state, to take
	// back if the start fails.
	attached bool
}

// bridged reports whether the container joins bridge networks.
func (s *netSetup) bridged() bool { return len(s.eps) > 0 }

// prepareNetwork makes what must come before the container's init: the
// path of the namespace it joins (container:NAME), or, on bridge
// networks, what reserve needs. reserve holds the host ports while the
// init is cloned (a port in use fails the start, with Docker's message,
// before the init gets its plan: nothing runs), and the rest is made in
// the init's own namespace once it exists.
func (c *Container) prepareNetwork(rec *containerRecord) (*netSetup, error) {
	switch modeOf(rec.Config.Network) {
	case netContainer:
		return c.e.sharedNetwork(rec.Config.Network)
	case netBridge:
		eps, err := c.networks(rec)
		if err != nil || len(eps) == 0 {
			return &netSetup{}, err // none left (Disconnect): loopback only
		}
		s := &netSetup{container: rec.ID, eps: eps, defs: make([]*Network, len(eps))}
		for i, ep := range eps {
			if s.defs[i], err = c.e.networkByID(ep.Network); err != nil {
				return nil, err
			}
		}
		s.embedded = slices.ContainsFunc(s.defs, func(d *Network) bool { return !d.Predefined() })
		return s, nil
	}
	return &netSetup{}, nil
}

// finish ends what the start made: the handle on the init's namespace
// and, when the start failed, the endpoints (the pairs go with the
// init's namespace) and the held ports (which a detached container's
// monitor holds now in their stead).
func (s *netSetup) finish(started, detached bool) {
	if s.reserved != nil {
		s.reserved()
	}
	if s.ns != nil {
		s.ns.Close()
	}
	switch {
	case !started:
		if s.attached {
			teardownNetwork(s.container)
		}
		closeAll(s.ports)
	case detached:
		closeAll(s.ports) // the monitor holds them
	}
}

// teardown is an attached container's, when it has exited: its network
// goes, then its host ports (the rules that send to it are gone first).
func (s *netSetup) teardown() error {
	var err error
	if s.attached {
		err = teardownNetwork(s.container)
	}
	closeAll(s.ports)
	return err
}

func closeAll(files []*os.File) {
	for _, f := range files {
		f.Close()
	}
}

// reservePorts holds the host ports that the container publishes on its
// first network, def.
func reservePorts(rec *containerRecord, def *Network) ([]*os.File, []netstate.Port, error) {
	ms := publishedPorts(rec)
	if len(ms) == 0 {
		return nil, nil, nil
	}
	v6 := slices.ContainsFunc(def.IPAM, func(c IPAMConfig) bool { return c.Subnet.Addr().Is6() })
	req := make([]portres.Mapping, len(ms))
	for i, m := range ms {
		req[i] = portres.Mapping{Proto: m.Proto, HostIP: m.HostIP, HostPort: m.HostPort, HostPortEnd: m.HostPortEnd, IPv6: v6}
	}
	files, got, err := portres.Reserve(req)
	if err != nil {
		return nil, nil, err
	}
	ports := make([]netstate.Port, len(got))
	for i, g := range got {
		ports[i] = netstate.Port{Proto: g.Proto, HostIP: g.HostIP, HostPort: g.HostPort, ContainerPort: ms[i].ContainerPort}
	}
	return files, ports, nil
}

// sharedNetwork is what a container on network ("container:NAME") takes
// from that running container, as Docker does: its network namespace,
// and its hostname, hosts and resolv.conf files.
func (e *Engine) sharedNetwork(network string) (*netSetup, error) {
	name := network[len("container:"):]
	other, err := e.Container(name)
	if err != nil {
		return nil, fmt.Errorf("network %s: %w", network, err)
	}
	st, err := other.State(context.Background())
	if err != nil {
		return nil, err
	}
	if st.Status != StatusRunning && st.Status != StatusPaused {
		return nil, fmt.Errorf("cannot join network of a non running container: %s: %w", name, ErrNotRunning)
	}
	rec, err := other.record()
	if err != nil {
		return nil, err
	}
	return &netSetup{join: "/proc/" + strconv.Itoa(st.Pid) + "/ns/net", etcDir: other.dir(), hostname: rec.Hostname}, nil
}

// reserveAsync starts reserve in the background: planned waits for its
// plan, reserved for all of it.
func (s *netSetup) reserveAsync(rec *containerRecord) {
	s.planned, s.reserved = inTwoStages(func(planned func(error)) error { return s.reserve(rec, planned) })
}

// inTwoStages runs fn in the background, which calls its argument when
// its first stage is done: first waits for that (or for fn's return,
// when it returns first), all for fn's return; both return its error.
func inTwoStages(fn func(firstDone func(error)) error) (first, all func() error) {
	one, two := make(chan error, 1), make(chan error, 1)
	go func() {
		var once sync.Once
		firstDone := func(err error) { once.Do(func() { one <- err }) }
		err := fn(firstDone)
		firstDone(err)
		two <- err
	}()
	return sync.OnceValue(func() error { return <-one }), sync.OnceValue(func() error { return <-two })
}

// reserve makes, under the host-wide lock, the container's endpoints on
// each of its networks (addresses, ports, the bridge when the network is
// not up), and plans its links and /etc files: planned hands them over.
// The table changes after that, still under the lock: the start moves
// the links and sends the init its plan meanwhile, and waits for the
// table (reserved) only before it returns. A published port's rule is
// needed once the container's process listens, after its exec; if the
// table cannot change, the start kills the container and fails.
func (s *netSetup) reserve(rec *containerRecord, planned func(error)) error {
	// The host ports first, outside the lock: binding them is the
	// costly part (a socket filter each), and a port in use ends here.
	var err error
	if s.ports, s.published, err = reservePorts(rec, s.defs[0]); err != nil {
		return err
	}
	owner, _ := procstat.SelfStartTime()
	err = netStore.Update(func(st *netstate.State) error {
		t := newNetChange(st)
		var links []bridge.Link
		ports := s.published
		for i, def := range s.defs {
			if i > 0 {
				ports = nil // published on the first network only
			}
			link, err := t.endpoint(rec, s.eps[i], "eth"+strconv.Itoa(i), def, os.Getpid(), owner, ports)
			if err != nil {
				t.undo()
				return err
			}
			links = append(links, link)
		}
		first := st.Networks[s.defs[0].ID]
		etc := &etcNet{addrs: first.Endpoints[rec.ID].Addrs, embedded: s.embedded}
		for _, sub := range first.Subnets {
			if sub.Gateway.Is4() {
				etc.gateway = sub.Gateway
			}
		}
		// The start reads these once planned, and they change no more.
		s.links, s.etc = links, etc
		planned(nil)
		t.forgetUDP(s.published)
		settle := t.settle
		if testHookTable != nil {
			settle = testHookTable
		}
		if err := settle(); err != nil {
			t.undo()
			return err
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("network: %w", err)
	}
	s.attached = true
	return nil
}

// testHookTable, when a test sets it, is the table's change of a start
// (settle), to make it fail once the init has its plan.
var testHookTable func() error

// earlyPairs counts the pairs made before their addresses (for the
// tests).
var earlyPairs atomic.Int64

// place makes the container's links, their ends in the namespace of
// its init (pid), which waits for its plan, and opens the name server's
// sockets there when a network has it; then it calls placed, and turns
// the hairpins on, which the container needs only once it runs.
func (s *netSetup) place(rec *containerRecord, pid int, placed func(error)) error {
	path := fmt.Sprintf("/proc/%d/ns/net", pid)
	var nsfd *os.File
	if !s.embedded {
		f, err := os.Open(path)
		if err != nil {
			return fmt.Errorf("open network namespace: %w", err)
		}
		defer f.Close()
		nsfd = f
	} else {
		ns, err := bridge.OpenNamespace(path, true)
		if err != nil {
			return err
		}
		s.ns, nsfd = ns, ns.File
	}
	if err := s.addPairs(rec, int(nsfd.Fd())); err != nil {
		return err
	}
	if s.embedded {
		if err := serveNames(s.ns, rec.ID); err != nil {
			return err
		}
	}
	placed(nil)
	for i, l := range s.links {
		if l.Hairpin {
			if err := bridge.SetHairpin(l.Host); err != nil {
				return fmt.Errorf("network %s: %w", s.defs[i].Name, err)
			}
		}
	}
	return nil
}

// addPairs makes the container's pairs in its namespace (nsfd). Those
// on a bridge that is up go in at once, while reserve allocates the
// addresses: their names are known (the init sets the MAC address, see
// nsinit.Plan.Link). Once planned, a pair whose bridge went meanwhile
// (the collector took it down, a new one came up) is made again, and
// those whose bridge was not up are made.
func (s *netSetup) addPairs(rec *containerRecord, nsfd int) error {
	early := make([]int, len(s.defs)) // the bridge of each pair made early
	for i, def := range s.defs {
		// The names and bridge alone: the addresses are not planned yet.
		l := bridge.Link{Bridge: bridgeName(def), Host: vethName(rec.ID, def.ID), Name: "eth" + strconv.Itoa(i)}
		if br, err := bridge.Index(l.Bridge); err == nil && bridge.AddPairTo(br, l, nsfd) == nil {
			early[i] = br
			earlyPairs.Add(1)
		}
	}
	if err := s.planned(); err != nil {
		return err
	}
	for i, l := range s.links {
		// The names are those above (see endpoint); the bridge is the
		// state's.
		br, err := bridge.Index(l.Bridge)
		if err == nil && br == early[i] {
			continue
		}
		if early[i] != 0 {
			bridge.DeleteLink(l.Host)
		}
		if err == nil {
			err = bridge.AddPairTo(br, l, nsfd)
		}
		if err != nil {
			return fmt.Errorf("network %s: %w", s.defs[i].Name, err)
		}
	}
	return nil
}

// bridgeName is the name of a network's bridge: the option Docker has for
// it, else br- and the start of the ID, as Docker names them.
func bridgeName(n *Network) string {
	if name := n.Options["com.docker.network.bridge.name"]; name != "" {
		return name
	}
	return "br-" + n.ID[:12]
}

// vethName is the host's end of a container's link to a network: a hash
// of both, so that the name is the same for every try and fits IFNAMSIZ.
func vethName(container, network string) string {
	sum := sha256.Sum256([]byte(container + network))
	return "vd" + hex.EncodeToString(sum[:])[:12]
}

// netChange is one change of the state, under the lock: what it made,
// to settle or undo.
type netChange struct {
	st *netstate.State
	// rules is the table as the state described it before the change.
	rules   *firewall.Ruleset
	before  map[string]bool   // the networks whose bridges were up
	created []string          // bridges this change made
	sysctls map[string]string // host values this change set, as they were
}

func newNetChange(st *netstate.State) *netChange {
	t := &netChange{st: st, before: map[string]bool{}, rules: rulesetOf(st)}
	for id := range st.Networks {
		t.before[id] = true
	}
	// Reconcile first: the endpoints whose owner died without taking
	// them back (kill -9, a monitor killed) go now.
	st.DropDead(procstat.Alive)
	return t
}

// runtimeNetwork is the network's entry in the state, made (with its
// bridge) when it is not up yet.
func (t *netChange) runtimeNetwork(def *Network) (*netstate.Network, error) {
	if n := t.st.Networks[def.ID]; n != nil {
		return n, nil
	}
	n := &netstate.Network{ID: def.ID, Name: def.Name, Bridge: bridgeName(def),
		Internal: def.Internal, Names: !def.Predefined(), Endpoints: map[string]*netstate.Endpoint{}}
	for _, c := range def.IPAM {
		n.Subnets = append(n.Subnets, netstate.Subnet{Prefix: c.Subnet, Gateway: c.Gateway, Range: c.IPRange})
	}
	if err := t.checkSubnets(n); err != nil {
		return nil, err
	}
	// A bridge already there is this network's (one that lingers, or a
	// crash's leftover); a new one must not clash with the host's routes.
	existed := bridge.Exists(n.Bridge)
	if !existed {
		if err := t.checkRoutes(n, def); err != nil {
			return nil, err
		}
	}
	if err := t.forwarding(def); err != nil {
		return nil, err
	}
	var gws []netip.Prefix
	for _, sub := range n.Subnets {
		gws = append(gws, netip.PrefixFrom(sub.Gateway, sub.Prefix.Bits()))
	}
	if err := bridge.Ensure(n.Bridge, gws); err != nil {
		return nil, err
	}
	if !existed {
		t.created = append(t.created, n.Bridge)
	}
	t.st.Networks[def.ID] = n
	return n, nil
}

// checkSubnets refuses a network whose subnets overlap those of another
// network up on this host (another root's, which this root's CreateNetwork
// could not see).
func (t *netChange) checkSubnets(n *netstate.Network) error {
	for _, other := range t.st.Networks {
		if other.Bridge == n.Bridge {
			return fmt.Errorf("network %s: bridge %s is used by network %s of another engine", n.Name, n.Bridge, other.Name)
		}
		for _, a := range other.Subnets {
			for _, b := range n.Subnets {
				if a.Prefix.Overlaps(b.Prefix) {
					return fmt.Errorf("network %s: subnet %s overlaps %s of network %s (bridge %s), up on this host: %w",
						n.Name, b.Prefix, a.Prefix, other.Name, other.Bridge, ErrInvalid)
				}
			}
		}
	}
	return nil
}

// checkRoutes refuses a network whose subnet the host already routes
// elsewhere (another engine's bridge, Docker's docker0, a VPN): its
// containers could not be reached. The default bridge moves instead to
// the first of Docker's pools that is free, so that dock and Docker live
// on one host (Docker's own default bridge, docker0, has 172.17.0.0/16
// too); the state keeps the subnet it took while it is up.
func (t *netChange) checkRoutes(n *netstate.Network, def *Network) error {
	routes := hostRoutes()
	for i, sub := range n.Subnets {
		j := slices.IndexFunc(routes, sub.Prefix.Overlaps)
		if j < 0 {
			continue
		}
		if def.ID != predefinedNetworks[0].ID || !sub.Prefix.Addr().Is4() {
			return fmt.Errorf("network %s: subnet %s overlaps the host's route to %s: %w", n.Name, sub.Prefix, routes[j], ErrInvalid)
		}
		taken := slices.Clone(routes)
		for _, other := range t.st.Networks {
			for _, s := range other.Subnets {
				taken = append(taken, s.Prefix)
			}
		}
		p, ok := ipam.Choose(ipam.DefaultPools, taken)
		if !ok {
			return fmt.Errorf("network %s: subnet %s overlaps the host's route to %s, and no default pool is free: %w", n.Name, sub.Prefix, routes[j], ErrInvalid)
		}
		n.Subnets[i] = netstate.Subnet{Prefix: p, Gateway: p.Addr().Next()}
	}
	return nil
}

// forwarding turns the host's IP forwarding on for the network's
// families, remembering what it was, to put it back when the last
// bridge goes. It never sets a policy anywhere (Docker's FORWARD DROP
// broke VMs on many hosts).
func (t *netChange) forwarding(def *Network) error {
	for _, c := range def.IPAM {
		key := "net/ipv4/ip_forward"
		if c.Subnet.Addr().Is6() {
			key = "net/ipv6/conf/all/forwarding"
		}
		v, err := bridge.ReadSysctl(key)
		if err != nil {
			return err
		}
		if v == "1" {
			continue
		}
		if t.st.Sysctls == nil {
			t.st.Sysctls = map[string]string{}
		}
		if _, saved := t.st.Sysctls[key]; !saved {
			t.st.Sysctls[key] = v
		}
		if t.sysctls == nil {
			t.sysctls = map[string]string{}
		}
		t.sysctls[key] = v
		if err := bridge.WriteSysctl(key, "1"); err != nil {
			return err
		}
	}
	return nil
}

// attach joins the namespace of a running container to a network.
func (t *netChange) attach(ns *bridge.Namespace, rec *containerRecord, want endpointConfig, ifname string,
	def *Network, owner int, ownerStart uint64) error {
	link, err := t.endpoint(rec, want, ifname, def, owner, ownerStart, nil)
	if err != nil {
		return err
	}
	if err := ns.Attach(link); err != nil {
		return fmt.Errorf("network %s: %w", def.Name, err)
	}
	return nil
}

// endpoint is the container's endpoint on a network, in the state: its
// addresses, its link named ifname (to make), its ports.
func (t *netChange) endpoint(rec *containerRecord, want endpointConfig, ifname string,
	def *Network, owner int, ownerStart uint64, ports []netstate.Port) (bridge.Link, error) {
	n, err := t.runtimeNetwork(def)
	if err != nil {
		return bridge.Link{}, err
	}
	first := ifname == "eth0"
	ep := &netstate.Endpoint{Container: rec.ID, Name: rec.Name, Aliases: want.Aliases,
		Veth: vethName(rec.ID, def.ID), Owner: owner, OwnerStart: ownerStart, Ports: ports}
	for _, a := range rec.Config.DNS {
		ep.Upstreams = append(ep.Upstreams, netip.AddrPortFrom(a, 53))
	}
	link := bridge.Link{Bridge: n.Bridge, Host: ep.Veth, Name: ifname, Hairpin: len(ports) > 0}
	for _, sub := range n.Subnets {
		req := want.IPv4
		if sub.Prefix.Addr().Is6() {
			req = want.IPv6
		}
		a, err := n.Allocate(sub, req)
		if err != nil {
			return bridge.Link{}, fmt.Errorf("network %s: %w", def.Name, err)
		}
		ep.Addrs = append(ep.Addrs, a)
		link.Addrs = append(link.Addrs, netip.PrefixFrom(a, sub.Prefix.Bits()))
		if !n.Internal {
			link.Gateways = append(link.Gateways, sub.Gateway)
		}
	}
	if want.MAC != "" {
		link.MAC, _ = net.ParseMAC(want.MAC)
	} else if i := slices.IndexFunc(ep.Addrs, netip.Addr.Is4); i >= 0 {
		link.MAC = defaultMAC(ep.Addrs[i])
	}
	ep.MAC = link.MAC.String()
	if !first {
		link.Gateways = nil // the first network has the default routes
	}
	if n.Endpoints == nil {
		n.Endpoints = map[string]*netstate.Endpoint{} // an idle network, read back
	}
	n.Endpoints[rec.ID] = ep
	n.Idle = time.Time{}
	return link, nil
}

// settle brings the kernel in line with the state: the table is
// changed, and the networks that lost their last endpoint become idle:
// they stay, bridge and rules, for bridgeLinger, so that a container that
// comes soon after (`run --rm` in a loop) finds them up; then the host's
// collector takes them down (runCollector), started here if none runs
// while a network is idle: a collector that could not start, or ended
// early, is started again by the next change, not only by the next
// network to become idle.
func (t *netChange) settle() error {
	idle := false
	for id, n := range t.st.Networks {
		if len(n.Endpoints) > 0 {
			continue
		}
		if n.Idle.IsZero() && t.before[id] {
			n.Idle = time.Now()
		}
		idle = idle || !n.Idle.IsZero()
	}
	err := firewall.Update(t.rules, rulesetOf(t.st))
	if idle && !procstat.Alive(t.st.Collector, t.st.CollectorStart) {
		t.st.Collector, t.st.CollectorStart = startCollector()
	}
	return err
}

// collect takes down the networks of ids that are still idle, and have
// been for bridgeLinger: out of the state and the table (and when none
// is left, the host's forwarding is put back); their bridges are
// retired (renamed out of the way) and returned, for the caller to
// delete once it has let go of the lock.
func (t *netChange) collect(ids []string) (retired []string, err error) {
	for _, id := range ids {
		n := t.st.Networks[id]
		if n == nil || len(n.Endpoints) > 0 || n.Idle.IsZero() || time.Since(n.Idle) < bridgeLinger {
			continue
		}
		delete(t.st.Networks, id)
		if bridge.Exists(n.Bridge) {
			trash, rerr := bridge.Retire(n.Bridge)
			if rerr != nil {
				err = errors.Join(err, rerr)
				continue
			}
			retired = append(retired, trash)
		}
	}
	err = errors.Join(err, firewall.Update(t.rules, rulesetOf(t.st)))
	if len(t.st.Networks) == 0 {
		for key, v := range t.st.Sysctls {
			err = errors.Join(err, bridge.WriteSysctl(key, v))
		}
		t.st.Sysctls = nil
	}
	return retired, err
}

// undo removes the bridges this change made (the veths in the
// container's namespace go with it) and puts back the sysctls it set:
// the state it changed is not written.
func (t *netChange) undo() {
	for _, br := range t.created {
		bridge.Delete(br)
	}
	for key, v := range t.sysctls {
		bridge.WriteSysctl(key, v)
	}
}

// teardownNetwork takes back what the container's starts made: its
// endpoints, its rules, and a network it was the last on becomes idle
// (see settle). It is safe to call more than once, by anyone.
func teardownNetwork(container string) error {
	err := netStore.Update(func(st *netstate.State) error {
		t := newNetChange(st)
		for _, n := range st.Networks {
			delete(n.Endpoints, container)
		}
		return t.settle()
	})
	if err != nil {
		return fmt.Errorf("network teardown of %s: %w", container[:12], err)
	}
	return nil
}

// handoverNetwork makes the container's init, pid that started at start
// (read while it waited for its go-ahead), the owner of its endpoints: a
// detached container outlives the engine that started it. The init may
// be gone already (`true` exits, and its monitor reaps it, before the
// start commits): its monitor's hook takes the network back at the exit,
// before or after this, and the next network operation drops endpoints
// whose owner is gone.
func handoverNetwork(container string, pid int, start uint64) error {
	return netStore.Update(func(st *netstate.State) error {
		for _, ep := range st.Endpoints(container) {
			ep.Owner, ep.OwnerStart = pid, start
		}
		return nil
	})
}

// forgetUDP drops the conntrack entries of the published UDP ports, so
// that datagrams that went to a container before (a restart) go to this
// one, not to the old address.
func (t *netChange) forgetUDP(ports []netstate.Port) {
	var fw []firewall.Port
	for _, p := range ports {
		if p.Proto == "udp" {
			fw = append(fw, firewall.Port{Proto: p.Proto, HostIP: p.HostIP, HostPort: p.HostPort})
		}
	}
	if len(fw) > 0 {
		firewall.ForgetUDP(fw)
	}
}

// attachLive joins a running container (its init is pid) to one more
// network (Connect).
func (c *Container) attachLive(rec *containerRecord, def *Network, want endpointConfig, pid int) error {
	ns, err := bridge.OpenNamespace(fmt.Sprintf("/proc/%d/ns/net", pid), false)
	if err != nil {
		return err
	}
	defer ns.Close()
	ifname, err := ns.FreeName("eth")
	if err != nil {
		return err
	}
	named := false
	err = netStore.Update(func(st *netstate.State) error {
		t := newNetChange(st)
		// The endpoint lasts as long as the others: the same owner.
		owner, ownerStart := pid, uint64(0)
		for id, ep := range st.Endpoints(rec.ID) {
			owner, ownerStart = ep.Owner, ep.OwnerStart
			named = named || st.Networks[id].Names
		}
		if ownerStart == 0 {
			ownerStart, _ = procstat.StartTime(pid)
		}
		if err := t.attach(ns, rec, want, ifname, def, owner, ownerStart); err != nil {
			t.undo()
			return err
		}
		return t.settle()
	})
	if err != nil {
		return err
	}
	if !named && !def.Predefined() {
		return serveNames(ns, rec.ID)
	}
	return nil
}

// detachLive takes a running container off a network (Disconnect): its
// veth goes (both ends); a network it was the last on becomes idle.
func detachLive(container, network string) error {
	return netStore.Update(func(st *netstate.State) error {
		t := newNetChange(st)
		n := st.Networks[network]
		if n == nil || n.Endpoints[container] == nil {
			return t.settle()
		}
		veth := n.Endpoints[container].Veth
		delete(n.Endpoints, container)
		if err := bridge.DeleteLink(veth); err != nil {
			return err
		}
		return t.settle()
	})
}

func reloadNetworks() error {
	return netStore.Update(func(st *netstate.State) error {
		t := newNetChange(st)
		t.rules = nil // the table is written whole: it may be gone
		return t.settle()
	})
}

// startCollector starts the host's network collector (this program in
// the hook mode "gc", in its own session), which takes idle networks
// down after bridgeLinger: this process may be gone by then, and a
// bridge's deletion takes the kernel tens of milliseconds (RCU grace
// periods), which no exit should wait for. One runs at a time, recorded
// in the state, so that `run --rm` in a loop starts one, not one a run.
// Without it, idle networks stay up until one starts.
func startCollector() (pid int, start uint64) {
	cmd, err := spawnHook("gc")
	if err != nil {
		return 0, 0
	}
	start, _ = procstat.StartTime(cmd.Process.Pid)
	return cmd.Process.Pid, start
}

// bridgeLinger is how long an idle network stays up.
const bridgeLinger = time.Second

// runCollector is the hook mode "gc": it takes down the networks idle
// for bridgeLinger, and sleeps until the next one is due, until none is
// idle. Under the lock it only retires their bridges (down, renamed);
// the slow deletion comes after, so no engine waits for it.
func runCollector() error {
	var errs []error
	for wait := bridgeLinger; wait > 0; {
		time.Sleep(wait)
		var retired []string
		err := netStore.Update(func(st *netstate.State) error {
			var ids []string
			for id := range st.Networks {
				ids = append(ids, id)
			}
			var err error
			retired, err = newNetChange(st).collect(ids)
			// The next network due, if any; none: this collector is done.
			wait = 0
			for _, n := range st.Networks {
				if !n.Idle.IsZero() && len(n.Endpoints) == 0 {
					due := max(time.Until(n.Idle.Add(bridgeLinger)), 10*time.Millisecond)
					if wait == 0 || due < wait {
						wait = due
					}
				}
			}
			if wait == 0 && st.Collector == os.Getpid() {
				st.Collector, st.CollectorStart = 0, 0
			}
			return err
		})
		errs = append(errs, err)
		for _, name := range retired {
			errs = append(errs, bridge.Delete(name))
		}
	}
	return errors.Join(errs...)
}

// takeDownNetwork takes the network down at once if it is idle (its
// definition is being removed: a new one may want its subnet now).
func takeDownNetwork(id string) error {
	var retired []string
	err := netStore.Update(func(st *netstate.State) error {
		n := st.Networks[id]
		if n == nil || len(n.Endpoints) > 0 {
			return nil
		}
		n.Idle = time.Now().Add(-bridgeLinger)
		var err error
		retired, err = newNetChange(st).collect([]string{id})
		return err
	})
	for _, name := range retired {
		err = errors.Join(err, bridge.Delete(name))
	}
	return err
}

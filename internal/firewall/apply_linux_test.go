package firewall

import (
	"fmt"
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/go-dock/dock/internal/nettest"
	"github.com/google/nftables"
	"github.com/google/nftables/expr"
	"github.com/google/nftables/userdata"
)

// readTable reads the table inet dock back over netlink, from the
// namespace at ns (nil: H), as sorted lines: its chains, its rules (by
// comment and expressions, without handles) and its set elements, decoded
// as in plan_test.go. It returns nil when there is no such table.
func readTable(t *testing.T, ns *os.File) []string {
	t.Helper()
	nettest.Require(t)
	var opts []nftables.ConnOption
	if ns != nil {
		opts = append(opts, nftables.WithNetNSFd(int(ns.Fd())))
	}
	c, err := nftables.New(opts...)
	if err != nil {
		t.Fatal(err)
	}
	tables, err := c.ListTablesOfFamily(nftables.TableFamilyINet)
	if err != nil {
		t.Fatalf("list tables: %v", err)
	}
	i := slices.IndexFunc(tables, func(x *nftables.Table) bool { return x.Name == tableName })
	if i < 0 {
		return nil
	}
	tab := tables[i]
	var lines []string
	chains, err := c.ListChainsOfTableFamily(nftables.TableFamilyINet)
	if err != nil {
		t.Fatalf("list chains: %v", err)
	}
	for _, ch := range chains {
		if ch.Table.Name != tableName {
			continue
		}
		line := "chain " + ch.Name
		if ch.Hooknum != nil {
			line += fmt.Sprintf(" type=%s hook=%d prio=%d", ch.Type, *ch.Hooknum, *ch.Priority)
		}
		lines = append(lines, line)
		rules, err := c.GetRules(tab, ch)
		if err != nil {
			t.Fatalf("rules of %s: %v", ch.Name, err)
		}
		for n, r := range rules {
			com, _ := userdata.GetString(r.UserData, userdata.TypeComment)
			var ex []string
			for _, e := range r.Exprs {
				ex = append(ex, fmt.Sprintf("%T%+v", e, e))
			}
			lines = append(lines, fmt.Sprintf("rule %s %d %q %s", ch.Name, n, com, strings.Join(ex, " ")))
		}
	}
	sets, err := c.GetSets(tab)
	if err != nil {
		t.Fatalf("list sets: %v", err)
	}
	for _, s := range sets {
		lines = append(lines, fmt.Sprintf("set %s key=%s data=%s interval=%v", s.Name, s.KeyType.Name, s.DataType.Name, s.Interval))
		els, err := c.GetSetElements(s)
		if err != nil {
			t.Fatalf("elements of %s: %v", s.Name, err)
		}
		for _, e := range els {
			lines = append(lines, "elem "+s.Name+" "+decode(s.Name, element{key: e.Key, keyEnd: e.KeyEnd, val: e.Val, intervalEnd: e.IntervalEnd}))
		}
	}
	slices.Sort(lines)
	return lines
}

// elemLines are the "elem" lines of a readTable dump.
func elemLines(lines []string) []string {
	var out []string
	for _, l := range lines {
		if s, ok := strings.CutPrefix(l, "elem "); ok {
			out = append(out, s)
		}
	}
	return out
}

// wantElems are the elements rs must produce, in readTable's notation.
func wantElems(t *testing.T, rs *Ruleset) []string {
	t.Helper()
	p, err := planFor(rs)
	if err != nil {
		t.Fatalf("planFor = %v", err)
	}
	out := render(p)
	slices.Sort(out)
	return out
}

func mustApply(t *testing.T, rs *Ruleset) {
	t.Helper()
	nettest.Require(t)
	if err := Apply(rs); err != nil {
		t.Fatalf("Apply = %v", err)
	}
}

// small is a Ruleset with one of everything.
func small() *Ruleset {
	return &Ruleset{
		Networks: []Network{
			{Bridge: "dock0", Subnets: pfx("172.17.0.0/16", "fd00:17::/64")},
			{Bridge: "br-0123456789ab", Subnets: pfx("172.18.0.0/16")},
			{Bridge: "br-internal", Subnets: pfx("172.19.0.0/16"), Internal: true},
		},
		Ports: []Port{
			{Proto: "tcp", HostPort: 8080, Addr: addr("172.17.0.2"), Port: 80},
			{Proto: "udp", HostPort: 8080, Addr: addr("172.17.0.2"), Port: 80},
			{Proto: "tcp", HostIP: addr("127.0.0.1"), HostPort: 8081, Addr: addr("172.18.0.2"), Port: 80},
			{Proto: "tcp", HostPort: 8080, Addr: addr("fd00:17::2"), Port: 80},
		},
	}
}

// TestApplyReadBack: the kernel holds the chains and rules of the design
// and exactly the elements of the Ruleset; nothing else.
func TestApplyReadBack(t *testing.T) {
	rs := small()
	mustApply(t, rs)
	t.Cleanup(func() { Apply(nil) })
	got := readTable(t, nil)
	var structure []string
	for _, l := range got {
		if strings.HasPrefix(l, "chain ") || strings.HasPrefix(l, "set ") {
			structure = append(structure, l)
		}
		if strings.HasPrefix(l, "rule ") {
			f := strings.SplitN(l, " ", 4)
			structure = append(structure, strings.Join(f[:3], " ")+" "+strings.SplitN(f[3], `" `, 2)[0]+`"`)
		}
	}
	want := []string{
		"chain forward type=filter hook=2 prio=0",
		"chain nat-output type=nat hook=3 prio=-100",
		"chain nat-postrouting type=nat hook=4 prio=100",
		"chain nat-prerouting type=nat hook=0 prio=-100",
		"chain published",
		"chain raw-prerouting type=filter hook=0 prio=-300",
		`rule forward 0 "between dock networks"`,
		`rule forward 1 "out of an internal network"`,
		`rule forward 2 "into an internal network"`,
		`rule nat-output 0 "to a local address: published ports"`,
		`rule nat-postrouting 0 "host loopback to a published port: the container must answer the bridge"`,
		`rule nat-postrouting 1 "hairpin: a published port reached from its own network"`,
		`rule nat-postrouting 2 "leaving a network's subnet through another interface"`,
		`rule nat-postrouting 3 "hairpin: a published port reached from its own network"`,
		`rule nat-postrouting 4 "leaving a network's subnet through another interface"`,
		`rule nat-prerouting 0 "to a local address: published ports"`,
		`rule published 0 "published on one address"`,
		`rule published 1 "published on every address"`,
		`rule published 2 "published on one address"`,
		`rule published 3 "published on every address"`,
		`rule raw-prerouting 0 "remote packets to loopback (CVE-2020-8558: route_localnet lets them in)"`,
		"set bridges key=ifname data= interval=false",
		"set hostports4 key=ipv4_addr . inet_proto . inet_service data=ipv4_addr . inet_service interval=false",
		"set hostports6 key=ipv6_addr . inet_proto . inet_service data=ipv6_addr . inet_service interval=false",
		"set internal key=ifname data= interval=false",
		"set masq4 key=ipv4_addr data= interval=true",
		"set masq6 key=ipv6_addr data= interval=true",
		"set ports4 key=inet_proto . inet_service data=ipv4_addr . inet_service interval=false",
		"set ports6 key=inet_proto . inet_service data=ipv6_addr . inet_service interval=false",
		"set same-bridge key=ifname . ifname data= interval=false",
		"set subnet-bridge4 key=ipv4_addr . ifname data= interval=true",
		"set subnet-bridge6 key=ipv6_addr . ifname data= interval=true",
	}
	if !slices.Equal(structure, want) {
		t.Errorf("table structure =\n%s\nwant\n%s", strings.Join(structure, "\n"), strings.Join(want, "\n"))
	}
	if got, want := elemLines(got), wantElems(t, rs); !slices.Equal(got, want) {
		t.Errorf("elements =\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

// TestApplyReplace: a second Apply leaves the table exactly as if it were
// the first: nothing of the old Ruleset survives.
func TestApplyReplace(t *testing.T) {
	t.Cleanup(func() { Apply(nil) })
	other := &Ruleset{
		Networks: []Network{{Bridge: "br-new", Subnets: pfx("10.1.0.0/24")}},
		Ports:    []Port{{Proto: "udp", HostIP: addr("10.1.0.1"), HostPort: 53, Addr: addr("10.1.0.2"), Port: 53}},
	}
	mustApply(t, other)
	fresh := readTable(t, nil)
	mustApply(t, small())
	mustApply(t, other)
	if got := readTable(t, nil); !slices.Equal(got, fresh) {
		t.Errorf("table after small, then other =\n%s\nwant as after other alone\n%s", strings.Join(got, "\n"), strings.Join(fresh, "\n"))
	}
	if got, want := elemLines(fresh), wantElems(t, other); !slices.Equal(got, want) {
		t.Errorf("elements =\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

// TestApplyIdempotent: applying the same Ruleset again changes nothing,
// and deleting twice is fine.
func TestApplyIdempotent(t *testing.T) {
	t.Cleanup(func() { Apply(nil) })
	mustApply(t, small())
	first := readTable(t, nil)
	mustApply(t, small())
	if got := readTable(t, nil); !slices.Equal(got, first) {
		t.Errorf("table after a second Apply =\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(first, "\n"))
	}
	mustApply(t, nil)
	mustApply(t, &Ruleset{})
	if got := readTable(t, nil); got != nil {
		t.Errorf("table after two deletes = %q, want none", got)
	}
}

// TestApplyDeleteLeavesNothing: after delete, H is as before: the table,
// its chains, sets and rules are gone, and other tables were never
// touched, not even one named like ours in another family.
func TestApplyDeleteLeavesNothing(t *testing.T) {
	empty := nettest.Snapshot(t)
	for _, l := range empty.Lines {
		if strings.HasPrefix(l, "nft ") {
			t.Fatalf("H has nftables state before the test: %s", l)
		}
	}
	mustApply(t, small())
	mustApply(t, nil)
	if d := nettest.Diff(empty, nettest.Snapshot(t)); len(d) != 0 {
		t.Errorf("Apply, then Apply(nil) left:\n%s", strings.Join(d, "\n"))
	}

	// Someone else's tables: Docker's ip filter with policy drop, and an
	// ip table named dock.
	c, err := nftables.New()
	if err != nil {
		t.Fatal(err)
	}
	drop := nftables.ChainPolicyDrop
	for _, tab := range []*nftables.Table{
		{Family: nftables.TableFamilyIPv4, Name: "filter"},
		{Family: nftables.TableFamilyIPv4, Name: tableName},
	} {
		c.AddTable(tab)
		ch := c.AddChain(&nftables.Chain{Name: "FORWARD", Table: tab, Type: nftables.ChainTypeFilter,
			Hooknum: nftables.ChainHookForward, Priority: nftables.ChainPriorityFilter, Policy: &drop})
		c.AddRule(&nftables.Rule{Table: tab, Chain: ch, Exprs: []expr.Any{&expr.Verdict{Kind: expr.VerdictAccept}}})
	}
	if err := c.Flush(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		c.FlushRuleset()
		c.Flush()
	})
	others := nettest.Snapshot(t)
	mustApply(t, small())
	mustApply(t, small())
	mustApply(t, nil)
	if d := nettest.Diff(others, nettest.Snapshot(t)); len(d) != 0 {
		t.Errorf("Apply with other tables present changed:\n%s", strings.Join(d, "\n"))
	}
}

// TestApplyRefusedKeepsTable: a Ruleset the table cannot express is
// refused before anything is sent.
func TestApplyRefusedKeepsTable(t *testing.T) {
	t.Cleanup(func() { Apply(nil) })
	mustApply(t, small())
	before := readTable(t, nil)
	bad := small()
	bad.Ports = append(bad.Ports, Port{Proto: "tcp", HostPort: 8080, Addr: addr("172.17.0.3"), Port: 80})
	if err := Apply(bad); err == nil || !strings.Contains(err.Error(), "already published") {
		t.Errorf("Apply(conflicting ports) = %v, want an error", err)
	}
	if got := readTable(t, nil); !slices.Equal(got, before) {
		t.Errorf("table after a refused Apply changed:\n%s", strings.Join(got, "\n"))
	}
}

// large is a Ruleset of 50 networks (IPv4, every fifth also IPv6, every
// tenth internal) and 2000 published ports over both families and both
// kinds of host address.
func large(seed int) *Ruleset {
	rs := &Ruleset{}
	for i := range 50 {
		n := Network{Bridge: fmt.Sprintf("br-%012d", i), Subnets: pfx(fmt.Sprintf("10.%d.%d.0/24", 100+seed, i)), Internal: i%10 == 9}
		if i%5 == 0 {
			n.Subnets = append(n.Subnets, pfx(fmt.Sprintf("fd00:%x:%x::/64", seed, i))...)
		}
		rs.Networks = append(rs.Networks, n)
	}
	for i := range 2000 {
		p := Port{Proto: []string{"tcp", "udp"}[i%2], HostPort: uint16(20000 + i/2), Port: 80,
			Addr: addr(fmt.Sprintf("10.%d.%d.%d", 100+seed, i%50, 2+i%200))}
		switch i % 4 {
		case 2:
			p.HostIP = addr("127.0.0.1")
		case 3:
			p.HostIP, p.Addr = addr("2001:db8::1"), addr(fmt.Sprintf("fd00:%x:0::%x", seed, 2+i))
		}
		rs.Ports = append(rs.Ports, p)
	}
	return rs
}

// TestApplyLarge: 2000 port elements and 50 networks go in one batch (and
// are replaced by another such Ruleset in one batch); every element is
// there.
func TestApplyLarge(t *testing.T) {
	t.Cleanup(func() { Apply(nil) })
	for seed := range 2 {
		rs := large(seed)
		mustApply(t, rs)
		got, want := elemLines(readTable(t, nil)), wantElems(t, rs)
		if !slices.Equal(got, want) {
			t.Errorf("seed %d: %d elements read back, want %d (first lines %q, want %q)", seed, len(got), len(want), got[:min(3, len(got))], want[:3])
		}
	}
}

// TestApplyIn writes the table of another namespace, and only there.
func TestApplyIn(t *testing.T) {
	ns := newNS(t)
	if err := ApplyIn(int(ns.Fd()), small()); err != nil {
		t.Fatalf("ApplyIn = %v", err)
	}
	if got, want := elemLines(readTable(t, ns)), wantElems(t, small()); !slices.Equal(got, want) {
		t.Errorf("elements in the namespace =\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	if got := readTable(t, nil); got != nil {
		t.Errorf("ApplyIn wrote H's table too: %q", got)
	}
	if err := ApplyIn(int(ns.Fd()), nil); err != nil {
		t.Fatalf("ApplyIn(nil) = %v", err)
	}
	if got := readTable(t, ns); got != nil {
		t.Errorf("table after ApplyIn(nil) = %q, want none", got)
	}
	if err := ApplyIn(0, nil); err == nil {
		t.Errorf("ApplyIn(0) = nil, want an error (fd 0 would be the current namespace)")
	}
}

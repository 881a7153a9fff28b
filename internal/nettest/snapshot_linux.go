package nettest

import (
	"bufio"
	"encoding/hex"
	"errors"
	"fmt"
	"net/netip"
	"os"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/vishvananda/netlink"
	"golang.org/x/sys/unix"
)

// snapshotSysctls are per-namespace knobs that the engine may change.
var snapshotSysctls = []string{
	"net/ipv4/ip_forward",
	"net/ipv4/conf/all/route_localnet",
	"net/ipv4/ip_local_port_range",
	"net/ipv6/conf/all/forwarding",
}

// Snapshot returns the state of the calling thread's network namespace
// (H, for a test): links, addresses, routes of every table, policy rules,
// nftables tables, chains, sets and rules (a digest of each rule's
// expressions), listening TCP and bound UDP sockets, and a few sysctls.
// Compare two with Diff to find what a test leaked. It fails the test on
// error.
func Snapshot(t testing.TB) *State {
	t.Helper()
	Require(t)
	var lines []string
	for _, part := range []func() ([]string, error){
		linkLines, addrLines, routeLines, ruleLines, nftLines, socketLines, sysctlLines,
	} {
		l, err := part()
		if err != nil {
			t.Fatalf("Snapshot: %v", err)
		}
		lines = append(lines, l...)
	}
	slices.Sort(lines)
	return &State{Lines: slices.Compact(lines)}
}

// retryDump repeats a netlink dump that the kernel interrupted because the
// table changed meanwhile (moby does the same); a few tries are enough.
func retryDump[T any](dump func() (T, error)) (T, error) {
	var v T
	var err error
	for range 5 {
		if v, err = dump(); !errors.Is(err, netlink.ErrDumpInterrupted) {
			break
		}
	}
	return v, err
}

func linkLines() ([]string, error) {
	links, err := retryDump(netlink.LinkList)
	if err != nil {
		return nil, fmt.Errorf("list links: %w", err)
	}
	names := map[int]string{}
	for _, l := range links {
		names[l.Attrs().Index] = l.Attrs().Name
	}
	var out []string
	for _, l := range links {
		a := l.Attrs()
		out = append(out, fmt.Sprintf("link %s type=%s up=%v master=%s mtu=%d",
			a.Name, l.Type(), a.Flags&unix.IFF_UP != 0, names[a.MasterIndex], a.MTU))
	}
	return out, nil
}

func addrLines() ([]string, error) {
	addrs, err := retryDump(func() ([]netlink.Addr, error) { return netlink.AddrList(nil, netlink.FAMILY_ALL) })
	if err != nil {
		return nil, fmt.Errorf("list addresses: %w", err)
	}
	names, err := linkNames()
	if err != nil {
		return nil, err
	}
	var out []string
	for _, a := range addrs {
		out = append(out, fmt.Sprintf("addr %s %s", names[a.LinkIndex], a.IPNet))
	}
	return out, nil
}

func routeLines() ([]string, error) {
	routes, err := retryDump(func() ([]netlink.Route, error) {
		return netlink.RouteListFiltered(netlink.FAMILY_ALL, &netlink.Route{Table: unix.RT_TABLE_UNSPEC}, netlink.RT_FILTER_TABLE)
	})
	if err != nil {
		return nil, fmt.Errorf("list routes: %w", err)
	}
	names, err := linkNames()
	if err != nil {
		return nil, err
	}
	var out []string
	for _, r := range routes {
		out = append(out, fmt.Sprintf("route table=%d dst=%v gw=%v src=%v dev=%s proto=%d scope=%d type=%d",
			r.Table, r.Dst, r.Gw, r.Src, names[r.LinkIndex], r.Protocol, r.Scope, r.Type))
	}
	return out, nil
}

func ruleLines() ([]string, error) {
	rules, err := retryDump(func() ([]netlink.Rule, error) { return netlink.RuleList(netlink.FAMILY_ALL) })
	if err != nil {
		return nil, fmt.Errorf("list rules: %w", err)
	}
	var out []string
	for _, r := range rules {
		out = append(out, fmt.Sprintf("rule family=%d prio=%d table=%d src=%v dst=%v mark=%d", r.Family, r.Priority, r.Table, r.Src, r.Dst, r.Mark))
	}
	return out, nil
}

func linkNames() (map[int]string, error) {
	links, err := retryDump(netlink.LinkList)
	if err != nil {
		return nil, fmt.Errorf("list links: %w", err)
	}
	names := map[int]string{}
	for _, l := range links {
		names[l.Attrs().Index] = l.Attrs().Name
	}
	return names, nil
}

// socketLines lists listening TCP sockets and bound, unconnected UDP
// sockets from /proc/thread-self/net (this thread's namespace).
func socketLines() ([]string, error) {
	var out []string
	for _, f := range []struct {
		name, state string // TCP_LISTEN is 0A; TCP_CLOSE (07) is an unconnected UDP socket
	}{{"tcp", "0A"}, {"tcp6", "0A"}, {"udp", "07"}, {"udp6", "07"}} {
		l, err := procSockets(f.name, f.state)
		if err != nil {
			return nil, err
		}
		out = append(out, l...)
	}
	return out, nil
}

func procSockets(name, state string) ([]string, error) {
	f, err := os.Open("/proc/thread-self/net/" + name)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var out []string
	sc := bufio.NewScanner(f)
	sc.Scan() // the header
	for sc.Scan() {
		fields := strings.Fields(sc.Text())
		if len(fields) < 4 || fields[3] != state {
			continue
		}
		ap, err := parseProcAddr(fields[1])
		if err != nil {
			return nil, fmt.Errorf("/proc/net/%s: %w", name, err)
		}
		out = append(out, fmt.Sprintf("listen %s %s", strings.TrimSuffix(name, "6"), ap))
	}
	return out, sc.Err()
}

// parseProcAddr decodes /proc/net/tcp's "0100007F:1F90": the address as
// 32-bit words in host (little-endian here) order, the port in hex.
func parseProcAddr(s string) (netip.AddrPort, error) {
	h, p, ok := strings.Cut(s, ":")
	raw, err := hex.DecodeString(h)
	if !ok || err != nil || (len(raw) != 4 && len(raw) != 16) {
		return netip.AddrPort{}, fmt.Errorf("bad address %q", s)
	}
	for i := 0; i < len(raw); i += 4 {
		slices.Reverse(raw[i : i+4])
	}
	port, err := strconv.ParseUint(p, 16, 16)
	if err != nil {
		return netip.AddrPort{}, fmt.Errorf("bad port %q", s)
	}
	a, _ := netip.AddrFromSlice(raw)
	return netip.AddrPortFrom(a.Unmap(), uint16(port)), nil
}

func sysctlLines() ([]string, error) {
	var out []string
	for _, k := range snapshotSysctls {
		b, err := os.ReadFile("/proc/sys/" + k)
		if errors.Is(err, os.ErrNotExist) {
			continue // IPv6 disabled, say
		}
		if err != nil {
			return nil, err
		}
		out = append(out, fmt.Sprintf("sysctl %s=%s", k, strings.Join(strings.Fields(string(b)), " ")))
	}
	return out, nil
}

// QuietSnapshot is a Snapshot taken once nothing of dock's is left in
// the namespace (no dock0, br-, vd or dkgc- link, no dock table) and
// ready, when given, says so too: earlier tests' networks linger a
// moment after their last container (and the collector takes them down
// a moment later), and a snapshot taken meanwhile would make the next
// comparison see them go. It fails the test after 30 s.
func QuietSnapshot(t testing.TB, ready func() bool) *State {
	t.Helper()
	var s *State
	for deadline := time.Now().Add(30 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		s = Snapshot(t)
		if !slices.ContainsFunc(s.Lines, IsDockLine) && (ready == nil || ready()) {
			return s
		}
	}
	t.Fatalf("earlier tests' networks did not go:\n%s", s)
	return nil
}

// IsDockLine reports whether a snapshot line is of something dock makes.
func IsDockLine(line string) bool {
	for _, mark := range []string{" dock0", " br-", " vd", " dkgc-", "inet dock"} {
		if strings.Contains(line, mark) {
			return true
		}
	}
	return false
}

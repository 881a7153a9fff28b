package firewall

import (
	"slices"
	"strings"
	"testing"

	"github.com/go-dock/dock/internal/nettest"
)

// TestUpdate: Update leaves the table as Apply of the new Ruleset would,
// whether it edits the port maps in place (ports only) or rewrites the
// table (networks changed, or the table gone).
func TestUpdate(t *testing.T) {
	nettest.Require(t)
	t.Cleanup(func() { Apply(nil) })
	withPorts := small()
	noPorts := &Ruleset{Networks: small().Networks}
	moved := small()
	moved.Ports[0].Addr = addr("172.17.0.9") // the same host port, to another container
	otherNets := &Ruleset{Networks: []Network{{Bridge: "br-new", Subnets: pfx("10.1.0.0/24")}}}
	steps := []struct {
		name     string
		old, new *Ruleset
	}{
		{"ports added", noPorts, withPorts},
		{"port moved", withPorts, moved},
		{"ports removed", moved, noPorts},
		{"unchanged", noPorts, noPorts},
		{"networks changed", noPorts, otherNets},
		{"to nothing", otherNets, nil},
		{"from nothing", nil, withPorts},
	}
	mustApply(t, noPorts)
	for _, s := range steps {
		if s.name == "from nothing" {
			mustApply(t, nil)
		}
		n := inPlace.Load()
		if err := Update(s.old, s.new); err != nil {
			t.Fatalf("%s: Update: %v", s.name, err)
		}
		if edited := inPlace.Load() > n; edited != strings.HasPrefix(s.name, "port") {
			t.Errorf("%s: edited in place: %v", s.name, edited)
		}
		table := readTable(t, nil)
		if s.new == nil {
			if table != nil {
				t.Errorf("%s: a table is left: %q", s.name, table)
			}
			continue
		}
		got := elemLines(table)
		if want := wantElems(t, s.new); !slices.Equal(got, want) {
			t.Errorf("%s: elements =\n%s\nwant\n%s", s.name, strings.Join(got, "\n"), strings.Join(want, "\n"))
		}
	}
	// The table is gone (an nftables restart), the state says it has
	// ports: Update notices and writes it whole.
	mustApply(t, nil)
	if err := Update(noPorts, withPorts); err != nil {
		t.Fatal(err)
	}
	if got, want := elemLines(readTable(t, nil)), wantElems(t, withPorts); !slices.Equal(got, want) {
		t.Errorf("after a lost table: elements =\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

func TestDiffPlans(t *testing.T) {
	a, err := planFor(small())
	if err != nil {
		t.Fatal(err)
	}
	b, err := planFor(&Ruleset{Networks: small().Networks})
	if err != nil {
		t.Fatal(err)
	}
	d, ok := diffPlans(a, b)
	if !ok || len(d) == 0 {
		t.Fatalf("ports removed: diff %v, %v", d, ok)
	}
	for name, ch := range d {
		if !slices.Contains(portMaps, name) || len(ch.add) != 0 || len(ch.del) == 0 {
			t.Errorf("set %s: %+v", name, ch)
		}
	}
	c, _ := planFor(&Ruleset{Networks: []Network{{Bridge: "br-x", Subnets: pfx("10.9.0.0/24")}}})
	if _, ok := diffPlans(a, c); ok {
		t.Error("a change of networks diffed in place")
	}
}

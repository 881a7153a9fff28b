package bridge

import (
	"errors"
	"net"
	"net/netip"
	"testing"

	"github.com/vishvananda/netlink"
	"golang.org/x/sys/unix"

	"github.com/go-dock/dock/internal/nettest"
)

// TestPairRequests checks the start's own netlink requests (rtnlDo): a
// pair made in a namespace, on the bridge and up; the kernel's refusals
// come back as its errno.
func TestPairRequests(t *testing.T) {
	nettest.Require(t)
	before := nettest.Snapshot(t)
	if err := Ensure("br-pairs", []netip.Prefix{netip.MustParsePrefix("10.78.0.1/24")}); err != nil {
		t.Fatal(err)
	}
	defer Delete("br-pairs")
	br, err := Index("br-pairs")
	if err != nil {
		t.Fatal(err)
	}
	ns := openFresh(t)
	l := Link{Bridge: "br-pairs", Host: "vdpairs", Name: "eth0"}
	if err := AddPairTo(br, l, int(ns.File.Fd())); err != nil {
		t.Fatalf("AddPairTo = %v", err)
	}
	link, err := netlink.LinkByName("vdpairs")
	if err != nil {
		t.Fatal(err)
	}
	if a := link.Attrs(); a.MasterIndex != br || a.Flags&net.FlagUp == 0 {
		t.Errorf("vdpairs: master %d, flags %v; want master %d (br-pairs), up", a.MasterIndex, a.Flags, br)
	}
	// The same name again: the kernel's EEXIST, which AddPairTo reads.
	if err := addVeth(l.Host, br, l.Name, l.MAC, int(ns.File.Fd())); !errors.Is(err, unix.EEXIST) {
		t.Errorf("addVeth of an existing name = %v, want EEXIST", err)
	}
	if hairpin(t, link) {
		t.Error("hairpin on before SetHairpin")
	}
	if err := SetHairpin("vdpairs"); err != nil {
		t.Fatalf("SetHairpin = %v", err)
	}
	if !hairpin(t, link) {
		t.Error("hairpin off after SetHairpin")
	}
	// Not a bridge port: refused, by the kernel's errno.
	if err := setHairpin(1); err == nil {
		t.Error("setHairpin(lo) = nil, want the kernel's refusal")
	} else if _, ok := errors.AsType[unix.Errno](err); !ok {
		t.Errorf("setHairpin(lo) = %v (%T), want an errno", err, err)
	}
	if err := SetHairpin("vdmissing"); err == nil {
		t.Error("SetHairpin of a missing link = nil")
	}
	ns.Close()
	if err := DeleteLink("vdpairs"); err != nil {
		t.Fatal(err)
	}
	if Exists("vdpairs") {
		t.Error("vdpairs is still there")
	}
	if err := Delete("br-pairs"); err != nil {
		t.Fatal(err)
	}
	if d := nettest.Diff(before, nettest.Snapshot(t)); len(d) > 0 {
		t.Errorf("left behind:\n%v", d)
	}
}

// hairpin reads the hairpin mode of a bridge port.
func hairpin(t *testing.T, link netlink.Link) bool {
	t.Helper()
	p, err := netlink.LinkGetProtinfo(link)
	if err != nil {
		t.Fatal(err)
	}
	return p.Hairpin
}

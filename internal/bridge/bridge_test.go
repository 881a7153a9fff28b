package bridge

import (
	"fmt"
	"net"
	"net/netip"
	"testing"
	"time"

	"github.com/go-dock/dock/internal/nettest"
)

func TestMain(m *testing.M) { nettest.Main(m) }

// TestAttach: two namespaces on one bridge reach each other and the
// host's gateway address; everything goes with the bridge and the
// namespaces.
func TestAttach(t *testing.T) {
	nettest.Require(t)
	before := nettest.Snapshot(t)
	gw := netip.MustParsePrefix("10.77.0.1/24")
	if err := Ensure("br-test", []netip.Prefix{gw, netip.MustParsePrefix("fd77::1/64")}); err != nil {
		t.Fatal(err)
	}
	// Ensure again: it is there, nothing changes.
	if err := Ensure("br-test", []netip.Prefix{gw}); err != nil {
		t.Fatal(err)
	}
	if v, _ := ReadSysctl("net/ipv4/conf/br-test/route_localnet"); v != "1" {
		t.Errorf("route_localnet = %q", v)
	}
	var nss []*Namespace
	for i, ip := range []string{"10.77.0.2/24", "10.77.0.3/24"} {
		ns := openFresh(t)
		nss = append(nss, ns)
		l := Link{Bridge: "br-test", Host: "vdtest" + string(rune('a'+i)), Name: "eth0",
			MAC:      net.HardwareAddr{2, 0x42, 10, 77, 0, byte(2 + i)},
			Addrs:    []netip.Prefix{netip.MustParsePrefix(ip)},
			Gateways: []netip.Addr{gw.Addr()}}
		if err := ns.Attach(l); err != nil {
			t.Fatal(err)
		}
	}
	// A listener in the second namespace, dialled from the first and
	// from the host.
	var ln net.Listener
	err := nettest.InNetNS(nss[1].File, func() (err error) {
		ln, err = net.Listen("tcp", "10.77.0.3:9000")
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			c.Write([]byte("hi"))
			c.Close()
		}
	}()
	read := func(c net.Conn, err error) string {
		if err != nil {
			return err.Error()
		}
		defer c.Close()
		c.SetDeadline(time.Now().Add(5 * time.Second))
		b := make([]byte, 2)
		if _, err := c.Read(b); err != nil {
			return err.Error()
		}
		return string(b)
	}
	if got := read(nettest.DialFrom(nss[0].File, "tcp", "10.77.0.3:9000")); got != "hi" {
		t.Errorf("container to container: %s", got)
	}
	if got := read(net.DialTimeout("tcp", "10.77.0.3:9000", 5*time.Second)); got != "hi" {
		t.Errorf("host to container: %s", got)
	}
	ln.Close()
	// Detach one end: the host's end goes with it.
	if err := nss[0].Detach("eth0"); err != nil {
		t.Fatal(err)
	}
	if Exists("vdtesta") {
		t.Error("vdtesta outlived its peer")
	}
	for _, ns := range nss {
		ns.Close()
	}
	if err := Delete("br-test"); err != nil {
		t.Fatal(err)
	}
	if err := Delete("br-test"); err != nil {
		t.Errorf("deleting a missing bridge: %v", err)
	}
	// The namespaces die asynchronously; their veths with them.
	deadline := time.Now().Add(30 * time.Second)
	for Exists("vdtestb") && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	if d := nettest.Diff(before, nettest.Snapshot(t)); len(d) > 0 {
		t.Errorf("left behind:\n%v", d)
	}
}

func TestEnsureRefusesOtherLink(t *testing.T) {
	nettest.Require(t)
	ns := openFresh(t)
	defer ns.Close()
	if err := Ensure("lo", nil); err == nil {
		t.Error("Ensure(lo) succeeded")
	}
}

// openFresh opens a new network namespace as an init's would be: the
// Namespace holds it alone.
func openFresh(t *testing.T) *Namespace {
	f := nettest.NewNetNS(t)
	ns, err := OpenNamespace(fmt.Sprintf("/proc/self/fd/%d", f.Fd()), true)
	f.Close()
	if err != nil {
		t.Fatal(err)
	}
	return ns
}

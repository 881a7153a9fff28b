package nettest

import (
	"context"
	"net"
	"net/netip"
	"os/exec"
	"runtime"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/go-dock/dock/internal/testutil"
)

// TestSnapshotInternetLeavesNothing: H looks the same before Internet and
// after its cleanup; while I exists, Snapshot sees its uplink.
func TestSnapshotInternetLeavesNothing(t *testing.T) {
	before := Snapshot(t)
	goroutines := runtime.NumGoroutine()
	t.Run("internet", func(t *testing.T) {
		Internet(t)
		during := Diff(before, Snapshot(t))
		for _, want := range []string{
			"+ link " + HostLink + " type=veth up=true",
			"+ addr " + HostLink + " " + HostIP.String() + "/24",
			"+ route table=254 dst=0.0.0.0/0 gw=" + InternetIP.String(),
		} {
			if !slices.ContainsFunc(during, func(l string) bool { return strings.HasPrefix(l, want) }) {
				t.Errorf("Diff while the internet exists lacks %q:\n%s", want, strings.Join(during, "\n"))
			}
		}
	})
	if d := Diff(before, Snapshot(t)); len(d) != 0 {
		t.Errorf("Internet left in the host:\n%s", strings.Join(d, "\n"))
	}
	// The servers' goroutines end at cleanup; others (the race detector's,
	// net/http's idle ones) may take a moment: bounded polling.
	deadline := time.Now().Add(5 * time.Second)
	for runtime.NumGoroutine() > goroutines && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	if n := runtime.NumGoroutine(); n > goroutines {
		t.Errorf("goroutines after Internet's cleanup = %d, want <= %d", n, goroutines)
	}
}

// TestSnapshotSockets: a listener in H shows as a line, and goes with it.
func TestSnapshotSockets(t *testing.T) {
	before := Snapshot(t)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	want := "+ listen tcp " + ln.Addr().String()
	if d := Diff(before, Snapshot(t)); !slices.Contains(d, want) {
		t.Errorf("Diff with a listener = %q, want %q in it", d, want)
	}
	ln.Close()
	if d := Diff(before, Snapshot(t)); len(d) != 0 {
		t.Errorf("Diff after closing the listener = %q, want none", d)
	}
}

func TestParseProcAddr(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"0100007F:1F90", "127.0.0.1:8080"},
		{"00000000:0035", "0.0.0.0:53"},
		{"00000000000000000000000001000000:0050", "[::1]:80"},
		{"0000000000000000FFFF00000100007F:0016", "127.0.0.1:22"},
	} {
		got, err := parseProcAddr(tc.in)
		if err != nil || got != netip.MustParseAddrPort(tc.want) {
			t.Errorf("parseProcAddr(%q) = %v, %v; want %v", tc.in, got, err, tc.want)
		}
	}
	for _, bad := range []string{"", "0100007F", "01007F:0050", "zz00007F:0050", "0100007F:zz"} {
		if got, err := parseProcAddr(bad); err == nil {
			t.Errorf("parseProcAddr(%q) = %v, want an error", bad, got)
		}
	}
}

func TestDiff(t *testing.T) {
	a := &State{Lines: []string{"link lo", "link wan0"}}
	b := &State{Lines: []string{"link eth0", "link lo"}}
	got := Diff(a, b)
	want := []string{"- link wan0", "+ link eth0"}
	if !slices.Equal(got, want) {
		t.Errorf("Diff = %q, want %q", got, want)
	}
	if d := Diff(a, a); len(d) != 0 {
		t.Errorf("Diff(a, a) = %q, want none", d)
	}
}

// TestSnapshotNftables: a table, chain and rule made in H by the nft
// binary show in Diff, and a changed rule shows as a changed line.
func TestSnapshotNftables(t *testing.T) {
	Require(t) // nft runs in this process's netns: H, proved here
	nft, err := exec.LookPath("nft")
	if err != nil {
		testutil.Missing(t, "nft is missing: apt-get install nftables")
	}
	run := func(script string) {
		t.Helper()
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		cmd := exec.CommandContext(ctx, nft, "-f", "-")
		cmd.Stdin = strings.NewReader(script)
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("nft %q: %v\n%s", script, err, out)
		}
	}
	before := Snapshot(t)
	run("table inet nettest {\n set ports { type inet_service; }\n chain pre { type nat hook prerouting priority -100; tcp dport 8080 dnat ip to 10.200.0.2:80; }\n}")
	t.Cleanup(func() { exec.Command(nft, "delete", "table", "inet", "nettest").Run() }) // if a check failed halfway
	d := Diff(before, Snapshot(t))
	for _, want := range []string{"+ nft table inet nettest", "+ nft chain inet nettest pre", "+ nft set inet nettest ports", "+ nft rule inet nettest pre handle="} {
		if !slices.ContainsFunc(d, func(l string) bool { return strings.HasPrefix(l, want) }) {
			t.Errorf("Diff after adding a table lacks %q:\n%s", want, strings.Join(d, "\n"))
		}
	}
	mid := Snapshot(t)
	run("flush chain inet nettest pre\nadd rule inet nettest pre tcp dport 8081 dnat ip to 10.200.0.2:80")
	if d := Diff(mid, Snapshot(t)); len(d) != 2 {
		t.Errorf("Diff after replacing the rule = %q, want one rule gone, one added", d)
	}
	run("delete table inet nettest")
	if d := Diff(before, Snapshot(t)); len(d) != 0 {
		t.Errorf("Diff after deleting the table = %q, want none", d)
	}
}

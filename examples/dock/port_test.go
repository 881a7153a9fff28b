package main

import (
	"net/netip"
	"reflect"
	"slices"
	"testing"
	"time"

	"github.com/go-dock/dock"
)

func TestPsPorts(t *testing.T) {
	b := func(ip, port string) portBinding { return portBinding{HostIP: ip, HostPort: port} }
	tests := []struct {
		name  string
		ports map[string][]portBinding
		want  string
	}{
		{"none", nil, ""},
		{"exposed", map[string][]portBinding{"80/tcp": nil, "53/udp": nil}, "53/udp, 80/tcp"},
		{"both families", map[string][]portBinding{"80/tcp": {b("0.0.0.0", "8080"), b("::", "8080")}},
			"0.0.0.0:8080->80/tcp, [::]:8080->80/tcp"},
		{"same numbers collapse", map[string][]portBinding{
			"8000/tcp": {b("0.0.0.0", "8000")}, "8001/tcp": {b("0.0.0.0", "8001")}, "8002/tcp": {b("0.0.0.0", "8002")},
			"9000/tcp": nil, "9001/tcp": nil, "9003/tcp": nil,
			// docker's order: a run cut short first, then the last run
			// of each kind in the order the kinds came.
		}, "9000-9001/tcp, 0.0.0.0:8000-8002->8000-8002/tcp, 9003/tcp"},
		{"other numbers one by one, last", map[string][]portBinding{
			"80/tcp": {b("127.0.0.1", "8080")}, "81/tcp": {b("127.0.0.1", "8081")}, "443/tcp": {b("0.0.0.0", "443")},
		}, "0.0.0.0:443->443/tcp, 127.0.0.1:8080->80/tcp, 127.0.0.1:8081->81/tcp"},
		{"protocols apart", map[string][]portBinding{"53/tcp": {b("0.0.0.0", "53")}, "53/udp": {b("0.0.0.0", "53")}},
			"0.0.0.0:53->53/tcp, 0.0.0.0:53->53/udp"},
	}
	for _, tt := range tests {
		if got := psPorts(tt.ports); got != tt.want {
			t.Errorf("%s: psPorts(%v) = %q, want %q", tt.name, tt.ports, got, tt.want)
		}
	}
}

func TestContainerPorts(t *testing.T) {
	running := dock.State{Status: dock.StatusRunning, StartedAt: time.Now()}
	v4 := dock.EndpointInfo{Network: "bridge", IPv4: netip.MustParsePrefix("172.17.0.2/16")}
	v6 := v4
	v6.IPv6 = netip.MustParsePrefix("fd00::2/64")
	ports := []dock.PortMapping{
		{HostPort: 8080, ContainerPort: 80, Proto: "tcp"},
		{HostIP: netip.MustParseAddr("127.0.0.1"), HostPort: 5353, ContainerPort: 53, Proto: "udp"},
	}
	exposed := []dock.Port{{Number: 80, Proto: "tcp"}, {Number: 9000, Proto: "tcp"}}
	info := &dock.Info{State: running, Networks: []dock.EndpointInfo{v4}, Ports: ports}
	want := map[string][]portBinding{
		"80/tcp":   {{"0.0.0.0", "8080"}},
		"53/udp":   {{"127.0.0.1", "5353"}},
		"9000/tcp": nil,
	}
	if got := containerPorts(info, exposed); !reflect.DeepEqual(got, want) {
		t.Errorf("containerPorts(IPv4) = %v, want %v", got, want)
	}
	info.Networks = []dock.EndpointInfo{v6}
	want["80/tcp"] = []portBinding{{"0.0.0.0", "8080"}, {"::", "8080"}}
	if got := containerPorts(info, exposed); !reflect.DeepEqual(got, want) {
		t.Errorf("containerPorts(IPv6) = %v, want %v", got, want)
	}
	// Stopped, or not on a bridge: nothing, as docker.
	info.State = dock.State{Status: dock.StatusExited}
	if got := containerPorts(info, exposed); len(got) != 0 {
		t.Errorf("containerPorts(exited) = %v, want none", got)
	}
	info.State, info.Networks = running, nil
	if got := containerPorts(info, exposed); len(got) != 0 {
		t.Errorf("containerPorts(host network) = %v, want none", got)
	}
}

func TestNaturalCompare(t *testing.T) {
	got := []string{"8080/tcp -> 0.0.0.0:1", "80/tcp -> [::]:8080", "443/tcp -> 0.0.0.0:443", "80/tcp -> 0.0.0.0:8080", "080/udp"}
	slices.SortFunc(got, naturalCompare)
	want := []string{"80/tcp -> 0.0.0.0:8080", "80/tcp -> [::]:8080", "080/udp", "443/tcp -> 0.0.0.0:443", "8080/tcp -> 0.0.0.0:1"}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("sorted = %q, want %q", got, want)
	}
}

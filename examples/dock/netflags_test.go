package main

import (
	"errors"
	"net/netip"
	"reflect"
	"strings"
	"testing"

	"github.com/go-dock/dock"
)

func TestParseRunNetwork(t *testing.T) {
	a := netip.MustParseAddr
	tests := []struct {
		name string
		args []string
		want func(c *dock.Config)
		warn []string
	}{
		{"default is the bridge", nil, func(c *dock.Config) {}, nil},
		{"default by name", []string{"--network", "default"}, func(c *dock.Config) {}, nil},
		{"container", []string{"--net=container:db"}, func(c *dock.Config) { c.Network = "container:db" }, nil},
		{"user network", []string{"--network", "app", "--network-alias", "db", "--net-alias", "pg",
			"--ip", "10.1.0.5", "--ip6", "fd00::5", "--mac-address", "02:42:0a:01:00:05"}, func(c *dock.Config) {
			c.Network, c.NetworkAliases = "app", []string{"db", "pg"}
			c.IPv4Address, c.IPv6Address, c.MacAddress = a("10.1.0.5"), a("fd00::5"), "02:42:0a:01:00:05"
		}, nil},
		{"ports", []string{"-p", "8080:80", "--publish=127.0.0.1::53/udp", "-P", "--expose", "90-91", "--expose=7/udp"}, func(c *dock.Config) {
			c.Ports = []dock.PortMapping{
				{HostPort: 8080, ContainerPort: 80, Proto: "tcp"},
				{HostIP: a("127.0.0.1"), ContainerPort: 53, Proto: "udp"},
			}
			c.PublishAllPorts = true
			c.ExposedPorts = []dock.Port{{Number: 90, Proto: "tcp"}, {Number: 91, Proto: "tcp"}, {Number: 7, Proto: "udp"}}
		}, nil},
		{"names", []string{"--dns", "192.0.2.53", "--dns", "2001:db8::53", "--dns-search", "example.test", "--dns-search", ".",
			"--dns-option", "ndots:2", "--dns-opt", "timeout:1",
			"--add-host", "a:192.0.2.1", "--add-host", "b=[2001:db8::1]", "--add-host", "gw:host-gateway"}, func(c *dock.Config) {
			c.DNS = []netip.Addr{a("192.0.2.53"), a("2001:db8::53")}
			c.DNSSearch, c.DNSOptions = []string{"example.test", "."}, []string{"ndots:2", "timeout:1"}
			c.ExtraHosts = []string{"a:192.0.2.1", "b:2001:db8::1", "gw:host-gateway"}
		}, nil},
		{"host drops ports", []string{"--network", "host", "-p", "80:80", "-P"}, func(c *dock.Config) { c.Network = "host" },
			[]string{"WARNING: Published ports are discarded when using host network mode"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := parseRun("run", append(tt.args, "busybox"), fakeEnv)
			if err != nil {
				t.Fatalf("parseRun(%q) error: %v", tt.args, err)
			}
			want := dock.Config{Image: "busybox", Network: "bridge"}
			tt.want(&want)
			if !reflect.DeepEqual(got.Config, want) {
				t.Errorf("parseRun(%q).Config =\n%+v\nwant\n%+v", tt.args, got.Config, want)
			}
			if !reflect.DeepEqual(got.Warnings, tt.warn) {
				t.Errorf("parseRun(%q).Warnings = %q, want %q", tt.args, got.Warnings, tt.warn)
			}
		})
	}
}

func TestParseRunNetworkErrors(t *testing.T) {
	for _, tt := range []struct {
		args []string
		want string
	}{
		{[]string{"--ip", "300.1.1.1"}, "invalid IPv4 address: 300.1.1.1"},
		{[]string{"--ip", "fd00::1"}, "invalid IPv4 address: fd00::1"},
		{[]string{"--ip6", "10.0.0.1"}, "invalid IPv6 address: 10.0.0.1"},
		{[]string{"--mac-address", "zz"}, "zz is not a valid mac address"},
		{[]string{"-p", "80x"}, "invalid containerPort: 80x"},
		{[]string{"-p", "8000-8001:80-82"}, "invalid ranges specified for container and host Ports"},
		{[]string{"--expose", "80:80"}, "invalid port format for --expose: 80:80"},
		{[]string{"--expose", "x"}, `exposed port "x"`},
		{[]string{"--dns", "x"}, `invalid argument "x" for "--dns" flag: IP address is not correctly formatted: x`},
		{[]string{"--dns-search", "-bad"}, "-bad is not a valid domain"},
		{[]string{"--add-host", "nocolon"}, `bad format for add-host: "nocolon"`},
		{[]string{"--add-host", "a:zz"}, `invalid IP address in add-host: "zz"`},
	} {
		_, err := parseRun("run", append(tt.args, "busybox"), fakeEnv)
		var ue *usageError
		if !errors.As(err, &ue) || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("parseRun(%q) error = %v, want a usage error with %q", tt.args, err, tt.want)
		}
	}
}

func TestPortAllocatedMessage(t *testing.T) {
	// The library wraps docker's text; the CLI prints docker's sentence.
	inner := &wrapped{msg: "Bind for 0.0.0.0:8080 failed: port is already allocated", err: dock.ErrPortAllocated}
	err := startFailure(errors.Join(errors.New("cleanup"), &wrapped{msg: "start container 0123: reserve: " + inner.msg, err: inner}))
	want := "failed to set up container networking: Bind for 0.0.0.0:8080 failed: port is already allocated"
	if err == nil || err.Error() != want {
		t.Errorf("startFailure = %v, want %q", err, want)
	}
	if code := reportError(discard{}, discard{}, &command{name: "run"}, err); code != 125 {
		t.Errorf("exit code = %d, want 125", code)
	}
}

type wrapped struct {
	msg string
	err error
}

func (w *wrapped) Error() string { return w.msg }
func (w *wrapped) Unwrap() error { return w.err }

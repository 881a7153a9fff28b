package dock

import (
	"encoding/json"
	"errors"
	"net/netip"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// pm is a PortMapping for the tables: host IP ("" for none), host port,
// container port, protocol.
func pm(ip string, host, ctr uint16, proto string) PortMapping {
	m := PortMapping{HostPort: host, ContainerPort: ctr, Proto: proto}
	if ip != "" {
		m.HostIP = netip.MustParseAddr(ip)
	}
	return m
}

func TestParsePortMappings(t *testing.T) {
	for _, tc := range []struct {
		specs []string
		want  []PortMapping
	}{
		{[]string{"80"}, []PortMapping{pm("", 0, 80, "tcp")}},
		{[]string{"80/udp"}, []PortMapping{pm("", 0, 80, "udp")}},
		{[]string{"80/TCP"}, []PortMapping{pm("", 0, 80, "tcp")}},
		{[]string{"80/Udp"}, []PortMapping{pm("", 0, 80, "udp")}},
		{[]string{"80/"}, []PortMapping{pm("", 0, 80, "tcp")}}, // Docker: an empty proto is tcp
		{[]string{"8080:80"}, []PortMapping{pm("", 8080, 80, "tcp")}},
		{[]string{"0:80"}, []PortMapping{pm("", 0, 80, "tcp")}}, // Docker: host port 0 is ephemeral
		{[]string{":80"}, []PortMapping{pm("", 0, 80, "tcp")}},
		{[]string{"::80"}, []PortMapping{pm("", 0, 80, "tcp")}}, // Docker's split: empty IP, empty host port
		{[]string{"0080:080"}, []PortMapping{pm("", 80, 80, "tcp")}},
		{[]string{"127.0.0.1:8080:80"}, []PortMapping{pm("127.0.0.1", 8080, 80, "tcp")}},
		{[]string{"127.0.0.1::80"}, []PortMapping{pm("127.0.0.1", 0, 80, "tcp")}},
		{[]string{"127.0.0.1:0:80/udp"}, []PortMapping{pm("127.0.0.1", 0, 80, "udp")}},
		{[]string{"[::1]:8080:80"}, []PortMapping{pm("::1", 8080, 80, "tcp")}},
		{[]string{"[::1]::80/udp"}, []PortMapping{pm("::1", 0, 80, "udp")}},
		{[]string{"[::]:8080:80"}, []PortMapping{pm("::", 8080, 80, "tcp")}},
		{[]string{"::1:8080:80"}, []PortMapping{pm("::1", 8080, 80, "tcp")}}, // Docker: brackets are optional
		{[]string{"2001:db8::1:8080:80"}, []PortMapping{pm("2001:db8::1", 8080, 80, "tcp")}},
		{[]string{"[127.0.0.1]:8080:80"}, []PortMapping{pm("127.0.0.1", 8080, 80, "tcp")}},
		{[]string{"[::ffff:10.0.0.1]:8080:80"}, []PortMapping{pm("10.0.0.1", 8080, 80, "tcp")}}, // unmapped
		{[]string{"0.0.0.0:8080:80"}, []PortMapping{pm("0.0.0.0", 8080, 80, "tcp")}},
		{[]string{"8000-8002:80-82"}, []PortMapping{pm("", 8000, 80, "tcp"), pm("", 8001, 81, "tcp"), pm("", 8002, 82, "tcp")}},
		{[]string{"80-82"}, []PortMapping{pm("", 0, 80, "tcp"), pm("", 0, 81, "tcp"), pm("", 0, 82, "tcp")}},
		{[]string{"127.0.0.1::80-81/udp"}, []PortMapping{pm("127.0.0.1", 0, 80, "udp"), pm("127.0.0.1", 0, 81, "udp")}},
		{[]string{"80-80"}, []PortMapping{pm("", 0, 80, "tcp")}},
		{[]string{"8080-8080:80-80"}, []PortMapping{pm("", 8080, 80, "tcp")}},
		{[]string{"8080-8080:80"}, []PortMapping{pm("", 8080, 80, "tcp")}},
		// A host range to one container port: any free port of the range.
		{[]string{"8000-8010:80"}, []PortMapping{{HostPort: 8000, HostPortEnd: 8010, ContainerPort: 80, Proto: "tcp"}}},
		{[]string{"10.0.0.1:8000-8010:80/udp"}, []PortMapping{{HostIP: netip.MustParseAddr("10.0.0.1"), HostPort: 8000, HostPortEnd: 8010, ContainerPort: 80, Proto: "udp"}}},
		{[]string{"65535:65535"}, []PortMapping{pm("", 65535, 65535, "tcp")}},
		{[]string{"65534-65535:1-2"}, []PortMapping{pm("", 65534, 1, "tcp"), pm("", 65535, 2, "tcp")}},
		// Several specs: their mappings in order, duplicates kept.
		{[]string{"80", "443:443/udp", "80"}, []PortMapping{pm("", 0, 80, "tcp"), pm("", 443, 443, "udp"), pm("", 0, 80, "tcp")}},
		{nil, nil},
	} {
		t.Run(strings.Join(tc.specs, ","), func(t *testing.T) {
			got, err := ParsePortMappings(tc.specs...)
			require.NoError(t, err)
			assert.Equal(t, tc.want, got)
		})
	}
}

func TestParsePortMappingsWholeRange(t *testing.T) {
	got, err := ParsePortMappings("1-65535:1-65535/udp")
	require.NoError(t, err)
	require.Len(t, got, 65535)
	assert.Equal(t, pm("", 1, 1, "udp"), got[0])
	assert.Equal(t, pm("", 65535, 65535, "udp"), got[65534])
	for i, m := range got {
		if int(m.HostPort) != i+1 || int(m.ContainerPort) != i+1 {
			t.Fatalf("ParsePortMappings(1-65535:1-65535)[%d] = %v", i, m)
		}
	}
	got, err = ParsePortMappings("1-65535")
	require.NoError(t, err)
	assert.Len(t, got, 65535)
	assert.Equal(t, pm("", 0, 65535, "tcp"), got[65534])
}

func TestParsePortMappingsInvalid(t *testing.T) {
	for _, tc := range []struct {
		spec string
		msg  string // a substring of the error: Docker's words where Docker has them
	}{
		{"", "no port specified: <empty>"},
		{"8080:", "no port specified: 8080:<empty>"},
		{"127.0.0.1:8080:", "no port specified: 127.0.0.1:8080:<empty>"},
		{"/tcp", "no port specified: /tcp<empty>"},
		{"80/icmp", "invalid proto: icmp"},
		{"80/tcp/udp", "invalid proto: tcp/udp"},
		{"80/sctp", "sctp is not supported"},
		{"a:b:c:d", "invalid IP address: a:b"},
		{"a:8080:80", "invalid IP address: a"},
		{"[::1:8080:80", "invalid IP address [::1: missing ']' in address"},
		{"[::1", "invalid IP address [: missing ']' in address"},
		{"[::1]x:8080:80", "invalid IP address [::1]x: missing ']' in address"},
		{"[]:8080:80", "invalid IP address: []"},
		{"[fe80::1%eth0]:8080:80", "invalid IP address: [fe80::1%eth0]"},
		{"256.0.0.1:8080:80", "invalid IP address: 256.0.0.1"},
		{"localhost:8080:80", "invalid IP address: localhost"},
		{"127.0.0.1:80", "invalid hostPort: 127.0.0.1"},
		{"0", "invalid containerPort: 0: invalid port '0': value out of range"},
		{"8080:0", "invalid containerPort: 0"},
		{"65536", "invalid containerPort: 65536: invalid port '65536': value out of range"},
		{"99999999999999999999", "invalid containerPort: 99999999999999999999"},
		{"65536:80", "invalid hostPort: 65536: invalid port '65536': value out of range"},
		{"0-10:80-90", "invalid hostPort: 0-10: invalid start port '0': value out of range"},
		{"0-10:80", "invalid hostPort: 0-10"},
		{"00:80", "invalid hostPort: 00"},
		{"8080:0-1", "invalid containerPort: 0-1"},
		{"80-", "invalid containerPort: 80-: invalid end port '': value is empty"},
		{"-80", "invalid containerPort: -80: invalid start port '': value is empty"},
		{"8080-:80", "invalid hostPort: 8080-"},
		{"80-90-100", "invalid containerPort: 80-90-100: invalid end port '90-100': invalid syntax"},
		{"90-80", "invalid containerPort: 90-80: invalid port range: 90-80"},
		{"9000-8000:80", "invalid hostPort: 9000-8000: invalid port range: 9000-8000"},
		{"65535-65536", "invalid containerPort: 65535-65536: invalid end port '65536': value out of range"},
		{"8000-8010:80-81", "invalid ranges specified for container and host Ports: 80-81 and 8000-8010"},
		{"8080:80-81", "invalid ranges specified for container and host Ports: 80-81 and 8080"},
		{"0:80-81", "invalid ranges specified for container and host Ports: 80-81 and 0"},
		{" 80", "invalid containerPort:  80: invalid port ' 80': invalid syntax"},
		{"80 ", "invalid containerPort: 80 : invalid port '80 ': invalid syntax"},
		{"8080 :80", "invalid hostPort: 8080 "},
		{"\t", "non-printable character"},
		{"8080:80\n", "non-printable character"},
		{"\xff", "non-printable character"},
		{"+80", "invalid containerPort: +80: invalid port '+80': invalid syntax"},
		{"0x50", "invalid containerPort: 0x50"},
		{"8_0", "invalid containerPort: 8_0"},
		{"٨٠", "invalid containerPort: ٨٠: invalid port '٨٠': invalid syntax"}, // Arabic-Indic digits
		{"８０８０:80", "invalid hostPort: ８０８０"},                                  // full-width digits
		{"80\x00", "non-printable character"},
		{"127.0.0.1:8080:80:", "no port specified"},
	} {
		t.Run(tc.spec, func(t *testing.T) {
			got, err := ParsePortMappings("80", tc.spec)
			require.Error(t, err, "ParsePortMappings(%q) = %v", tc.spec, got)
			assert.Nil(t, got)
			assert.ErrorIs(t, err, ErrInvalid)
			assert.Contains(t, err.Error(), tc.msg)
			assert.Contains(t, err.Error(), "port spec "+strconv.Quote(tc.spec), "the error names the spec")
		})
	}
}

func TestParsePortMappingsSCTPUnsupported(t *testing.T) {
	_, err := ParsePortMappings("8080:80/SCTP")
	assert.ErrorIs(t, err, ErrUnsupported)
	assert.ErrorIs(t, err, ErrInvalid)
	assert.EqualError(t, err, `invalid argument: port spec "8080:80/SCTP": invalid proto: sctp is not supported on this system`)
}

func TestPortMappingString(t *testing.T) {
	for _, tc := range []struct {
		m    PortMapping
		want string
	}{
		{pm("", 0, 80, ""), "80/tcp"},
		{pm("", 0, 80, "udp"), "80/udp"},
		{pm("", 8080, 80, "tcp"), "8080:80/tcp"},
		{pm("127.0.0.1", 0, 80, "tcp"), "127.0.0.1::80/tcp"},
		{pm("127.0.0.1", 8080, 80, "udp"), "127.0.0.1:8080:80/udp"},
		{pm("::1", 8080, 80, "tcp"), "[::1]:8080:80/tcp"},
		{pm("::", 0, 80, "tcp"), "[::]::80/tcp"},
		{PortMapping{HostPort: 8000, HostPortEnd: 8010, ContainerPort: 80}, "8000-8010:80/tcp"},
	} {
		t.Run(tc.want, func(t *testing.T) {
			assert.Equal(t, tc.want, tc.m.String())
			back, err := ParsePortMappings(tc.m.String())
			require.NoError(t, err)
			want := tc.m
			if want.Proto == "" {
				want.Proto = "tcp"
			}
			assert.Equal(t, []PortMapping{want}, back)
		})
	}
}

func TestPortMappingJSON(t *testing.T) {
	b, err := json.Marshal([]PortMapping{pm("", 0, 80, "tcp"), {HostIP: netip.MustParseAddr("::1"), HostPort: 8000, HostPortEnd: 8010, ContainerPort: 80, Proto: "udp"}})
	require.NoError(t, err)
	assert.JSONEq(t, `[{"containerPort":80,"proto":"tcp"},{"hostIP":"::1","hostPort":8000,"hostPortEnd":8010,"containerPort":80,"proto":"udp"}]`, string(b))
}

func TestParseExposedPorts(t *testing.T) {
	for _, tc := range []struct {
		specs []string
		want  []Port
	}{
		{[]string{"80"}, []Port{{80, "tcp"}}},
		{[]string{"80/tcp"}, []Port{{80, "tcp"}}},
		{[]string{"53/UDP"}, []Port{{53, "udp"}}},
		{[]string{"8000-8002/udp"}, []Port{{8000, "udp"}, {8001, "udp"}, {8002, "udp"}}},
		{[]string{"80-80"}, []Port{{80, "tcp"}}},
		{[]string{"443", "80/tcp", "80", "80/udp", "79-81"}, []Port{{443, "tcp"}, {80, "tcp"}, {80, "udp"}, {79, "tcp"}, {81, "tcp"}}},
		{[]string{"65535/udp"}, []Port{{65535, "udp"}}},
		{nil, nil},
	} {
		t.Run(strings.Join(tc.specs, ","), func(t *testing.T) {
			got, err := ParseExposedPorts(tc.specs...)
			require.NoError(t, err)
			assert.Equal(t, tc.want, got)
		})
	}
	all, err := ParseExposedPorts("1-65535")
	require.NoError(t, err)
	assert.Len(t, all, 65535)
}

func TestParseExposedPortsInvalid(t *testing.T) {
	for _, tc := range []struct{ spec, msg string }{
		{"", "value is empty"},
		{"/tcp", "value is empty"},
		{"0", "invalid port '0': value out of range"},
		{"65536/tcp", "invalid port '65536': value out of range"},
		{"80-", "invalid end port '': value is empty"},
		{"-80", "invalid start port '': value is empty"},
		{"90-80", "invalid port range: 90-80"},
		{"80/icmp", "invalid proto: icmp"},
		{"80/sctp", "sctp is not supported"},
		{"8080:80", "invalid port '8080:80': invalid syntax"},
		{" 80", "invalid syntax"},
		{"٨٠", "invalid syntax"},
		{"80\r", "non-printable character"},
	} {
		t.Run(tc.spec, func(t *testing.T) {
			got, err := ParseExposedPorts("80", tc.spec)
			require.Error(t, err, "ParseExposedPorts(%q) = %v", tc.spec, got)
			assert.Nil(t, got)
			assert.ErrorIs(t, err, ErrInvalid)
			assert.Contains(t, err.Error(), tc.msg)
			assert.Contains(t, err.Error(), "exposed port "+strconv.Quote(tc.spec))
		})
	}
}

func TestPortString(t *testing.T) {
	assert.Equal(t, "80/tcp", Port{Number: 80}.String())
	assert.Equal(t, "53/udp", Port{Number: 53, Proto: "udp"}.String())
}

// FuzzParsePortMappings checks that no spec panics, that every mapping
// parsed is well-formed, and that each reads back from its String.
func FuzzParsePortMappings(f *testing.F) {
	for _, s := range []string{"80", "8080:80/udp", "127.0.0.1::80", "[::1]:8000-8010:80", "::1:1-2:3-4", "a:b:c:d", "80-", "[::1"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, spec string) {
		ms, err := ParsePortMappings(spec)
		if err != nil {
			if !errors.Is(err, ErrInvalid) {
				t.Fatalf("ParsePortMappings(%q) = %v, not ErrInvalid", spec, err)
			}
			return
		}
		for _, m := range ms {
			if m.ContainerPort == 0 || (m.Proto != "tcp" && m.Proto != "udp") ||
				(m.HostPortEnd != 0 && m.HostPortEnd <= m.HostPort) || m.HostIP.Zone() != "" || m.HostIP.Is4In6() {
				t.Fatalf("ParsePortMappings(%q) gave %#v", spec, m)
			}
			back, err := ParsePortMappings(m.String())
			if err != nil || len(back) != 1 || back[0] != m {
				t.Fatalf("ParsePortMappings(%q) = %v, %v; want %v", m.String(), back, err, m)
			}
		}
	})
}

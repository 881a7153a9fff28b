package netstate

import (
	"encoding/json"
	"net/netip"
	"sync"
	"time"
)

// Warm decodes and encodes a state with one of everything, once per
// process, so that the first Update does not pay for it. encoding/json
// builds its decoder and encoder for each type on first use: for State,
// about 0.7 ms of CPU, in every short-lived program (the CLI) at the
// heart of a container's start, where an Update holds the host-wide
// lock. A start calls it in the background as early as it knows the
// container joins a bridge, on a core that has little else to do then.
func Warm() { warmOnce() }

var warmOnce = sync.OnceFunc(func() {
	if data, err := json.Marshal(warmState()); err == nil {
		json.Unmarshal(data, new(State))
	}
})

// warmState is a state with a value in every field (TestWarmCoversState).
func warmState() *State {
	a := netip.MustParseAddr("10.0.0.2")
	return &State{Boot: "warm", Collector: 1, CollectorStart: 1, Sysctls: map[string]string{"k": "v"},
		Networks: map[string]*Network{"n": {ID: "n", Name: "n", Bridge: "b", Internal: true, Names: true,
			Subnets: []Subnet{{Prefix: netip.MustParsePrefix("10.0.0.0/24"), Gateway: a, Range: netip.MustParsePrefix("10.0.0.0/25")}},
			Last:    []netip.Addr{a},
			Idle:    time.Unix(1, 0).UTC(),
			Endpoints: map[string]*Endpoint{"c": {Container: "c", Name: "c", Aliases: []string{"x"},
				Addrs: []netip.Addr{a}, MAC: "02:42:0a:00:00:02", Veth: "v",
				Ports:     []Port{{Proto: "tcp", HostIP: a, HostPort: 1, ContainerPort: 1}},
				Upstreams: []netip.AddrPort{netip.AddrPortFrom(a, 53)}, Owner: 1, OwnerStart: 1}},
		}}}
}

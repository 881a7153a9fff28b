package dock

import (
	"os"
	"sync"

	"github.com/go-dock/dock/internal/netstate"
)

// infoLookups are what an Info takes from outside the container's
// directory: the network state, the networks' names, whether a volume is
// anonymous, the container whose network a container shares. Each is
// read once per Inspect or Containers call, however many containers
// need it. Not safe for concurrent use.
type infoLookups struct {
	e *Engine
	// netState is the network state, read at most once (nil when it
	// cannot be read).
	netState   func() *netstate.State
	networks   map[string]string // network ID -> name ("" for one gone)
	anonymous  map[string]bool   // volume name -> anonymous
	containers map[string]string // container reference -> ID ("" for none)
}

func newInfoLookups(e *Engine) *infoLookups {
	return &infoLookups{
		e: e, netState: sync.OnceValue(readNetState),
		networks: map[string]string{}, anonymous: map[string]bool{}, containers: map[string]string{},
	}
}

// networkName is the name of the network with the given ID; "" when it
// is gone.
func (l *infoLookups) networkName(id string) string {
	name, ok := l.networks[id]
	if !ok {
		if n, err := l.e.networkByID(id); err == nil {
			name = n.Name
		}
		l.networks[id] = name
	}
	return name
}

// container is the ID of the container ref names; "" when none does.
func (l *infoLookups) container(ref string) string {
	id, ok := l.containers[ref]
	if !ok {
		id, _ = l.e.resolveContainer(ref)
		l.containers[ref] = id
	}
	return id
}

// mountPoints resolves the recorded mounts.
func (l *infoLookups) mountPoints(ms []Mount) []MountPoint {
	var out []MountPoint
	for _, m := range ms {
		mp := MountPoint{Type: m.Type, Source: m.Source, Target: m.Target, ReadOnly: m.ReadOnly}
		if m.Type == "volume" {
			mp.Name, mp.Source = m.Source, l.e.path("volumes", m.Source, "_data")
			mp.Anonymous = l.volumeAnonymous(m.Source)
		}
		out = append(out, mp)
	}
	return out
}

// volumeAnonymous reports whether the volume is anonymous: it holds the
// marker that Create left in it.
func (l *infoLookups) volumeAnonymous(name string) bool {
	anon, ok := l.anonymous[name]
	if !ok {
		_, err := os.Lstat(l.e.path("volumes", name, anonymousMarker))
		anon = err == nil
		l.anonymous[name] = anon
	}
	return anon
}

package nettest

import (
	"slices"
	"strings"
)

// State is a snapshot of a network namespace's configuration (see
// Snapshot): sorted lines such as "link wan0 type=veth up=true master= mtu=1500"
// or "listen tcp 127.0.0.1:8080". It holds no indexes or counters, so two
// snapshots of an unchanged namespace are equal.
type State struct {
	Lines []string
}

// String is the lines, one a line.
func (s *State) String() string { return strings.Join(s.Lines, "\n") }

// Diff returns the lines only in before ("- line") and only in after
// ("+ line"), sorted; none means the namespace looks unchanged.
func Diff(before, after *State) []string {
	var out []string
	for _, l := range before.Lines {
		if _, found := slices.BinarySearch(after.Lines, l); !found {
			out = append(out, "- "+l)
		}
	}
	for _, l := range after.Lines {
		if _, found := slices.BinarySearch(before.Lines, l); !found {
			out = append(out, "+ "+l)
		}
	}
	return out
}

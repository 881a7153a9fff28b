package firewall

import (
	"slices"
	"sync/atomic"
)

// Update changes the table from what old describes to what rs does.
// When only published ports differ (a container with ports starts or
// ends on a network that stays up), it adds and deletes their map
// elements in place: a fraction of Apply's cost, whose batch re-creates
// every chain and hook. Otherwise, or when the table is not what old
// says (an nftables restart took it, say), it is Apply(rs).
func Update(old, rs *Ruleset) error {
	if old.empty() || rs.empty() {
		return Apply(rs)
	}
	po, err := planFor(old)
	if err != nil {
		return Apply(rs)
	}
	pn, err := planFor(rs)
	if err != nil {
		return err
	}
	d, ok := diffPlans(po, pn)
	if !ok {
		return Apply(rs)
	}
	if len(d) == 0 {
		return nil
	}
	if err := updateImpl(d); err != nil {
		return Apply(rs)
	}
	inPlace.Add(1)
	return nil
}

// inPlace counts the updates made in place (for the tests).
var inPlace atomic.Int64

// change is what a set loses and gains.
type change struct{ del, add []element }

// diff are the changes of the sets that changed, by name.
type diff map[string]change

// portMaps are the sets that Update may change in place: maps without
// intervals, whose elements stand alone.
var portMaps = []string{mapPorts4, mapPorts6, mapHostPorts4, mapHostPorts6}

// diffPlans returns the element changes from a to b, and false when a
// set other than the port maps differs.
func diffPlans(a, b plan) (diff, bool) {
	d := diff{}
	names := map[string]bool{}
	for n := range a {
		names[n] = true
	}
	for n := range b {
		names[n] = true
	}
	for n := range names {
		del, add := minus(a[n], b[n]), minus(b[n], a[n])
		if len(del) == 0 && len(add) == 0 {
			continue
		}
		if !slices.Contains(portMaps, n) {
			return nil, false
		}
		d[n] = change{del: del, add: add}
	}
	return d, true
}

// minus is the elements of a that b lacks (same key and value).
func minus(a, b []element) []element {
	in := make(map[string]bool, len(b))
	for _, e := range b {
		in[e.id()] = true
	}
	var out []element
	for _, e := range a {
		if !in[e.id()] {
			out = append(out, e)
		}
	}
	return out
}

// id is the element as one comparable value.
func (e element) id() string {
	end := "0"
	if e.intervalEnd {
		end = "1"
	}
	return string(e.key) + "\x00" + string(e.keyEnd) + "\x00" + string(e.val) + "\x00" + end
}

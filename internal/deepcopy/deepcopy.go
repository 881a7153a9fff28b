// Package deepcopy copies a value with everything it reaches through its
// exported fields, so that the copy can be handed out while the original
// stays in a cache: changing one never changes the other.
package deepcopy

import "reflect"

// Copy returns a copy of v that shares no slice, map or pointer reachable
// through exported fields with v. What unexported fields point to is
// shared: the standard library's values that hold such pointers
// (time.Time's location, netip.Addr's zone) never change what they point
// to. Channels and functions are shared too. Safe for concurrent use.
func Copy[T any](v T) T {
	Detach(&v)
	return v
}

// Detach replaces, in *p, every slice, map and pointer reachable through
// exported fields by a copy, as Copy does: *p then shares nothing (but
// what Copy shares) with the values it was assembled from. A value built
// from parts of a cache is detached in place, with no copy of the whole.
func Detach[T any](p *T) {
	pl := planFor(reflect.TypeFor[T]())
	if pl.shallow {
		return
	}
	v := reflect.ValueOf(p).Elem()
	pl.fix(v, v)
}

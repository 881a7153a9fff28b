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
	p := planFor(reflect.TypeFor[T]())
	if p.shallow {
		return v
	}
	out := v
	p.fix(reflect.ValueOf(&out).Elem(), reflect.ValueOf(&v).Elem())
	return out
}

package deepcopy

import (
	"reflect"
	"sync"
)

// A plan copies the values of one type. It is worked out once per type,
// with the plans of the types it holds, so that a copy walks only what
// needs it and looks nothing up.
type plan struct {
	kind reflect.Kind
	typ  reflect.Type
	// shallow: an assignment is a deep copy (no pointer, slice, map or
	// interface is reachable through exported fields).
	shallow bool
	// elem is the plan of a pointer's, slice's, array's or map's
	// elements.
	elem *plan
	// fields are a struct's exported fields that are not shallow.
	fields []fieldPlan
}

type fieldPlan struct {
	index int
	plan  *plan
}

var (
	// ready holds the plans that are complete, by type.
	ready sync.Map
	// mu guards the working out of plans: built holds them all, those
	// still being worked out too (a recursive type reaches its own).
	mu    sync.Mutex
	built = map[reflect.Type]*plan{}
)

// planFor returns t's plan, working it out the first time.
func planFor(t reflect.Type) *plan {
	if p, ok := ready.Load(t); ok {
		return p.(*plan)
	}
	mu.Lock()
	defer mu.Unlock()
	p := build(t)
	ready.Store(t, p)
	return p
}

// build works out t's plan; the caller holds mu.
func build(t reflect.Type) *plan {
	if p := built[t]; p != nil {
		return p
	}
	p := &plan{kind: t.Kind(), typ: t, shallow: shallow(t, map[reflect.Type]bool{})}
	built[t] = p
	if p.shallow {
		return p
	}
	switch p.kind {
	case reflect.Pointer, reflect.Slice, reflect.Array, reflect.Map:
		p.elem = build(t.Elem())
	case reflect.Struct:
		for i := range t.NumField() {
			if f := t.Field(i); f.IsExported() && !shallow(f.Type, map[reflect.Type]bool{}) {
				p.fields = append(p.fields, fieldPlan{index: i, plan: build(f.Type)})
			}
		}
	}
	return p
}

// shallow reports whether an assignment copies a value of type t deeply;
// visiting holds the structs being walked (a struct reaches itself only
// through a pointer, slice or map, which are not shallow anyway).
func shallow(t reflect.Type, visiting map[reflect.Type]bool) bool {
	switch t.Kind() {
	case reflect.Pointer, reflect.Slice, reflect.Map, reflect.Interface:
		return false
	case reflect.Array:
		return shallow(t.Elem(), visiting)
	case reflect.Struct:
		if visiting[t] {
			return true
		}
		visiting[t] = true
		for i := range t.NumField() {
			if f := t.Field(i); f.IsExported() && !shallow(f.Type, visiting) {
				return false
			}
		}
	}
	return true
}

// fix makes dst, a settable copy of src made by assignment, a deep copy:
// it replaces what dst shares with src by copies. dst may be src itself
// (Detach): each case reads all it needs of src before it sets dst.
func (p *plan) fix(dst, src reflect.Value) {
	if p.shallow {
		return
	}
	switch p.kind {
	case reflect.Pointer:
		if !src.IsNil() {
			v := reflect.New(p.typ.Elem())
			v.Elem().Set(src.Elem())
			p.elem.fix(v.Elem(), src.Elem())
			dst.Set(v)
		}
	case reflect.Slice:
		if !src.IsNil() {
			s := reflect.MakeSlice(p.typ, src.Len(), src.Len())
			reflect.Copy(s, src)
			if !p.elem.shallow {
				for i := range src.Len() {
					p.elem.fix(s.Index(i), src.Index(i))
				}
			}
			dst.Set(s)
		}
	case reflect.Array:
		for i := range src.Len() {
			p.elem.fix(dst.Index(i), src.Index(i))
		}
	case reflect.Map:
		if !src.IsNil() {
			m := reflect.MakeMapWithSize(p.typ, src.Len())
			for it := src.MapRange(); it.Next(); {
				v := it.Value()
				if !p.elem.shallow {
					nv := reflect.New(p.typ.Elem()).Elem()
					nv.Set(v)
					p.elem.fix(nv, v)
					v = nv
				}
				m.SetMapIndex(it.Key(), v) // keys are compared, never changed
			}
			dst.Set(m)
		}
	case reflect.Interface:
		if !src.IsNil() {
			v := reflect.New(src.Elem().Type()).Elem()
			v.Set(src.Elem())
			planFor(v.Type()).fix(v, src.Elem())
			dst.Set(v)
		}
	case reflect.Struct:
		for _, f := range p.fields {
			f.plan.fix(dst.Field(f.index), src.Field(f.index))
		}
	}
}

package netstate

import (
	"encoding/json"
	"reflect"
	"testing"
)

// TestWarmCoversState checks that the state Warm round-trips has a value
// in every field of every type a state holds: a field it leaves empty
// would leave part of the decoder to build in the first Update.
func TestWarmCoversState(t *testing.T) {
	Warm() // must not panic, and is once per process
	Warm()
	st := warmState()
	data, err := json.Marshal(st)
	if err != nil {
		t.Fatal(err)
	}
	var back State
	if err := json.Unmarshal(data, &back); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(st, &back) {
		t.Errorf("the warm state does not round-trip:\n%+v\n%+v", st, &back)
	}
	seen := map[reflect.Type]bool{}
	var check func(v reflect.Value, path string)
	check = func(v reflect.Value, path string) {
		switch v.Kind() {
		case reflect.Pointer:
			check(v.Elem(), path)
		case reflect.Struct:
			if v.Type().PkgPath() != reflect.TypeFor[State]().PkgPath() {
				return // netip, time: their own encodings
			}
			seen[v.Type()] = true
			for i := range v.NumField() {
				if v.Field(i).IsZero() {
					t.Errorf("%s.%s is empty in the warm state", path, v.Type().Field(i).Name)
				}
				check(v.Field(i), path+"."+v.Type().Field(i).Name)
			}
		case reflect.Slice:
			if v.Len() > 0 {
				check(v.Index(0), path+"[0]")
			}
		case reflect.Map:
			for _, k := range v.MapKeys() {
				check(v.MapIndex(k), path+"["+k.String()+"]")
			}
		}
	}
	check(reflect.ValueOf(st), "State")
	for _, typ := range []reflect.Type{reflect.TypeFor[State](), reflect.TypeFor[Network](), reflect.TypeFor[Subnet](), reflect.TypeFor[Endpoint](), reflect.TypeFor[Port]()} {
		if !seen[typ] {
			t.Errorf("the warm state has no %s", typ.Name())
		}
	}
}

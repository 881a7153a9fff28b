package deepcopy

import (
	"net/netip"
	"reflect"
	"testing"
	"time"
)

type inner struct {
	Names []string
	Map   map[string][]int
	Ptr   *int
}

type node struct {
	Value int
	Next  *node // a recursive type
}

type outer struct {
	Name     string
	When     time.Time
	Addr     netip.Addr
	Prefix   netip.Prefix
	Inner    inner
	InnerPtr *inner
	Inners   []inner
	ByName   map[string]*inner
	Array    [2][]byte
	Any      any
	List     *node
	Plain    [3]int
	hidden   []int // shared: unexported
}

func sample() outer {
	one, two := 1, 2
	return outer{
		Name: "x", When: time.Date(2024, 1, 2, 3, 4, 5, 6, time.FixedZone("z", 3600)),
		Addr: netip.MustParseAddr("fe80::1%eth0"), Prefix: netip.MustParsePrefix("10.0.0.0/8"),
		Inner:    inner{Names: []string{"a"}, Map: map[string][]int{"k": {1}}, Ptr: &one},
		InnerPtr: &inner{Names: []string{"b"}, Ptr: &two},
		Inners:   []inner{{Names: []string{"c"}}},
		ByName:   map[string]*inner{"d": {Names: []string{"d"}}},
		Array:    [2][]byte{[]byte("e"), nil},
		Any:      &inner{Names: []string{"f"}},
		List:     &node{Value: 1, Next: &node{Value: 2}},
		Plain:    [3]int{1, 2, 3},
		hidden:   []int{1},
	}
}

// Copy(v) equals v, and changing anything the copy reaches through
// exported fields leaves v as it was.
func TestCopyIsDeep(t *testing.T) {
	orig, want := sample(), sample()
	c := Copy(orig)
	if !reflect.DeepEqual(c, orig) {
		t.Fatalf("Copy(v) = %+v, want %+v", c, orig)
	}
	c.Inner.Names[0] = "changed"
	c.Inner.Map["k"][0] = 9
	c.Inner.Map["new"] = nil
	*c.Inner.Ptr = 9
	c.InnerPtr.Names[0] = "changed"
	*c.InnerPtr.Ptr = 9
	c.Inners[0].Names[0] = "changed"
	c.ByName["d"].Names[0] = "changed"
	c.Array[0][0] = 'z'
	c.Any.(*inner).Names[0] = "changed"
	c.List.Next.Value = 9
	c.Plain[0] = 9
	if !reflect.DeepEqual(orig, want) {
		t.Errorf("the original changed with its copy: %+v, want %+v", orig, want)
	}
	if &c.hidden[0] != &orig.hidden[0] {
		t.Errorf("Copy(v) copied an unexported field's slice; it shares them")
	}
}

func TestCopyNilAndShallow(t *testing.T) {
	if got := Copy[*outer](nil); got != nil {
		t.Errorf("Copy(nil) = %v, want nil", got)
	}
	var empty outer
	if got := Copy(empty); !reflect.DeepEqual(got, empty) {
		t.Errorf("Copy(zero) = %+v, want the zero value", got)
	}
	if got := Copy([]string(nil)); got != nil {
		t.Errorf("Copy(nil slice) = %#v, want nil", got)
	}
	if got := Copy(map[string]int{}); got == nil || len(got) != 0 {
		t.Errorf("Copy(empty map) = %#v, want an empty map", got)
	}
	if got := Copy(42); got != 42 {
		t.Errorf("Copy(42) = %d", got)
	}
}

func TestCopyConcurrent(t *testing.T) {
	done := make(chan outer)
	for range 8 {
		go func() { done <- Copy(sample()) }()
	}
	for range 8 {
		if got := <-done; !reflect.DeepEqual(got, sample()) {
			t.Errorf("Copy(v) = %+v, want %+v", got, sample())
		}
	}
}

// Detach copies in place what a value shares with the parts it was
// assembled from.
func TestDetach(t *testing.T) {
	parts := sample()
	want := sample()
	v := outer{Name: "assembled", Inner: parts.Inner, InnerPtr: parts.InnerPtr, Inners: parts.Inners, ByName: parts.ByName, Any: parts.Any}
	Detach(&v)
	if !reflect.DeepEqual(v.Inner, want.Inner) || !reflect.DeepEqual(v.InnerPtr, want.InnerPtr) || !reflect.DeepEqual(v.ByName, want.ByName) {
		t.Fatalf("Detach changed the value: %+v", v)
	}
	v.Inner.Names[0] = "changed"
	v.Inner.Map["k"][0] = 9
	v.InnerPtr.Names[0] = "changed"
	v.Inners[0].Names[0] = "changed"
	v.ByName["d"].Names[0] = "changed"
	v.Any.(*inner).Names[0] = "changed"
	if !reflect.DeepEqual(parts, want) {
		t.Errorf("the parts changed with the detached value: %+v, want %+v", parts, want)
	}
}

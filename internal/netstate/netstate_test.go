package netstate

import (
	"errors"
	"net/netip"
	"os"
	"path/filepath"
	"sync"
	"testing"
)

func subnet(p string) Subnet {
	pr := netip.MustParsePrefix(p)
	return Subnet{Prefix: pr, Gateway: pr.Addr().Next()}
}

func TestAllocateRoundRobin(t *testing.T) {
	sub := subnet("10.9.0.0/29") // .1 gateway, .2-.6 usable, .7 broadcast
	n := &Network{Name: "n", Endpoints: map[string]*Endpoint{}}
	var got []string
	for i := range 5 {
		a, err := n.Allocate(sub, netip.Addr{})
		if err != nil {
			t.Fatal(err)
		}
		n.Endpoints[string(rune('a'+i))] = &Endpoint{Addrs: []netip.Addr{a}}
		got = append(got, a.String())
	}
	want := []string{"10.9.0.2", "10.9.0.3", "10.9.0.4", "10.9.0.5", "10.9.0.6"}
	if len(got) != len(want) {
		t.Fatalf("got %v", got)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("allocated %v, want %v", got, want)
		}
	}
	if _, err := n.Allocate(sub, netip.Addr{}); !errors.Is(err, ErrExhausted) {
		t.Fatalf("full subnet: %v, want ErrExhausted", err)
	}
	// Releasing .3 makes it the only choice, even though .6 was last.
	delete(n.Endpoints, "b")
	a, err := n.Allocate(sub, netip.Addr{})
	if err != nil || a.String() != "10.9.0.3" {
		t.Fatalf("after release: %v, %v", a, err)
	}
	// With room, a released address is not reused at once.
	n2 := &Network{Endpoints: map[string]*Endpoint{}}
	wide := subnet("10.8.0.0/24")
	a1, _ := n2.Allocate(wide, netip.Addr{})
	a2, _ := n2.Allocate(wide, netip.Addr{})
	if a1 == a2 || a2 != a1.Next() {
		t.Fatalf("round robin: %v then %v", a1, a2)
	}
}

func TestAllocateWanted(t *testing.T) {
	sub := subnet("10.9.0.0/24")
	n := &Network{Endpoints: map[string]*Endpoint{"x": {Addrs: []netip.Addr{netip.MustParseAddr("10.9.0.5")}}}}
	for _, bad := range []string{"10.9.0.1", "10.9.0.0", "10.9.0.255", "10.9.1.3", "10.9.0.5"} {
		if _, err := n.Allocate(sub, netip.MustParseAddr(bad)); err == nil {
			t.Errorf("Allocate(%s) succeeded", bad)
		}
	}
	if a, err := n.Allocate(sub, netip.MustParseAddr("10.9.0.77")); err != nil || a.String() != "10.9.0.77" {
		t.Errorf("Allocate(10.9.0.77) = %v, %v", a, err)
	}
	// A range limits the automatic choice.
	sub.Range = netip.MustParsePrefix("10.9.0.128/25")
	if a, err := n.Allocate(sub, netip.Addr{}); err != nil || a.String() != "10.9.0.128" {
		t.Errorf("Allocate in range = %v, %v", a, err)
	}
	v6 := subnet("fd00:1::/64")
	if a, err := n.Allocate(v6, netip.Addr{}); err != nil || a.String() != "fd00:1::2" {
		t.Errorf("IPv6 Allocate = %v, %v", a, err)
	}
}

func TestStoreUpdateRead(t *testing.T) {
	s := New(filepath.Join(t.TempDir(), "net"))
	st, err := s.Read()
	if err != nil || len(st.Networks) != 0 {
		t.Fatalf("empty store: %v, %v", st, err)
	}
	err = s.Update(func(st *State) error {
		st.Networks["n1"] = &Network{ID: "n1", Bridge: "br-n1", Endpoints: map[string]*Endpoint{
			"c1": {Container: "c1", Addrs: []netip.Addr{netip.MustParseAddr("10.0.0.2")}, Owner: os.Getpid()},
		}}
		st.Networks["empty"] = &Network{ID: "empty"}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	st, err = s.Read()
	if err != nil || len(st.Networks) != 1 || st.Networks["n1"].Endpoint("c1") == nil {
		t.Fatalf("after update: %+v, %v", st, err)
	}
	// A failing update writes nothing.
	boom := errors.New("boom")
	err = s.Update(func(st *State) error {
		delete(st.Networks, "n1")
		return boom
	})
	if !errors.Is(err, boom) {
		t.Fatal(err)
	}
	if st, _ := s.Read(); len(st.Networks) != 1 {
		t.Fatal("a failed update changed the state")
	}
	// The last network gone, the file is gone.
	s.Update(func(st *State) error { delete(st.Networks["n1"].Endpoints, "c1"); return nil })
	if _, err := os.Stat(filepath.Join(s.Dir(), "state.json")); !os.IsNotExist(err) {
		t.Errorf("state.json after the last endpoint: %v", err)
	}
}

func TestStoreOtherBootIsEmpty(t *testing.T) {
	s := New(t.TempDir())
	os.WriteFile(filepath.Join(s.Dir(), "lock"), nil, 0o600)
	os.WriteFile(filepath.Join(s.Dir(), "state.json"), []byte(`{"boot":"another","networks":{"n":{"id":"n","endpoints":{"c":{"container":"c"}}}}}`), 0o600)
	st, err := s.Read()
	if err != nil || len(st.Networks) != 0 {
		t.Fatalf("state of another boot: %+v, %v", st, err)
	}
	os.WriteFile(filepath.Join(s.Dir(), "state.json"), []byte(`{"boot":`), 0o600)
	if _, err := s.Read(); err == nil {
		t.Error("a truncated state.json read without error")
	}
}

// TestStoreSerialises: concurrent updates (here goroutines; the lock is
// an flock, so processes too) never lose one another's changes.
func TestStoreSerialises(t *testing.T) {
	s := New(t.TempDir())
	var wg sync.WaitGroup
	for i := range 20 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			err := s.Update(func(st *State) error {
				n := st.Networks["n"]
				if n == nil {
					n = &Network{ID: "n", Endpoints: map[string]*Endpoint{}}
					st.Networks["n"] = n
				}
				id := string(rune('A' + i))
				n.Endpoints[id] = &Endpoint{Container: id}
				return nil
			})
			if err != nil {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	st, _ := s.Read()
	if got := len(st.Networks["n"].Endpoints); got != 20 {
		t.Errorf("%d endpoints after 20 concurrent updates", got)
	}
}

func TestDropDead(t *testing.T) {
	st := &State{Networks: map[string]*Network{
		"a": {Endpoints: map[string]*Endpoint{"c1": {Owner: 1}, "c2": {Owner: 2}}},
		"b": {Endpoints: map[string]*Endpoint{"c2": {Owner: 2}}},
	}}
	gone := st.DropDead(func(pid int, _ uint64) bool { return pid == 1 })
	if len(gone) != 1 || gone[0] != "c2" {
		t.Fatalf("DropDead = %v", gone)
	}
	if len(st.Endpoints("c1")) != 1 || len(st.Endpoints("c2")) != 0 {
		t.Errorf("endpoints left: %+v", st.Networks)
	}
}

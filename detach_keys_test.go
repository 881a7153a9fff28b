package dock

import (
	"bytes"
	"errors"
	"io"
	"slices"
	"testing"
	"testing/iotest"
)

func TestParseDetachKeys(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want []byte
	}{
		{"ctrl-p,ctrl-q", []byte{16, 17}},
		{"ctrl-a,x", []byte{1, 'x'}},
		{"X", []byte{'X'}},
		{"CTRL-Z,Ctrl-A", []byte{26, 1}},
		{"ctrl-@,ctrl-[,ctrl-\\,ctrl-],ctrl-^,ctrl-_", []byte{0, 27, 28, 29, 30, 31}},
		{"ctrl-z,DEL", []byte{26, 127}},
	} {
		got, err := ParseDetachKeys(tc.in)
		if err != nil || !slices.Equal(got, tc.want) {
			t.Errorf("ParseDetachKeys(%q) = %v, %v, want %v", tc.in, got, err, tc.want)
		}
	}
	for _, in := range []string{"", "ctrl-", "ctrl-1", "ctrl-pq", "ab", "ctrl-p,", "del", "ctrl-p,,ctrl-q", "ctrl-é"} {
		if got, err := ParseDetachKeys(in); !errors.Is(err, ErrInvalid) {
			t.Errorf("ParseDetachKeys(%q) = %v, %v, want ErrInvalid", in, got, err)
		}
	}
}

func TestDetachReader(t *testing.T) {
	keys := []byte{16, 17} // ctrl-p ctrl-q
	for _, tc := range []struct {
		name, in, want string
		detached       bool
	}{
		{"no keys", "abc", "abc", false},
		{"keys", "ab\x10\x11cd", "ab", true},
		{"keys at once", "\x10\x11", "", true},
		{"half the keys, then another", "a\x10b", "a\x10b", false},
		{"half the keys at the end", "a\x10", "a\x10", false},
		{"the first key twice", "\x10\x10\x11", "\x10", true},
		{"the first key, another, the keys", "\x10x\x10\x10\x11", "\x10x\x10", true},
		{"the second key alone", "\x11a", "\x11a", false},
	} {
		for _, oneByte := range []bool{false, true} {
			var r io.Reader = bytes.NewReader([]byte(tc.in))
			if oneByte {
				r = iotest.OneByteReader(r)
			}
			d := NewDetachReader(r, keys)
			got, err := io.ReadAll(d)
			if string(got) != tc.want || errors.Is(err, ErrDetached) != tc.detached || err != nil && !errors.Is(err, ErrDetached) {
				t.Errorf("%s (a byte a read: %v): read %q, %v; want %q, detached %v", tc.name, oneByte, got, err, tc.want, tc.detached)
			}
			if _, err := d.Read(make([]byte, 4)); tc.detached && !errors.Is(err, ErrDetached) {
				t.Errorf("%s: a Read after the keys: %v, want ErrDetached again", tc.name, err)
			}
		}
	}
	// One key.
	got, err := io.ReadAll(NewDetachReader(bytes.NewReader([]byte("ab\x01c")), []byte{1}))
	if string(got) != "ab" || !errors.Is(err, ErrDetached) {
		t.Errorf("one key: read %q, %v; want ab and ErrDetached", got, err)
	}
}

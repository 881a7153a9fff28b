package user

import (
	"errors"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestResolve(t *testing.T) {
	passwd := []byte("root:x:0:0:root:/root:/bin/sh\napp:x:1000:1000::/home/app:/bin/sh\n# comment\nbad:x:y:1::/:/bin/sh\n")
	group := []byte("root:x:0:\napp:x:1000:\nwheel:x:10:app\nstaff:x:50:other,app\n")
	for _, c := range []struct {
		spec string
		want User // zero Home: an error wrapping ErrInvalid
	}{
		{"", User{Groups: []uint32{0}, Home: "/root"}},
		{"app", User{UID: 1000, GID: 1000, Groups: []uint32{1000, 10, 50}, Home: "/home/app"}},
		{"app:staff", User{UID: 1000, GID: 50, Groups: []uint32{50}, Home: "/home/app"}},
		{"1000:0", User{UID: 1000, GID: 0, Groups: []uint32{0}, Home: "/home/app"}},
		{"4242", User{UID: 4242, Groups: []uint32{0}, Home: "/"}},
		{"4242:4343", User{UID: 4242, GID: 4343, Groups: []uint32{4343}, Home: "/"}},
		{"nobody", User{}},
		{"app:nogroup", User{}},
		{"app:", User{}},
		{"2147483648", User{}},
		{"0:99999999999", User{}},
	} {
		got, err := Resolve(c.spec, passwd, group, nil)
		if c.want.Home == "" {
			require.True(t, errors.Is(err, ErrInvalid), "Resolve(%q) = %v, want ErrInvalid", c.spec, err)
			continue
		}
		require.NoError(t, err, c.spec)
		require.Equal(t, c.want, got, "Resolve(%q)", c.spec)
	}
}

func TestCheckSpec(t *testing.T) {
	for spec, ok := range map[string]bool{"": true, "app": true, "1:2": true, "app:2147483647": true, "2147483648": false, "a:-1": true, "1:4294967296": false} {
		if err := CheckSpec(spec); (err == nil) != ok {
			t.Errorf("CheckSpec(%q) = %v, want ok %t", spec, err, ok)
		}
	}
}

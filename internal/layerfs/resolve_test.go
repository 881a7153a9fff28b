package layerfs

import (
	"errors"
	"syscall"
	"testing"
)

func TestResolve(t *testing.T) {
	links := map[string]string{
		"etc/x":    "/data/real",
		"up":       "../../../../data/real",
		"a/b/up":   "../../../../../../data",
		"esc":      "/../../host/marker",
		"self":     ".",
		"root":     "/",
		"loop":     "loop",
		"ping":     "pong",
		"pong":     "ping",
		"data/rel": "real",
		"data/abs": "/etc/x",
		"dangling": "/missing/file",
		"data/dir": "../srv/app/",
	}
	readlink := func(p string) (string, bool, error) {
		target, ok := links[p]
		return target, ok, nil
	}
	for _, c := range []struct {
		name   string
		follow bool
		want   string
	}{
		{"data/real", true, "data/real"},
		{"/data/real", true, "data/real"},
		{"etc/x", true, "data/real"},
		{"etc/x", false, "etc/x"},
		{"up", true, "data/real"},
		{"a/b/up/real", true, "data/real"},
		{"a/b/up", false, "a/b/up"},
		{"esc", true, "host/marker"},
		{"esc/more", false, "host/marker/more"},
		{"self/self/etc/x", true, "data/real"},
		{"root", true, "."},
		{"root/../..", true, "."},
		{".", true, "."},
		{"data/rel", true, "data/real"},
		{"data/abs", true, "data/real"},
		{"data/abs", false, "data/abs"},
		{"dangling", true, "missing/file"},
		{"data/dir/f", true, "srv/app/f"},
	} {
		got, err := Resolve(c.name, readlink, ResolveOptions{Follow: c.follow})
		if err != nil || got.Path != c.want {
			t.Errorf("Resolve(%q, follow %t) = %q, %v, want %q", c.name, c.follow, got.Path, err, c.want)
		}
	}
	for _, name := range []string{"loop", "ping", "data/loop-via/../../loop"} {
		if got, err := Resolve(name, readlink, ResolveOptions{Follow: true}); !errors.Is(err, syscall.ELOOP) {
			t.Errorf("Resolve(%q) = %+v, %v, want ELOOP", name, got, err)
		}
	}
}

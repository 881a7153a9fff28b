package dock

import (
	"errors"
	"syscall"
	"testing"
)

func TestBuildResolveInRoot(t *testing.T) {
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
	readlink := func(p string) (string, bool) {
		target, ok := links[p]
		return target, ok
	}
	for _, c := range []struct {
		name   string
		follow bool
		want   string
	}{
		{"data/real", true, "data/real"},
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
		{"missing/etc/x", true, "missing/etc/x"},
	} {
		got, err := resolveInRoot(c.name, c.follow, readlink)
		if err != nil || got != c.want {
			t.Errorf("resolveInRoot(%q, %t) = %q, %v, want %q", c.name, c.follow, got, err, c.want)
		}
	}
	for _, name := range []string{"loop", "ping", "data/loop-via/../../loop"} {
		if got, err := resolveInRoot(name, true, readlink); !errors.Is(err, syscall.ELOOP) {
			t.Errorf("resolveInRoot(%q, true) = %q, %v, want ELOOP", name, got, err)
		}
	}
}

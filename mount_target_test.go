package dock

import (
	"errors"
	"os"
	"path/filepath"
	"slices"
	"testing"
)

// TestResolveInImage resolves paths through the symlinks of two layers as
// the overlay shows them (the upper layer's entry wins), inside the
// image's root.
func TestResolveInImage(t *testing.T) {
	lower, upper := t.TempDir(), t.TempDir()
	mk := func(dir, name string) {
		if err := os.MkdirAll(filepath.Join(dir, name), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	ln := func(dir, name, target string) {
		if err := os.Symlink(target, filepath.Join(dir, name)); err != nil {
			t.Fatal(err)
		}
	}
	mk(lower, "srv/data")
	mk(lower, "opt")
	mk(lower, "etc")
	ln(lower, "data", "/srv/data") // replaced by the upper layer's
	ln(upper, "data", "../../opt")
	ln(upper, "escape", "../../../../etc") // stays in the image: /etc
	ln(upper, "dangling", "srv/missing/x")
	ln(upper, "toproc", "/proc/self")
	ln(upper, "loop", "loop")
	layers := []string{lower, upper}
	for _, tc := range []struct {
		in, want, dangling string
		links              int
	}{
		{"/srv/data/x", "/srv/data/x", "", 0},
		{"/data", "/opt", "", 1},
		{"/data/new/../x", "/opt/x", "", 1},
		{"/escape/x", "/etc/x", "", 1},
		{"/dangling", "/srv/missing/x", "/dangling -> srv/missing/x", 1},
		{"/toproc/fd", "/proc/self/fd", "", 1},
		{"/missing/x", "/missing/x", "", 0},
	} {
		r, err := resolveInImage(layers, tc.in)
		if err != nil || r.path != tc.want || r.dangling != tc.dangling || len(r.links) != tc.links {
			t.Errorf("resolveInImage(%s) = %+v, %v, want path %s, dangling %q, %d links", tc.in, r, err, tc.want, tc.dangling, tc.links)
		}
	}
	if r, err := resolveInImage(layers, "/loop"); err == nil {
		t.Errorf("resolveInImage(/loop) = %+v, nil, want an error", r)
	}
	for _, tc := range []struct{ target, what string }{
		{"/data", ""}, {"/toproc/fd", "/toproc/fd"}, {"/dangling", "/dangling"}, {"/loop", "/loop"},
	} {
		err := checkMountPath(layers, tc.target, "mount "+tc.target)
		if (err == nil) != (tc.what == "") || err != nil && !errors.Is(err, ErrInvalid) {
			t.Errorf("checkMountPath(%s) = %v, want refused: %v", tc.target, err, tc.what != "")
		}
	}
	if !slices.Contains(kernelDirs, kernelDir("/dev/shm")) || kernelDir("/device") != "" {
		t.Errorf("kernelDir(/dev/shm) = %q, kernelDir(/device) = %q", kernelDir("/dev/shm"), kernelDir("/device"))
	}
}

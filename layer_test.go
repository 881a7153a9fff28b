package dock

import (
	"errors"
	"os"
	"path/filepath"
	"slices"
	"testing"
)

// TestCheckMountPath checks mount targets through the symlinks of two
// layers as the overlay shows them (the upper layer's entry wins), inside
// the image's root (layerfs.Resolve, tested in its package).
func TestCheckMountPath(t *testing.T) {
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

package dock

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
)

// The init layer is what Docker puts between an image and a container's
// writable layer, read-only and the same for every container: here only
// /etc/mtab, a link to /proc/mounts, which programs that read the mount
// table there (mount, df of some distributions) need and many images
// lack. It is not part of the container's changes: commit and diff read
// the writable layer only.

// initLayerDir is the init layer, in the state directory.
const initLayerDir = "initlayer"

// makeInitLayer makes the init layer in root unless it is there: built
// in root/tmp, then renamed into place, so that two processes opening
// the same root at once, or a crash, never leave a partial one.
func makeInitLayer(root string) error {
	dst := filepath.Join(root, initLayerDir)
	if _, err := os.Lstat(dst); err == nil {
		return nil
	}
	tmp, err := os.MkdirTemp(filepath.Join(root, "tmp"), "initlayer-")
	if err != nil {
		return fmt.Errorf("make init layer: %w", err)
	}
	defer os.RemoveAll(tmp)
	if err := os.Chmod(tmp, 0o755); err != nil {
		return fmt.Errorf("make init layer: %w", err)
	}
	if err := os.Mkdir(filepath.Join(tmp, "etc"), 0o755); err != nil {
		return fmt.Errorf("make init layer: %w", err)
	}
	if err := os.Symlink("/proc/mounts", filepath.Join(tmp, "etc", "mtab")); err != nil {
		return fmt.Errorf("make init layer: %w", err)
	}
	if err := os.Rename(tmp, dst); err != nil {
		if _, serr := os.Lstat(dst); serr == nil || !errors.Is(serr, fs.ErrNotExist) {
			return nil // another process made it first
		}
		return fmt.Errorf("make init layer: %w", err)
	}
	return nil
}

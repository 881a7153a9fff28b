package layerfs

import (
	"io/fs"
	"syscall"

	"golang.org/x/sys/unix"
)

// isWhiteout reports an overlay whiteout: a character device 0/0.
func isWhiteout(fi fs.FileInfo) bool {
	st, ok := fi.Sys().(*syscall.Stat_t)
	return ok && fi.Mode()&fs.ModeCharDevice != 0 && st.Rdev == 0
}

// isOpaque reports an overlay opaque directory.
func isOpaque(p string) bool {
	var b [1]byte
	n, err := unix.Lgetxattr(p, "trusted.overlay.opaque", b[:])
	return err == nil && n == 1 && b[0] == 'y'
}

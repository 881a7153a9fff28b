//go:build !linux

package layerfs

import "io/fs"

// Layers are unpacked on Linux only: elsewhere nothing is a whiteout.
func isWhiteout(fs.FileInfo) bool { return false }
func isOpaque(string) bool        { return false }

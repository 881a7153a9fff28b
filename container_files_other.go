//go:build !linux

package dock

import (
	"os"
	"path/filepath"
)

// readFileAt reads the file name in dir.
func readFileAt(dir *os.File, name string) ([]byte, error) {
	return os.ReadFile(filepath.Join(dir.Name(), name))
}

//go:build !linux

package dock

import (
	"os"
	"path/filepath"
)

// dirStamp identifies a version of a container's directory (see the
// Linux version); elsewhere there is none, and nothing is cached.
type dirStamp struct{}

func statStamp(dir *os.File, name string) (s dirStamp, ok bool, err error) {
	_, err = os.Stat(filepath.Join(dir.Name(), name))
	return s, false, err
}

func coarseNow() int64 { return 0 }

func (s dirStamp) settledAt(now int64) bool { return false }

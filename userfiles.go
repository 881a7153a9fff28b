package dock

import (
	"fmt"
	"slices"

	"github.com/go-dock/dock/internal/layerfs"
)

// maxUserFile bounds how much of an image's /etc/passwd or /etc/group is
// read: they are image data, not to be trusted with the engine's memory.
const maxUserFile = 4 << 20

// lookupUser resolves the container's user against the image's passwd
// and group files, read from the container's layers (upper first) before
// it runs, or through procRoot (/proc/PID/root) once it runs.
func (e *Engine) lookupUser(rec *containerRecord, procRoot *string) (execUser, error) {
	// The image's layers, then the container's upper directory on top.
	layers := layerfs.New(append(slices.Clone(rec.Layers), e.path("containers", rec.ID, "upper")))
	read := func(name string) ([]byte, error) { return readImageFile(layers, name) }
	if procRoot != nil {
		read = func(name string) ([]byte, error) { return readInRoot(*procRoot, name) }
	}
	passwd, err := read("etc/passwd")
	if err != nil {
		return execUser{}, err
	}
	group, err := read("etc/group")
	if err != nil {
		return execUser{}, err
	}
	return resolveUser(rec.Process.User, passwd, group, rec.Config.GroupAdd)
}

// readImageFile reads name from the layers of f, refusing a file larger
// than maxUserFile; a missing one, or a symlink, reads as empty.
func readImageFile(f layerfs.FS, name string) ([]byte, error) {
	data, err := f.ReadFile(name, maxUserFile)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrInvalid, err)
	}
	return data, nil
}

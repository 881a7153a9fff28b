package user

import (
	"fmt"

	"github.com/go-dock/dock/internal/layerfs"
)

// MaxFileSize bounds how much of an image's /etc/passwd or /etc/group is
// read: they are image data, not to be trusted with the engine's memory.
const MaxFileSize = 4 << 20

// ReadFile reads name from the layers of f, refusing a file larger than
// MaxFileSize; a missing one, or a symlink, reads as empty.
func ReadFile(f layerfs.FS, name string) ([]byte, error) {
	data, err := f.ReadFile(name, MaxFileSize)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrInvalid, err)
	}
	return data, nil
}

// Lookup resolves spec (see Resolve) against the image's passwd and group
// files, as read returns them by name ("etc/passwd", "etc/group").
func Lookup(spec string, read func(name string) ([]byte, error), groupAdd []string) (User, error) {
	passwd, err := read("etc/passwd")
	if err != nil {
		return User{}, err
	}
	group, err := read("etc/group")
	if err != nil {
		return User{}, err
	}
	return Resolve(spec, passwd, group, groupAdd)
}

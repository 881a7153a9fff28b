package dock

import (
	"slices"

	"github.com/go-dock/dock/internal/layerfs"
	"github.com/go-dock/dock/internal/user"
)

// execUser is the identity a container process runs as.
type execUser = user.User

// lookupUser resolves the container's user against the image's passwd
// and group files, read from the container's layers (upper first) before
// it runs, or through procRoot (/proc/PID/root) once it runs.
func (e *Engine) lookupUser(rec *containerRecord, procRoot *string) (execUser, error) {
	// The image's layers, then the container's upper directory on top.
	layers := layerfs.New(append(slices.Clone(rec.Layers), e.path("containers", rec.ID, "upper")))
	read := func(name string) ([]byte, error) { return user.ReadFile(layers, name) }
	if procRoot != nil {
		read = func(name string) ([]byte, error) { return readInRoot(*procRoot, name) }
	}
	u, err := user.Lookup(rec.Process.User, read, rec.Config.GroupAdd)
	return u, translate(err)
}

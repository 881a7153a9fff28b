package build

import (
	"io/fs"
	"os"

	"github.com/go-dock/dock/internal/layerfs"
)

// The paths of COPY --from and of RUN --mount from= are resolved inside
// the source stage, as BuildKit resolves them: layerfs.Resolve, with
// RESOLVE_IN_ROOT's semantics.

// resolveInStage resolves name inside the files under root, every symlink
// followed (the last one too), never leaving root.
func resolveInStage(root *os.Root, name string) (string, error) {
	r, err := layerfs.Resolve(name, layerfs.RootReadlink(root), layerfs.ResolveOptions{Follow: true})
	return r.Path, err
}

// inRootFS is the files under root, each name resolved by resolveInStage
// as it is opened: for fs.Glob over a stage's files.
type inRootFS struct{ root *os.Root }

func (f inRootFS) Open(name string) (fs.File, error) {
	p, err := resolveInStage(f.root, name)
	if err != nil {
		return nil, err
	}
	return f.root.Open(p)
}

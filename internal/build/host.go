package build

import (
	"context"
	"io"
	"os"

	"github.com/go-dock/dock/internal/store"
)

// Host is what the builder needs of the engine that runs it: the image
// store, which the builder uses directly, the engine's directories, and
// the operations that belong to the engine. The engine fills in one Host
// per Build; every field is set.
type Host struct {
	// Store is the engine's image store: the builder resolves, leases,
	// tags and reads the layers of images in it.
	Store *store.Store
	// TmpDir is where the build makes its temporary files and
	// directories (downloads, copies of stages, mount sources), on the
	// file system of CacheDir and MountCacheDir.
	TmpDir string
	// CacheDir holds the build cache: an entry per step, and the stat
	// caches of the build contexts.
	CacheDir string
	// MountCacheDir holds the directories of RUN --mount=type=cache,
	// kept across builds and engines, and their lock files.
	MountCacheDir string
	// WriteFile writes name atomically: a reader sees the old content or
	// the new, never a part.
	WriteFile func(name string, data []byte, perm os.FileMode) error
	// Commit stores the image made of parent (nil: none) and the layer
	// that write makes (nil: no layer), with configuration cfg; the image
	// is added to lease before it is visible.
	Commit func(ctx context.Context, parent *store.Image, write func(io.Writer) error, cfg store.Config, lease *store.Lease) (*store.Image, error)
	// Pull pulls ref into the store, with the build's pull options, and
	// returns its image ID.
	Pull func(ctx context.Context, ref string) (id string, err error)
	// Run runs the process of a RUN step in a new container of
	// spec.Image and waits for it. When it exits 0, Run calls commit
	// with the host path of the container's writable layer (its overlay
	// upper directory) and returns commit's error; when it exits
	// non-zero, Run returns an *ExitError. Whatever happens, no container
	// is left when Run returns.
	Run func(ctx context.Context, spec RunSpec, commit func(upper string) error) error
}

// RunSpec is the container of a RUN step.
type RunSpec struct {
	Image      string   // the ID of the stage's image so far
	Cmd        []string // the process, run as is: no entrypoint
	Env        []string
	User       string
	WorkingDir string
	Network    string    // "none", "host", or a bridge network's name (Config.Network)
	Mounts     []Mount   // the step's RUN --mount files, already prepared
	Output     io.Writer // stdout and stderr, both; safe for concurrent use
}

// Mount is a mount of a RUN step's container, as the engine's Mount of
// the same fields: a bind of a host path, or a tmpfs.
type Mount struct {
	Type     string // "bind" or "tmpfs"
	Source   string // bind: the host path
	Target   string
	ReadOnly bool
	Options  []string // tmpfs: "size=N"
}

// ExitError is what Host.Run returns for a step whose process exited
// non-zero.
type ExitError struct {
	Code int   // the exit code, as Docker reports it
	Err  error // the engine's error for the exit, the cause of the step's *Error
}

func (e *ExitError) Error() string { return e.Err.Error() }
func (e *ExitError) Unwrap() error { return e.Err }

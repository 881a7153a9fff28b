package dock

import (
	"context"
	"path"
	"slices"
	"strings"

	ocispec "github.com/opencontainers/image-spec/specs-go/v1"

	"github.com/go-dock/dock/internal/layerfs"
	"github.com/go-dock/dock/internal/user"
)

// An image's layers are unpacked once, into layers/<chain ID>/, shared by
// every image and container that has them, and never written: a
// container's root filesystem is an overlay of them under its own upper
// directory (overlay_linux.go). Before anything is mounted, Create and
// Start read them through internal/layerfs, as the overlay will show
// them: the user's passwd and group entries, where a VOLUME or a mount
// lands through the image's symlinks, whether a VOLUME has content to copy.

// runImage is what a container needs of its image.
type runImage struct {
	ID     string
	Config ocispec.ImageConfig
	Layers []string // unpacked layer directories, bottom to top
	// Healthcheck and Shell are Docker's extensions of Config.
	Healthcheck *Healthcheck
	Shell       []string
}

// imageForRun resolves ref in the store, unpacking any of its layers
// that is missing.
func (e *Engine) imageForRun(ctx context.Context, ref string) (*runImage, error) {
	img, err := e.store.Resolve(ref)
	if err != nil {
		return nil, translate(err)
	}
	layers, err := e.store.LayerDirs(ctx, img)
	if err != nil {
		return nil, translate(err)
	}
	ri := &runImage{ID: img.ID.String(), Config: img.Config.Config.ImageConfig, Layers: layers, Shell: img.Config.Config.Shell}
	if h := img.Config.Config.Healthcheck; h != nil {
		hc := Healthcheck(*h)
		ri.Healthcheck = &hc
	}
	return ri, nil
}

// lookupUser resolves the container's user against the image's passwd
// and group files, read from the container's layers (upper first) before
// it runs, or through procRoot (/proc/PID/root) once it runs.
func (e *Engine) lookupUser(rec *containerRecord, procRoot *string) (user.User, error) {
	// The image's layers, then the container's upper directory on top.
	layers := layerfs.New(append(slices.Clone(rec.Layers), e.path("containers", rec.ID, "upper")))
	read := func(name string) ([]byte, error) { return user.ReadFile(layers, name) }
	if procRoot != nil {
		read = func(name string) ([]byte, error) { return readInRoot(*procRoot, name) }
	}
	u, err := user.Lookup(rec.Process.User, read, rec.Config.GroupAdd)
	return u, translate(err)
}

// Create checks where each mount of a container would land:
// the image's VOLUMEs and the caller's mounts are refused when they would
// cover the kernel filesystems the init mounts (/proc, /dev, /sys), or when
// a symlink of the image leads them there or nowhere. The init would fail
// at Start otherwise, with an error about a file it could no longer find
// (/dev/null, /sys/firmware) rather than about the mount.

// kernelDirs are the directories where the init mounts the container's
// kernel filesystems; the image's files there are never seen.
var kernelDirs = []string{"/proc", "/dev", "/sys"}

// kernelDir returns the element of kernelDirs that p (absolute, clean) is
// or is under, or "".
func kernelDir(p string) string {
	for _, d := range kernelDirs {
		if p == d || strings.HasPrefix(p, d+"/") {
			return d
		}
	}
	return ""
}

// checkMountPath checks where a mount's target (absolute, clean) lands
// in the image whose layers are given (bottom to top): reaching /proc,
// /dev or /sys through a symlink of the image, or going through a symlink
// whose target the image lacks (which the init could not follow to make
// the mountpoint), is refused, for the caller's mounts and the image's
// VOLUMEs alike. A target already in /proc, /dev or /sys is not looked
// up: the image's files there are hidden, and resolution stops there for
// the same reason. what names the mount in the error, which wraps
// ErrInvalid.
func checkMountPath(layers []string, target, what string) error {
	if kernelDir(target) != "" {
		return nil
	}
	stop := func(p string) bool { return kernelDir(p) != "" }
	r, err := layerfs.New(layers).Resolve(target, layerfs.ResolveOptions{Follow: true, Stop: stop})
	if err != nil {
		return invalidf("%s: %v", what, err)
	}
	dest := path.Join("/", r.Path)
	if r.Dangling != "" {
		return invalidf("%s: goes through the symlink %s of the image, to %s, which the image lacks", what, r.Dangling, dest)
	}
	if d := kernelDir(dest); d != "" {
		return invalidf("%s: the image's symlinks (%s) lead it to %s, the container's kernel filesystem %s", what, strings.Join(r.Links, ", "), dest, d)
	}
	return nil
}

// mayExist reports, without mounting anything, whether rel (a clean
// relative path) names something in the overlay of layers (bottom to
// top), its symlinks followed inside the image, as the copy will: a
// missing one, the common VOLUME of a path the image lacks, costs no
// mount. A resolution that fails answers true: the copy reports it.
func mayExist(layers []string, rel string) bool {
	f := layerfs.New(layers)
	r, err := f.Resolve(rel, layerfs.ResolveOptions{Follow: true})
	if err != nil {
		return true
	}
	_, _, err = f.Lstat(r.Path)
	return err == nil
}

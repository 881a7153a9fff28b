package dock

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"path/filepath"
	"syscall"
)

// ContainerSize is a container's use of disk, as docker ps -s and the
// Engine API's SizeRw and SizeRootFs report it.
type ContainerSize struct {
	// RW is the size of the container's writable layer: the files it
	// created or changed (whiteouts of deleted files count 0), each
	// counted once however many hard links it has, directories not
	// counted; Docker's "size" of a container.
	RW int64
	// RootFS is RW plus the size of the container's image, as Images
	// reports it (Image.Size); RW alone when the image has been removed
	// since. It is Docker's "virtual" size.
	RootFS int64
}

// Size measures the container's writable layer, running or not. It
// reads the layer's directory tree, which the container may change
// meanwhile: files that vanish during the walk are not counted. ctx
// cancels the walk.
func (c *Container) Size(ctx context.Context) (ContainerSize, error) {
	rec, err := c.record()
	if err != nil {
		return ContainerSize{}, err
	}
	rw, err := dirSize(ctx, c.dir("upper"))
	if err != nil {
		return ContainerSize{}, fmt.Errorf("size of container %s: %w", c.id, err)
	}
	size := ContainerSize{RW: rw, RootFS: rw}
	if img, err := c.e.Image(ctx, rec.ImageID); err == nil {
		size.RootFS += img.Size
	}
	return size, nil
}

// dirSize adds up the sizes of the files under dir (symbolic links as
// the length of their target, never followed), each inode once, as
// Docker measures a layer.
func dirSize(ctx context.Context, dir string) (int64, error) {
	var size int64
	seen := map[uint64]bool{}
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			if errors.Is(err, fs.ErrNotExist) && p != dir {
				return nil // removed by the container since it was listed
			}
			return err
		}
		if err := ctx.Err(); err != nil {
			return err
		}
		if d.IsDir() {
			return nil
		}
		fi, err := d.Info()
		if errors.Is(err, fs.ErrNotExist) {
			return nil
		}
		if err != nil {
			return err
		}
		if fi.Size() == 0 {
			return nil
		}
		if st, ok := fi.Sys().(*syscall.Stat_t); ok {
			if seen[uint64(st.Ino)] {
				return nil
			}
			seen[uint64(st.Ino)] = true
		}
		size += fi.Size()
		return nil
	})
	return size, err
}

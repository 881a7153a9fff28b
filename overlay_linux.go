package dock

import (
	"fmt"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"golang.org/x/sys/unix"

	"github.com/go-dock/dock/internal/nsinit"
)

// A container's root filesystem is an overlay: the image's unpacked layers
// (shared by every container and image that has them, never written) under
// the container's own upper directory. The same layers, read-only and
// without an upper directory, are the image's root that Create copies a
// VOLUME's content from.

// overlayRoot adds to p the mount of the container's root filesystem, in
// its directory, and returns its path. In a user namespace the layers are
// seen through idmapped mounts, so that their files have the mapped owners.
func overlayRoot(p *nsinit.Plan, l *launch) string {
	rootfs := filepath.Join(l.dir, "rootfs")
	// The init layer (see initlayer.go) tops the image's layers.
	layers := append(slices.Clone(l.rec.Layers), filepath.Join(filepath.Dir(l.layers), initLayerDir))
	var lower []string
	if l.userns {
		// The layers are seen through idmapped mounts, so that their
		// files have the mapped owners in the container.
		p.OpenUserns(l.usernsFile)
		for i, d := range slices.Backward(layers) {
			n := strconv.Itoa(len(layers) - 1 - i)
			p.Idmap(d, filepath.Join(l.dir, "idmap", n))
			lower = append(lower, n)
		}
		p.ChdirHost(filepath.Join(l.dir, "idmap"))
	} else {
		for _, d := range slices.Backward(layers) {
			if rel, err := filepath.Rel(l.layers, d); err == nil && !strings.HasPrefix(rel, "..") {
				d = rel // short paths: overlay options must fit in a page
			}
			lower = append(lower, d)
		}
		p.ChdirHost(l.layers)
	}
	p.Mount(0, "overlay", rootfs, "overlay", 0,
		"lowerdir="+strings.Join(lower, ":")+",upperdir="+filepath.Join(l.dir, "upper")+
			",workdir="+filepath.Join(l.dir, "work"))
	return rootfs
}

// openImageRoot returns a descriptor of the image's root filesystem: the
// only layer, or a read-only overlay of the layers as a detached mount
// (fsmount without move_mount), which no path on the host or in any mount
// namespace ever shows, and which goes with its last descriptor.
func openImageRoot(layers []string) (int, error) {
	const flags = unix.O_PATH | unix.O_DIRECTORY | unix.O_NOFOLLOW | unix.O_CLOEXEC
	if len(layers) == 1 {
		return unix.Open(layers[0], flags, 0)
	}
	// The layers by descriptor: short names, whatever the state
	// directory's path, so that many layers fit in the option page.
	var lower []string
	for _, d := range slices.Backward(layers) {
		fd, err := unix.Open(d, flags, 0)
		if err != nil {
			return -1, err
		}
		defer unix.Close(fd)
		lower = append(lower, fmt.Sprintf("/proc/self/fd/%d", fd))
	}
	fsfd, err := unix.Fsopen("overlay", unix.FSOPEN_CLOEXEC)
	if err != nil {
		return -1, fmt.Errorf("mount the image: %w", err)
	}
	defer unix.Close(fsfd)
	if err := unix.FsconfigSetString(fsfd, "lowerdir", strings.Join(lower, ":")); err != nil {
		return -1, fmt.Errorf("mount the image: lowerdir: %w", err)
	}
	if err := unix.FsconfigCreate(fsfd); err != nil {
		return -1, fmt.Errorf("mount the image: %w", err)
	}
	mfd, err := unix.Fsmount(fsfd, unix.FSMOUNT_CLOEXEC,
		unix.MOUNT_ATTR_RDONLY|unix.MOUNT_ATTR_NOSUID|unix.MOUNT_ATTR_NODEV|unix.MOUNT_ATTR_NOEXEC)
	if err != nil {
		return -1, fmt.Errorf("mount the image: %w", err)
	}
	return mfd, nil
}

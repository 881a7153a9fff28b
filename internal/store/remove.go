package store

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"time"

	"github.com/go-dock/dock/internal/reference"
	"github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
)

// Tag gives the image that ref names (see Resolve) the tag newRef ("repo"
// or "repo:tag"; "latest" by default). The tag moves off any image that
// had it; that image stays, untagged. A malformed newRef, or one with a
// digest, wraps ErrInvalid; an unknown ref wraps ErrNotFound.
func (s *Store) Tag(ref, newRef string) error {
	r, err := reference.Parse(newRef)
	if err != nil {
		return fmt.Errorf("tag %q: %w: %w", ref, ErrInvalid, err)
	}
	if r.Digest != "" {
		return fmt.Errorf("tag %q: %w: %q: cannot tag with a digest", ref, ErrInvalid, newRef)
	}
	err = s.lock(func() error {
		idx, err := s.readIndex()
		if err != nil {
			return err
		}
		img, _, err := s.resolve(idx, ref)
		if err != nil {
			return err
		}
		for _, d := range idx.Manifests {
			if d.Digest == img.Digest {
				setTag(idx, d, r.String())
				break
			}
		}
		return s.writeIndex(idx)
	})
	if err != nil {
		return fmt.Errorf("tag %q: %w", ref, err)
	}
	return nil
}

// Remove removes an image or one of its tags, as "docker rmi" does, and
// returns what it did in Docker's words: "Untagged: busybox:latest",
// "Deleted: sha256:<image id>", then "Deleted: sha256:<chain id>" for each
// layer removed.
//
// By name, Remove untags; the image itself is deleted with its last tag.
// By ID or digest, Remove untags every tag and deletes the image; an image
// with several tags needs force. An image that inUse reports as used by a
// container is refused unless force, which untags it but keeps the image
// (untagged) and its content for the container. Refusals wrap ErrInUse.
// Deleting an image removes its manifest, its config, and the layer blobs
// and unpacked layers that no other image uses. inUse may be nil. inUse is
// called under the store's lock; it must not call back into the Store.
//
// A blob that another process has just put for an image it has not yet
// tagged (a pull in progress) can be removed with an image that shared it;
// that pull then fails and can be retried.
func (s *Store) Remove(ref string, force bool, inUse func(id digest.Digest) bool) ([]string, error) {
	var lines []string
	var trash []string
	err := s.lock(func() error {
		idx, err := s.readIndex()
		if err != nil {
			return err
		}
		e, byName, err := s.find(idx, ref)
		if err != nil {
			return err
		}
		img, loadErr := s.load(e) // a broken image is still removed
		used := false
		if loadErr == nil && inUse != nil {
			used = inUse(img.ID)
		}
		shortID := e.desc.Digest
		if loadErr == nil {
			shortID = img.ID
		}
		untag := func(name string) {
			idx.Manifests = slices.DeleteFunc(idx.Manifests, func(d ocispec.Descriptor) bool {
				return d.Digest == e.desc.Digest && refName(d) == name
			})
			lines = append(lines, "Untagged: "+familiar(name))
		}
		if byName != "" {
			if used && !force && len(e.names) == 1 {
				return fmt.Errorf("%w: cannot remove %q (must force): a container uses image %s", ErrInUse, ref, shortID)
			}
			untag(byName)
			if len(e.names) > 1 {
				return s.writeIndex(idx)
			}
		} else {
			if len(e.names) > 1 && !force {
				return fmt.Errorf("%w: cannot delete image %s (must force): it has %d tags", ErrInUse, shortID, len(e.names))
			}
			if used && !force {
				return fmt.Errorf("%w: cannot delete image %s (must force): a container uses it", ErrInUse, shortID)
			}
			for _, n := range e.names {
				untag(n)
			}
		}
		if used {
			setTag(idx, e.desc, "") // keep it, untagged, for the container
			return s.writeIndex(idx)
		}
		idx.Manifests = slices.DeleteFunc(idx.Manifests, func(d ocispec.Descriptor) bool {
			return d.Digest == e.desc.Digest
		})
		if err := s.writeIndex(idx); err != nil {
			return err
		}
		lines = append(lines, "Deleted: "+string(shortID))
		// The index no longer names the image: delete what nothing
		// else reaches. A failure here leaves garbage for Prune, not a
		// broken image.
		r := s.reachable(idx)
		own := []digest.Digest{e.desc.Digest}
		var chains []digest.Digest
		if loadErr == nil {
			own = append(own, img.Manifest.Config.Digest)
			for _, l := range img.Manifest.Layers {
				own = append(own, l.Digest)
			}
			chains = img.ChainIDs()
		}
		for _, d := range own {
			if !r.blobs[d] {
				_ = os.Remove(s.blobPath(d))
			}
		}
		for i := len(chains) - 1; i >= 0; i-- {
			c := chains[i]
			if r.chains[c] {
				continue
			}
			if t, err := s.moveToTrash(s.layerPath(c)); err == nil {
				trash = append(trash, t)
			}
			lines = append(lines, "Deleted: "+string(c))
		}
		return nil
	})
	for _, t := range trash {
		os.RemoveAll(t)
	}
	if err != nil {
		return lines, fmt.Errorf("remove image %q: %w", ref, err)
	}
	return lines, nil
}

// familiar turns a full reference into Docker's short form.
func familiar(name string) string {
	if r, err := reference.Parse(name); err == nil {
		return r.Familiar()
	}
	return name
}

// moveToTrash renames path into a new directory in tmp/, to be removed
// outside the lock. It returns the trash directory; a missing path is an
// error wrapping os.ErrNotExist.
func (s *Store) moveToTrash(path string) (string, error) {
	if _, err := os.Lstat(path); err != nil {
		return "", err
	}
	t, err := os.MkdirTemp(s.path("tmp"), "trash-")
	if err != nil {
		return "", err
	}
	if err := os.Rename(path, filepath.Join(t, "x")); err != nil {
		os.Remove(t)
		return "", err
	}
	return t, nil
}

// reach is what the index reaches.
type reach struct {
	blobs  map[digest.Digest]bool
	chains map[digest.Digest]bool
}

// maxIndexDepth bounds the nesting of image indexes followed by reachable.
const maxIndexDepth = 8

// reachable walks the index: image manifests (their configs, layers and
// layer chain IDs), and image indexes that other tools put there (their
// children, to a bounded depth). Blobs that cannot be read only reach
// themselves.
func (s *Store) reachable(idx *ocispec.Index) reach {
	r := reach{blobs: map[digest.Digest]bool{}, chains: map[digest.Digest]bool{}}
	var walk func(d ocispec.Descriptor, depth int)
	walk = func(d ocispec.Descriptor, depth int) {
		if validDigest(d.Digest) != nil || r.blobs[d.Digest] {
			return
		}
		r.blobs[d.Digest] = true
		switch d.MediaType {
		case ocispec.MediaTypeImageManifest, mediaTypeDockerManifest:
			b, err := s.ReadBlob(d.Digest)
			if err != nil {
				return
			}
			var m ocispec.Manifest
			if json.Unmarshal(b, &m) != nil {
				return
			}
			walk(m.Config, depth+1)
			for _, l := range m.Layers {
				walk(l, depth+1)
			}
			cb, err := s.ReadBlob(m.Config.Digest)
			if err != nil {
				return
			}
			var cfg ocispec.Image
			if json.Unmarshal(cb, &cfg) != nil {
				return
			}
			for _, c := range chainIDs(cfg.RootFS.DiffIDs) {
				r.chains[c] = true
			}
		case ocispec.MediaTypeImageIndex, "application/vnd.docker.distribution.manifest.list.v2+json":
			if depth >= maxIndexDepth {
				return
			}
			b, err := s.ReadBlob(d.Digest)
			if err != nil {
				return
			}
			var sub ocispec.Index
			if json.Unmarshal(b, &sub) != nil {
				return
			}
			for _, c := range sub.Manifests {
				walk(c, depth+1)
			}
		}
	}
	for _, d := range idx.Manifests {
		walk(d, 0)
	}
	return r
}

// Prune removes what no descriptor of index.json reaches: blobs and
// unpacked layers not modified for olderThan (pass TmpGrace unless no
// other process may be putting blobs for a pull), and entries of tmp/ older
// than TmpGrace (left by a crash). It returns "Deleted: <digest>" lines
// for the blobs and layers removed. Images are not removed, untagged ones
// included; remove them with Remove.
func (s *Store) Prune(ctx context.Context, olderThan time.Duration) ([]string, error) {
	var lines []string
	var trash []string
	err := s.lock(func() error {
		idx, err := s.readIndex()
		if err != nil {
			return err
		}
		r := s.reachable(idx)
		now := time.Now()
		old := func(fi os.FileInfo, grace time.Duration) bool { return now.Sub(fi.ModTime()) >= grace }
		for _, alg := range []string{"sha256", "sha512"} {
			des, err := os.ReadDir(s.path("blobs", alg))
			if err != nil && !errors.Is(err, os.ErrNotExist) {
				return err
			}
			for _, de := range des {
				if err := ctx.Err(); err != nil {
					return err
				}
				d := digest.Digest(alg + ":" + de.Name())
				if validDigest(d) != nil || r.blobs[d] {
					continue
				}
				if fi, err := de.Info(); err == nil && old(fi, olderThan) && os.Remove(s.blobPath(d)) == nil {
					lines = append(lines, "Deleted: "+string(d))
				}
			}
		}
		des, err := os.ReadDir(s.path("layers"))
		if err != nil {
			return err
		}
		for _, de := range des {
			c := digest.Digest("sha256:" + de.Name())
			if validDigest(c) != nil || r.chains[c] {
				continue
			}
			if fi, err := de.Info(); err == nil && old(fi, olderThan) {
				if t, err := s.moveToTrash(s.layerPath(c)); err == nil {
					trash = append(trash, t)
					lines = append(lines, "Deleted: "+string(c))
				}
			}
		}
		des, err = os.ReadDir(s.path("tmp"))
		if err != nil {
			return err
		}
		for _, de := range des {
			if fi, err := de.Info(); err == nil && old(fi, TmpGrace) {
				trash = append(trash, s.path("tmp", de.Name()))
			}
		}
		return nil
	})
	for _, t := range trash {
		os.RemoveAll(t)
	}
	if err != nil {
		return lines, fmt.Errorf("prune: %w", err)
	}
	return lines, nil
}

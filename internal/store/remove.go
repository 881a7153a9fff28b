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
// layer removed, then the same for each parent deleted with it.
//
// By name, Remove untags; the image itself is deleted with its last tag.
// By ID or digest, Remove untags every tag and deletes the image; an image
// with several tags needs force. An image that inUse reports as used by a
// container is refused unless force, which untags it but keeps the image
// (untagged) and its content for the container; the same holds for an
// image that a live Lease holds (a build in progress). An image that is the
// parent of another image is never deleted: by ID that is refused, even
// with force, and by its last name it is only untagged (it stays as an
// intermediate image). Refusals wrap ErrInUse. Deleting an image removes
// its manifest, its config, its metadata, and the layer blobs and unpacked
// layers that no other image uses; then its parent goes the same way if
// it is untagged, no other image has it as parent, no container uses it
// and no lease holds it, and so on up the chain, as Docker does. inUse may
// be nil. inUse is called under the store's lock; it must not call back
// into the Store.
//
// A blob that another process has just put for an image it has not yet
// tagged (a pull in progress) can be removed with an image that shared it;
// that pull then fails and can be retried.
func (s *Store) Remove(ref string, force bool, inUse func(id digest.Digest) bool) ([]string, error) {
	var res removal
	err := s.lock(func() error {
		idx, err := s.readIndex()
		if err != nil {
			return err
		}
		return s.remove(idx, ref, force, inUse, s.leased(), &res)
	})
	res.emptyTrash()
	if err != nil {
		return res.lines, fmt.Errorf("remove image %q: %w", ref, err)
	}
	return res.lines, nil
}

// removal collects what removes did: Docker's lines, the bytes of the
// blobs removed, and the trash to empty outside the lock.
type removal struct {
	lines     []string
	reclaimed int64
	trash     []string
}

func (r *removal) emptyTrash() {
	for _, t := range r.trash {
		os.RemoveAll(t)
	}
	r.trash = nil
}

// remove is Remove under the lock, on idx (changed in place and written).
// leased holds the images that parents are never deleted from under.
func (s *Store) remove(idx *ocispec.Index, ref string, force bool, inUse func(id digest.Digest) bool, leased map[digest.Digest]bool, res *removal) error {
	e, byName, err := s.find(idx, ref)
	if err != nil {
		return err
	}
	img, loadErr := s.load(e) // a broken image is still removed
	used, user := false, ""
	if loadErr == nil && inUse != nil && inUse(img.ID) {
		used, user = true, "a container uses"
	} else if loadErr == nil && leased[img.ID] {
		used, user = true, "a build in progress uses" // its next step needs it
	}
	shortID := e.desc.Digest
	if loadErr == nil {
		shortID = img.ID
	}
	g := s.graph(idx)
	hasChild := loadErr == nil && g.hasChild(img.ID, nil)
	untag := func(name string) {
		idx.Manifests = slices.DeleteFunc(idx.Manifests, func(d ocispec.Descriptor) bool {
			return d.Digest == e.desc.Digest && refName(d) == name
		})
		res.lines = append(res.lines, "Untagged: "+familiar(name))
	}
	if byName != "" {
		if used && !force && len(e.names) == 1 {
			return fmt.Errorf("%w: cannot remove %q (must force): %s image %s", ErrInUse, ref, user, shortID)
		}
		untag(byName)
		if len(e.names) > 1 {
			return s.writeIndex(idx)
		}
	} else {
		if hasChild {
			return fmt.Errorf("%w: cannot delete image %s (cannot be forced): image has dependent child images", ErrInUse, shortID)
		}
		if len(e.names) > 1 && !force {
			return fmt.Errorf("%w: cannot delete image %s (must force): it has %d tags", ErrInUse, shortID, len(e.names))
		}
		if used && !force {
			return fmt.Errorf("%w: cannot delete image %s (must force): %s it", ErrInUse, shortID, user)
		}
		for _, n := range e.names {
			untag(n)
		}
	}
	if used || hasChild {
		setTag(idx, e.desc, "") // keep it, untagged, for the container or the child
		return s.writeIndex(idx)
	}
	victims, gone := chooseVictims(g, e, img, loadErr == nil, func(id digest.Digest) bool {
		return leased[id] || (inUse != nil && inUse(id))
	})
	idx.Manifests = slices.DeleteFunc(idx.Manifests, func(d ocispec.Descriptor) bool {
		return gone[d.Digest]
	})
	if err := s.writeIndex(idx); err != nil {
		return err
	}
	s.deleteVictims(idx, g, victims, gone, res)
	return nil
}

// chooseVictims lists what removing the image e (img, when it loaded)
// deletes: the image, then each parent that nothing else keeps (a tag,
// another child, a user: kept reports one). gone holds their index
// digests.
func chooseVictims(g *graph, e *entry, img *Image, loaded bool, kept func(id digest.Digest) bool) ([]*node, map[digest.Digest]bool) {
	victims := []*node{{e: e, img: img}}
	gone := map[digest.Digest]bool{e.desc.Digest: true}
	if !loaded {
		return victims, gone
	}
	victims[0].parent = img.Parent
	for p := img.Parent; p != ""; {
		n := g.byID[p]
		if n == nil || gone[n.e.desc.Digest] || len(n.e.names) > 0 || kept(p) || g.hasChild(p, gone) {
			break
		}
		victims = append(victims, n)
		gone[n.e.desc.Digest] = true
		p = n.parent
	}
	return victims, gone
}

// deleteVictims deletes, once the index (idx) no longer names the
// victims, what nothing else reaches. A failure here leaves garbage for
// Prune, not a broken image. A layer shared by several victims is
// reported with the last (the oldest parent), as Docker reports it.
func (s *Store) deleteVictims(idx *ocispec.Index, g *graph, victims []*node, gone map[digest.Digest]bool, res *removal) {
	r := s.reachable(idx)
	ids := map[digest.Digest]bool{}
	for _, n := range g.nodes {
		if !gone[n.e.desc.Digest] {
			ids[n.img.ID] = true
		}
	}
	for i, v := range victims {
		res.lines = append(res.lines, "Deleted: "+string(v.e.desc.Digest))
		own := []digest.Digest{v.e.desc.Digest}
		var chains []digest.Digest
		if v.img != nil {
			res.lines[len(res.lines)-1] = "Deleted: " + string(v.img.ID)
			own = append(own, v.img.Manifest.Config.Digest)
			for _, l := range v.img.Manifest.Layers {
				own = append(own, l.Digest)
			}
			chains = v.img.ChainIDs()
			if !ids[v.img.ID] {
				os.RemoveAll(s.metaDir(v.img.ID))
			}
		}
		later := map[digest.Digest]bool{}
		for _, w := range victims[i+1:] {
			if w.img != nil {
				for _, c := range w.img.ChainIDs() {
					later[c] = true
				}
			}
		}
		for _, d := range own {
			if r.blobs[d] {
				continue
			}
			if fi, err := os.Stat(s.blobPath(d)); err == nil && os.Remove(s.blobPath(d)) == nil {
				res.reclaimed += fi.Size()
			}
		}
		for j := len(chains) - 1; j >= 0; j-- {
			c := chains[j]
			if r.chains[c] || later[c] {
				continue
			}
			if t, err := s.moveToTrash(s.layerPath(c)); err == nil {
				res.trash = append(res.trash, t)
			}
			res.lines = append(res.lines, "Deleted: "+string(c))
		}
	}
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

// PruneImages deletes images as "docker image prune" does: the dangling
// ones (untagged, and no image has them as parent), or with all every
// image, tagged or not, except the intermediate ones (untagged parents,
// which go with their last child). An image that inUse reports as used by
// a container, or that a live Lease holds, is kept. Each image goes as
// Remove takes it, with its untagged parents: a tagged image is removed by
// each of its tags (and kept, untagged, if it has a child), an untagged
// one by ID. It returns Remove's lines and the bytes of the blobs deleted.
// An image whose manifest or config cannot be read is left for Remove.
// inUse may be nil; it runs under the lock and must not call back into
// the Store.
func (s *Store) PruneImages(ctx context.Context, all bool, inUse func(id digest.Digest) bool) ([]string, int64, error) {
	return s.PruneImagesMatching(ctx, all, inUse, nil)
}

// PruneImagesMatching is PruneImages of the images that match selects
// (nil: every one): a filter of the images pruned, not of the untagged
// parents that go with them.
func (s *Store) PruneImagesMatching(ctx context.Context, all bool, inUse func(id digest.Digest) bool, selects func(*Image) bool) ([]string, int64, error) {
	var res removal
	err := s.lock(func() error {
		idx, err := s.readIndex()
		if err != nil {
			return err
		}
		leased := s.leased()
		g := s.graph(idx)
		var victims []*node
		for _, n := range g.nodes {
			switch {
			case len(n.e.names) == 0 && g.hasChild(n.img.ID, nil): // intermediate
			case len(n.e.names) > 0 && !all:
			case leased[n.img.ID] || (inUse != nil && inUse(n.img.ID)):
			case selects != nil && !selects(n.img):
			default:
				victims = append(victims, n)
			}
		}
		// Newest first: children before their parents, so that a
		// parent goes with the chain of its last child.
		slices.SortStableFunc(victims, func(a, b *node) int {
			return created(b.img).Compare(created(a.img))
		})
		for _, n := range victims {
			if err := ctx.Err(); err != nil {
				return err
			}
			if !hasManifest(idx.Manifests, n.e.desc.Digest) {
				continue // gone with the chain of an earlier one
			}
			refs := namesOf(idx, n.e.desc.Digest)
			if len(refs) == 0 {
				refs = []string{n.img.ID.String()}
			}
			for _, ref := range refs {
				err := s.remove(idx, ref, false, inUse, leased, &res)
				if errors.Is(err, ErrInUse) {
					break // as Docker: a conflict skips the image
				}
				if err != nil {
					return err
				}
			}
		}
		return nil
	})
	res.emptyTrash()
	if err != nil {
		return res.lines, res.reclaimed, fmt.Errorf("prune images: %w", err)
	}
	return res.lines, res.reclaimed, nil
}

// Prune removes what no descriptor of index.json reaches: blobs and
// unpacked layers not modified for olderThan (pass TmpGrace unless no
// other process may be putting blobs for a pull), and entries of tmp/ older
// than TmpGrace (left by a crash). It returns "Deleted: <digest>" lines
// for the blobs and layers removed, and the bytes of the blobs removed.
// It also removes the metadata (images/<ID>/) of images the index does not
// name, under the same age rule. Images are not removed, untagged ones
// included; PruneImages and Remove remove them.
func (s *Store) Prune(ctx context.Context, olderThan time.Duration) ([]string, int64, error) {
	var lines []string
	var trash []string
	var reclaimed int64
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
					reclaimed += fi.Size()
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
		ids := map[string]bool{}
		for _, n := range s.graph(idx).nodes {
			ids[n.img.ID.Encoded()] = true
		}
		des, err = os.ReadDir(s.path(imagesDir))
		if err != nil && !errors.Is(err, os.ErrNotExist) {
			return err
		}
		for _, de := range des {
			if ids[de.Name()] {
				continue
			}
			if fi, err := de.Info(); err == nil && old(fi, olderThan) {
				if t, err := s.moveToTrash(s.path(imagesDir, de.Name())); err == nil {
					trash = append(trash, t)
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
		return lines, reclaimed, fmt.Errorf("prune: %w", err)
	}
	return lines, reclaimed, nil
}

// Package store is the engine's image store: an OCI image layout on disk,
// plus the unpacked layers beside it.
//
//	root/
//	  oci-layout                 {"imageLayoutVersion":"1.0.0"}
//	  index.json                 one manifest descriptor per tag
//	  blobs/sha256/<hex>         manifests, configs, layers (content-addressed)
//	  layers/<chain id hex>/     an unpacked layer, shared by the images that have it:
//	    diff/                    the tree, in overlayfs form (whiteouts are 0/0 devices)
//	    layer.json               {"chainID", "diffID", "parent"}
//	  images/<image ID hex>/     metadata of an image that the OCI layout has no place for:
//	    parent                   the image ID it was committed on ("sha256:<hex>\n")
//	  tmp/                       writes in progress; renamed into place when complete
//	    lease-*                  image IDs an operation in progress holds (see Lease)
//
// Each tag is one descriptor in index.json whose annotation
// "org.opencontainers.image.ref.name" is the full normalized reference
// ("docker.io/library/busybox:latest"), so skopeo, umoci and crane read the
// root as an OCI layout ("oci:ROOT:docker.io/library/busybox:latest"). An
// image without a tag (imported without a reference, or whose last tag moved
// to another image, Docker's "<none>" image) keeps exactly one descriptor
// without that annotation, so that it stays reachable until it is removed.
// An image with tags has no such untagged descriptor.
//
// Commit records the image it commits on as the new image's parent, as
// Docker's classic store does: each step of a build is the parent of the
// next, a committed container's image the parent of the result. The record
// is a file keyed by image ID, not an annotation of the descriptor,
// because tagging replaces descriptors. With it the store tells Docker's
// kinds of untagged images apart: an "intermediate" image is untagged and
// the parent of another image (hidden from "docker images", kept while its
// child lives); a "dangling" image is untagged with no child (what
// "docker image prune" removes). Remove deletes an image's untagged
// parents with it when nothing else keeps them. A missing, unreadable or
// malformed parent record (or one naming an image no longer here) counts
// as no parent: listings and prunes go on, and at worst a parent that
// should have been intermediate is treated as dangling; nothing an image
// needs is lost, since its layers stay while any image reaches them.
//
// Every file is written in tmp/ and renamed into place, so a reader never
// sees a partial blob, layer or index. Every change of index.json, and every
// rename into blobs/ or layers/ that completes an operation, happens under
// the lock function given to Open (the engine's process and file lock), so
// several Store values on one root, in one process or several, may be used
// at once. Readers (Images, Resolve, ReadBlob) take no lock. A parent
// record is written under the lock before the index names its image, and
// removed after the index stops naming it; leases are read under the lock,
// and Commit adds its image to its lease before the index names it, so a
// prune never sees a leased image unleased.
//
// A Store is safe for concurrent use by many goroutines.
package store

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/go-dock/dock/internal/reference"
	"github.com/opencontainers/go-digest"
	specs "github.com/opencontainers/image-spec/specs-go"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
)

// Sentinel errors. Errors returned by the Store wrap one of them where it
// applies; test with errors.Is.
var (
	// ErrNotFound means the image, tag or blob does not exist.
	ErrNotFound = errors.New("not found")
	// ErrExist means the object already exists.
	ErrExist = errors.New("already exists")
	// ErrInUse means an image cannot be removed without force: a container
	// uses it, or it has several tags and was named by ID.
	ErrInUse = errors.New("in use")
	// ErrInvalid means the input (a reference, a digest, an archive, a
	// manifest) is malformed or refused.
	ErrInvalid = errors.New("invalid argument")
)

const (
	// MaxMetadataSize bounds manifests and configs read with ReadBlob.
	MaxMetadataSize = 4 << 20
	// maxIndexSize bounds index.json.
	maxIndexSize = 64 << 20
	// TmpGrace is how old an entry of tmp/, or a blob or layer that no
	// image reaches, must be before Prune removes it: younger ones may
	// belong to an operation in progress in another process.
	TmpGrace = time.Hour

	ociLayoutFile = "oci-layout"
	indexFile     = "index.json"
	layerMetaFile = "layer.json"
	diffDir       = "diff"
)

// Store is an image store on a state directory. See the package comment.
type Store struct {
	root string
	lock func(fn func() error) error
}

// Open opens the store at root (an absolute path), creating the layout
// files and directories that are missing. lock must run fn while holding an
// exclusive lock that excludes every other goroutine and process changing
// the same root; nil means a lock local to this Store (then only one Store,
// in one process, may change root).
func Open(root string, lock func(fn func() error) error) (*Store, error) {
	if !filepath.IsAbs(root) {
		return nil, fmt.Errorf("open store %q: %w: root must be absolute", root, ErrInvalid)
	}
	if lock == nil {
		var mu sync.Mutex
		lock = func(fn func() error) error {
			mu.Lock()
			defer mu.Unlock()
			return fn()
		}
	}
	s := &Store{root: filepath.Clean(root), lock: lock}
	for _, dir := range []string{"", "blobs/sha256", "layers", "tmp"} {
		if err := os.MkdirAll(s.path(dir), 0o711); err != nil {
			return nil, fmt.Errorf("open store: %w", err)
		}
	}
	err := s.lock(func() error {
		if _, err := os.Stat(s.path(ociLayoutFile)); errors.Is(err, os.ErrNotExist) {
			b, _ := json.Marshal(ocispec.ImageLayout{Version: ocispec.ImageLayoutVersion})
			if err := s.writeFileAtomic(ociLayoutFile, b); err != nil {
				return err
			}
		} else if err != nil {
			return err
		}
		if _, err := os.Stat(s.path(indexFile)); errors.Is(err, os.ErrNotExist) {
			return s.writeIndex(newIndex())
		} else if err != nil {
			return err
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("open store: %w", err)
	}
	return s, nil
}

// Root returns the directory of the store.
func (s *Store) Root() string { return s.root }

// path joins names under root. Only for names the store made or validated.
func (s *Store) path(elem ...string) string {
	return filepath.Join(append([]string{s.root}, elem...)...)
}

// blobPath is the path of a blob. d must have passed reference.Digest.
func (s *Store) blobPath(d digest.Digest) string {
	return s.path("blobs", d.Algorithm().String(), d.Encoded())
}

// layerPath is the directory of the layer with chain ID c (validated).
func (s *Store) layerPath(c digest.Digest) string {
	return s.path("layers", c.Encoded())
}

// validDigest validates d for use as a path, wrapping ErrInvalid.
func validDigest(d digest.Digest) error {
	if _, err := reference.Digest(string(d)); err != nil {
		return fmt.Errorf("%w: %w", ErrInvalid, err)
	}
	return nil
}

func newIndex() *ocispec.Index {
	return &ocispec.Index{
		Versioned: specs.Versioned{SchemaVersion: 2},
		MediaType: ocispec.MediaTypeImageIndex,
		Manifests: []ocispec.Descriptor{},
	}
}

// readIndex reads index.json. It needs no lock: the file is only replaced
// by rename.
func (s *Store) readIndex() (*ocispec.Index, error) {
	f, err := os.Open(s.path(indexFile))
	if err != nil {
		return nil, fmt.Errorf("read index: %w", err)
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, maxIndexSize+1))
	if err != nil {
		return nil, fmt.Errorf("read index: %w", err)
	}
	if len(b) > maxIndexSize {
		return nil, fmt.Errorf("read index: %w: larger than %d bytes", ErrInvalid, maxIndexSize)
	}
	idx := newIndex()
	if err := json.Unmarshal(b, idx); err != nil {
		return nil, fmt.Errorf("read index: %w: %w", ErrInvalid, err)
	}
	if idx.Manifests == nil {
		idx.Manifests = []ocispec.Descriptor{}
	}
	return idx, nil
}

// writeIndex replaces index.json. Call under the lock.
func (s *Store) writeIndex(idx *ocispec.Index) error {
	b, err := json.Marshal(idx)
	if err != nil {
		return err
	}
	return s.writeFileAtomic(indexFile, b)
}

// writeFileAtomic writes name (relative to root) through a file in tmp/,
// synced, then renamed into place.
func (s *Store) writeFileAtomic(name string, data []byte) error {
	f, err := os.CreateTemp(s.path("tmp"), "write-*")
	if err != nil {
		return err
	}
	tmp := f.Name()
	defer os.Remove(tmp) // no-op once renamed
	if _, err := f.Write(data); err != nil {
		f.Close()
		return err
	}
	if err := f.Chmod(0o644); err != nil {
		f.Close()
		return err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	return os.Rename(tmp, s.path(name))
}

// refName returns the ref.name annotation of a descriptor, or "".
func refName(d ocispec.Descriptor) string {
	return d.Annotations[ocispec.AnnotationRefName]
}

// setTag makes the descriptor desc carry the tag name (a full normalized
// reference; "" adds desc untagged if its manifest has no descriptor yet).
// The tag moves off any other image; an image left without descriptors
// stays as an untagged one. It returns the index changed in place.
func setTag(idx *ocispec.Index, desc ocispec.Descriptor, name string) {
	var out []ocispec.Descriptor
	var orphaned []ocispec.Descriptor
	have := false
	for _, d := range idx.Manifests {
		switch {
		case name != "" && refName(d) == name:
			if d.Digest != desc.Digest {
				orphaned = append(orphaned, untagged(d))
			}
			continue // replaced below
		case d.Digest == desc.Digest && refName(d) == "" && name != "":
			continue // the untagged placeholder gives way to the tag
		case d.Digest == desc.Digest:
			have = true
		}
		out = append(out, d)
	}
	if name != "" {
		d := desc
		d.Annotations = map[string]string{ocispec.AnnotationRefName: name}
		out = append(out, d)
	} else if !have {
		out = append(out, untagged(desc))
	}
	for _, o := range orphaned {
		if !hasManifest(out, o.Digest) {
			out = append(out, o)
		}
	}
	idx.Manifests = out
}

// untagged returns a copy of d without the ref.name annotation.
func untagged(d ocispec.Descriptor) ocispec.Descriptor {
	var ann map[string]string
	for k, v := range d.Annotations {
		if k == ocispec.AnnotationRefName {
			continue
		}
		if ann == nil {
			ann = map[string]string{}
		}
		ann[k] = v
	}
	d.Annotations = ann
	return d
}

func hasManifest(ds []ocispec.Descriptor, dg digest.Digest) bool {
	for _, d := range ds {
		if d.Digest == dg {
			return true
		}
	}
	return false
}

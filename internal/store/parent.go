package store

import (
	"errors"
	"io"
	"os"
	"strings"

	"github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
)

// Parents are recorded in images/<image ID hex>/parent (see the package
// comment): a file, not an annotation in index.json, because tagging
// replaces an image's descriptors and the link must outlive its tags.

const (
	imagesDir  = "images"
	parentFile = "parent"
	// maxParentSize bounds a parent file: "sha256:" and 64 hex digits,
	// a newline, room for sha512.
	maxParentSize = 256
)

// metaDir is the metadata directory of image id (validated).
func (s *Store) metaDir(id digest.Digest) string {
	return s.path(imagesDir, id.Encoded())
}

// readParent returns the parent recorded for image id, or "" when none is
// recorded or the record is unreadable or malformed: a broken record is
// ignored (the image counts as having no parent) rather than failing every
// listing, and that is safe because no image needs its parent's
// existence, only its layers, which stay as long as an image reaches them.
func (s *Store) readParent(id digest.Digest) digest.Digest {
	if validDigest(id) != nil {
		return ""
	}
	f, err := os.Open(s.path(imagesDir, id.Encoded(), parentFile))
	if err != nil {
		return ""
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, maxParentSize+1))
	if err != nil || len(b) > maxParentSize {
		return ""
	}
	p := digest.Digest(strings.TrimSuffix(string(b), "\n"))
	if validDigest(p) != nil || p == id {
		return ""
	}
	return p
}

// writeParent records parent as the parent of image id. Call under the
// lock. created says whether the metadata directory is new (to remove it
// on rollback).
func (s *Store) writeParent(id, parent digest.Digest) (created bool, err error) {
	if err := validDigest(id); err != nil {
		return false, err
	}
	if err := validDigest(parent); err != nil {
		return false, err
	}
	dir := s.metaDir(id)
	if _, err := os.Lstat(dir); errors.Is(err, os.ErrNotExist) {
		created = true
	}
	if err := os.MkdirAll(dir, 0o711); err != nil {
		return false, err
	}
	return created, s.writeFileAtomic(imagesDir+"/"+id.Encoded()+"/"+parentFile, []byte(parent.String()+"\n"))
}

// node is an image of the index, as the parent graph sees it.
type node struct {
	e      *entry
	img    *Image
	parent digest.Digest
}

// graph is the parent graph of the images of an index: those that load.
// An image whose manifest or config is broken has no known ID, so it is
// nobody's child and nobody's parent.
type graph struct {
	byID  map[digest.Digest]*node
	nodes []*node
}

func (s *Store) graph(idx *ocispec.Index) *graph {
	g := &graph{byID: map[digest.Digest]*node{}}
	for _, e := range entries(idx) {
		img, err := s.load(e)
		if err != nil {
			continue
		}
		n := &node{e: e, img: img, parent: img.Parent}
		g.nodes = append(g.nodes, n)
		if g.byID[img.ID] == nil {
			g.byID[img.ID] = n
		}
	}
	return g
}

// hasChild reports whether an image of g, other than those whose
// manifests are in gone, has id as its parent.
func (g *graph) hasChild(id digest.Digest, gone map[digest.Digest]bool) bool {
	for _, n := range g.nodes {
		if n.parent == id && !gone[n.e.desc.Digest] {
			return true
		}
	}
	return false
}

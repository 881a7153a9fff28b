package dock

import (
	"context"
	"path"
	"slices"
	"strings"
)

// ChangeKind is what happened to a path of a container (see Changes),
// numbered as Docker's API numbers it.
type ChangeKind uint8

const (
	ChangeModify ChangeKind = 0 // changed: content, metadata, or a child
	ChangeAdd    ChangeKind = 1 // added
	ChangeDelete ChangeKind = 2 // deleted
)

// String is the letter "docker diff" prints: "C", "A" or "D".
func (k ChangeKind) String() string {
	switch k {
	case ChangeModify:
		return "C"
	case ChangeAdd:
		return "A"
	case ChangeDelete:
		return "D"
	}
	return "?"
}

// Change is one changed path of a container, as Docker's API gives it.
type Change struct {
	// Path is absolute ("/etc/passwd").
	Path string     `json:"Path"`
	Kind ChangeKind `json:"Kind"`
}

// Changes lists the files the container added, changed or deleted in its
// root filesystem relative to its image, sorted by path: "docker diff"
// and the Engine API's GET /containers/{id}/changes. It reads the
// container's writable layer (an overlay upper directory): an entry
// there is added (A) if the image lacks it, else changed (C), and an
// overlay whiteout is a deletion (D). As in Docker, a directory whose
// only change is that it holds a changed entry is listed as changed, one
// whose mode, owner and time are the image's is not listed for itself,
// and volumes, bind mounts and tmpfs are not part of the layer. The mount
// points that the engine makes in the layer for a container (/proc,
// /sys, /dev, /etc/hostname, /etc/hosts, /etc/resolv.conf and the
// targets of its mounts, when the image lacks them; Docker keeps those in
// a layer of its own) are not listed while they are empty. The container
// may be running: its files are listed as they are when they are read.
func (c *Container) Changes(ctx context.Context) ([]Change, error) {
	return c.changesImpl(ctx)
}

// engineMountPoints are the paths whose empty entries the engine makes
// in a container's writable layer (see Changes).
func engineMountPoints(cfg *Config) map[string]bool {
	m := map[string]bool{
		"/proc": true, "/sys": true, "/dev": true,
		"/etc/hostname": true, "/etc/hosts": true, "/etc/resolv.conf": true,
	}
	for _, mt := range cfg.Mounts {
		m[path.Clean(mt.Target)] = true
	}
	return m
}

// changeSet collects changes, with Docker's rule that the parent of an
// added or deleted path is listed as changed.
type changeSet struct {
	kinds map[string]ChangeKind
}

func (s *changeSet) add(p string, k ChangeKind) {
	if s.kinds == nil {
		s.kinds = map[string]ChangeKind{}
	}
	s.kinds[p] = k
	if k == ChangeModify {
		return
	}
	if parent := path.Dir(p); parent != "/" {
		if _, ok := s.kinds[parent]; !ok {
			s.kinds[parent] = ChangeModify
		}
	}
}

// sorted returns the changes sorted by path.
func (s *changeSet) sorted() []Change {
	out := make([]Change, 0, len(s.kinds))
	for p, k := range s.kinds {
		out = append(out, Change{Path: p, Kind: k})
	}
	slices.SortFunc(out, func(a, b Change) int { return strings.Compare(a.Path, b.Path) })
	return out
}

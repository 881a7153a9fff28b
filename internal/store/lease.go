package store

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/opencontainers/go-digest"
)

// leasePrefix names the lease files in tmp/.
const leasePrefix = "lease-"

// Lease keeps images from being pruned, or deleted as the parent of a
// removed image, while an operation uses them: a build's base image, the
// images of its cached steps, and the untagged image of each step until
// the next step makes its child or the build tags it. It is a file in
// tmp/ listing the image IDs, so that other processes on the root honour
// it; like the blobs of a pull in progress, a lease not renewed (by Add)
// for TmpGrace counts as left by a crash and is ignored, then removed.
// Release ends it. A Lease is safe for concurrent use.
type Lease struct {
	s    *Store
	name string // relative to root

	mu  sync.Mutex
	ids []digest.Digest
}

// NewLease starts an empty lease.
func (s *Store) NewLease() (*Lease, error) {
	f, err := os.CreateTemp(s.path("tmp"), leasePrefix+"*")
	if err != nil {
		return nil, fmt.Errorf("lease: %w", err)
	}
	name := filepath.Base(f.Name())
	if err := f.Close(); err != nil {
		os.Remove(f.Name())
		return nil, fmt.Errorf("lease: %w", err)
	}
	return &Lease{s: s, name: "tmp/" + name}, nil
}

// Add adds image id to the lease and renews it. A caller that found the
// image before calling Add must check it still exists afterwards: Add does
// not bring back an image pruned in between.
func (l *Lease) Add(id digest.Digest) error {
	if err := validDigest(id); err != nil {
		return fmt.Errorf("lease: %w", err)
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	ids := l.ids
	if !slices.Contains(ids, id) {
		ids = append(slices.Clip(ids), id)
	}
	var b strings.Builder
	for _, d := range ids {
		b.WriteString(d.String() + "\n")
	}
	// Rewritten even when id was there: that renews the lease.
	if err := l.s.writeFileAtomic(l.name, []byte(b.String())); err != nil {
		return fmt.Errorf("lease: %w", err)
	}
	l.ids = ids
	return nil
}

// Release ends the lease. It is safe to call twice, and on nil.
func (l *Lease) Release() {
	if l == nil {
		return
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	os.Remove(l.s.path(l.name))
	l.ids = nil
}

// leased returns the image IDs that live leases hold. Call under the lock
// (so that no image is committed and leased meanwhile).
func (s *Store) leased() map[digest.Digest]bool {
	out := map[digest.Digest]bool{}
	des, err := os.ReadDir(s.path("tmp"))
	if err != nil {
		return out
	}
	now := time.Now()
	for _, de := range des {
		if !strings.HasPrefix(de.Name(), leasePrefix) {
			continue
		}
		if fi, err := de.Info(); err != nil || now.Sub(fi.ModTime()) >= TmpGrace {
			continue
		}
		b, err := os.ReadFile(s.path("tmp", de.Name()))
		if err != nil {
			continue
		}
		for _, line := range strings.Split(string(b), "\n") {
			if d := digest.Digest(line); validDigest(d) == nil {
				out[d] = true
			}
		}
	}
	return out
}

package build

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"github.com/go-dock/dock/internal/archive"
	"golang.org/x/sys/unix"
)

// lockPoll is how often a build waiting for a locked cache mount checks
// its context.
const lockPoll = 50 * time.Millisecond

// prepareCache mounts a cache directory kept by the engine between builds,
// <Host.MountCacheDir>/<sha256 of the id>, created on first use with
// the mount's mode, uid and gid (and seeded from from/source). Its lock
// file beside it is held for the step: shared takes a shared lock (steps
// run together, and wait for a locked one), locked an exclusive one (the
// steps of every process on this root take turns), private an exclusive
// one when free, else the step gets a new empty directory of its own,
// discarded after it.
func (b *builder) prepareCache(ctx context.Context, m *mountSpec, p *preparedMounts) error {
	base := b.h.MountCacheDir
	if err := os.MkdirAll(base, 0o700); err != nil {
		return err
	}
	sum := sha256.Sum256([]byte(m.id))
	name := hex.EncodeToString(sum[:16])
	dir := filepath.Join(base, name)
	lf, err := os.OpenFile(dir+".lock", os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return err
	}
	p.undo = append(p.undo, lf.Close) // closing releases the lock
	how := unix.LOCK_SH
	if m.sharing != "shared" {
		how = unix.LOCK_EX
	}
	if m.sharing == "private" {
		if err := unix.Flock(int(lf.Fd()), how|unix.LOCK_NB); err != nil {
			if !errors.Is(err, unix.EWOULDBLOCK) {
				return err
			}
			if dir, err = b.tempDir(p, "build-cache-"); err != nil {
				return err
			}
			if err := b.initCacheDir(ctx, dir, m, p); err != nil {
				return err
			}
			p.mounts = append(p.mounts, Mount{Type: "bind", Source: dir, Target: m.target, ReadOnly: m.readonly})
			p.targets = append(p.targets, m.target)
			return nil
		}
	} else if err := flockCtx(ctx, lf, how); err != nil {
		return err
	}
	if _, err := os.Lstat(dir); errors.Is(err, os.ErrNotExist) {
		if err := b.createCacheDir(ctx, base, dir, m, p); err != nil {
			return err
		}
	} else if err != nil {
		return err
	}
	p.mounts = append(p.mounts, Mount{Type: "bind", Source: dir, Target: m.target, ReadOnly: m.readonly})
	p.targets = append(p.targets, m.target)
	return nil
}

// flockCtx takes the lock how on f, waiting until it is free or ctx ends.
func flockCtx(ctx context.Context, f *os.File, how int) error {
	for {
		err := unix.Flock(int(f.Fd()), how|unix.LOCK_NB)
		if err == nil {
			return nil
		}
		if !errors.Is(err, unix.EWOULDBLOCK) && !errors.Is(err, unix.EINTR) {
			return fmt.Errorf("lock cache mount: %w", err)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(lockPoll):
		}
	}
}

// createCacheDir makes the cache directory dir in a temporary directory
// renamed into place, so that two processes creating it at once (with
// shared locks) never see a half-made one: the first rename wins.
func (b *builder) createCacheDir(ctx context.Context, base, dir string, m *mountSpec, p *preparedMounts) error {
	tmp, err := os.MkdirTemp(base, "new-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp) // nothing left once renamed
	if err := b.initCacheDir(ctx, tmp, m, p); err != nil {
		return err
	}
	err = unix.Renameat2(unix.AT_FDCWD, tmp, unix.AT_FDCWD, dir, unix.RENAME_NOREPLACE)
	if errors.Is(err, unix.EEXIST) {
		return nil
	}
	return err
}

// initCacheDir gives the new cache directory dir its content (from
// from/source) and its owner and mode.
func (b *builder) initCacheDir(ctx context.Context, dir string, m *mountSpec, p *preparedMounts) error {
	if m.from != "" {
		src, err := b.materialize(ctx, m.from)
		if err != nil {
			return err
		}
		defer os.RemoveAll(src)
		sub, err := sourceIn(src, m.source)
		if err != nil {
			return err
		}
		if fi, err := os.Stat(sub); err != nil {
			return err
		} else if !fi.IsDir() {
			return fmt.Errorf("%w: cache source %s is not a directory", ErrInvalid, m.source)
		}
		if err := applyLayer(ctx, dir, func(w io.Writer) error { return archive.WriteDir(ctx, w, sub) }, archive.Options{}); err != nil {
			return err
		}
	}
	if err := os.Chown(dir, m.uid, m.gid); err != nil {
		return err
	}
	return os.Chmod(dir, os.FileMode(m.mode&0o777)|modeBits(m.mode))
}

package build

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"io/fs"
	"maps"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/go-dock/dock/internal/dockerfile"
	"github.com/opencontainers/go-digest"
)

// The build cache maps a step's key to the image it produced, in
// <Host.CacheDir>/<key>: a file holding the image ID ("config" for a step
// that changed the configuration only). A step's key is the SHA-256 of
// the key of the step before it in the stage (or the stage's base image),
// the parent image ID, the instruction's text, the ARG values in scope, the
// SOURCE_DATE_EPOCH, and for COPY and ADD the selected sources: names,
// types, modes, owners, symlink targets and the SHA-256 of file contents
// (not modification times, as in Docker). An entry whose image is gone is a
// miss. The images of the steps are kept (untagged) for the cache to use.

// cacheConfigStep is the value of a step that made no image.
const cacheConfigStep = "config"

// cacheUsed is the progress line of a cached step, as docker prints it.
const cacheUsed = " ---> Using cache"

// RacyMargin is how old (ctime and mtime) a file must be, relative to the
// start of the build that hashed it, for its hash to be reused by the next
// build without reading it. A file changed again within the timestamp
// granularity of its file system, keeping its size, could otherwise keep
// the same stat and look unchanged ("racily clean", as git calls it);
// files changed in the margin before a build are re-hashed by the next.
// The stat cache is unsafe only for a change that keeps the size, mtime,
// ctime and inode: a clock set back, or a tool that writes the file and
// restores both its timestamps (ctime can only be restored by changing the
// clock). A variable, exported, for the engine's tests only: they set it
// below zero to trust the stat of files they have just written.
var RacyMargin = 2 * time.Second

// statIDs returns the inode and ctime (ns) of fi; ok is false where
// unknown (then the stat cache is not used).
var statIDs = func(fs.FileInfo) (ino uint64, ctime int64, ok bool) { return 0, 0, false }

func (b *builder) cachePath(key string) string { return filepath.Join(b.h.CacheDir, key) }

// stepKey is the cache key of a step of stage s: text is the instruction
// and extra, for COPY and ADD, the digest of the sources.
func (b *builder) stepKey(s *stageState, text string, extra []byte) string {
	h := sha256.New()
	fmt.Fprintf(h, "dock build cache v1\x00%s\x00", s.chain)
	if s.img != nil {
		io.WriteString(h, s.img.ID.String())
	}
	fmt.Fprintf(h, "\x00%q\x00", text)
	for _, k := range slices.Sorted(maps.Keys(s.args)) {
		fmt.Fprintf(h, "arg %q=%q\x00", k, s.args[k])
	}
	if !b.o.Epoch.IsZero() {
		fmt.Fprintf(h, "epoch %d\x00", b.o.Epoch.Unix())
	}
	h.Write(extra)
	return hex.EncodeToString(h.Sum(nil))
}

// cacheStep runs a step of stage s under key: it takes the step's image
// from the cache when it can (unless BuildNoCache), else runs it and records
// its result. A step from the cache says so in the progress.
func (b *builder) cacheStep(s *stageState, key string, run func() error) error {
	return b.cacheStepQuiet(s, key, run, false)
}

// cacheStepQuiet is cacheStep, silent when quiet: the commit of a stage's
// pending configuration is no step of its own, and the configuration steps
// before it said " ---> Using cache" already.
func (b *builder) cacheStepQuiet(s *stageState, key string, run func() error, quiet bool) error {
	s.chain = key
	used := func() {
		if !quiet {
			b.o.Progress(cacheUsed)
		}
	}
	before := s.img
	if !b.o.NoCache {
		if data, err := os.ReadFile(b.cachePath(key)); err == nil {
			switch v := strings.TrimSpace(string(data)); v {
			case cacheConfigStep:
				if err := run(); err != nil {
					return err
				}
				if s.img == before {
					used()
					return nil
				}
				return b.cachePut(key, s.img.ID.String())
			default:
				// Leased before it is used: a prune elsewhere
				// cannot take it from under the next step.
				if img, err := b.hold(digest.Digest(v)); err == nil && img.ID.String() == v {
					used()
					s.img, s.cfg, s.pending = img, img.Config.Clone(), false
					return nil
				}
			}
		}
	}
	if err := run(); err != nil {
		return err
	}
	v := cacheConfigStep
	if s.img != before {
		v = s.img.ID.String()
	}
	return b.cachePut(key, v)
}

func (b *builder) cachePut(key, value string) error {
	if err := os.MkdirAll(b.h.CacheDir, 0o700); err != nil {
		return err
	}
	return b.h.WriteFile(b.cachePath(key), []byte(value+"\n"), 0o600)
}

// instructionStep runs an instruction other than COPY and ADD through the
// cache.
func (b *builder) instructionStep(s *stageState, in *dockerfile.Instruction, run func() error) error {
	return b.cacheStep(s, b.stepKey(s, in.Original, nil), run)
}

// fileStat is an entry of the stat cache of a build context: the stat of a
// file when it was hashed, and its SHA-256.
type fileStat struct {
	Size  int64  `json:"size"`
	Mtime int64  `json:"mtime"`
	Ctime int64  `json:"ctime"`
	Ino   uint64 `json:"ino"`
	Sum   string `json:"sha256"`
}

// fileHashCache is the stat cache of the build context, in
// Host.CacheDir, files-<hash of its absolute path>.json.
type fileHashCache struct {
	mu     sync.Mutex
	path   string
	loaded bool
	old    map[string]fileStat
	seen   map[string]fileStat // this build's, to save
	dirty  bool
}

func (c *fileHashCache) load() {
	if c.loaded {
		return
	}
	c.loaded = true
	c.seen = map[string]fileStat{}
	if data, err := os.ReadFile(c.path); err == nil {
		json.Unmarshal(data, &c.old) // a damaged cache is an empty one
	}
}

// hashFile is a file of the sources of a COPY or ADD to hash.
type hashFile struct {
	name string // in the source root
	fi   fs.FileInfo
	sum  [sha256.Size]byte
}

// hashFiles sets the SHA-256 of files, read from root, in parallel; with
// cache (the context's), files whose stat did not change since the last
// build are not read again.
func (b *builder) hashFiles(root *os.Root, files []*hashFile, cache *fileHashCache) error {
	if cache != nil {
		cache.mu.Lock()
		cache.load()
		cache.mu.Unlock()
	}
	work := make(chan *hashFile)
	errc := make(chan error, 1)
	var wg sync.WaitGroup
	workers := min(runtime.NumCPU(), max(len(files), 1))
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for f := range work {
				if err := b.hashFile(root, f, cache); err != nil {
					select {
					case errc <- err:
					default:
					}
				}
			}
		}()
	}
	for _, f := range files {
		work <- f
	}
	close(work)
	wg.Wait()
	select {
	case err := <-errc:
		return err
	default:
		return nil
	}
}

func (b *builder) hashFile(root *os.Root, f *hashFile, cache *fileHashCache) error {
	ino, ctime, statOK := statIDs(f.fi)
	st := fileStat{Size: f.fi.Size(), Mtime: f.fi.ModTime().UnixNano(), Ctime: ctime, Ino: ino}
	if cache != nil && statOK {
		cache.mu.Lock()
		old, ok := cache.old[f.name]
		cache.mu.Unlock()
		if ok && old.Size == st.Size && old.Mtime == st.Mtime && old.Ctime == st.Ctime && old.Ino == st.Ino {
			if sum, err := hex.DecodeString(old.Sum); err == nil && len(sum) == sha256.Size {
				copy(f.sum[:], sum)
				cache.mu.Lock()
				cache.seen[f.name] = old
				cache.mu.Unlock()
				return nil
			}
		}
	}
	r, err := root.Open(f.name)
	if err != nil {
		return err
	}
	defer r.Close()
	h := sha256.New()
	if _, err := io.Copy(h, r); err != nil {
		return fmt.Errorf("%s: %w", f.name, err)
	}
	h.Sum(f.sum[:0])
	limit := b.started.Add(-RacyMargin).UnixNano()
	if cache != nil && statOK && st.Mtime < limit && st.Ctime < limit {
		st.Sum = hex.EncodeToString(f.sum[:])
		cache.mu.Lock()
		cache.seen[f.name] = st
		cache.dirty = true
		cache.mu.Unlock()
	}
	return nil
}

// save writes the stat cache when this build changed it: the entries of
// the files this build hashed.
func (c *fileHashCache) save(writeFile func(string, []byte, os.FileMode) error) error {
	if c == nil || !c.loaded || (!c.dirty && len(c.seen) == len(c.old)) {
		return nil
	}
	data, err := json.Marshal(c.seen)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(c.path), 0o700); err != nil {
		return err
	}
	return writeFile(c.path, data, 0o600)
}

// newFileHashCache returns the stat cache of contextDir in cacheDir.
func newFileHashCache(cacheDir, contextDir string) *fileHashCache {
	abs, err := filepath.Abs(contextDir)
	if err != nil {
		return nil
	}
	if p, err := filepath.EvalSymlinks(abs); err == nil {
		abs = p
	}
	sum := sha256.Sum256([]byte(abs))
	return &fileHashCache{path: filepath.Join(cacheDir, "files-"+hex.EncodeToString(sum[:16])+".json")}
}

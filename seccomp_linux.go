package dock

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"runtime"
	"strings"
	"sync"

	"golang.org/x/sys/unix"

	"github.com/go-dock/dock/internal/seccomp"
)

// seccompFor returns the containers' profile (Docker's, with terminal
// input injection refused: seccomp.Container) compiled for a capability
// set. A
// compilation costs about a millisecond, a large part of a container's
// start, so programs are kept in memory and in the state directory
// (cache/), keyed by everything that shapes them: this binary, the
// kernel, the architecture and the capabilities.
func (e *Engine) seccompFor(caps capSet) ([]byte, error) {
	b, file := e.seccompCached(caps)
	if b != nil {
		return b, nil
	}
	prog, err := seccomp.Container(caps.names())
	if err != nil {
		return nil, fmt.Errorf("compile seccomp profile: %w", err)
	}
	b = prog.Bytes()
	seccompCache.Store(caps, b)
	if os.MkdirAll(e.path("cache"), 0o700) == nil {
		e.writeFileAtomic(file, b, 0o600) // a cache: a failure costs only time
	}
	return b, nil
}

// seccompCached returns the program for caps from memory or from the
// cache file (then kept in memory); nil when neither has it, with the
// cache file's path, where seccompFor writes it.
func (e *Engine) seccompCached(caps capSet) (prog []byte, file string) {
	if v, ok := seccompCache.Load(caps); ok {
		return v.([]byte), ""
	}
	file = e.path("cache", "seccomp-"+seccompKey(caps))
	if b, err := os.ReadFile(file); err == nil && len(b) > 0 && len(b)%8 == 0 {
		seccompCache.Store(caps, b)
		return b, file
	}
	return nil, file
}

var seccompCache sync.Map // capSet -> []byte

// binaryIdentity names this build of the program: a rebuilt binary gets
// new seccomp programs, never stale ones.
var binaryIdentity = sync.OnceValue(func() string {
	var uts unix.Utsname
	unix.Uname(&uts)
	id := runtime.GOARCH + " " + unix.ByteSliceToString(uts.Release[:])
	if fi, err := os.Stat("/proc/self/exe"); err == nil {
		id += fmt.Sprintf(" %d %d", fi.Size(), fi.ModTime().UnixNano())
	}
	return id
})

// seccompKey names the cache file of caps' program: this build's
// identity, hashed, then the capability set. Prune removes the files of
// other builds.
func seccompKey(caps capSet) string {
	return seccompBuild() + "-" + fmt.Sprintf("%016x", uint64(caps))
}

var seccompBuild = sync.OnceValue(func() string {
	sum := sha256.Sum256([]byte("dock-seccomp-3 " + binaryIdentity()))
	return hex.EncodeToString(sum[:8])
})

// pruneSeccompCache removes the cached programs of other builds of the
// program (each build writes its own: a rebuilt binary never loads a
// stale one).
func (e *Engine) pruneSeccompCache() error {
	ents, err := os.ReadDir(e.path("cache"))
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	ours := "seccomp-" + seccompBuild() + "-"
	var errs []error
	for _, ent := range ents {
		if n := ent.Name(); strings.HasPrefix(n, "seccomp-") && !strings.HasPrefix(n, ours) {
			if err := os.Remove(e.path("cache", n)); err != nil && !errors.Is(err, fs.ErrNotExist) {
				errs = append(errs, err)
			}
		}
	}
	return errors.Join(errs...)
}

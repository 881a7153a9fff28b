package dock

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"os"
	"runtime"
	"sync"

	"golang.org/x/sys/unix"

	"github.com/go-dock/dock/internal/seccomp"
)

// seccompFor returns Docker's profile compiled for a capability set. A
// compilation costs about a millisecond, a large part of a container's
// start, so programs are kept in memory and in the state directory
// (cache/), keyed by everything that shapes them: this binary, the
// kernel, the architecture and the capabilities.
func (e *Engine) seccompFor(caps capSet) ([]byte, error) {
	b, file := e.seccompCached(caps)
	if b != nil {
		return b, nil
	}
	prog, err := seccomp.Default(caps.names())
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

func seccompKey(caps capSet) string {
	sum := sha256.Sum256([]byte(fmt.Sprintf("dock-seccomp-1 %s %x", binaryIdentity(), uint64(caps))))
	return hex.EncodeToString(sum[:16])
}

package dock

import (
	"os"
	"sync"
)

// netWatches are the detached containers whose network this Engine value
// takes back at their exit (watchNetwork, network_watch_linux.go), by
// their pidfds: Close ends the watches, and their exit hooks do it then.
type netWatches struct {
	mu     sync.Mutex
	closed bool
	pidfds map[*os.File]bool
	wg     sync.WaitGroup
}

// add registers a watch on pidfd (nil: the init is gone already), which
// the caller ends with done; false once the engine is closed.
func (w *netWatches) add(pidfd *os.File) bool {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.closed {
		return false
	}
	if pidfd != nil {
		if w.pidfds == nil {
			w.pidfds = map[*os.File]bool{}
		}
		w.pidfds[pidfd] = true
	}
	w.wg.Add(1)
	return true
}

// done ends a watch that add registered.
func (w *netWatches) done(pidfd *os.File) {
	w.mu.Lock()
	delete(w.pidfds, pidfd)
	w.mu.Unlock()
	if pidfd != nil {
		pidfd.Close()
	}
	w.wg.Done()
}

// close ends the watches (their waits end when their pidfds close) and
// waits for them: one taking a network back finishes first.
func (w *netWatches) close() {
	w.mu.Lock()
	w.closed = true
	for f := range w.pidfds {
		f.Close()
	}
	w.mu.Unlock()
	w.wg.Wait()
}

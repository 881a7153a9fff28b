package dock

import (
	"context"
	"time"
)

// execEndWait bounds how long Remove waits for the execs of a stopped
// container to record their end: they died with it (its PID namespace,
// or the SIGKILL that endExecs sends with the host's), so only a stuck
// relay could take longer, and that must not hold a removal for good.
const execEndWait = 10 * time.Second

// addExec records p, started in container id, until endExec.
func (r *running) addExec(id string, p *Process) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.execs == nil {
		r.execs = map[string]map[*Process]struct{}{}
	}
	if r.execs[id] == nil {
		r.execs[id] = map[*Process]struct{}{}
	}
	r.execs[id][p] = struct{}{}
}

// endExec forgets p once its exec_die is recorded, and tells endExecs.
func (r *running) endExec(id string, p *Process) {
	r.mu.Lock()
	defer r.mu.Unlock()
	delete(r.execs[id], p)
	if len(r.execs[id]) == 0 {
		delete(r.execs, id)
	}
	close(p.exited)
}

// endExecs kills what is left of the execs of the stopped container id
// (nothing, unless it shared the host's PID namespace) and waits until
// each has recorded its exec_die, or ctx ends, or execEndWait passed.
func (r *running) endExecs(ctx context.Context, id string) {
	r.mu.Lock()
	var left []*Process
	for p := range r.execs[id] {
		left = append(left, p)
	}
	r.mu.Unlock()
	if len(left) == 0 {
		return
	}
	timer := time.NewTimer(execEndWait)
	defer timer.Stop()
	for _, p := range left {
		p.kill()
		select {
		case <-p.exited:
		case <-ctx.Done():
			return
		case <-timer.C:
			return
		}
	}
}

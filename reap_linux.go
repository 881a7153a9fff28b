package dock

import (
	"context"
	"os"
	"syscall"
	"time"
)

// reap waits for the init, records how it ended, wakes Wait, and removes
// the container when its config asks for it (autoRemove, known at start).
func (c *Container) reap(init initProcess, p *proc, stdio *stdioSet, started time.Time, autoRemove bool) {
	st := init.wait()
	stdio.finish()
	if oom, _ := p.cg.OOMKilled(); oom {
		st.OOMKilled = true
	}
	// Every process of the container died with its init (PID namespace);
	// the cgroup stays, for stats and a restart, until Remove.
	c.writeState(State{Status: StatusExited, StartedAt: started, FinishedAt: st.ExitedAt, Exit: st})
	p.status = st
	close(p.done)
	if autoRemove {
		c.Remove(context.Background(), RemoveVolumes())
	}
}

func exitStatusOf(ps *os.ProcessState, err error) ExitStatus {
	if ps == nil {
		st := ExitStatus{ExitedAt: time.Now().UTC(), Code: 255}
		if err != nil {
			st.Err = err.Error()
		}
		return st
	}
	return waitStatus(ps.Sys().(syscall.WaitStatus))
}

// waitStatus is how a process ended, as Docker reports it.
func waitStatus(ws syscall.WaitStatus) ExitStatus {
	st := ExitStatus{ExitedAt: time.Now().UTC()}
	switch {
	case ws.Signaled():
		st.Signal = int(ws.Signal())
		st.Code = 128 + st.Signal
	default:
		st.Code = ws.ExitStatus()
	}
	return st
}

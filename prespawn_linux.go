package dock

import (
	"context"
	"errors"
	"io"
	"os"
	"os/exec"
	"sync"
	"syscall"

	"golang.org/x/sys/unix"

	"github.com/go-dock/dock/internal/nsinit"
)

// initProcess is an attached init as the engine waits for it: a
// re-executed init started by os/exec, or a prespawned one (package
// prespawn).
type initProcess interface {
	pid() int
	kill()
	// wait waits for the exit and for the copies of the output.
	wait() ExitStatus
}

// execInit is an init started by os/exec.
type execInit struct{ cmd *exec.Cmd }

func (e execInit) pid() int { return e.cmd.Process.Pid }
func (e execInit) kill()    { e.cmd.Process.Kill() }
func (e execInit) wait() ExitStatus {
	err := e.cmd.Wait()
	return exitStatusOf(e.cmd.ProcessState, err)
}

// prespawnedInit is the init that the program forked as it started
// (nsinit.Prespawned), with what os/exec would have made for cmd's stdio:
// the descriptors to send with the plan, and the copies to and from the
// io.Readers and io.Writers that are not files.
type prespawnedInit struct {
	pre        *nsinit.Prespawned
	files      [3]*os.File // the child's stdin, stdout, stderr
	childEnds  []*os.File  // closed here once the init has them
	parentEnds []*os.File  // closed here once the copies end
	copies     sync.WaitGroup
}

// newPrespawnedInit prepares pre to run as cmd would have (its Stdin,
// Stdout and Stderr; nil means /dev/null, as in os/exec).
func newPrespawnedInit(pre *nsinit.Prespawned, cmd *exec.Cmd) (*prespawnedInit, error) {
	p := &prespawnedInit{pre: pre}
	var err error
	if p.files[0], err = p.input(cmd.Stdin); err == nil {
		if p.files[1], err = p.output(cmd.Stdout); err == nil {
			p.files[2], err = p.output(cmd.Stderr)
		}
	}
	if err != nil {
		p.closeChildEnds()
		p.closeParentEnds()
		return nil, err
	}
	return p, nil
}

func (p *prespawnedInit) input(r io.Reader) (*os.File, error) {
	if f, ok := r.(*os.File); ok {
		return f, nil
	}
	if r == nil {
		return p.devNull()
	}
	pr, pw, err := os.Pipe()
	if err != nil {
		return nil, err
	}
	p.childEnds = append(p.childEnds, pr)
	// Not waited for, as os/exec does not: it ends when r ends or the
	// container closes its stdin.
	go func() {
		io.Copy(pw, r)
		pw.Close()
	}()
	return pr, nil
}

func (p *prespawnedInit) output(w io.Writer) (*os.File, error) {
	if f, ok := w.(*os.File); ok {
		return f, nil
	}
	if w == nil {
		return p.devNull()
	}
	pr, pw, err := os.Pipe()
	if err != nil {
		return nil, err
	}
	p.childEnds = append(p.childEnds, pw)
	p.parentEnds = append(p.parentEnds, pr)
	p.copies.Add(1)
	go func() {
		defer p.copies.Done()
		io.Copy(w, pr)
	}()
	return pw, nil
}

func (p *prespawnedInit) devNull() (*os.File, error) {
	f, err := os.Open(os.DevNull)
	if err == nil {
		p.childEnds = append(p.childEnds, f)
	}
	return f, err
}

func (p *prespawnedInit) closeChildEnds() {
	for _, f := range p.childEnds {
		f.Close()
	}
	p.childEnds = nil
}

func (p *prespawnedInit) closeParentEnds() {
	for _, f := range p.parentEnds {
		f.Close()
	}
}

// sendPlan sends the plan, which stdio heads, with the descriptors.
func (p *prespawnedInit) sendPlan(ctx context.Context, plan *nsinit.Plan) error {
	head := new(nsinit.Plan)
	head.Stdio()
	err := p.pre.SendPlan(ctx, head.Append(plan), p.files)
	p.closeChildEnds()
	return err
}

func (p *prespawnedInit) pid() int { return p.pre.Pid }

// kill is safe from reuse of the PID: the init is this process's child
// and stays a zombie until wait reaps it.
func (p *prespawnedInit) kill() { unix.Kill(p.pre.Pid, unix.SIGKILL) }

func (p *prespawnedInit) wait() ExitStatus {
	var ws unix.WaitStatus
	var err error
	for {
		_, err = unix.Wait4(p.pre.Pid, &ws, 0, nil)
		if !errors.Is(err, unix.EINTR) {
			break
		}
	}
	p.closeChildEnds()
	p.copies.Wait()
	p.closeParentEnds()
	if err != nil {
		return exitStatusOf(nil, err)
	}
	return waitStatus(syscall.WaitStatus(ws))
}

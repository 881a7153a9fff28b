package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"syscall"

	"github.com/go-dock/dock"
)

// socketSession is a session with a detached container through its
// monitor's attach socket (dock.Container.Attach): dock attach, and
// run -it and start -ai, which start the container detached so that
// ctrl-p ctrl-q can leave it running.
type socketSession struct {
	ct                         *dock.Container
	tty, stdin, stdout, stderr bool
	sigProxy                   bool
	keys                       []byte // nil: ctrl-p ctrl-q
	// start, when set, starts the container once the session is
	// attached, so that none of its output is missed.
	start func(context.Context) error
}

// attachSocket runs s until the container's output ends (then it waits
// for the container and returns its exit code) or the detach keys are
// read (detached).
func (c *cli) attachSocket(ctx context.Context, s socketSession) (code int, detached bool, err error) {
	if s.tty && s.stdin && isTerminal(c.stdin) {
		restore, err := makeRaw(c.stdin)
		if err != nil {
			return 0, false, err
		}
		defer restore()
	}
	actx, cancel := context.WithCancel(ctx)
	defer cancel()
	if s.tty {
		winch := make(chan os.Signal, 1)
		signal.Notify(winch, syscall.SIGWINCH)
		defer signal.Stop(winch)
		go func() {
			for {
				select {
				case <-winch:
					if size := c.ttySize(); size.Rows > 0 {
						s.ct.Resize(size)
					}
				case <-actx.Done():
					return
				}
			}
		}()
	}
	if s.sigProxy && !s.tty {
		sigs := subscribeUserSignals().wait()
		for _, sig := range proxiedSignals() {
			signal.Notify(sigs, sig)
		}
		go func() {
			for {
				select {
				case sig := <-sigs:
					if n, ok := sig.(syscall.Signal); ok {
						s.ct.Signal(context.Background(), n)
					}
				case <-actx.Done():
					return
				}
			}
		}()
	}
	opts := dock.AttachOptions{DetachKeys: s.keys}
	if s.stdin {
		opts.Stdin = c.stdin
	}
	if s.stdout {
		opts.Stdout = c.stdout
	}
	if s.stderr {
		opts.Stderr = c.stderr
	}
	var startErr error
	opts.Attached = func() {
		if s.start != nil {
			if startErr = s.start(ctx); startErr != nil {
				cancel()
			}
		}
		if s.tty {
			// The size now: the terminal may have changed since the
			// container started.
			if size := c.ttySize(); size.Rows > 0 {
				s.ct.Resize(size)
			}
		}
	}
	err = s.ct.Attach(actx, opts)
	switch {
	case startErr != nil:
		return 0, false, startFailure(startErr)
	case errors.Is(err, dock.ErrDetached):
		return 0, true, nil
	case err != nil:
		return 0, false, err
	}
	// Of an AutoRemove container too, removed as it exited.
	st, err := s.ct.Wait(ctx)
	if err != nil {
		return 0, false, err
	}
	return st.Code, false, nil
}

// detachKeys reads --detach-keys: empty is the default (nil).
func detachKeys(flag string) ([]byte, error) {
	if flag == "" {
		return nil, nil
	}
	keys, err := dock.ParseDetachKeys(flag)
	if err != nil {
		//lint:ignore ST1005 docker's words
		return nil, fmt.Errorf("Invalid detach keys (%s) provided", flag)
	}
	return keys, nil
}

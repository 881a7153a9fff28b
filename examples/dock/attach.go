package main

import (
	"context"
	"os"
	"os/signal"
	"sync"
	"syscall"
	"time"

	"github.com/go-dock/dock"
)

// session is a process that the CLI starts and stays attached to: a
// container (run, start -a) or an exec'd process.
type session struct {
	tty, interactive, sigProxy bool
	start                      func(context.Context) error
	wait                       func(context.Context) (dock.ExitStatus, error)
	resize                     func(dock.WindowSize) error
	signal                     func(syscall.Signal) error
	// signals, when not nil, were subscribed early (sigProxy).
	signals *userSignals
}

// userSignals are the signals a user sends (HUP INT QUIT TERM USR1 USR2),
// subscribed on another goroutine: each subscription is a handshake with
// the runtime's signal thread (20-100 µs), which this way overlaps the
// CLI's other work instead of delaying the start.
type userSignals struct {
	c     chan os.Signal
	ready chan struct{}
}

func subscribeUserSignals() *userSignals {
	u := &userSignals{c: make(chan os.Signal, 16), ready: make(chan struct{})}
	go func() {
		signal.Notify(u.c, syscall.SIGHUP, syscall.SIGINT, syscall.SIGQUIT, syscall.SIGTERM, syscall.SIGUSR1, syscall.SIGUSR2)
		close(u.ready)
	}()
	return u
}

// wait returns the channel once the signals are subscribed.
func (u *userSignals) wait() chan os.Signal {
	<-u.ready
	return u.c
}

// attach starts ct with the CLI's stdio and waits for it, as docker run
// does without -d; it returns the container's exit code.
func (c *cli) attach(ctx context.Context, ct *dock.Container, tty, interactive, sigProxy bool, signals *userSignals) (int, error) {
	return c.attachStreams(ctx, ct, streams{stdin: interactive, stdout: true, stderr: true}, tty, sigProxy, signals)
}

// streams are the standard streams that a session attaches (docker run
// -a): the others are the null device (their output goes to the log).
type streams struct{ stdin, stdout, stderr bool }

// attachStreams is attach with only the streams s.
func (c *cli) attachStreams(ctx context.Context, ct *dock.Container, s streams, tty, sigProxy bool, signals *userSignals) (int, error) {
	interactive := s.stdin
	if s.stdin {
		ct.Stdin = c.stdin
	}
	if s.stdout {
		ct.Stdout = c.stdout
	}
	if s.stderr {
		ct.Stderr = c.stderr
	}
	if tty {
		ct.TtySize = c.ttySize()
	}
	return c.runSession(ctx, &session{
		tty: tty, interactive: interactive, sigProxy: sigProxy, signals: signals,
		start:  ct.Start,
		wait:   ct.Wait,
		resize: ct.Resize,
		signal: func(sig syscall.Signal) error { return ct.Signal(context.Background(), sig) },
	})
}

// runSession starts s and waits for it: with a terminal (tty), the local
// terminal is put in raw mode for the time of the session when stdin is
// attached, and its size is sent at start and on each SIGWINCH; without
// one, the signals the CLI receives are forwarded to the process (docker's
// --sig-proxy, which docker also turns off with a terminal: there, ^C is a
// key for the container's terminal).
func (c *cli) runSession(ctx context.Context, s *session) (int, error) {
	if s.tty && s.interactive && isTerminal(c.stdin) {
		restore, err := makeRaw(c.stdin)
		if err != nil {
			return 0, err
		}
		defer restore()
	}
	var winch chan os.Signal
	if s.tty {
		// Subscribe before the start, so that no change is missed.
		winch = make(chan os.Signal, 1)
		signal.Notify(winch, syscall.SIGWINCH)
		defer signal.Stop(winch)
	}
	var sigs chan os.Signal
	if s.sigProxy && !s.tty {
		// Subscribed before the start: a signal that comes between the
		// start and the subscription would otherwise kill the CLI, and
		// with it the container, instead of being forwarded.
		if s.signals == nil {
			s.signals = subscribeUserSignals()
		}
		sigs = s.signals.wait()
	}
	// The signals stay subscribed until the CLI exits: a signal that
	// comes after the session (during the removal of run --rm) is
	// dropped instead of killing the CLI halfway, and signal.Stop would
	// cost a handshake with the runtime's signal thread per signal.
	if err := s.start(ctx); err != nil {
		return 0, startFailure(err)
	}
	done := make(chan struct{})
	var subscriber sync.WaitGroup
	defer subscriber.Wait() // after close(done), deferred below
	defer close(done)
	if sigs != nil {
		// The rare signals. Subscribing one is a handshake with the
		// runtime's signal thread, about 20 µs of two threads: 1.1-1.4 ms
		// for these 50, which a short container would pay on its way
		// out. They are subscribed once the container has run for
		// rareSignalsAfter, and not at all by one that ended before.
		subscriber.Add(1)
		go func() {
			defer subscriber.Done()
			select {
			case <-time.After(rareSignalsAfter):
			case <-done:
				return
			}
			for _, sig := range proxiedSignals() {
				select {
				case <-done:
					return
				default:
					signal.Notify(sigs, sig)
				}
			}
		}()
		go func() {
			for {
				select {
				case sig := <-sigs:
					n, ok := sig.(syscall.Signal)
					if !ok {
						continue
					}
					s.signal(n)
				case <-done:
					return
				}
			}
		}()
	}
	if s.tty {
		// The size at start was given with TtySize; follow changes.
		sendSize := func() {
			if size := c.ttySize(); size.Rows > 0 {
				s.resize(size)
			}
		}
		go func() {
			for {
				select {
				case <-winch:
					sendSize()
				case <-done:
					return
				}
			}
		}()
	}
	st, err := s.wait(ctx)
	if err != nil {
		return 0, err
	}
	return st.Code, nil
}

// rareSignalsAfter is how long a container has run when the CLI
// subscribes to the signals a user rarely sends, to forward them too.
const rareSignalsAfter = 5 * time.Millisecond

// proxiedSignals are the signals forwarded to the container, as docker's
// --sig-proxy does: all but SIGCHLD and SIGPIPE (the CLI's own) and SIGURG
// (the Go runtime's preemption). They are listed rather than caught with
// a bare signal.Notify, which would also deliver every SIGURG the runtime
// sends itself and cost the CLI milliseconds of wake-ups.
func proxiedSignals() []os.Signal {
	var sigs []os.Signal
	for n := syscall.Signal(1); n <= 64; n++ {
		switch n {
		case syscall.SIGKILL, syscall.SIGSTOP, syscall.SIGCHLD, syscall.SIGPIPE, syscall.SIGURG, 32, 33:
			continue
		}
		sigs = append(sigs, n)
	}
	return sigs
}

// ttySize is the size of the CLI's terminal, or zero when it has none.
func (c *cli) ttySize() dock.WindowSize {
	out, _ := c.stdout.(*os.File)
	if rows, cols, ok := termSize(out, c.stdin); ok {
		return dock.WindowSize{Rows: rows, Cols: cols}
	}
	return dock.WindowSize{}
}

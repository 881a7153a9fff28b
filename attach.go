package dock

import (
	"context"
	"io"
)

// AttachOptions are the streams Attach connects and how.
type AttachOptions struct {
	// Stdin is copied to the container's stdin (which needs
	// Config.OpenStdin; without it the input is read and dropped, as
	// Docker does). Nil attaches no input. When Stdin ends, the
	// container's stdin is closed if Config.StdinOnce is set, else it
	// stays open for the next Attach. Attach does not wait for a Read
	// of Stdin in progress when it returns: that goroutine ends when the
	// Read returns (like os/exec's copy of a Stdin that is not a file).
	Stdin io.Reader
	// Stdout and Stderr get the container's output from now on (nil:
	// that stream is not attached). With Config.Tty everything arrives
	// on Stdout. They are written by one goroutine at a time, and never
	// once Attach has returned.
	Stdout, Stderr io.Writer
	// Logs first writes what the log holds (Docker's logs=1), then the
	// live output, with nothing lost or repeated between the two.
	Logs bool
	// DetachKeys is the sequence read from Stdin that ends the Attach
	// with ErrDetached, leaving the container running; nil is Docker's
	// default, ctrl-p ctrl-q; empty (not nil) is none. As with Docker,
	// only a container with Config.Tty is detached from: without a
	// terminal the keys are input like any other. Bytes that begin the
	// sequence are held back until the sequence breaks off, then passed
	// on.
	DetachKeys []byte
	// Attached, when set, is called once, when Attach is attached: no
	// output that comes after the call is missed. For a container that
	// is not running yet, that is before its start (the Engine API
	// answers its attach request then, and docker run sends the start
	// once it has the answer).
	Attached func()
}

// DefaultDetachKeys is Docker's ctrl-p ctrl-q.
var DefaultDetachKeys = []byte{16, 17}

// Attach connects to the streams of a container started detached
// (StartDetached), through its monitor's socket. It returns nil when the
// container's output ends (it exited: Wait tells how), ErrDetached when
// the detach keys were read from Stdin, or ctx's error; the container
// runs on in the last two cases.
//
// A container that is not running (created, or exited) is attached at
// its next start, as Docker's API does (docker run attaches, then
// starts): Attach waits for the start, and the output from the start on
// is all written, even what came before Attach could connect. A paused
// container is refused with ErrPaused, a restarting one with ErrRunning,
// and one that its program started attached (Start) with ErrUnsupported:
// its streams are that program's.
//
// Several Attach calls, in any processes, may be connected at once; each
// gets all the output. The monitor never waits for a client: one that
// falls behind by more than 1 MiB is disconnected, and Attach then
// returns an error (the log holds everything).
func (c *Container) Attach(ctx context.Context, opts AttachOptions) error {
	return c.attachImpl(ctx, opts)
}

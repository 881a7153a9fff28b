package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"sync"
	"syscall"

	"github.com/go-dock/dock"
)

// cmdAttach is docker attach, for the output: it follows the container's
// log (which every container writes, a detached one through its monitor)
// from its end until the container exits, and ends with its exit code, as
// docker attach does. What it does with the keys and signals, and why input
// does not reach the container, is its help's (commandDetails, below).
func cmdAttach(ctx context.Context, c *cli, args []string) error {
	var (
		detachKeys string
		noStdin    bool
		sigProxy   = true
	)
	fs := newFlagSet("attach", true)
	fs.String(&detachKeys, "detach-keys", "Override the key sequence for detaching a container")
	fs.Bool(&noStdin, "no-stdin", "Do not attach STDIN")
	fs.Bool(&sigProxy, "sig-proxy", "Proxy all received signals to the process (default true)")
	args, err := fs.Parse(args)
	if err != nil {
		return err
	}
	if err := needArgs("attach", args, 1, 1); err != nil {
		return err
	}
	keys := defaultDetachKeys
	if detachKeys != "" {
		if keys, err = parseDetachKeys(detachKeys); err != nil {
			//lint:ignore ST1005 docker's words
			return fmt.Errorf("Invalid detach keys (%s) provided", detachKeys)
		}
	}
	ct, done, err := c.openContainer(args[0])
	if err != nil {
		return err
	}
	defer done()
	info, err := ct.Inspect(ctx)
	if err != nil {
		return err
	}
	switch info.State.Status {
	case dock.StatusRunning:
	case dock.StatusPaused:
		//lint:ignore ST1005 docker's words
		return errors.New("You cannot attach to a paused container, unpause it first")
	default:
		//lint:ignore ST1005 docker's words
		return errors.New("You cannot attach to a stopped container, start it first")
	}
	tty := info.Config.Tty
	if tty && !noStdin && !isTerminal(c.stdin) {
		return errors.New("the input device is not a TTY")
	}

	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var ended error // why the attach ended before the container: errDetached, or ^C
	var once sync.Once
	end := func(err error) {
		once.Do(func() { ended = err })
		cancel()
	}
	if tty && !noStdin && info.Config.OpenStdin {
		restore, err := makeRaw(c.stdin)
		if err != nil {
			return err
		}
		defer restore()
		go func() {
			if err := watchKeys(c.stdin, keys); err != nil {
				end(err)
			}
		}()
	}
	if sigProxy && !tty {
		sigs := subscribeUserSignals().wait()
		for _, sig := range proxiedSignals() {
			signal.Notify(sigs, sig)
		}
		go func() {
			for {
				select {
				case sig := <-sigs:
					if n, ok := sig.(syscall.Signal); ok {
						ct.Signal(context.Background(), n)
					}
				case <-ctx.Done():
					return
				}
			}
		}()
	}
	err = ct.Logs(ctx, c.stdout, c.stderr, dock.LogOptions{Follow: true, Tail: dock.TailNone})
	once.Do(func() {}) // no more ends
	switch {
	case errors.Is(ended, errDetached):
		return ended
	case ended != nil:
		return exitCode(130)
	case err != nil:
		return err
	}
	st, err := ct.Wait(ctx)
	if err != nil {
		return err
	}
	return exitCode(st.Code)
}

func init() {
	commandDetails["attach"] = `Attach shows the container's output from now on, a line at a time (a prompt
shows once its line ends), until the container exits, and exits with its
code. Input does not reach the container: a container started with -d has
no stdin to write to, and one started in the foreground reads the stdin of
the dock run that started it. For a container with a terminal and -i, the
keys are read only for the detach keys (ctrl-p ctrl-q, or --detach-keys),
which leave the container running ("read escape sequence", exit 1), and ^C,
which ends the attach too (exit 130). Without a terminal, the signals dock
receives go to the container (--sig-proxy=false turns it off).`
	commandDetails["container attach"] = commandDetails["attach"]
}

// errInterrupted is ^C read from a raw terminal by watchKeys.
var errInterrupted = errors.New("interrupted")

// watchKeys reads the keys typed on the raw terminal in until the detach
// keys (errDetached) or ^C (errInterrupted); it returns nil at the end of
// the input. The other keys are dropped.
func watchKeys(in *os.File, keys []byte) error {
	r := &detachReader{r: in, keys: keys}
	buf := make([]byte, 256)
	for {
		n, err := r.Read(buf)
		for _, b := range buf[:n] {
			if b == 3 {
				return errInterrupted
			}
		}
		if errors.Is(err, errDetached) {
			return err
		}
		if err != nil {
			return nil // the end of the input, or a terminal gone
		}
	}
}

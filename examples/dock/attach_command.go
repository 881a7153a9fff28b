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

// cmdAttach is docker attach. A detached container (run -d, run -it,
// start) is attached through its monitor's socket: its output as it
// comes, the CLI's stdin as its input (with -i, unless --no-stdin), the
// terminal's size, and ctrl-p ctrl-q (or --detach-keys) to leave it
// running. A container that its CLI runs in the foreground (run without
// -it) has its streams there: attach then follows its log, output only.
// It ends with the container's exit code, as docker attach does.
func cmdAttach(ctx context.Context, c *cli, args []string) error {
	var (
		keysFlag string
		noStdin  bool
		sigProxy = true
	)
	fs := newFlagSet("attach", true)
	fs.String(&keysFlag, "detach-keys", "Override the key sequence for detaching a container")
	fs.Bool(&noStdin, "no-stdin", "Do not attach STDIN")
	fs.Bool(&sigProxy, "sig-proxy", "Proxy all received signals to the process (default true)")
	args, err := fs.ParseArgs(args, 1, 1)
	if err != nil {
		return err
	}
	keys, err := detachKeys(keysFlag)
	if err != nil {
		return err
	}
	e, err := c.open()
	if err != nil {
		return err
	}
	defer e.Close()
	ct, err := e.Container(args[0])
	if err != nil {
		return err
	}
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
	if info.State.Detached {
		code, detached, err := c.attachSocket(ctx, socketSession{ct: ct, tty: tty, stdin: !noStdin && info.Config.OpenStdin,
			stdout: true, stderr: true, sigProxy: sigProxy, keys: keys})
		switch {
		case detached:
			// docker attach's words and exit code.
			fmt.Fprintln(c.stderr, dock.ErrDetached)
			return exitCode(1)
		case err != nil:
			return err
		}
		return exitCode(code)
	}
	if keys == nil {
		keys = dock.DefaultDetachKeys
	}

	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var ended error // why the attach ended before the container: dock.ErrDetached, or ^C
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
	case errors.Is(ended, dock.ErrDetached):
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
	commandDetails["attach"] = `Attach connects the terminal to a running container's output and, when it
was started with -i, its input, until it exits; attach then exits with its
code. With a terminal (-t), ctrl-p ctrl-q, or --detach-keys, leave it running
("read escape sequence", exit 1, as docker attach); other keys, ^C included,
go to the container. Without a terminal, the signals dock receives go to the
container (--sig-proxy=false turns it off). A container run in the
foreground without -it has its streams in that dock run: attach then shows
its output only, from its log.`
	commandDetails["container attach"] = commandDetails["attach"]
}

// errInterrupted is ^C read from a raw terminal by watchKeys.
var errInterrupted = errors.New("interrupted")

// watchKeys reads the keys typed on the raw terminal in until the detach
// keys (dock.ErrDetached) or ^C (errInterrupted); it returns nil at the end of
// the input. The other keys are dropped.
func watchKeys(in *os.File, keys []byte) error {
	r := dock.NewDetachReader(in, keys)
	buf := make([]byte, 256)
	for {
		n, err := r.Read(buf)
		for _, b := range buf[:n] {
			if b == 3 {
				return errInterrupted
			}
		}
		if errors.Is(err, dock.ErrDetached) {
			return err
		}
		if err != nil {
			return nil // the end of the input, or a terminal gone
		}
	}
}

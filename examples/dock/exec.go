package main

import (
	"context"
	"errors"
	"fmt"
	"sync/atomic"

	"github.com/go-dock/dock"
)

// cmdExec is docker exec: a process in a running container, attached (its
// exit code is the CLI's) or with -d left running.
// With -it, the detach keys (ctrl-p ctrl-q, or --detach-keys) end the
// session with exit 0, as docker exec's; unlike docker's, the process
// does not run on: its terminal's master lives in the CLI, and the
// process gets the terminal's hangup when the CLI exits (an exec has no
// monitor to keep it).
func cmdExec(ctx context.Context, c *cli, args []string) error {
	var (
		cfg                 dock.ExecConfig
		detach, interactive bool
		envs, envFiles      []string
		keysFlag            string
	)
	fs := newFlagSet("exec", false)
	fs.Bool(&detach, "d,detach", "Detached mode: run command in the background")
	fs.Bool(&interactive, "i,interactive", "Keep STDIN open even if not attached")
	fs.Bool(&cfg.Tty, "t,tty", "Allocate a pseudo-TTY")
	fs.Strings(&envs, "e,env", "Set environment variables")
	fs.Strings(&envFiles, "env-file", "Read in a file of environment variables")
	fs.String(&cfg.User, "u,user", "Username or UID (format: <name|uid>[:<group|gid>])")
	fs.String(&cfg.WorkingDir, "w,workdir", "Working directory inside the container")
	fs.Bool(&cfg.Privileged, "privileged", "Give extended privileges to the command")
	fs.String(&keysFlag, "detach-keys", "Override the key sequence for detaching a container")
	args, err := fs.ParseArgs(args, 2, noMax)
	if err != nil {
		return err
	}
	for _, f := range envFiles {
		data, err := osEnvironment.ReadFile(f)
		if err != nil {
			return err
		}
		lines, err := parseEnvFile(data, osEnvironment.LookupEnv)
		if err != nil {
			return fmt.Errorf("env file %s: %w", f, err)
		}
		cfg.Env = append(cfg.Env, lines...)
	}
	for _, e := range envs {
		kv, ok, err := envEntry(e, osEnvironment.LookupEnv)
		if err != nil {
			return fs.errorf("invalid argument %q for \"-e, --env\" flag: %v", e, err)
		}
		if ok {
			cfg.Env = append(cfg.Env, kv)
		}
	}
	cfg.Cmd = args[1:]
	keys, err := detachKeys(keysFlag)
	if err != nil {
		return err
	}
	if keys == nil {
		keys = dock.DefaultDetachKeys
	}
	if cfg.Tty && interactive && !detach && !isTerminal(c.stdin) {
		return errors.New("the input device is not a TTY")
	}
	ct, done, err := c.openContainer(args[0])
	if err != nil {
		return err
	}
	defer done()
	p := ct.Exec(cfg)
	if detach {
		// The process is waited for by its relay, not by the CLI.
		return startFailure(p.Start(ctx))
	}
	var detached atomic.Bool
	if interactive {
		p.Stdin = c.stdin
		if cfg.Tty && len(keys) > 0 {
			// The detach keys end the session (exit 0, as docker).
			var cancel context.CancelFunc
			ctx, cancel = context.WithCancel(ctx)
			defer cancel()
			d := dock.NewDetachReader(c.stdin, keys)
			p.Stdin = readerFunc(func(b []byte) (int, error) {
				n, err := d.Read(b)
				if errors.Is(err, dock.ErrDetached) {
					detached.Store(true)
					cancel()
				}
				return n, err
			})
		}
	}
	p.Stdout, p.Stderr = c.stdout, c.stderr
	if cfg.Tty {
		p.TtySize = c.ttySize()
	}
	code, err := c.runSession(ctx, &session{
		tty: cfg.Tty, interactive: interactive, sigProxy: true,
		start: p.Start, wait: p.Wait, resize: p.Resize, signal: p.Signal,
	})
	if detached.Load() {
		return nil
	}
	if err != nil {
		return err
	}
	return exitCode(code)
}

// readerFunc is an io.Reader made of a function.
type readerFunc func([]byte) (int, error)

func (f readerFunc) Read(p []byte) (int, error) { return f(p) }

package main

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"math"
	"os"
	"path"
	"strconv"
	"strings"
	"time"

	"github.com/go-dock/dock"
)

// runOptions is what docker run's flags say: the container's configuration
// and how the command line treats it.
type runOptions struct {
	Config      dock.Config
	Detach      bool
	Remove      bool
	Interactive bool
	SigProxy    bool
	// Pull is when to pull the image (missing, always, never), and
	// Platform which one (see ensureImage).
	Pull     string
	Platform string
	// Warnings are docker's warnings about the flags, for stderr.
	Warnings []string
	// Attach are the streams -a names ("stdin", "stdout", "stderr"):
	// none means stdout and stderr, and stdin with -i.
	Attach []string
	// CIDFile is where to write the container's ID (--cidfile).
	CIDFile string
	// DetachKeys is --detach-keys (empty: ctrl-p ctrl-q).
	DetachKeys string
}

// viaMonitor says whether run starts the container detached and attaches
// to it through its monitor (docker run -it): so ctrl-p ctrl-q can leave
// it running, as with docker. The other runs keep the CLI the
// container's parent (no monitor, the fast path).
func (o *runOptions) viaMonitor() bool {
	return o.Config.Tty && o.Interactive && !o.Detach
}

// environment is what parseRun reads besides its arguments: the CLI's
// environment (for -e KEY) and files (for --env-file). Tests give fakes.
type environment struct {
	LookupEnv func(string) (string, bool)
	ReadFile  func(string) ([]byte, error)
}

var osEnvironment = environment{LookupEnv: os.LookupEnv, ReadFile: os.ReadFile}

// parseRun maps the arguments of docker run (or create: cmd) to a
// dock.Config. It does no I/O beyond env, and reports every mistake as a
// *usageError.
func parseRun(cmd string, args []string, env environment) (*runOptions, error) {
	o := &runOptions{SigProxy: true, Pull: "missing"}
	cfg := &o.Config
	fs := newFlagSet(cmd, false)
	var (
		envs, envFiles, labels  []string
		memory, memSwap, memRes string
		stopTimeout             = -1
		entrypoint              *string
		securityOpts            []string
		netf                    netFlags
		hostf                   hostFlags
		logDriver               string
		logOpts                 []string
		restart                 string
		health                  healthFlags
	)
	fs.Bool(&o.Remove, "rm", "Automatically remove the container when it exits")
	if cmd == "run" {
		fs.Bool(&o.Detach, "d,detach", "Run container in background and print container ID")
		fs.Bool(&o.SigProxy, "sig-proxy", "Proxy received signals to the process (default true)")
		fs.String(&o.DetachKeys, "detach-keys", "Override the key sequence for detaching a container")
	}
	fs.Func("a,attach", "Attach to STDIN, STDOUT or STDERR", func(s string) error {
		v, err := parseAttach(s)
		o.Attach = append(o.Attach, v)
		return err
	})
	fs.String(&o.CIDFile, "cidfile", "Write the container ID to the file")
	fs.String(&o.Pull, "pull", `Pull image before running ("always"|"missing"|"never") (default "missing")`)
	fs.String(&o.Platform, "platform", "Set platform if server is multi-platform capable")
	fs.Bool(&o.Interactive, "i,interactive", "Keep STDIN open even if not attached")
	fs.Bool(&cfg.Tty, "t,tty", "Allocate a pseudo-TTY")
	fs.Strings(&envs, "e,env", "Set environment variables (KEY=VALUE, or KEY to take it from this environment)")
	fs.Strings(&envFiles, "env-file", "Read in a file of environment variables")
	fs.Func("v,volume", "Bind mount a volume (SRC:DST[:ro]; SRC absolute: a bind mount, else a named volume)", func(s string) error {
		m, err := parseVolume(s)
		if err == nil {
			cfg.Mounts = append(cfg.Mounts, m)
		}
		return err
	})
	fs.Func("mount", "Attach a filesystem mount (type=bind|volume|tmpfs,source=,target=,readonly)", func(s string) error {
		m, err := parseMount(s)
		if err == nil {
			cfg.Mounts = append(cfg.Mounts, m)
		}
		return err
	})
	fs.Func("tmpfs", "Mount a tmpfs directory (/path[:options])", func(s string) error {
		m, err := parseTmpfs(s)
		if err == nil {
			cfg.Mounts = append(cfg.Mounts, m)
		}
		return err
	})
	fs.String(&cfg.WorkingDir, "w,workdir", "Working directory inside the container")
	fs.String(&cfg.User, "u,user", "Username or UID (format: <name|uid>[:<group|gid>])")
	fs.String(&memory, "m,memory", "Memory limit (bytes, or with a unit: b, k, m, g)")
	fs.String(&memSwap, "memory-swap", "Swap limit equal to memory plus swap: '-1' to enable unlimited swap")
	fs.String(&memRes, "memory-reservation", "Memory soft limit")
	fs.Func("cpus", "Number of CPUs", func(s string) error {
		v, err := strconv.ParseFloat(s, 64)
		if err != nil || v <= 0 || math.IsInf(v, 0) || math.IsNaN(v) {
			return errors.New("want a positive number of CPUs")
		}
		cfg.Resources.CPUs = v
		return nil
	})
	fs.Func("c,cpu-shares", "CPU shares (relative weight)", func(s string) error {
		v, err := strconv.ParseUint(s, 10, 64)
		cfg.Resources.CPUShares = v
		return err
	})
	fs.String(&cfg.Resources.CpusetCpus, "cpuset-cpus", "CPUs in which to allow execution (0-3, 0,1)")
	fs.String(&cfg.Resources.CpusetMems, "cpuset-mems", "MEMs in which to allow execution (0-3, 0,1)")
	fs.Func("pids-limit", "Tune container pids limit (default 2048; set -1 for unlimited)", func(s string) error {
		v, err := strconv.ParseInt(s, 10, 64)
		if v == 0 {
			v = -1 // docker's 0 is no limit; the library's 0 is the default
		}
		cfg.Resources.PIDs = v
		return err
	})
	fs.Func("ulimit", "Ulimit options (name=soft[:hard])", func(s string) error {
		u, err := parseUlimit(s)
		cfg.Ulimits = append(cfg.Ulimits, u)
		return err
	})
	fs.Strings(&cfg.CapAdd, "cap-add", "Add Linux capabilities")
	fs.Strings(&cfg.CapDrop, "cap-drop", "Drop Linux capabilities")
	fs.Strings(&securityOpts, "security-opt", "Security Options")
	fs.Bool(&cfg.ReadOnly, "read-only", "Mount the container's root filesystem as read only")
	fs.Bool(&cfg.Init, "init", "Run an init inside the container that forwards signals and reaps processes")
	fs.String(&cfg.Name, "name", "Assign a name to the container")
	fs.String(&cfg.Hostname, "h,hostname", "Container host name")
	netf.register(fs)
	hostf.register(fs, cfg)
	fs.Bool(&cfg.Privileged, "privileged", "Give extended privileges to this container")
	fs.Func("entrypoint", "Overwrite the default ENTRYPOINT of the image", func(s string) error {
		entrypoint = &s
		return nil
	})
	fs.Func("stop-signal", "Signal to stop the container", func(s string) error {
		if _, ok := dock.ParseSignal(s); !ok {
			return errors.New("unknown signal")
		}
		cfg.StopSignal = s
		return nil
	})
	fs.Int(&stopTimeout, "stop-timeout", "Timeout (in seconds) to stop a container")
	fs.String(&restart, "restart", `Restart policy to apply when a container exits (default "no")`)
	health.register(fs)
	fs.Strings(&cfg.GroupAdd, "group-add", "Add additional groups to join")
	fs.Strings(&labels, "l,label", "Set meta data on a container (KEY=VALUE)")
	fs.String(&logDriver, "log-driver", "Logging driver for the container: json-file or local (both write json-file logs)")
	fs.Strings(&logOpts, "log-opt", "Log driver options: max-size (default 20 MiB; -1 for no limit), max-file (default 5)")

	rest, err := fs.ParseArgs(args, 1, noMax)
	if err != nil {
		return nil, err
	}
	cfg.Image = rest[0]
	if len(rest) > 1 {
		cfg.Cmd = rest[1:]
	}
	cfg.OpenStdin = o.Interactive
	if entrypoint != nil {
		cfg.Entrypoint = []string{*entrypoint} // [""] resets the image's
	}

	for _, f := range envFiles {
		data, err := env.ReadFile(f)
		if err != nil {
			return nil, fs.errorf("open %s: %v", f, errors.Unwrap(err))
		}
		lines, err := parseEnvFile(data, env.LookupEnv)
		if err != nil {
			return nil, fs.errorf("env file %s: %v", f, err)
		}
		cfg.Env = append(cfg.Env, lines...)
	}
	for _, e := range envs {
		kv, ok, err := envEntry(e, env.LookupEnv)
		if err != nil {
			return nil, fs.errorf("invalid argument %q for \"-e, --env\" flag: %v", e, err)
		}
		if ok {
			cfg.Env = append(cfg.Env, kv)
		}
	}
	for _, l := range labels {
		k, v, _ := strings.Cut(l, "=")
		if k == "" {
			return nil, fs.errorf("invalid argument %q for \"-l, --label\" flag: empty key", l)
		}
		if cfg.Labels == nil {
			cfg.Labels = map[string]string{}
		}
		cfg.Labels[k] = v
	}

	if memory != "" {
		if cfg.Resources.Memory, err = parseBytes(memory); err != nil {
			return nil, fs.errorf("invalid argument %q for \"-m, --memory\" flag: %v", memory, err)
		}
	}
	if memRes != "" {
		if cfg.Resources.MemoryReservation, err = parseBytes(memRes); err != nil {
			return nil, fs.errorf("invalid argument %q for \"--memory-reservation\" flag: %v", memRes, err)
		}
	}
	switch memSwap {
	case "":
	case "-1":
		cfg.Resources.MemorySwap = -1
	default:
		if cfg.Resources.MemorySwap, err = parseBytes(memSwap); err != nil {
			return nil, fs.errorf("invalid argument %q for \"--memory-swap\" flag: %v", memSwap, err)
		}
	}
	if cfg.Resources.MemorySwap != 0 && cfg.Resources.Memory == 0 {
		return nil, fs.errorf("you should always set the memory limit when using the memory-swap limit")
	}
	if cfg.Resources.MemorySwap > 0 && cfg.Resources.MemorySwap < cfg.Resources.Memory {
		return nil, fs.errorf("minimum memory-swap limit should be larger than memory limit, see usage")
	}
	if stopTimeout >= 0 {
		d := time.Duration(stopTimeout) * time.Second
		cfg.StopTimeout = &d
	} else if stopTimeout != -1 {
		return nil, fs.errorf("invalid argument \"%d\" for \"--stop-timeout\" flag: negative", stopTimeout)
	}

	if err := applySecurityOpts(cfg, securityOpts, env.ReadFile); err != nil {
		return nil, fs.errorf("%v", err)
	}
	if cfg.Log, err = parseLogOpts(logDriver, logOpts); err != nil {
		return nil, fs.errorf("%v", err)
	}
	if cfg.RestartPolicy, err = parseRestartPolicy(restart); err != nil {
		return nil, fs.errorf("%v", err)
	}
	if o.Remove && !cfg.RestartPolicy.IsNone() {
		return nil, fs.errorf("conflicting options: cannot specify both --restart and --rm")
	}
	if cfg.Healthcheck, err = health.config(); err != nil {
		return nil, fs.errorf("%v", err)
	}
	if err := netf.apply(cfg, func(w string) { o.Warnings = append(o.Warnings, w) }); err != nil {
		return nil, fs.errorf("%v", err)
	}
	if err := hostf.apply(cfg); err != nil {
		return nil, fs.errorf("%v", err)
	}
	if o.Detach && len(o.Attach) > 0 {
		return nil, fs.errorf("conflicting options: cannot specify both --attach and --detach")
	}
	switch o.Pull {
	case "missing", "always", "never":
	default:
		return nil, fs.errorf(`invalid pull option: '%s': must be one of "always", "missing" or "never"`, o.Pull)
	}
	// With -d, the container's monitor removes it when it exits; a
	// created one, whoever starts it (attached: the engine). Attached,
	// run removes it itself.
	cfg.AutoRemove = o.Remove && (o.Detach || cmd == "create" || cmd == "run" && o.viaMonitor())
	// docker run -i (attached): the end of the input closes the
	// container's stdin, also when it comes through an attach socket.
	cfg.StdinOnce = cmd == "run" && o.Interactive && !o.Detach
	return o, nil
}

// envEntry expands one -e value: KEY=VALUE as is, a bare KEY from the
// environment (dropped, as by docker, when it is not set there).
func envEntry(s string, lookup func(string) (string, bool)) (string, bool, error) {
	k, _, hasValue := strings.Cut(s, "=")
	if k == "" {
		return "", false, errors.New("no variable name")
	}
	if strings.ContainsAny(k, " \t") {
		return "", false, fmt.Errorf("variable %q contains whitespaces", k)
	}
	if hasValue {
		return s, true, nil
	}
	if v, ok := lookup(k); ok {
		return k + "=" + v, true, nil
	}
	return "", false, nil
}

// parseEnvFile reads docker's env file format: one KEY=VALUE or KEY per
// line, blank lines and lines starting with # skipped, no quoting.
func parseEnvFile(data []byte, lookup func(string) (string, bool)) ([]string, error) {
	var out []string
	sc := bufio.NewScanner(bytes.NewReader(data))
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimLeft(sc.Text(), " \t")
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		kv, ok, err := envEntry(line, lookup)
		if err != nil {
			return nil, fmt.Errorf("line %d: %v", n, err)
		}
		if ok {
			out = append(out, kv)
		}
	}
	return out, sc.Err()
}

// parseVolume parses -v as the library does (dock.ParseVolume): docker's
// SRC:DST[:OPTS], or DST alone for an anonymous volume.
func parseVolume(s string) (dock.Mount, error) { return dock.ParseVolume(s) }

// parseMount parses --mount: comma-separated key=value fields.
func parseMount(s string) (dock.Mount, error) {
	m := dock.Mount{Type: "volume"}
	for _, field := range strings.Split(s, ",") {
		k, v, hasValue := strings.Cut(field, "=")
		switch strings.ToLower(k) {
		case "type":
			m.Type = v
		case "source", "src":
			m.Source = v
		case "target", "destination", "dst":
			m.Target = v
		case "readonly", "ro":
			ro := true
			if hasValue {
				b, err := strconv.ParseBool(v)
				if err != nil {
					return m, fmt.Errorf("invalid value for %s: %s", k, v)
				}
				ro = b
			}
			m.ReadOnly = ro
		case "tmpfs-size":
			n, err := parseBytes(v)
			if err != nil {
				return m, err
			}
			m.Options = append(m.Options, "size="+strconv.FormatInt(n, 10))
		case "tmpfs-mode":
			if _, err := strconv.ParseUint(v, 8, 32); err != nil {
				return m, fmt.Errorf("invalid value for tmpfs-mode: %s", v)
			}
			m.Options = append(m.Options, "mode="+v)
		case "volume-nocopy":
			nocopy := true
			if hasValue {
				b, err := strconv.ParseBool(v)
				if err != nil {
					return m, fmt.Errorf("invalid value for %s: %s", k, v)
				}
				nocopy = b
			}
			m.NoCopy = nocopy
		default:
			return m, fmt.Errorf("unexpected key %q in %q", k, field)
		}
	}
	switch m.Type {
	case "bind", "volume", "tmpfs":
	default:
		return m, fmt.Errorf("invalid mount type %q: want bind, volume or tmpfs", m.Type)
	}
	if m.Target == "" {
		return m, errors.New("target is required")
	}
	if m.Type == "bind" && m.Source == "" {
		return m, errors.New("source is required for a bind mount")
	}
	if m.Type == "tmpfs" && m.Source != "" {
		return m, errors.New("source is not allowed for a tmpfs mount")
	}
	if m.Type != "tmpfs" && len(m.Options) > 0 {
		return m, fmt.Errorf("tmpfs options are only allowed with type=tmpfs")
	}
	if m.Type != "volume" && m.NoCopy {
		return m, fmt.Errorf("volume-nocopy is only allowed with type=volume")
	}
	return m, nil
}

// parseTmpfs parses --tmpfs /path[:opt,opt].
func parseTmpfs(s string) (dock.Mount, error) {
	target, opts, _ := strings.Cut(s, ":")
	if !path.IsAbs(target) {
		return dock.Mount{}, fmt.Errorf("invalid tmpfs: %q: the path must be absolute", s)
	}
	m := dock.Mount{Type: "tmpfs", Target: target}
	if opts != "" {
		m.Options = strings.Split(opts, ",")
	}
	return m, nil
}

// cmdRun is docker run.
func cmdRun(ctx context.Context, c *cli, args []string) error {
	o, err := parseRun("run", args, osEnvironment)
	if err != nil {
		return err
	}
	if o.Config.Tty && o.Interactive && !o.Detach && !isTerminal(c.stdin) {
		return &statusError{code: 1, err: errors.New("the input device is not a TTY")} // docker's 1, not 125
	}
	keys, err := detachKeys(o.DetachKeys)
	if err != nil {
		return &statusError{code: 125, err: err}
	}
	var signals *userSignals
	if o.SigProxy && !o.Config.Tty && !o.Detach {
		// Subscribed while the engine opens and creates.
		signals = subscribeUserSignals()
	}
	e, err := c.open()
	if err != nil {
		return err
	}
	defer e.Close()
	if err := c.ensureImage(ctx, e, o); err != nil {
		return err
	}
	ct, err := c.create(ctx, e, o)
	if err != nil {
		return err
	}
	if o.Detach {
		if err := ct.StartDetached(ctx); err != nil {
			if o.Remove {
				// As docker: a container that never ran is not kept.
				ct.Remove(context.WithoutCancel(ctx), dock.RemoveForce(), dock.RemoveVolumes())
			}
			return startFailure(err)
		}
		fmt.Fprintln(c.stdout, ct.ID())
		return nil
	}
	if o.viaMonitor() {
		return c.runViaMonitor(ctx, ct, o, keys)
	}
	code, err := c.attachStreams(ctx, ct, o.streams(), o.Config.Tty, o.SigProxy, signals)
	if o.Remove {
		// docker run --rm takes the anonymous volumes along, not the
		// named ones.
		if rerr := ct.Remove(context.WithoutCancel(ctx), dock.RemoveForce(), dock.RemoveVolumes()); rerr != nil && err == nil {
			fmt.Fprintf(c.stderr, "dock: %v\n", rerr)
		}
	}
	if err != nil {
		return err
	}
	return exitCode(code)
}

// runViaMonitor is docker run -it: the container starts detached once
// the CLI is attached to it through its monitor; ctrl-p ctrl-q leave it
// running (exit 0, as docker run). With --rm its monitor removes it at
// its exit (Wait still tells its exit code).
func (c *cli) runViaMonitor(ctx context.Context, ct *dock.Container, o *runOptions, keys []byte) error {
	ct.TtySize = c.ttySize()
	s := o.streams()
	code, detached, err := c.attachSocket(ctx, socketSession{ct: ct, tty: true, stdin: s.stdin, stdout: s.stdout, stderr: s.stderr,
		keys: keys, start: ct.StartDetached})
	switch {
	case detached:
		return nil
	case err != nil:
		if st, serr := ct.State(ctx); o.Remove && serr == nil && st.Status == dock.StatusCreated {
			// As docker: a container that never ran is not kept.
			ct.Remove(context.WithoutCancel(ctx), dock.RemoveForce(), dock.RemoveVolumes())
		}
		return err
	}
	return exitCode(code)
}

// startFailure maps a failed start to docker's exit code: the
// *dock.StartError's (126, 127) when the command could not run, else the
// command's failure code (125 for run). A host port in use is told in
// docker's words.
func startFailure(err error) error {
	var se *dock.StartError
	if errors.As(err, &se) {
		return &statusError{code: se.Code, err: err}
	}
	if errors.Is(err, dock.ErrPortAllocated) {
		return fmt.Errorf("failed to set up container networking: %s", portAllocated(err))
	}
	return err
}

// portAllocated is the text of the innermost error of err's chain that
// wraps dock.ErrPortAllocated: docker's "Bind for 0.0.0.0:8080 failed:
// port is already allocated", without what the library adds around it.
func portAllocated(err error) string {
	text := err.Error()
	for err != nil {
		var next []error
		switch u := err.(type) {
		case interface{ Unwrap() error }:
			next = []error{u.Unwrap()}
		case interface{ Unwrap() []error }:
			next = u.Unwrap()
		}
		err = nil
		for _, n := range next {
			if n != dock.ErrPortAllocated && errors.Is(n, dock.ErrPortAllocated) {
				text, err = n.Error(), n
				break
			}
		}
	}
	return text
}

// cmdCreate is docker create: it prints the new container's ID.
func cmdCreate(ctx context.Context, c *cli, args []string) error {
	o, err := parseRun("create", args, osEnvironment)
	if err != nil {
		return err
	}
	e, err := c.open()
	if err != nil {
		return err
	}
	defer e.Close()
	if err := c.ensureImage(ctx, e, o); err != nil {
		return err
	}
	ct, err := c.create(ctx, e, o)
	if err != nil {
		return err
	}
	fmt.Fprintln(c.stdout, ct.ID())
	return nil
}

// create is the creation of run and create: the container, its ID in
// the --cidfile, the warnings on stderr (the flags', then the library's,
// as docker prints its daemon's).
func (c *cli) create(ctx context.Context, e *dock.Engine, o *runOptions) (*dock.Container, error) {
	cid, err := newCIDFile(o.CIDFile)
	if err != nil {
		return nil, err
	}
	defer cid.close()
	ct, err := e.Create(ctx, o.Config)
	if err != nil {
		return nil, err
	}
	for _, w := range o.Warnings {
		fmt.Fprintln(c.stderr, w)
	}
	for _, w := range ct.Warnings() {
		fmt.Fprintln(c.stderr, "WARNING:", w)
	}
	if err := cid.write(ct.ID()); err != nil {
		return nil, err
	}
	return ct, nil
}

// streams are the streams run attaches: those of -a, else stdout and
// stderr; stdin with -i in both cases, as docker.
func (o *runOptions) streams() streams {
	s := streams{stdin: o.Interactive}
	if len(o.Attach) == 0 {
		s.stdout, s.stderr = true, true
	}
	for _, a := range o.Attach {
		switch a {
		case "stdin":
			s.stdin = true
		case "stdout":
			s.stdout = true
		case "stderr":
			s.stderr = true
		}
	}
	return s
}

// cmdStart is docker start: detached (a monitor process waits for the
// container), or with -a attached, the CLI being the container's parent.
func cmdStart(ctx context.Context, c *cli, args []string) error {
	var attach, interactive bool
	var keysFlag string
	fs := newFlagSet("start", true)
	fs.Bool(&attach, "a,attach", "Attach STDOUT/STDERR and forward signals")
	fs.Bool(&interactive, "i,interactive", "Attach container's STDIN")
	fs.String(&keysFlag, "detach-keys", "Override the key sequence for detaching a container")
	args, err := fs.ParseArgs(args, 1, noMax)
	if err != nil {
		return err
	}
	if !attach && !interactive {
		return c.forEach(ctx, args, func(ctx context.Context, _ *dock.Engine, ct *dock.Container) error {
			return ct.StartDetached(ctx)
		})
	}
	if len(args) > 1 {
		return errors.New("you cannot start and attach multiple containers at once")
	}
	keys, err := detachKeys(keysFlag)
	if err != nil {
		return err
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
	interactive = interactive && info.Config.OpenStdin
	if info.Config.Tty && interactive && isTerminal(c.stdin) {
		// As run -it: detached, so that ctrl-p ctrl-q can leave it
		// running (exit 0, as docker start).
		ct.TtySize = c.ttySize()
		code, detached, err := c.attachSocket(ctx, socketSession{ct: ct, tty: true, stdin: true, stdout: true, stderr: true,
			keys: keys, start: ct.StartDetached})
		if detached {
			return nil
		}
		if err != nil {
			return err
		}
		return exitCode(code)
	}
	code, err := c.attach(ctx, ct, info.Config.Tty, interactive, true, nil)
	if err != nil {
		return err
	}
	return exitCode(code)
}

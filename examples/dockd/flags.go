package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strings"
	"time"
)

// defaultRoot is the engine's state directory when neither --root nor
// $DOCK_ROOT names one: the dock CLI's, so that both see the same
// containers.
const defaultRoot = "/var/lib/dock"

// config is what the command line asks for.
type config struct {
	hosts       []host
	root        string
	group       string
	groupSet    bool // --group given: a missing group is an error, not a warning
	logLevel    slog.Level
	tls         tlsFiles
	insecureTCP bool
	insecureReg []string
	// shutdownTimeout bounds how long a stop waits for requests in flight
	// (a pull, a build, a follow of logs) before it cuts them.
	shutdownTimeout time.Duration
}

// tlsFiles are the mutual TLS flags, Docker's names.
type tlsFiles struct {
	verify            bool
	caCert, cert, key string
}

// listFlag collects every occurrence of a repeated flag.
type listFlag []string

func (l *listFlag) String() string     { return strings.Join(*l, ",") }
func (l *listFlag) Set(s string) error { *l = append(*l, s); return nil }

// parseFlags reads the command line (Go's flag syntax: -H and --H alike).
func parseFlags(args []string, stderr io.Writer) (*config, error) {
	cfg := &config{root: os.Getenv("DOCK_ROOT")}
	if cfg.root == "" {
		cfg.root = defaultRoot
	}
	fs := flag.NewFlagSet("dockd", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var hosts, insecure listFlag
	var level string
	fs.Var(&hosts, "H", "Socket to listen on, repeatable: unix:///path or tcp://host:port (default "+defaultUnixHost+")")
	fs.Var(&hosts, "host", "Same as -H")
	fs.StringVar(&cfg.root, "root", cfg.root, "Root of the engine's state directory (default $DOCK_ROOT, else "+defaultRoot+")")
	fs.StringVar(&cfg.group, "group", defaultGroup, "Group that owns the unix sockets (mode 0660); \"\" for root's")
	fs.StringVar(&level, "log-level", "info", "Log level: debug, info, warn or error")
	fs.BoolVar(&cfg.tls.verify, "tlsverify", false, "Serve TCP with TLS and require client certificates signed by --tlscacert")
	fs.StringVar(&cfg.tls.caCert, "tlscacert", "", "CA certificate that client certificates must be signed by (PEM)")
	fs.StringVar(&cfg.tls.cert, "tlscert", "", "The server's TLS certificate (PEM)")
	fs.StringVar(&cfg.tls.key, "tlskey", "", "The server's TLS key (PEM)")
	fs.BoolVar(&cfg.insecureTCP, "insecure-tcp", false, "Allow tcp:// without --tlsverify: anyone who can reach the port gets root on this machine")
	fs.Var(&insecure, "insecure-registry", "Registry reached over plain HTTP or unverified HTTPS, repeatable (loopback registries always are)")
	fs.DurationVar(&cfg.shutdownTimeout, "shutdown-timeout", 15*time.Second, "How long a stop waits for requests in flight")
	fs.Usage = func() {
		fmt.Fprintf(fs.Output(), "Usage: dockd [OPTIONS]\n\nServes Docker's Engine API over a dock engine.\n\nOptions:\n")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return nil, err
	}
	if fs.NArg() > 0 {
		return nil, fmt.Errorf("unexpected argument %q", fs.Arg(0))
	}
	fs.Visit(func(f *flag.Flag) {
		if f.Name == "group" {
			cfg.groupSet = true
		}
	})
	if err := cfg.logLevel.UnmarshalText([]byte(level)); err != nil {
		return nil, fmt.Errorf("--log-level %q: want debug, info, warn or error", level)
	}
	if cfg.root == "" {
		return nil, errors.New("--root: empty path")
	}
	if cfg.shutdownTimeout < 0 {
		return nil, errors.New("--shutdown-timeout: negative duration")
	}
	cfg.insecureReg = insecure
	if len(hosts) == 0 {
		hosts = listFlag{defaultUnixHost}
	}
	for _, h := range hosts {
		p, err := parseHost(h)
		if err != nil {
			return nil, err
		}
		cfg.hosts = append(cfg.hosts, p.withPort(cfg.tls.verify))
	}
	if err := cfg.checkTCP(); err != nil {
		return nil, err
	}
	return cfg, nil
}

// checkTCP refuses what would expose the engine on the network without
// mutual TLS, unless --insecure-tcp says so.
func (c *config) checkTCP() error {
	t := c.tls
	if t.verify && (t.caCert == "" || t.cert == "" || t.key == "") {
		return errors.New("--tlsverify needs --tlscacert, --tlscert and --tlskey")
	}
	if !t.verify && (t.caCert != "" || t.cert != "" || t.key != "") {
		return errors.New("--tlscacert, --tlscert and --tlskey need --tlsverify (dockd serves TLS only with client certificates)")
	}
	for _, h := range c.hosts {
		if h.network == "tcp" && !t.verify && !c.insecureTCP {
			return fmt.Errorf("-H %s: TCP without --tlsverify gives root on this machine to everyone who can reach the port; use mutual TLS (--tlsverify --tlscacert --tlscert --tlskey), or --insecure-tcp if you mean it", h)
		}
	}
	return nil
}

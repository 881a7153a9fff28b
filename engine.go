package dock

import (
	"errors"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"net/http"
	"net/netip"
	"os"
	"path/filepath"
	"slices"
	"sync"

	"github.com/go-dock/dock/internal/store"
	"golang.org/x/sys/unix"
)

// Engine is a handle on a state directory: an OCI image layout plus the
// unpacked layers, containers and volumes that live beside it.
//
// An Engine is safe for use by many goroutines, and several processes may
// open the same root at once: every change takes an exclusive file lock on
// the root, and every file that a reader may see is written to tmp/ and
// renamed into place, so readers never see partial state.
type Engine struct {
	root string
	log  *slog.Logger

	// mu serialises this process's changes; the file lock (lockFile)
	// serialises them against other processes.
	mu       sync.Mutex
	lockFile *os.File
	closed   bool

	// store is the image store: the OCI layout and unpacked layers.
	store *store.Store

	// reg reaches registries for Pull and Push (registry.go).
	reg *registry

	// run tracks the containers this Engine value started (made once).
	runOnce sync.Once
	run     *running
	// watches take back the network of the detached containers this
	// Engine value started, at their exit.
	watches netWatches

	// containers keeps what Containers read of each container.
	containers containerCache

	// hostNets, when set (by tests), replaces hostNetworks' reading of
	// the host's routes and nameservers.
	hostNets func() []netip.Prefix
}

// Option configures Open.
type Option func(*options) error

type options struct {
	logger   *slog.Logger
	registry RegistryConfig
}

// RegistryConfig is how the engine reaches registries for Pull and Push.
// The zero value is Docker's default: HTTPS to every registry but loopback
// ones (127.0.0.0/8, ::1, localhost: plain HTTP when HTTPS gets no answer),
// no mirrors, credentials from Docker's config.json, Go's default transport.
type RegistryConfig struct {
	// Insecure lists the registries reached over plain HTTP, or over HTTPS
	// without certificate checks, as Docker's insecure-registries:
	// "host[:port]", or a CIDR such as "10.0.0.0/8" for IP-literal hosts.
	Insecure []string
	// Mirrors maps a registry ("docker.io", "host[:port]") to the base URLs
	// of its mirrors ("https://mirror.example.com"), tried in order, once
	// each, before the registry itself by Pull (never by Push).
	Mirrors map[string][]string
	// DockerConfig is the path of Docker's config.json, whose auths,
	// credsStore and credHelpers give the credentials of registries.
	// Default: $DOCKER_CONFIG/config.json, else ~/.docker/config.json.
	// WithCredentials overrides it for one call.
	DockerConfig string
	// Transport sends the HTTP requests (nil: a clone of
	// http.DefaultTransport). The certificate checks of an *http.Transport
	// are turned off for the Insecure hosts only; any other RoundTripper is
	// used as it is.
	Transport http.RoundTripper
}

// WithRegistryConfig sets how the engine reaches registries; see
// RegistryConfig for the defaults. A malformed entry (a mirror that is not
// an http or https URL without a path, an Insecure entry that is neither a
// host nor a CIDR) makes Open fail with an error wrapping ErrInvalid. The
// slices and the map are copied.
func WithRegistryConfig(c RegistryConfig) Option {
	return func(o *options) error {
		c.Insecure = slices.Clone(c.Insecure)
		c.Mirrors = maps.Clone(c.Mirrors)
		o.registry = c
		return nil
	}
}

// WithLogger makes the engine log what it does to l. By default it is
// silent.
func WithLogger(l *slog.Logger) Option {
	return func(o *options) error {
		if l == nil {
			return invalidf("WithLogger: nil logger")
		}
		o.logger = l
		return nil
	}
}

// Open opens the state directory root, creating it and its layout when it
// does not exist, and finishes the container removals that a killed
// process left midway. Close releases it.
func Open(root string, opts ...Option) (*Engine, error) {
	var o options
	for _, opt := range opts {
		if err := opt(&o); err != nil {
			return nil, err
		}
	}
	if o.logger == nil {
		o.logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	if root == "" {
		return nil, invalidf("open engine: empty root")
	}
	abs, err := filepath.Abs(root)
	if err != nil {
		return nil, fmt.Errorf("open engine: %w", err)
	}
	for _, dir := range []string{"", "blobs/sha256", "layers", "containers", "volumes", "networks", "events", "tmp"} {
		if err := os.MkdirAll(filepath.Join(abs, dir), 0o711); err != nil {
			return nil, fmt.Errorf("open engine: %w", err)
		}
	}
	if err := makeInitLayer(abs); err != nil {
		return nil, fmt.Errorf("open engine: %w", err)
	}
	lf, err := os.OpenFile(filepath.Join(abs, "lock"), os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("open engine: %w", err)
	}
	e := &Engine{root: abs, log: o.logger, lockFile: lf}
	if e.reg, err = newRegistry(o.registry); err != nil {
		lf.Close()
		return nil, fmt.Errorf("open engine: %w", err)
	}
	if e.store, err = store.Open(abs, e.locked); err != nil {
		lf.Close()
		return nil, fmt.Errorf("open engine: %w", err)
	}
	e.sweepRemovals()
	return e, nil
}

// Root returns the absolute path of the state directory.
func (e *Engine) Root() string { return e.root }

// Close releases the engine. Containers keep running; another Open of the
// same root finds them. The detached containers it started have their
// network taken back by their monitors from then on (see StartDetached).
// Close is safe to call more than once.
func (e *Engine) Close() error {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.closed {
		return nil
	}
	e.closed = true
	e.watches.close()
	return e.lockFile.Close()
}

// locked runs fn holding both the in-process mutex and the root's file
// lock, so that no other goroutine or process changes the state meanwhile.
func (e *Engine) locked(fn func() error) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.closed {
		return ErrClosed
	}
	fd := int(e.lockFile.Fd())
	for {
		err := unix.Flock(fd, unix.LOCK_EX)
		if err == nil {
			break
		}
		if !errors.Is(err, unix.EINTR) {
			return fmt.Errorf("lock %s: %w", e.root, err)
		}
	}
	defer unix.Flock(fd, unix.LOCK_UN)
	return fn()
}

// path joins elements under the root. Only for names the engine made or
// validated (digests, ids, volume names), never for names from an image.
func (e *Engine) path(elem ...string) string {
	return filepath.Join(append([]string{e.root}, elem...)...)
}

// writeFileAtomic writes data to name through a temporary file in tmp/ and
// a rename, so that a reader sees the old content or the new, never a part.
func (e *Engine) writeFileAtomic(name string, data []byte, perm os.FileMode) (err error) {
	f, err := os.CreateTemp(e.path("tmp"), "write-*")
	if err != nil {
		return err
	}
	tmp := f.Name()
	defer func() {
		if err != nil {
			os.Remove(tmp)
		}
	}()
	if _, err := f.Write(data); err != nil {
		f.Close()
		return err
	}
	if err := f.Chmod(perm); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	return os.Rename(tmp, name)
}

package registrytest

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// BinaryPath is where Debian's docker-registry package installs the
// registry (distribution 2.8).
const BinaryPath = "/usr/bin/docker-registry"

// HtpasswdPath is where Debian's apache2-utils installs htpasswd, which
// WithBasicAuth uses to write the bcrypt password file the registry needs.
const HtpasswdPath = "/usr/bin/htpasswd"

// BasicRealm is the realm of the registry's basic auth challenge.
const BasicRealm = "registrytest"

// Timeouts of the registry process.
const (
	startTimeout = 20 * time.Second // until GET /v2/ answers
	stopTimeout  = 10 * time.Second // from SIGTERM to SIGKILL
	startTries   = 5                // fresh ports when one was taken meanwhile
)

// instanceHeader is set by the registry on every response (its config's
// http.headers) to a value unique to the process, so that Start knows it
// talks to its own registry and not to whatever else took the port.
const instanceHeader = "X-Registrytest-Instance"

// A Registry is a running registry process. Its fields are read-only; its
// methods are safe for concurrent use.
type Registry struct {
	// Host is "127.0.0.1:port", the registry part of an image reference.
	Host string
	// URL is "http://" + Host.
	URL string
	// StorageDir is the root directory of the registry's filesystem storage,
	// fresh for every registry.
	StorageDir string
	// LogFile receives the registry's output (level info: a line or two per
	// request). Its tail is logged when the test fails.
	LogFile string
	// TokenURL is the realm of the token server (WithTokenAuth), or "".
	TokenURL string

	user, pass string       // WithBasicAuth
	tokens     *tokenServer // WithTokenAuth
	cmd        *exec.Cmd
	done       chan struct{} // closed when the process has been waited for
	waitErr    error         // set before done is closed
	stopOnce   sync.Once
	stopped    chan struct{} // closed when Stop began
}

// An Option configures Start.
type Option func(*options)

type options struct {
	basicUser, basicPass string
	basic, token         bool
	tokenUsers           map[string]tokenUser
	tokenTTL             time.Duration
}

// WithBasicAuth makes the registry demand HTTP basic auth for user and
// pass (htpasswd, bcrypt). It needs HtpasswdPath; without it the test skips,
// or fails when CI=true. It cannot be combined with WithTokenAuth.
func WithBasicAuth(user, pass string) Option {
	return func(o *options) { o.basic, o.basicUser, o.basicPass = true, user, pass }
}

// WithTokenAuth makes the registry demand bearer tokens (docker's token
// auth) from a token server that Start runs on 127.0.0.1: service
// TokenService, issuer TokenIssuer, tokens signed with an ECDSA P-256 key
// made for this registry. Without WithTokenUser the token server grants every
// requested scope to anyone, with or without (any) credentials; with it, see
// WithTokenUser.
func WithTokenAuth() Option {
	return func(o *options) { o.token = true }
}

// WithTokenUser implies WithTokenAuth and adds a user of the token server
// with password pass, who is granted the requested actions among allowed
// ("pull", "push", "delete"; "*" allows all) on every repository. Once a
// user is configured, anonymous requests get tokens without access, and
// wrong credentials get 401.
func WithTokenUser(user, pass string, allowed ...string) Option {
	return func(o *options) {
		o.token = true
		if o.tokenUsers == nil {
			o.tokenUsers = make(map[string]tokenUser)
		}
		o.tokenUsers[user] = tokenUser{pass: pass, allowed: allowed}
	}
}

// WithTokenTTL sets how long the tokens of the token server are valid
// (expires_in). The default is 5 minutes.
func WithTokenTTL(d time.Duration) Option {
	return func(o *options) { o.tokenTTL = d }
}

// Start runs the registry at BinaryPath on 127.0.0.1 with a free port and
// storage in t.TempDir(), and returns once GET /v2/ answers. t.Cleanup stops
// it (SIGTERM, then SIGKILL after 10 s) and, when the test failed, logs the
// tail of its log. Without the binary the test skips, or fails when CI=true.
// On Linux the registry also dies with the test binary (parent-death signal).
func Start(t testing.TB, opts ...Option) *Registry {
	t.Helper()
	var o options
	for _, opt := range opts {
		opt(&o)
	}
	if o.basic && o.token {
		t.Fatal("registrytest.Start: WithBasicAuth and WithTokenAuth exclude each other")
	}
	if _, err := os.Stat(BinaryPath); err != nil {
		missing(t, "registry binary missing (apt-get install docker-registry): %v", err)
	}
	dir := t.TempDir()
	r := &Registry{
		StorageDir: filepath.Join(dir, "storage"),
		LogFile:    filepath.Join(dir, "registry.log"),
		done:       make(chan struct{}),
		stopped:    make(chan struct{}),
	}
	var auth string
	switch {
	case o.basic:
		path := filepath.Join(dir, "htpasswd")
		if err := writeHtpasswd(t, path, o.basicUser, o.basicPass); err != nil {
			t.Fatalf("registrytest.Start: %v", err)
		}
		r.user, r.pass = o.basicUser, o.basicPass
		auth = fmt.Sprintf("auth:\n  htpasswd:\n    realm: %s\n    path: %s\n", BasicRealm, strconv.Quote(path))
	case o.token:
		ts, err := newTokenServer(o.tokenUsers, o.tokenTTL)
		if err != nil {
			t.Fatalf("registrytest.Start: %v", err)
		}
		t.Cleanup(ts.close) // runs after the registry's cleanup
		bundle := filepath.Join(dir, "token-ca.pem")
		if err := os.WriteFile(bundle, ts.certPEM, 0o600); err != nil {
			t.Fatalf("registrytest.Start: %v", err)
		}
		r.tokens, r.TokenURL = ts, ts.realm()
		auth = fmt.Sprintf("auth:\n  token:\n    realm: %s\n    service: %s\n    issuer: %s\n    rootcertbundle: %s\n",
			strconv.Quote(r.TokenURL), TokenService, TokenIssuer, strconv.Quote(bundle))
	}

	var lastErr error
	for range startTries {
		err := r.start(dir, auth)
		if err == nil {
			t.Cleanup(func() { r.cleanup(t) }) // before t.TempDir's removal
			return r
		}
		lastErr = err
		if !errors.Is(err, errPortTaken) {
			break
		}
	}
	t.Fatalf("registrytest.Start: %v\n%s", lastErr, logTail(r.LogFile, 40))
	return nil
}

var errPortTaken = errors.New("port taken")

// start runs one registry process on a fresh port and waits until it
// answers. After an error the process has been waited for.
func (r *Registry) start(dir, auth string) error {
	port, err := freePort()
	if err != nil {
		return err
	}
	id := randomHex(16)
	r.Host = net.JoinHostPort("127.0.0.1", strconv.Itoa(port))
	r.URL = "http://" + r.Host
	config := filepath.Join(dir, "config.yml")
	text := fmt.Sprintf(configTemplate, strconv.Quote(r.StorageDir), r.Host, randomHex(32), instanceHeader, id) + auth
	if err := os.WriteFile(config, []byte(text), 0o600); err != nil {
		return err
	}
	logf, err := os.OpenFile(r.LogFile, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o600)
	if err != nil {
		return err
	}
	defer logf.Close() // the child has its own copy
	cmd := exec.Command(BinaryPath, "serve", config)
	cmd.Dir = dir
	cmd.Env = registryEnv()
	cmd.Stdout, cmd.Stderr = logf, logf
	cmd.SysProcAttr = sysProcAttr()
	done := make(chan struct{})
	r.cmd, r.done = cmd, done
	if err := startLocked(cmd, func(err error) { r.waitErr = err; close(done) }); err != nil {
		return fmt.Errorf("start %s: %w", BinaryPath, err)
	}
	if err := r.waitReady(id); err != nil {
		r.kill()
		if strings.Contains(logTail(r.LogFile, 20), "address already in use") {
			return fmt.Errorf("%w: %w", errPortTaken, err)
		}
		return err
	}
	return nil
}

// configTemplate is the registry's config: loopback only, fresh storage,
// no upload purging (no background work), delete enabled.
const configTemplate = `version: 0.1
log:
  level: info
  formatter: text
  accesslog:
    disabled: true
storage:
  filesystem:
    rootdirectory: %s
  delete:
    enabled: true
  maintenance:
    uploadpurging:
      enabled: false
http:
  addr: %s
  secret: %s
  headers:
    X-Content-Type-Options: [nosniff]
    %s: [%s]
`

// waitReady polls GET /v2/ until the registry with the instance id answers
// (200 or 401), the process exits, or startTimeout passes.
func (r *Registry) waitReady(id string) error {
	client := &http.Client{Timeout: time.Second, Transport: &http.Transport{DisableKeepAlives: true}}
	deadline := time.Now().Add(startTimeout)
	for {
		resp, err := client.Get(r.URL + "/v2/")
		if err == nil {
			resp.Body.Close()
			if resp.Header.Get(instanceHeader) == id {
				return nil
			}
		}
		select {
		case <-r.done:
			return fmt.Errorf("registry exited before it answered: %v", r.waitErr)
		case <-time.After(20 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("registry did not answer GET %s/v2/ within %v (last error: %v)", r.URL, startTimeout, err)
		}
	}
}

// startLocked starts cmd from a goroutine locked to its OS thread, which
// lives until the process has been waited for: the parent-death signal
// (sysProcAttr) fires when the thread that started the child ends, and a
// thread of the Go runtime may end at any time.
func startLocked(cmd *exec.Cmd, exited func(error)) error {
	started := make(chan error, 1)
	go func() {
		runtime.LockOSThread() // never unlocked: the thread ends with the goroutine
		if err := cmd.Start(); err != nil {
			started <- err
			return
		}
		started <- nil
		exited(cmd.Wait())
	}()
	return <-started
}

// Pid returns the process id of the registry.
func (r *Registry) Pid() int { return r.cmd.Process.Pid }

// Stop stops the registry: SIGTERM, then SIGKILL after 10 seconds, and
// waits for it. It is safe to call more than once; t.Cleanup calls it.
func (r *Registry) Stop() {
	r.stopOnce.Do(func() {
		close(r.stopped)
		_ = r.cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-r.done:
		case <-time.After(stopTimeout):
			r.kill()
		}
	})
}

func (r *Registry) kill() {
	_ = r.cmd.Process.Kill()
	<-r.done
}

func (r *Registry) cleanup(t testing.TB) {
	select {
	case <-r.done:
		select {
		case <-r.stopped:
		default:
			t.Errorf("registry %s exited during the test: %v", r.Host, r.waitErr)
		}
	default:
	}
	r.Stop()
	if t.Failed() {
		t.Logf("registry %s log %s:\n%s", r.Host, r.LogFile, logTail(r.LogFile, 40))
	}
}

// registryEnv is the test's environment without REGISTRY_* variables, which
// would override the registry's config.
func registryEnv() []string {
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "REGISTRY_") {
			env = append(env, kv)
		}
	}
	return env
}

func writeHtpasswd(t testing.TB, path, user, pass string) error {
	t.Helper()
	if _, err := os.Stat(HtpasswdPath); err != nil {
		missing(t, "htpasswd missing (apt-get install apache2-utils): %v", err)
	}
	// -i reads the password from stdin; -C 4 is the cheapest bcrypt cost.
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, HtpasswdPath, "-n", "-i", "-B", "-C", "4", user)
	cmd.Stdin = strings.NewReader(pass)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return fmt.Errorf("htpasswd: %w: %s", err, stderr.Bytes())
	}
	return os.WriteFile(path, out, 0o600)
}

// freePort returns a TCP port that was free on 127.0.0.1 a moment ago.
func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// logTail returns the last n lines of the file at path.
func logTail(path string, n int) string {
	b, err := os.ReadFile(path)
	if err != nil {
		return fmt.Sprintf("(no log: %v)", err)
	}
	lines := strings.Split(strings.TrimRight(string(b), "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b) // never fails
	return hex.EncodeToString(b)
}

// missing skips the test with reason, or fails it when CI=true.
func missing(t testing.TB, format string, args ...any) {
	t.Helper()
	reason := fmt.Sprintf(format, args...)
	if os.Getenv("CI") == "true" {
		t.Fatalf("CI=true and %s", reason)
	}
	t.Skip(reason)
}

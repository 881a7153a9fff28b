// Package testutil holds helpers for the tests of dock and its internal
// packages: a minimal busybox root filesystem, tar builders for hostile
// archives, and skip-or-fail rules for what a test needs.
//
// A test that needs something the machine lacks skips with a reason, or
// fails when the environment variable CI is "true": in CI, every test runs.
package testutil

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"

	"github.com/go-dock/dock/internal/archive"
)

// BusyboxPath is where Debian's busybox-static installs its binary.
const BusyboxPath = "/bin/busybox"

// rootfsVersion changes whenever the layout built by buildRootfs changes,
// so that a cached tree of an older layout is not reused.
const rootfsVersion = "1"

// InCI reports whether the tests run in CI (CI=true), where a missing
// requirement is a failure rather than a skip.
func InCI() bool { return os.Getenv("CI") == "true" }

// Missing skips the test with reason, or fails it in CI.
func Missing(t testing.TB, reason string) {
	t.Helper()
	if InCI() {
		t.Fatalf("CI=true and %s", reason)
	}
	t.Skip(reason)
}

// RequireRoot skips the test unless it runs as root (failing in CI).
func RequireRoot(t testing.TB) {
	t.Helper()
	if os.Geteuid() != 0 {
		Missing(t, "test needs root")
	}
}

var rootfsCache struct {
	once sync.Once
	dir  string
	err  error
	tar  []byte
	terr error
	tone sync.Once
}

// BusyboxRootfs returns the directory of a minimal root filesystem made
// from the host's static busybox (Debian's busybox-static): bin/busybox and
// one symlink per applet in bin/ (sh, true, sleep, cat, id, ls, ...);
// etc/passwd with root, daemon, nobody and dockuser (1000:1000, home
// /home/dockuser, shell /bin/sh); etc/group with root, daemon, wheel and
// audio (both with dockuser), nogroup and dockuser; etc/os-release saying
// NAME=dock-test; no etc/hostname; tmp (mode 1777, sticky), root, home/dockuser
// (owned by 1000:1000 when the test runs as root), and empty proc, sys and
// dev.
//
// The tree is built once and shared: by every test of the binary, and by
// later runs (it lives under os.TempDir, named after the busybox binary and
// the layout). Callers must not modify it; BusyboxRootfsCopy gives a
// private copy. Without /bin/busybox the test skips, or fails in CI.
func BusyboxRootfs(t testing.TB) string {
	t.Helper()
	if _, err := os.Stat(BusyboxPath); err != nil {
		Missing(t, BusyboxPath+" is missing: apt-get install busybox-static")
	}
	c := &rootfsCache
	c.once.Do(func() { c.dir, c.err = cachedRootfs() })
	if c.err != nil {
		t.Fatalf("BusyboxRootfs: %v", c.err)
	}
	return c.dir
}

// BusyboxRootfsCopy returns a private copy of BusyboxRootfs in a
// t.TempDir, which the test may change.
func BusyboxRootfsCopy(t testing.TB) string {
	t.Helper()
	src := BusyboxRootfs(t)
	dst := t.TempDir()
	pr, pw := io.Pipe()
	go func() { pw.CloseWithError(archive.WriteDir(context.Background(), pw, src)) }()
	_, err := archive.Apply(context.Background(), dst, pr, archive.Options{IgnoreOwner: os.Geteuid() != 0})
	pr.CloseWithError(io.ErrClosedPipe)
	if err != nil {
		t.Fatalf("BusyboxRootfsCopy: %v", err)
	}
	return dst
}

// BusyboxTar returns BusyboxRootfs as an uncompressed tar stream (from
// archive.WriteDir: sorted, deterministic). The bytes are shared; do not
// modify them.
func BusyboxTar(t testing.TB) []byte {
	t.Helper()
	dir := BusyboxRootfs(t)
	c := &rootfsCache
	c.tone.Do(func() {
		var buf bytes.Buffer
		c.terr = archive.WriteDir(context.Background(), &buf, dir)
		c.tar = buf.Bytes()
	})
	if c.terr != nil {
		t.Fatalf("BusyboxTar: %v", c.terr)
	}
	return c.tar
}

// cachedRootfs returns the shared tree, building it when missing. Several
// test binaries may race: each builds its own, the first rename wins.
func cachedRootfs() (string, error) {
	bin, err := os.ReadFile(BusyboxPath)
	if err != nil {
		return "", err
	}
	sum := sha256.Sum256(bin)
	parent := filepath.Join(os.TempDir(), fmt.Sprintf("dock-testutil-%d", os.Geteuid()))
	if err := os.MkdirAll(parent, 0o755); err != nil {
		return "", err
	}
	dir := filepath.Join(parent, "busybox-"+rootfsVersion+"-"+hex.EncodeToString(sum[:8]))
	if _, err := os.Stat(filepath.Join(dir, "bin", "busybox")); err == nil {
		return dir, nil
	}
	build, err := os.MkdirTemp(parent, "build-")
	if err != nil {
		return "", err
	}
	defer os.RemoveAll(build) // no-op once renamed
	if err := buildRootfs(build, bin); err != nil {
		return "", fmt.Errorf("build busybox rootfs: %w", err)
	}
	if err := os.Rename(build, dir); err != nil {
		if _, serr := os.Stat(filepath.Join(dir, "bin", "busybox")); serr == nil {
			return dir, nil // another binary won
		}
		return "", err
	}
	return dir, nil
}

var appletRE = regexp.MustCompile(`^[a-zA-Z0-9_.\[-]+$`)

const (
	passwd = `root:x:0:0:root:/root:/bin/sh
daemon:x:1:1:daemon:/usr/sbin:/bin/false
nobody:x:65534:65534:nobody:/nonexistent:/bin/false
dockuser:x:1000:1000::/home/dockuser:/bin/sh
`
	group = `root:x:0:
daemon:x:1:
wheel:x:10:dockuser
audio:x:29:dockuser
nogroup:x:65534:
dockuser:x:1000:
`
	osRelease = `NAME=dock-test
ID=dock-test
PRETTY_NAME="dock test rootfs (busybox)"
`
)

// buildRootfs builds the tree in dir (which exists).
func buildRootfs(dir string, busybox []byte) error {
	if err := os.Chmod(dir, 0o755); err != nil {
		return err
	}
	for _, d := range []struct {
		name string
		mode os.FileMode
	}{
		{"bin", 0o755}, {"etc", 0o755}, {"tmp", os.ModeSticky | 0o777}, {"root", 0o700},
		{"home", 0o755}, {"home/dockuser", 0o755}, {"proc", 0o555}, {"sys", 0o555}, {"dev", 0o755},
	} {
		p := filepath.Join(dir, d.name)
		if err := os.Mkdir(p, d.mode); err != nil {
			return err
		}
		if err := os.Chmod(p, d.mode); err != nil { // umask, sticky bit
			return err
		}
	}
	if os.Geteuid() == 0 {
		if err := os.Lchown(filepath.Join(dir, "home/dockuser"), 1000, 1000); err != nil {
			return err
		}
	}
	bb := filepath.Join(dir, "bin", "busybox")
	if err := os.WriteFile(bb, busybox, 0o755); err != nil {
		return err
	}
	out, err := exec.Command(bb, "--list").Output()
	if err != nil {
		return fmt.Errorf("busybox --list: %w", err)
	}
	n := 0
	for name := range strings.FieldsSeq(string(out)) {
		if name == "busybox" || !appletRE.MatchString(name) {
			continue
		}
		if err := os.Symlink("busybox", filepath.Join(dir, "bin", name)); err != nil {
			return err
		}
		n++
	}
	if n == 0 {
		return errors.New("busybox --list printed no applets")
	}
	for name, content := range map[string]string{
		"etc/passwd": passwd, "etc/group": group, "etc/os-release": osRelease,
	} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o644); err != nil {
			return err
		}
	}
	return nil
}

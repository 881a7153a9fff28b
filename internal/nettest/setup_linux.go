package nettest

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/vishvananda/netlink"
	"golang.org/x/sys/unix"
)

// setupHost prepares H in the re-executed child. Its first step is the
// proof that the namespaces are new: every later step mounts or configures
// something, and in the real namespaces that would change the machine.
func setupHost() error {
	if err := checkIsolated(); err != nil {
		return err
	}
	// Our mounts must not propagate to the real mount namespace.
	if err := unix.Mount("", "/", "", unix.MS_REC|unix.MS_PRIVATE, ""); err != nil {
		return fmt.Errorf("make / rprivate: %w", err)
	}
	// Resolve before /run is covered: resolv.conf is often a link into it.
	resolv, err := resolvTarget()
	if err != nil {
		return err
	}
	// /run holds per-boot state (/run/dock); a private tmpfs is a fresh boot.
	if err := unix.Mount("tmpfs", "/run", "tmpfs", unix.MS_NOSUID|unix.MS_NODEV, "mode=755"); err != nil {
		return fmt.Errorf("mount tmpfs on /run: %w", err)
	}
	if err := fakeResolvConf(resolv); err != nil {
		return err
	}
	lo, err := netlink.LinkByName("lo")
	if err != nil {
		return fmt.Errorf("find lo: %w", err)
	}
	if err := netlink.LinkSetUp(lo); err != nil {
		return fmt.Errorf("set lo up: %w", err)
	}
	return nil
}

// resolvTarget returns the file that /etc/resolv.conf shows: itself, or
// where its symbolic links lead (which may not exist yet).
func resolvTarget() (string, error) {
	p := "/etc/resolv.conf"
	for range 8 { // a bounded walk: links may loop
		dest, err := os.Readlink(p)
		if err != nil {
			return p, nil //nolint:nilerr // not a link (or missing): p itself
		}
		if !filepath.IsAbs(dest) {
			dest = filepath.Join(filepath.Dir(p), dest)
		}
		p = filepath.Clean(dest)
	}
	return "", fmt.Errorf("/etc/resolv.conf: too many links")
}

// fakeResolvConf makes /etc/resolv.conf show ResolvConf. A target inside the
// new /run is written there (the tmpfs is ours); any other is covered by a
// bind mount of a file on that tmpfs, which only this mount namespace sees.
func fakeResolvConf(target string) error {
	src := "/run/nettest/resolv.conf"
	if strings.HasPrefix(target, "/run/") {
		src = target
	}
	if err := os.MkdirAll(filepath.Dir(src), 0o755); err != nil {
		return err
	}
	if err := os.WriteFile(src, []byte(ResolvConf), 0o644); err != nil {
		return err
	}
	if src != target {
		if _, err := os.Stat(target); err != nil {
			return fmt.Errorf("fake resolv.conf: %w", err)
		}
		if err := unix.Mount(src, target, "", unix.MS_BIND, ""); err != nil {
			return fmt.Errorf("bind-mount %s on %s: %w", src, target, err)
		}
	}
	got, err := os.ReadFile("/etc/resolv.conf")
	if err != nil || string(got) != ResolvConf {
		return fmt.Errorf("/etc/resolv.conf is %q (%v), want the fake", got, err)
	}
	return nil
}

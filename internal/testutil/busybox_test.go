package testutil

import (
	"archive/tar"
	"bytes"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

func TestBusyboxRootfs(t *testing.T) {
	dir := BusyboxRootfs(t)
	if again := BusyboxRootfs(t); again != dir {
		t.Errorf("BusyboxRootfs() = %q then %q, want the same cached tree", dir, again)
	}
	for _, applet := range []string{"sh", "true", "false", "sleep", "cat", "id", "ls", "echo", "env", "pwd", "hostname", "mount", "ps", "grep", "head", "dd"} {
		target, err := os.Readlink(filepath.Join(dir, "bin", applet))
		if err != nil || target != "busybox" {
			t.Errorf("bin/%s -> %q, %v, want busybox", applet, target, err)
		}
	}
	out, err := exec.Command(filepath.Join(dir, "bin", "sh"), "-c", "echo hi").Output()
	if err != nil || string(out) != "hi\n" {
		t.Errorf("bin/sh -c 'echo hi' = %q, %v", out, err)
	}
	for name, want := range map[string]os.FileMode{
		"tmp": os.ModeDir | os.ModeSticky | 0o777, "root": os.ModeDir | 0o700, "proc": os.ModeDir | 0o555,
		"sys": os.ModeDir | 0o555, "dev": os.ModeDir | 0o755, "etc": os.ModeDir | 0o755,
	} {
		fi, err := os.Stat(filepath.Join(dir, name))
		if err != nil || fi.Mode() != want {
			t.Errorf("mode of %s = %v, %v, want %v", name, fi.Mode(), err, want)
		}
	}
	if os.Geteuid() == 0 {
		fi, err := os.Stat(filepath.Join(dir, "home/dockuser"))
		if st, ok := fi.Sys().(*syscall.Stat_t); err != nil || !ok || st.Uid != 1000 || st.Gid != 1000 {
			t.Errorf("home/dockuser owner = %+v, %v, want 1000:1000", fi.Sys(), err)
		}
	}
	if _, err := os.Lstat(filepath.Join(dir, "etc/hostname")); !os.IsNotExist(err) {
		t.Errorf("etc/hostname exists (%v), want absent", err)
	}
	b, _ := os.ReadFile(filepath.Join(dir, "etc/passwd"))
	if !strings.Contains(string(b), "dockuser:x:1000:1000::/home/dockuser:/bin/sh\n") || !strings.HasPrefix(string(b), "root:x:0:0:") {
		t.Errorf("etc/passwd = %q", b)
	}
	b, _ = os.ReadFile(filepath.Join(dir, "etc/group"))
	if !strings.Contains(string(b), "wheel:x:10:dockuser\n") || !strings.Contains(string(b), "nogroup:x:65534:\n") {
		t.Errorf("etc/group = %q", b)
	}
	b, _ = os.ReadFile(filepath.Join(dir, "etc/os-release"))
	if !strings.Contains(string(b), "NAME=dock-test\n") {
		t.Errorf("etc/os-release = %q", b)
	}
}

func TestBusyboxRootfsCopy(t *testing.T) {
	dir := BusyboxRootfsCopy(t)
	if dir == BusyboxRootfs(t) {
		t.Fatal("BusyboxRootfsCopy returned the shared tree")
	}
	if err := os.WriteFile(filepath.Join(dir, "etc/new"), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Lstat(filepath.Join(BusyboxRootfs(t), "etc/new")); err == nil {
		t.Error("writing into the copy changed the shared tree")
	}
	target, err := os.Readlink(filepath.Join(dir, "bin/sh"))
	if err != nil || target != "busybox" {
		t.Errorf("copy: bin/sh -> %q, %v", target, err)
	}
	fi, err := os.Stat(filepath.Join(dir, "tmp"))
	if err != nil || fi.Mode() != os.ModeDir|os.ModeSticky|0o777 {
		t.Errorf("copy: tmp mode = %v, %v", fi.Mode(), err)
	}
}

func TestBusyboxTar(t *testing.T) {
	b := BusyboxTar(t)
	tr := tar.NewReader(bytes.NewReader(b))
	names := map[string]bool{}
	for {
		h, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		names[h.Name] = true
	}
	for _, n := range []string{"bin/busybox", "bin/sh", "etc/passwd", "tmp/", "home/dockuser/"} {
		if !names[n] {
			t.Errorf("BusyboxTar lacks %q", n)
		}
	}
	if !bytes.Equal(b, BusyboxTar(t)) {
		t.Error("BusyboxTar not stable")
	}
}

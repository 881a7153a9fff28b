package main

import (
	"archive/tar"
	"bytes"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
)

// tarNames lists the entries of a tar stream.
func tarNames(t *testing.T, b []byte) []string {
	t.Helper()
	var out []string
	tr := tar.NewReader(bytes.NewReader(b))
	for {
		hdr, err := tr.Next()
		if err == io.EOF {
			return out
		}
		if err != nil {
			t.Fatalf("read tar: %v", err)
		}
		out = append(out, hdr.Name)
	}
}

func readFile(t *testing.T, p string) string {
	t.Helper()
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func writeFile(t *testing.T, p, content string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

// TestCLICp copies both ways with docker's path rules, for a running and
// a stopped container.
func TestCLICp(t *testing.T) {
	e := newEnv(t)
	e.ok(nil, "run", "-d", "--name", "live", "--network", "none", "busybox", "sh", "-c",
		"mkdir -p /d/sub && echo one > /d/one && echo two > /d/sub/two && ln -s /d/one /d/link && touch /ready && exec sleep 300")
	waitFor(t, "the container's files", func() bool {
		_, _, code := e.dock(nil, "cp", "live:/ready", "-")
		return code == 0
	})
	e.ok(nil, "create", "--name", "idle", "--network", "none", "busybox", "true")

	for _, ctr := range []string{"live", "idle"} {
		t.Run(ctr, func(t *testing.T) {
			host := t.TempDir()
			writeFile(t, filepath.Join(host, "src", "a"), "a\n")
			writeFile(t, filepath.Join(host, "src", "in", "b"), "b\n")
			writeFile(t, filepath.Join(host, "file"), "file\n")

			// Host to container: a file to a new name, into a directory;
			// a directory into a directory, to a new name, its contents.
			e.expect(0, "", "cp", filepath.Join(host, "file"), ctr+":/tmp/renamed")
			e.expect(0, "", "cp", filepath.Join(host, "file"), ctr+":/tmp")
			e.expect(0, "", "cp", filepath.Join(host, "src"), ctr+":/tmp")
			e.expect(0, "", "cp", filepath.Join(host, "src"), ctr+":/tmp/copy")
			if ctr == "idle" {
				e.expect(0, "", "cp", filepath.Join(host, "src")+"/.", ctr+":/tmp/copy")
			}
			out := e.ok(nil, "cp", ctr+":/tmp", "-")
			names := tarNames(t, []byte(out))
			for _, want := range []string{"tmp/renamed", "tmp/file", "tmp/src/a", "tmp/src/in/b", "tmp/copy/a", "tmp/copy/in/b"} {
				if !slices.Contains(names, want) {
					t.Errorf("dock cp %s:/tmp - lacks %s: %q", ctr, want, names)
				}
			}
			if slices.Contains(names, "tmp/copy/src/a") {
				t.Errorf("a directory copied to a new name must take that name: %q", names)
			}

			// Container to host.
			out2 := t.TempDir()
			if ctr == "live" {
				e.expect(0, "", "cp", "live:/d", out2)
				e.expect(0, "", "cp", "live:/d/one", filepath.Join(out2, "one-copy"))
				e.expect(0, "", "cp", "live:/d/.", filepath.Join(out2, "contents"))
				e.expect(0, "", "cp", "live:/d/link", filepath.Join(out2, "asis"))
				e.expect(0, "", "cp", "-L", "live:/d/link", filepath.Join(out2, "followed"))
				if got := readFile(t, filepath.Join(out2, "d", "sub", "two")); got != "two\n" {
					t.Errorf("d/sub/two = %q", got)
				}
				if got := readFile(t, filepath.Join(out2, "one-copy")); got != "one\n" {
					t.Errorf("one-copy = %q", got)
				}
				if got := readFile(t, filepath.Join(out2, "contents", "sub", "two")); got != "two\n" {
					t.Errorf("contents/sub/two = %q", got)
				}
				if target, err := os.Readlink(filepath.Join(out2, "asis")); err != nil || target != "/d/one" {
					t.Errorf("without -L the symlink is copied: %q, %v", target, err)
				}
				if got := readFile(t, filepath.Join(out2, "followed")); got != "one\n" {
					t.Errorf("-L copies the target: %q", got)
				}
			}
			e.expect(0, "", "cp", ctr+":/tmp/renamed", out2)
			if got := readFile(t, filepath.Join(out2, "renamed")); got != "file\n" {
				t.Errorf("renamed = %q", got)
			}
		})
	}
}

// TestCLICpStream copies with "-": a tar stream on stdout, piped into tar,
// and one on stdin, extracted into a directory.
func TestCLICpStream(t *testing.T) {
	e := newEnv(t)
	e.ok(nil, "create", "--name", "c", "--network", "none", "busybox", "true")

	cmd := e.cmd(t.Context(), "cp", "c:/etc", "-")
	list := exec.Command("tar", "-t")
	pipe, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	list.Stdin = pipe
	var listed bytes.Buffer
	list.Stdout = &listed
	if err := list.Start(); err != nil {
		t.Fatal(err)
	}
	if err := cmd.Run(); err != nil {
		t.Fatalf("dock cp c:/etc -: %v", err)
	}
	if err := list.Wait(); err != nil {
		t.Fatalf("tar -t: %v", err)
	}
	if !strings.Contains(listed.String(), "etc/passwd\n") {
		t.Errorf("dock cp c:/etc - | tar -t = %q, want etc/passwd", listed.String())
	}

	src := t.TempDir()
	writeFile(t, filepath.Join(src, "x", "y"), "y\n")
	tarball, err := exec.Command("tar", "-C", src, "-c", "x").Output()
	if err != nil {
		t.Fatal(err)
	}
	e.ok(tarball, "cp", "-", "c:/tmp")
	if names := tarNames(t, []byte(e.ok(nil, "cp", "c:/tmp/x", "-"))); !slices.Equal(names, []string{"x/", "x/y"}) {
		t.Errorf("after dock cp - c:/tmp: %q", names)
	}
	stderr := e.expect(1, "", "cp", "-", "c:/etc/passwd")
	if !strings.Contains(stderr, `destination "c:/etc/passwd" must be a directory`) {
		t.Errorf("cp - to a file: stderr %q", stderr)
	}
}

// TestCLICpOwners: copied into a container, files are root's; with -a,
// they keep their owner. Copied out, they are the caller's; with -a, the
// container's owner.
func TestCLICpOwners(t *testing.T) {
	e := newEnv(t)
	e.ok(nil, "run", "--name", "c", "--network", "none", "busybox", "sh", "-c", "echo x > /owned && chown 1000:1000 /owned")
	host := t.TempDir()
	f := filepath.Join(host, "f")
	writeFile(t, f, "f\n")
	if err := os.Chown(f, 4242, 4343); err != nil {
		t.Fatal(err)
	}
	e.expect(0, "", "cp", f, "c:/root-owned")
	e.expect(0, "", "cp", "-a", f, "c:/kept")
	owner := func(name string) [2]int {
		hdr, err := tar.NewReader(strings.NewReader(e.ok(nil, "cp", "c:"+name, "-"))).Next()
		if err != nil {
			t.Fatal(err)
		}
		return [2]int{hdr.Uid, hdr.Gid}
	}
	if got := owner("/root-owned"); got != [2]int{0, 0} {
		t.Errorf("dock cp FILE: owner %v, want root", got)
	}
	if got := owner("/kept"); got != [2]int{4242, 4343} {
		t.Errorf("dock cp -a FILE: owner %v, want the host's", got)
	}
	out := t.TempDir()
	e.expect(0, "", "cp", "c:/owned", filepath.Join(out, "mine"))
	e.expect(0, "", "cp", "-a", "c:/owned", filepath.Join(out, "theirs"))
	st := func(p string) [2]uint32 {
		fi, err := os.Stat(p)
		if err != nil {
			t.Fatal(err)
		}
		s := fi.Sys().(*syscall.Stat_t)
		return [2]uint32{s.Uid, s.Gid}
	}
	if got, want := st(filepath.Join(out, "mine")), [2]uint32{uint32(os.Getuid()), uint32(os.Getgid())}; got != want {
		t.Errorf("dock cp out: owner %v, want %v", got, want)
	}
	if got := st(filepath.Join(out, "theirs")); got != [2]uint32{1000, 1000} {
		t.Errorf("dock cp -a out: owner %v, want 1000:1000", got)
	}
}

// TestCLICpErrors checks docker's messages and exit codes.
func TestCLICpErrors(t *testing.T) {
	e := newEnv(t)
	e.ok(nil, "create", "--name", "c", "--network", "none", "busybox", "true")
	host := t.TempDir()
	writeFile(t, filepath.Join(host, "dir", "f"), "f")
	writeFile(t, filepath.Join(host, "file"), "f")
	for _, tc := range []struct {
		args   []string
		code   int
		stderr string
	}{
		{[]string{"cp", "a", "b"}, 1, "must specify at least one container source"},
		{[]string{"cp", "c:/a", "c:/b"}, 1, "copying between containers is not supported"},
		{[]string{"cp", "c:/etc"}, 1, `"dock cp" requires exactly 2 arguments.`},
		{[]string{"cp", "", "c:/"}, 1, "source can not be empty"},
		{[]string{"cp", "c:/nope", host}, 1, "No such container:path: c:/nope"},
		{[]string{"cp", "nosuch:/etc", host}, 1, "No such container:path: nosuch:/etc"},
		{[]string{"cp", filepath.Join(host, "file"), "nosuch:/tmp"}, 1, "No such container:path: nosuch:/tmp"},
		{[]string{"cp", filepath.Join(host, "file"), "c:/nope/x"}, 1, "No such container:path: c:/nope"},
		{[]string{"cp", filepath.Join(host, "dir"), "c:/etc/passwd"}, 1, "cannot copy directory"},
		{[]string{"cp", filepath.Join(host, "file"), "c:/newdir/"}, 1, "no such directory"},
		{[]string{"cp", "c:/etc", filepath.Join(host, "file")}, 1, "cannot copy directory"},
		{[]string{"cp", "c:/etc/passwd", filepath.Join(host, "nope", "x")}, 1, "invalid output path: directory"},
		{[]string{"cp", filepath.Join(host, "nope"), "c:/tmp"}, 1, "no such file or directory"},
		{[]string{"cp", "-q", "c:/etc", host}, 125, "unknown shorthand flag: 'q' in -q"},
	} {
		_, stderr, code := e.dock(nil, tc.args...)
		if code != tc.code || !strings.Contains(stderr, tc.stderr) {
			t.Errorf("dock %q = exit %d, stderr %q; want exit %d, stderr with %q", tc.args, code, stderr, tc.code, tc.stderr)
		}
	}
	// A file over a file: the destination's name, the source's content.
	e.expect(0, "", "cp", filepath.Join(host, "file"), "c:/etc/passwd")
	tr := tar.NewReader(strings.NewReader(e.ok(nil, "cp", "c:/etc/passwd", "-")))
	hdr, err := tr.Next()
	if err != nil {
		t.Fatal(err)
	}
	if body, _ := io.ReadAll(tr); hdr.Name != "passwd" || string(body) != "f" {
		t.Errorf("after dock cp FILE c:/etc/passwd: %s = %q", hdr.Name, body)
	}
}

// TestCLIExportDiff: export writes the filesystem (to a pipe or -o), diff
// lists the changes.
func TestCLIExportDiff(t *testing.T) {
	e := newEnv(t)
	e.ok(nil, "run", "--name", "c", "--network", "none", "busybox", "sh", "-c", "touch /new && rm /etc/os-release && echo x >> /etc/passwd")
	e.expect(0, "C /etc\nD /etc/os-release\nC /etc/passwd\nA /new\n", "diff", "c")
	names := tarNames(t, []byte(e.ok(nil, "export", "c")))
	for _, want := range []string{"bin/busybox", "etc/passwd", "new"} {
		if !slices.Contains(names, want) {
			t.Errorf("dock export lacks %s", want)
		}
	}
	if slices.Contains(names, "etc/os-release") {
		t.Errorf("dock export has the deleted etc/os-release")
	}
	out := filepath.Join(t.TempDir(), "c.tar")
	e.expect(0, "", "export", "-o", out, "c")
	list, err := exec.Command("tar", "-tf", out).Output()
	if err != nil || !strings.Contains(string(list), "bin/busybox\n") {
		t.Errorf("tar -tf %s = %q, %v", out, list, err)
	}
	stderr := e.expect(1, "", "diff", "nosuch")
	if !strings.Contains(stderr, "nosuch") {
		t.Errorf("diff of a missing container: %q", stderr)
	}
	e.expect(1, "", "export")
}

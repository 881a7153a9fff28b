package layerfs

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/sys/unix"
)

// layer makes a layer directory from entries: "d/" a directory, "d/" +
// "opaque" an opaque directory ("d/.opq"), "x!" a whiteout of x, "l>t" a
// symlink to t, anything else a file holding its own name.
func layer(t *testing.T, entries ...string) string {
	t.Helper()
	dir := t.TempDir()
	for _, e := range entries {
		var err error
		switch {
		case strings.HasSuffix(e, "/.opq"):
			p := filepath.Join(dir, strings.TrimSuffix(e, "/.opq"))
			if err = os.MkdirAll(p, 0o755); err == nil {
				err = unix.Lsetxattr(p, "trusted.overlay.opaque", []byte("y"), 0)
			}
		case strings.HasSuffix(e, "/"):
			err = os.MkdirAll(filepath.Join(dir, e), 0o755)
		case strings.HasSuffix(e, "!"):
			p := filepath.Join(dir, strings.TrimSuffix(e, "!"))
			if err = os.MkdirAll(filepath.Dir(p), 0o755); err == nil {
				err = unix.Mknod(p, unix.S_IFCHR, 0)
			}
		case strings.Contains(e, ">"):
			name, target, _ := strings.Cut(e, ">")
			p := filepath.Join(dir, name)
			if err = os.MkdirAll(filepath.Dir(p), 0o755); err == nil {
				err = os.Symlink(target, p)
			}
		default:
			p := filepath.Join(dir, e)
			if err = os.MkdirAll(filepath.Dir(p), 0o755); err == nil {
				err = os.WriteFile(p, []byte(e), 0o644)
			}
		}
		if err != nil {
			t.Skipf("making layer entry %q: %v (whiteouts and opaque directories need root)", e, err)
		}
	}
	return dir
}

// TestLstatWhiteoutsAndOpaque looks names up through whiteouts and opaque
// directories at every depth, in the same layer as the name and above it.
func TestLstatWhiteoutsAndOpaque(t *testing.T) {
	bottom := layer(t, "a/b/c/f", "a/b/g", "a/h", "top", "w/x/y")
	for _, tc := range []struct {
		name    string
		upper   []string
		present []string // file names that exist, with the layer's content
		missing []string
	}{
		{"no upper", nil, []string{"a/b/c/f", "a/b/g", "a/h", "top", "w/x/y"}, []string{"a/nope", "a/b/c/f/under-file"}},
		{"whiteout at depth 1", []string{"a!"}, []string{"top"}, []string{"a", "a/h", "a/b/c/f"}},
		{"whiteout at depth 2", []string{"a/b!"}, []string{"a/h"}, []string{"a/b", "a/b/g", "a/b/c/f"}},
		{"whiteout at depth 4", []string{"a/b/c/f!"}, []string{"a/b/g", "a/b/c"}, []string{"a/b/c/f"}},
		{"opaque at depth 1", []string{"a/.opq"}, []string{"top"}, []string{"a/h", "a/b/g"}},
		{"opaque at depth 3 with a file in it", []string{"a/b/c/.opq", "a/b/c/new"}, []string{"a/b/c/new", "a/b/g", "a/h"}, []string{"a/b/c/f"}},
		{"opaque with a file deeper in the same layer", []string{"a/.opq", "a/b/new"}, []string{"a/b/new"}, []string{"a/b/g", "a/h", "a/b/c/f"}},
		{"file replacing a directory", []string{"w"}, []string{"w"}, []string{"w/x", "w/x/y"}},
		{"symlink replacing a directory", []string{"w>/a"}, nil, []string{"w/x/y", "w/x"}},
		{"whiteout then new file", []string{"a/b!", "a/h"}, []string{"a/h"}, []string{"a/b/g"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := New([]string{bottom, layer(t, tc.upper...)})
			for _, name := range tc.present {
				host, fi, err := f.Lstat(name)
				if err != nil || host == "" || fi == nil {
					t.Errorf("Lstat(%s) = %q, %v, %v, want it found", name, host, fi, err)
				}
			}
			for _, name := range tc.missing {
				if host, _, err := f.Lstat(name); !errors.Is(err, fs.ErrNotExist) {
					t.Errorf("Lstat(%s) = %q, %v, want ErrNotExist", name, host, err)
				}
			}
		})
	}
}

func TestReadFile(t *testing.T) {
	f := New([]string{layer(t, "etc/passwd", "etc/big", "etc/link>passwd"), layer(t, "etc/group")})
	for _, tc := range []struct{ name, want string }{
		{"etc/passwd", "etc/passwd"}, {"etc/group", "etc/group"}, {"etc/missing", ""}, {"etc/link", ""}, {"etc", ""},
	} {
		if got, err := f.ReadFile(tc.name, 100); err != nil || string(got) != tc.want {
			t.Errorf("ReadFile(%s) = %q, %v, want %q", tc.name, got, err, tc.want)
		}
	}
	if got, err := f.ReadFile("etc/big", 3); err == nil {
		t.Errorf("ReadFile(etc/big, 3) = %q, nil, want an error", got)
	}
	if got, err := (FS{}).ReadFile("etc/passwd", 10); got != nil || err != nil {
		t.Errorf("FS{}.ReadFile = %q, %v, want nothing", got, err)
	}
}

// TestResolveLayers resolves through the symlinks of two layers as the
// overlay shows them (the upper layer's entry wins), inside the root.
func TestResolveLayers(t *testing.T) {
	lower := layer(t, "srv/data/", "opt/", "etc/", "data>/srv/data")
	upper := layer(t, "data>../../opt", "escape>../../../../etc", "dangling>srv/missing/x",
		"toproc>/proc/self", "loop>loop")
	f := New([]string{lower, upper})
	stop := func(p string) bool { return p == "/proc" || strings.HasPrefix(p, "/proc/") }
	for _, tc := range []struct {
		in, want, dangling string
		links              int
	}{
		{"/srv/data/x", "srv/data/x", "", 0},
		{"/data", "opt", "", 1},
		{"/data/new/../x", "opt/x", "", 1},
		{"/escape/x", "etc/x", "", 1},
		{"/dangling", "srv/missing/x", "/dangling -> srv/missing/x", 1},
		{"/toproc/fd", "proc/self/fd", "", 1},
		{"/missing/x", "missing/x", "", 0},
		{"/missing/../../x", "x", "", 0},
	} {
		r, err := f.Resolve(tc.in, ResolveOptions{Follow: true, Stop: stop})
		if err != nil || r.Path != tc.want || r.Dangling != tc.dangling || len(r.Links) != tc.links {
			t.Errorf("Resolve(%s) = %+v, %v, want path %s, dangling %q, %d links", tc.in, r, err, tc.want, tc.dangling, tc.links)
		}
	}
	if r, err := f.Resolve("/loop", ResolveOptions{Follow: true}); !errors.Is(err, unix.ELOOP) {
		t.Errorf("Resolve(/loop) = %+v, %v, want ELOOP", r, err)
	}
}

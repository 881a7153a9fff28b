package dock

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"io/fs"
	"maps"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"

	"github.com/go-dock/dock/internal/archive"
)

// The comparison of TestBuildInterop: what is compared, and the
// differences that are expected, each with its reason.

// buildConfig is an image config as Docker's format has it: the OCI
// fields and the Docker ones that ocispec.ImageConfig lacks (Healthcheck,
// Shell, OnBuild), which both builders write and which are compared like
// the others.
type buildConfig struct {
	Architecture string             `json:"architecture"`
	OS           string             `json:"os"`
	Author       string             `json:"author,omitempty"`
	Config       buildRuntimeConfig `json:"config"`
	History      []ocispec.History  `json:"history,omitempty"`
}

type buildRuntimeConfig struct {
	User         string
	Env          []string
	Entrypoint   []string
	Cmd          []string
	WorkingDir   string
	Labels       map[string]string
	ExposedPorts map[string]struct{}
	Volumes      map[string]struct{}
	StopSignal   string
	Healthcheck  *buildHealthcheck
	Shell        []string
	OnBuild      []string
}

type buildHealthcheck struct {
	Test          []string
	Interval      time.Duration
	Timeout       time.Duration
	StartPeriod   time.Duration
	StartInterval time.Duration
	Retries       int
}

// ignoredLabels are labels that buildah adds to every image it builds.
var ignoredLabels = map[string]string{
	"io.buildah.version": "buildah stamps its own version on every image; dock adds nothing",
}

// buildInteropBugs are differences that are dock's bugs: docker's
// BuildKit (Debian's docker.io 20.10, run by hand on the same contexts)
// does what buildah does. Each is tolerated and logged while it lasts;
// once no case shows it any more, the test fails, so that its entry goes
// with the fix.
var buildInteropBugs = map[string]string{}

// defaultPathEnv is the PATH that BuildKit and buildah set for a stage
// whose base image sets none.
const defaultPathEnv = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

// buildComparison compares the images of one case of TestBuildInterop.
type buildComparison struct {
	t    *testing.T
	name string
	seen map[string]bool // the known bugs that a case showed
}

// bug records that a known bug explains a difference.
func (c *buildComparison) bug(id string) {
	c.t.Helper()
	why, ok := buildInteropBugs[id]
	if !ok {
		c.t.Fatalf("unknown bug %q", id)
	}
	c.t.Logf("%s: known dock bug %s: %s", c.name, id, why)
	c.seen[id] = true
}

// compareConfigs fails the test for every field of the runtime
// configuration that differs between dock's image and buildah's, except
// the allowed differences above and the known bugs.
func (c *buildComparison) compareConfigs(mineRaw, theirsRaw []byte) {
	t := c.t
	t.Helper()
	var mine, theirs buildConfig
	if err := json.Unmarshal(mineRaw, &mine); err != nil {
		t.Fatalf("dock's config: %v", err)
	}
	if err := json.Unmarshal(theirsRaw, &theirs); err != nil {
		t.Fatalf("buildah's config: %v", err)
	}
	for k, why := range ignoredLabels {
		if _, ok := theirs.Config.Labels[k]; ok {
			t.Logf("%s: label %s ignored: %s", c.name, k, why)
			delete(theirs.Config.Labels, k)
		}
	}
	if mine.Architecture != theirs.Architecture || mine.OS != theirs.OS {
		t.Errorf("%s: platform dock %s/%s, buildah %s/%s", c.name, mine.OS, mine.Architecture, theirs.OS, theirs.Architecture)
	}
	if !slices.ContainsFunc(mine.Config.Env, func(kv string) bool { return strings.HasPrefix(kv, "PATH=") }) {
		if i := slices.Index(theirs.Config.Env, "PATH="+defaultPathEnv); i >= 0 {
			c.bug("default-path")
			theirs.Config.Env = slices.Delete(theirs.Config.Env, i, i+1)
		}
	}
	mv, tv := reflect.ValueOf(mine.Config), reflect.ValueOf(theirs.Config)
	for i := range mv.NumField() {
		field := mv.Type().Field(i).Name
		m, th := mv.Field(i).Interface(), tv.Field(i).Interface()
		if sameConfigValue(m, th) {
			continue
		}
		if (field == "Cmd" || field == "Entrypoint") && buildahIgnoredShell(m.([]string), th.([]string), theirs.Config.Shell) {
			t.Logf("%s: %s: allowed: buildah runs the shell form with /bin/sh -c despite SHELL %s; docker (BuildKit) uses SHELL, as dock does",
				c.name, field, jsonString(theirs.Config.Shell))
			continue
		}
		t.Errorf("%s: config %s: dock %s, buildah %s", c.name, field, jsonString(m), jsonString(th))
	}
}

// buildahIgnoredShell reports whether theirs is the shell form of mine run
// by /bin/sh -c instead of by shell, the SHELL of the stage.
func buildahIgnoredShell(mine, theirs, shell []string) bool {
	return len(shell) > 0 && len(theirs) == 3 && theirs[0] == "/bin/sh" && theirs[1] == "-c" &&
		slices.Equal(mine, append(slices.Clone(shell), theirs[2]))
}

// sameConfigValue is reflect.DeepEqual where an empty slice or map equals
// a missing one (JSON null and [] or {} mean the same to a runtime).
func sameConfigValue(a, b any) bool {
	va, vb := reflect.ValueOf(a), reflect.ValueOf(b)
	switch va.Kind() {
	case reflect.Slice, reflect.Map:
		if va.Len() == 0 && vb.Len() == 0 {
			return true
		}
	}
	return reflect.DeepEqual(a, b)
}

func jsonString(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}

// treeEntry is what is compared of a path in an image's file tree. Times
// are not: files that RUN and WORKDIR create, and the directories that
// any step writes into, get the time of the build, which no two builds
// share.
type treeEntry struct {
	Type     string // dir, file, symlink, fifo, other
	Mode     fs.FileMode
	UID, GID uint32
	Content  string // regular files: sha256 and size
	Target   string // symlinks
}

// flatten applies the layers of img in order onto an empty directory, the
// whiteouts deleting what they name, and returns the resulting tree.
func flatten(t *testing.T, e *Engine, img *Image) map[string]treeEntry {
	t.Helper()
	ctx := context.Background()
	simg, err := e.store.Resolve(img.ID)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	for _, l := range simg.Manifest.Layers {
		if err := applyBlob(ctx, e, l.Digest, dir); err != nil {
			t.Fatalf("apply layer %s of %s: %v", l.Digest, img.ID, err)
		}
	}
	tree := map[string]treeEntry{}
	err = filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || p == dir {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		info, err := d.Info()
		if err != nil {
			return err
		}
		st := info.Sys().(*syscall.Stat_t)
		te := treeEntry{Mode: info.Mode() & (fs.ModePerm | fs.ModeSetuid | fs.ModeSetgid | fs.ModeSticky), UID: st.Uid, GID: st.Gid}
		switch {
		case info.Mode().IsRegular():
			te.Type = "file"
			b, err := os.ReadFile(p)
			if err != nil {
				return err
			}
			sum := sha256.Sum256(b)
			te.Content = fmt.Sprintf("%s (%d bytes)", hex.EncodeToString(sum[:8]), len(b))
		case info.IsDir():
			te.Type = "dir"
		case info.Mode()&fs.ModeSymlink != 0:
			te.Type = "symlink"
			te.Mode = 0 // always 0777 on Linux
			if te.Target, err = os.Readlink(p); err != nil {
				return err
			}
		case info.Mode()&fs.ModeNamedPipe != 0:
			te.Type = "fifo"
		default:
			te.Type = "other " + info.Mode().Type().String()
		}
		tree["/"+rel] = te
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return tree
}

// applyBlob applies the layer blob d of e's store, plain or gzip, onto
// dir.
func applyBlob(ctx context.Context, e *Engine, d digest.Digest, dir string) error {
	rc, err := e.store.OpenBlob(d)
	if err != nil {
		return err
	}
	defer rc.Close()
	br := bufio.NewReader(rc)
	var r io.Reader = br
	if magic, _ := br.Peek(2); bytes.Equal(magic, []byte{0x1f, 0x8b}) {
		zr, err := gzip.NewReader(br)
		if err != nil {
			return err
		}
		defer zr.Close()
		r = zr
	}
	_, err = archive.Apply(ctx, dir, r, archive.Options{PlainWhiteouts: true})
	return err
}

// mountStubs are the files a RUN bind-mounts over; buildah and dock create
// them empty when the image has none, and do not remove them afterwards.
var mountStubs = []string{"/etc/hostname", "/etc/hosts", "/etc/resolv.conf"}

// treeAllowed are the differences between the trees that come from
// buildah's design, by path: the side that has the path (or "both" when
// the entries differ), and the reason.
var treeAllowed = map[string]struct{ side, why string }{
	"/run": {"buildah", "buildah creates /run in the image for the mounts of its RUN steps (run/.containerenv, secrets); docker and dock do not"},
}

// compareTrees fails the test for every path that is in one tree only or
// whose entries differ, except the differences that treeAllowed and the
// known bugs explain.
func (c *buildComparison) compareTrees(mine, theirs map[string]treeEntry) {
	t := c.t
	t.Helper()
	for _, p := range mountStubs {
		if e, ok := theirs[p]; ok && e.Type == "file" && strings.HasSuffix(e.Content, "(0 bytes)") {
			t.Logf("%s: %s: allowed: buildah leaves the empty mount point of its RUN steps (mode %v)", c.name, p, e.Mode)
			delete(theirs, p)
		}
		if e, ok := mine[p]; ok && e.Type == "file" && strings.HasSuffix(e.Content, "(0 bytes)") {
			c.bug("mount-stubs")
			delete(mine, p)
		}
	}
	paths := map[string]bool{}
	for p := range mine {
		paths[p] = true
	}
	for p := range theirs {
		paths[p] = true
	}
	for _, p := range slices.Sorted(maps.Keys(paths)) {
		m, inMine := mine[p]
		th, inTheirs := theirs[p]
		var side string
		switch {
		case inMine && inTheirs && m == th:
			continue
		case !inTheirs:
			side = "dock"
		case !inMine:
			side = "buildah"
		default:
			side = "both"
		}
		if a, ok := treeAllowed[p]; ok && a.side == side {
			t.Logf("%s: %s: allowed difference (%s): %s", c.name, p, side, a.why)
			continue
		}
		switch side {
		case "dock":
			t.Errorf("%s: %s only in dock's image: %+v", c.name, p, m)
		case "buildah":
			t.Errorf("%s: %s only in buildah's image: %+v", c.name, p, th)
		default:
			t.Errorf("%s: %s differs:\n\tdock    %+v\n\tbuildah %+v", c.name, p, m, th)
		}
	}
}

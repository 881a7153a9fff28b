package dock

import (
	"bufio"
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/opencontainers/go-digest"
	specs "github.com/opencontainers/image-spec/specs-go"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"

	"github.com/go-dock/dock/internal/registrytest"
	"github.com/go-dock/dock/internal/store"
	"github.com/go-dock/dock/internal/testutil"
)

// The pull and push tests run against the real registry
// (internal/registrytest). Unpacking layers needs root.

// layerTar is a small layer with a file name/body.
func layerTar(t testing.TB, name, body string) []byte {
	return testutil.Tar(t, testutil.TarEntry{Name: "data/"}, testutil.TarEntry{Name: "data/" + name, Body: body})
}

// blobGets returns the blob GETs the proxy saw, by digest.
func blobGets(p *registrytest.Proxy) map[string]int {
	out := map[string]int{}
	for _, r := range p.Requests() {
		if r.Method == http.MethodGet && strings.Contains(r.Path, "/blobs/sha256:") {
			out[r.Path[strings.LastIndex(r.Path, "/")+1:]]++
		}
	}
	return out
}

// storeState is what a failed pull must not change.
type storeState struct {
	index  []string
	layers []string
	tmp    []string
}

func stateOf(t testing.TB, e *Engine) storeState {
	t.Helper()
	ls := func(dir string) []string {
		des, err := os.ReadDir(e.path(dir))
		if err != nil {
			t.Fatal(err)
		}
		var out []string
		for _, de := range des {
			out = append(out, de.Name())
		}
		return out
	}
	b, err := os.ReadFile(e.path("index.json"))
	if err != nil {
		t.Fatal(err)
	}
	var idx ocispec.Index
	if err := json.Unmarshal(b, &idx); err != nil {
		t.Fatal(err)
	}
	var st storeState
	for _, d := range idx.Manifests {
		st.index = append(st.index, d.Digest.String()+" "+d.Annotations[ocispec.AnnotationRefName])
	}
	st.layers, st.tmp = ls("layers"), ls("tmp")
	return st
}

func checkUnchanged(t testing.TB, e *Engine, before storeState) {
	t.Helper()
	after := stateOf(t, e)
	if !slices.Equal(after.index, before.index) || !slices.Equal(after.layers, before.layers) || len(after.tmp) != 0 {
		t.Errorf("store after a failed pull = %+v, want %+v with tmp/ empty", after, before)
	}
}

// layerFile reads a file of the unpacked layer i of the image ref.
func layerFile(t testing.TB, e *Engine, ref string, i int, name string) string {
	t.Helper()
	ri, err := e.imageForRun(context.Background(), ref)
	if err != nil {
		t.Fatalf("imageForRun(%q) = %v", ref, err)
	}
	b, err := os.ReadFile(filepath.Join(ri.Layers[i], name))
	if err != nil {
		t.Fatalf("layer %d of %s: %v", i, ref, err)
	}
	return string(b)
}

func TestPushPullRoundTrip(t *testing.T) {
	testutil.RequireRoot(t)
	ctx := context.Background()
	reg := registrytest.Start(t)
	proxy := registrytest.NewProxy(t, reg, nil)
	src := testEngine(t)
	ref := proxy.Host + "/library/busybox:v1"
	if err := src.Tag(ctx, "busybox", ref); err != nil {
		t.Fatal(err)
	}
	local, err := src.Image(ctx, ref)
	if err != nil {
		t.Fatal(err)
	}
	var phases []Phase
	returned, err := src.Push(ctx, ref, WithProgress(func(p Progress) { phases = append(phases, p.Phase) }))
	if err != nil {
		t.Fatalf("Push(%q) = %v", ref, err)
	}
	if !slices.Contains(phases, PhaseUploading) || !slices.Contains(phases, PhaseDone) {
		t.Errorf("Push progress phases = %v", phases)
	}
	// The imported layer was kept uncompressed; Push compressed it: a new
	// manifest, the same image ID.
	pushed, err := src.Image(ctx, ref)
	if err != nil || pushed.ID != local.ID || pushed.Digest == local.Digest {
		t.Fatalf("Image(%q) after Push = %+v, %v; want ID %s and a new digest", ref, pushed, err, local.ID)
	}
	// Push returns the digest the registry has, not the one from before
	// the conversion.
	if returned.ID != local.ID || returned.Digest != pushed.Digest ||
		!slices.Contains(returned.RepoDigests, proxy.Host+"/library/busybox@"+pushed.Digest) {
		t.Errorf("Push(%q) = %+v, want ID %s, Digest %s and that repo digest", ref, returned, local.ID, pushed.Digest)
	}
	req, err := http.NewRequest(http.MethodHead, reg.URL+"/v2/library/busybox/manifests/"+returned.Digest, nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Accept", ocispec.MediaTypeImageManifest)
	if resp, err := reg.Client().Do(req); err != nil || resp.StatusCode != http.StatusOK {
		t.Errorf("HEAD of the manifest Push returned: %v, %v", resp, err)
	} else {
		resp.Body.Close()
		// docker push prints the manifest's size: the registry's.
		if returned.ManifestSize <= 0 || returned.ManifestSize != resp.ContentLength || pushed.ManifestSize != returned.ManifestSize {
			t.Errorf("ManifestSize = %d returned by Push, %d read back, the registry has %d bytes", returned.ManifestSize, pushed.ManifestSize, resp.ContentLength)
		}
	}
	local = pushed
	// Again: everything is there.
	phases = nil
	if _, err := src.Push(ctx, ref, WithProgress(func(p Progress) { phases = append(phases, p.Phase) })); err != nil {
		t.Fatalf("Push(%q) again = %v", ref, err)
	}
	if slices.Contains(phases, PhaseUploading) {
		t.Errorf("Push again progress phases = %v, want no upload", phases)
	}

	// A second repository of the same registry: the blobs are mounted.
	ref2 := proxy.Host + "/other/copy:v2"
	if err := src.Tag(ctx, "busybox", ref2); err != nil {
		t.Fatal(err)
	}
	n := len(proxy.Requests())
	if _, err := src.Push(ctx, ref2); err != nil {
		t.Fatalf("Push(%q) = %v", ref2, err)
	}
	mounts, uploads := 0, 0
	for _, r := range proxy.Requests()[n:] {
		switch {
		case r.Method == http.MethodPost && strings.Contains(r.Path, "mount=") && r.Status == http.StatusCreated:
			mounts++
		case r.Method == http.MethodPut && strings.Contains(r.Path, "/blobs/uploads/"),
			r.Method == http.MethodPatch:
			uploads++
		}
	}
	if mounts != 2 || uploads != 0 {
		t.Errorf("Push to a second repository: %d mounts, %d uploads, want 2 and 0", mounts, uploads)
	}

	// A fresh engine pulls it: the same image.
	dst := openTestEngine(t)
	img, err := dst.Pull(ctx, ref)
	if err != nil {
		t.Fatalf("Pull(%q) = %v", ref, err)
	}
	if img.ID != local.ID || img.Digest != local.Digest || img.ManifestSize != local.ManifestSize || !slices.Equal(img.RepoTags, []string{proxy.Host + "/library/busybox:v1"}) {
		t.Errorf("Pull() = %+v, want ID %s digest %s manifest size %d", img, local.ID, local.Digest, local.ManifestSize)
	}
	if got := layerFile(t, dst, ref, 0, "bin/busybox"); len(got) == 0 {
		t.Error("pulled layer has an empty bin/busybox")
	}
	// Both engines know the image by its digest in the registry.
	pushed, err = src.Image(ctx, ref)
	if err != nil {
		t.Fatal(err)
	}
	for name, im := range map[string]*Image{"pushed": pushed, "pulled": img} {
		if want := proxy.Host + "/library/busybox@" + local.Digest; !slices.Contains(im.RepoDigests, want) {
			t.Errorf("%s image RepoDigests = %v, want %s among them", name, im.RepoDigests, want)
		}
	}
	st, err := dst.Run(ctx, Config{Image: ref, Cmd: []string{"/bin/true"}}, nil, nil, nil)
	if err != nil || st.Code != 0 {
		t.Errorf("Run(pulled image) = %+v, %v", st, err)
	}
}

func TestPullMultiLayer(t *testing.T) {
	testutil.RequireRoot(t)
	ctx := context.Background()
	reg := registrytest.Start(t)
	layers := [][]byte{
		layerTar(t, "a", "first"),
		testutil.Tar(t, testutil.TarEntry{Name: "data/"}, testutil.TarEntry{Name: "data/.wh.a"}, testutil.TarEntry{Name: "data/b", Body: "second"}),
		registrytest.RandomLayer(t, 3<<20),
	}
	d := registrytest.PushImage(t, reg, "multi/layer", "v1", layers...)
	e := openTestEngine(t)
	var mu sync.Mutex
	done := map[string]bool{}
	ref := reg.Host + "/multi/layer:v1"
	img, err := e.Pull(ctx, ref, WithConcurrency(2), WithProgress(func(p Progress) {
		mu.Lock()
		defer mu.Unlock()
		if p.Phase == PhaseDone {
			done[p.ID] = true
		}
		if len(p.ID) != 12 || p.Total <= 0 || p.Current > p.Total {
			t.Errorf("progress %+v", p)
		}
	}))
	if err != nil {
		t.Fatalf("Pull(%q) = %v", ref, err)
	}
	if img.Digest != d.String() || len(img.Layers) != 3 || len(done) != 3 {
		t.Errorf("Pull() = digest %s, %d layers, %d done, want %s, 3, 3", img.Digest, len(img.Layers), len(done), d)
	}
	if got := layerFile(t, e, ref, 0, "data/a"); got != "first" {
		t.Errorf("layer 0 data/a = %q", got)
	}
	if got := layerFile(t, e, ref, 1, "data/b"); got != "second" {
		t.Errorf("layer 1 data/b = %q", got)
	}
	// The whiteout is in overlay form: a 0/0 character device.
	ri, _ := e.imageForRun(ctx, ref)
	if fi, err := os.Lstat(filepath.Join(ri.Layers[1], "data/a")); err != nil || fi.Mode()&os.ModeCharDevice == 0 {
		t.Errorf("whiteout data/a = %v, %v, want a character device", fi, err)
	}
	if len(stateOf(t, e).tmp) != 0 {
		t.Errorf("tmp/ = %v after pull", stateOf(t, e).tmp)
	}
}

func TestPullPlatforms(t *testing.T) {
	testutil.RequireRoot(t)
	ctx := context.Background()
	reg := registrytest.Start(t)
	mk := func(arch, variant, body string) registrytest.Image {
		return registrytest.Image{
			Layers:   [][]byte{layerTar(t, "arch", body)},
			Platform: ocispec.Platform{OS: "linux", Architecture: arch, Variant: variant},
		}
	}
	pushed := registrytest.PushIndex(t, reg, "multi/arch", "v1",
		mk("amd64", "", "amd64"), mk("arm64", "v8", "arm64"), mk("ppc64le", "", "ppc64le"))
	ref := reg.Host + "/multi/arch:v1"
	for _, tc := range []struct {
		opts []PullOption
		arch string
	}{
		{nil, runtime.GOARCH},
		{[]PullOption{WithPlatform("linux/arm64/v8")}, "arm64"},
		{[]PullOption{WithPlatform("linux/ppc64le")}, "ppc64le"},
		// As docker: the OS alone is the host's architecture, and the
		// names are the usual aliases in any case.
		{[]PullOption{WithPlatform("linux")}, runtime.GOARCH},
		{[]PullOption{WithPlatform("Linux/AArch64")}, "arm64"},
	} {
		t.Run(tc.arch, func(t *testing.T) {
			e := openTestEngine(t)
			img, err := e.Pull(ctx, ref, tc.opts...)
			if err != nil {
				t.Fatalf("Pull(%q) = %v", ref, err)
			}
			if img.Architecture != tc.arch || layerFile(t, e, ref, 0, "data/arch") != tc.arch {
				t.Errorf("Pull() architecture %q, want %q", img.Architecture, tc.arch)
			}
			// By digest: the index's digest picks the same image, untagged.
			byDigest := reg.Host + "/multi/arch@" + pushed.Descriptor.Digest.String()
			img2, err := openTestEngine(t).Pull(ctx, byDigest, tc.opts...)
			if err != nil || img2.ID != img.ID || len(img2.RepoTags) != 0 {
				t.Errorf("Pull(%q) = %+v, %v, want image %s untagged", byDigest, img2, err, img.ID)
			}
		})
	}
	_, err := openTestEngine(t).Pull(ctx, ref, WithPlatform("linux/s390x"))
	if !errors.Is(err, ErrNotFound) {
		t.Errorf("Pull(linux/s390x) = %v, want ErrNotFound", err)
	}
	if _, err := openTestEngine(t).Pull(ctx, ref, WithPlatform("linux/")); !errors.Is(err, ErrInvalid) {
		t.Errorf("WithPlatform(linux/) = %v, want ErrInvalid", err)
	}
}

func TestPullByManifestDigest(t *testing.T) {
	testutil.RequireRoot(t)
	reg := registrytest.Start(t)
	d := registrytest.PushImage(t, reg, "app/x", "", layerTar(t, "f", "by digest"))
	e := openTestEngine(t)
	ref := reg.Host + "/app/x@" + d.String()
	img, err := e.Pull(context.Background(), ref)
	if err != nil || img.Digest != d.String() || len(img.RepoTags) != 0 {
		t.Fatalf("Pull(%q) = %+v, %v", ref, img, err)
	}
	if got, err := e.Image(context.Background(), ref); err != nil || got.ID != img.ID {
		t.Errorf("Image(%q) = %v, %v", ref, got, err)
	}
}

func TestPullErrors(t *testing.T) {
	testutil.RequireRoot(t)
	ctx := context.Background()
	reg := registrytest.Start(t)
	registrytest.PushImage(t, reg, "app/x", "v1", layerTar(t, "f", "x"))
	e := openTestEngine(t)

	_, err := e.Pull(ctx, reg.Host+"/app/x:nope")
	var re *RegistryError
	if !errors.Is(err, ErrNotFound) || !errors.As(err, &re) || re.StatusCode != 404 || re.Code != "MANIFEST_UNKNOWN" {
		t.Errorf("Pull(unknown tag) = %v (%+v), want ErrNotFound and a 404 RegistryError", err, re)
	}
	if _, err := e.Pull(ctx, reg.Host+"/app/missing:v1"); !errors.Is(err, ErrNotFound) {
		t.Errorf("Pull(unknown repository) = %v, want ErrNotFound", err)
	}
	if _, err := e.Pull(ctx, "Bad Ref"); !errors.Is(err, ErrInvalid) {
		t.Errorf("Pull(bad ref) = %v, want ErrInvalid", err)
	}
	if _, err := e.Push(ctx, reg.Host+"/app/none:v1"); !errors.Is(err, ErrNotFound) {
		t.Errorf("Push(image not in store) = %v, want ErrNotFound", err)
	}

	// An index whose entry claims to be an image manifest but is an
	// index: refused, not followed.
	inner := registrytest.PushIndex(t, reg, "app/nest", "inner", registrytest.Image{Layers: [][]byte{layerTar(t, "f", "n")}})
	outer, _ := json.Marshal(ocispec.Index{
		Versioned: specs.Versioned{SchemaVersion: 2},
		MediaType: ocispec.MediaTypeImageIndex,
		Manifests: []ocispec.Descriptor{{
			MediaType: ocispec.MediaTypeImageManifest, Digest: inner.Descriptor.Digest, Size: inner.Descriptor.Size,
			Platform: &ocispec.Platform{OS: "linux", Architecture: runtime.GOARCH},
		}},
	})
	putManifest(t, reg, "app/nest", "outer", ocispec.MediaTypeImageIndex, outer)
	before := stateOf(t, e)
	if _, err := e.Pull(ctx, reg.Host+"/app/nest:outer"); !errors.Is(err, ErrInvalid) {
		t.Errorf("Pull(index posing as a manifest) = %v, want ErrInvalid", err)
	}
	checkUnchanged(t, e, before)
}

// putManifest puts raw manifest bytes, as no well-behaved client would.
func putManifest(t testing.TB, reg *registrytest.Registry, repo, tag, mediaType string, body []byte) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPut, reg.URL+"/v2/"+repo+"/manifests/"+tag, bytes.NewReader(body))
	req.Header.Set("Content-Type", mediaType)
	resp, err := reg.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusCreated {
		t.Fatalf("PUT manifest: %s", resp.Status)
	}
}

func TestPullAuth(t *testing.T) {
	testutil.RequireRoot(t)
	ctx := context.Background()
	t.Run("basic", func(t *testing.T) {
		reg := registrytest.Start(t, registrytest.WithBasicAuth("alice", "s3cret"))
		registrytest.PushImage(t, reg, "app/x", "v1", layerTar(t, "f", "basic"))
		ref := reg.Host + "/app/x:v1"
		// No credentials (an empty config.json): 401.
		e, err := Open(t.TempDir(), WithRegistryConfig(RegistryConfig{DockerConfig: filepath.Join(t.TempDir(), "none.json")}))
		if err != nil {
			t.Fatal(err)
		}
		defer e.Close()
		var re *RegistryError
		if _, err := e.Pull(ctx, ref); !errors.As(err, &re) || re.StatusCode != 401 {
			t.Errorf("Pull(no credentials) = %v, want a 401 RegistryError", err)
		}
		if _, err := e.Pull(ctx, ref, WithCredentials("alice", "wrong")); !errors.As(err, &re) || re.StatusCode != 401 {
			t.Errorf("Pull(wrong password) = %v, want a 401 RegistryError", err)
		}
		if _, err := e.Pull(ctx, ref, WithCredentials("alice", "s3cret")); err != nil {
			t.Errorf("Pull(WithCredentials) = %v", err)
		}
		// Push with credentials, to another repository.
		if err := e.Tag(ctx, ref, reg.Host+"/app/y:v1"); err != nil {
			t.Fatal(err)
		}
		if _, err := e.Push(ctx, reg.Host+"/app/y:v1", WithCredentials("alice", "s3cret")); err != nil {
			t.Errorf("Push(WithCredentials) = %v", err)
		}
		// Through a config.json.
		cfg := filepath.Join(t.TempDir(), "config.json")
		auth := base64.StdEncoding.EncodeToString([]byte("alice:s3cret"))
		os.WriteFile(cfg, fmt.Appendf(nil, `{"auths":{%q:{"auth":%q}}}`, reg.Host, auth), 0o600)
		e2, err := Open(t.TempDir(), WithRegistryConfig(RegistryConfig{DockerConfig: cfg}))
		if err != nil {
			t.Fatal(err)
		}
		defer e2.Close()
		if _, err := e2.Pull(ctx, reg.Host+"/app/y:v1"); err != nil {
			t.Errorf("Pull(config.json) = %v", err)
		}
	})
	t.Run("token", func(t *testing.T) {
		reg := registrytest.Start(t, registrytest.WithTokenUser("bob", "pw", "pull", "push"))
		registrytest.PushImage(t, reg, "app/x", "v1", layerTar(t, "f", "token"))
		ref := reg.Host + "/app/x:v1"
		e, err := Open(t.TempDir(), WithRegistryConfig(RegistryConfig{DockerConfig: filepath.Join(t.TempDir(), "none.json")}))
		if err != nil {
			t.Fatal(err)
		}
		defer e.Close()
		if _, err := e.Pull(ctx, ref); err == nil {
			t.Error("Pull(anonymous) succeeded, want an error")
		}
		if _, err := e.Pull(ctx, ref, WithCredentials("bob", "pw")); err != nil {
			t.Errorf("Pull(WithCredentials) = %v", err)
		}
	})
}

func TestPullFaults(t *testing.T) {
	testutil.RequireRoot(t)
	ctx := context.Background()
	reg := registrytest.Start(t)
	other := registrytest.NewProxy(t, reg, nil) // another host to redirect to
	layer := registrytest.RandomLayer(t, 1<<20)
	d := registrytest.PushImage(t, reg, "app/x", "v1", layer)
	for _, tc := range []struct {
		name    string
		hook    registrytest.Hook
		wantErr error
	}{
		{"truncated", registrytest.When(registrytest.BlobGet, registrytest.Times(2, registrytest.Truncate(300<<10))) /* config, then layer */, nil},
		{"429", registrytest.When(registrytest.BlobGet, registrytest.Times(1, registrytest.TooManyRequests("1"))), nil},
		{"503", registrytest.Times(2, registrytest.Fail(http.StatusServiceUnavailable, nil)), nil},
		{"redirect", registrytest.When(registrytest.BlobGet, registrytest.RedirectTo(other.URL)), nil},
		{"corrupt", registrytest.When(registrytest.BlobGet, registrytest.Corrupt(100<<10)), ErrInvalid},
	} {
		t.Run(tc.name, func(t *testing.T) {
			proxy := registrytest.NewProxy(t, reg, tc.hook)
			e := openTestEngine(t)
			before := stateOf(t, e)
			img, err := e.Pull(ctx, proxy.Host+"/app/x:v1")
			if tc.wantErr != nil {
				if !errors.Is(err, tc.wantErr) {
					t.Fatalf("Pull() = %v, want %v", err, tc.wantErr)
				}
				checkUnchanged(t, e, before)
				return
			}
			if err != nil || img.Digest != d.String() {
				t.Fatalf("Pull() = %v, %v, want digest %s", img, err, d)
			}
			var statuses []int
			for _, r := range proxy.Requests() {
				if r.Method == http.MethodGet && strings.Contains(r.Path, "/blobs/") {
					statuses = append(statuses, r.Status)
				}
			}
			switch tc.name { // the fault happened
			case "truncated":
				if len(statuses) < 3 {
					t.Errorf("blob GET statuses %v, want a resumed one", statuses)
				}
			case "429":
				if !slices.Contains(statuses, http.StatusTooManyRequests) {
					t.Errorf("blob GET statuses %v, want a 429", statuses)
				}
			case "redirect":
				if !slices.Contains(statuses, http.StatusTemporaryRedirect) || len(blobGets(other)) == 0 {
					t.Errorf("blob GET statuses %v, want redirects to the other host", statuses)
				}
			}
		})
	}
}

func TestPullCancel(t *testing.T) {
	testutil.RequireRoot(t)
	reg := registrytest.Start(t)
	registrytest.PushImage(t, reg, "app/x", "v1", registrytest.RandomLayer(t, 8<<20), registrytest.RandomLayer(t, 8<<20))
	// Slow blobs: the pull is cancelled while they stream.
	proxy := registrytest.NewProxy(t, reg, registrytest.When(registrytest.BlobGet, registrytest.Delay(50*time.Millisecond)))
	e := openTestEngine(t)
	before := stateOf(t, e)
	ctx, cancel := context.WithCancel(context.Background())
	var once sync.Once
	_, err := e.Pull(ctx, proxy.Host+"/app/x:v1", WithProgress(func(p Progress) {
		if p.Phase == PhaseDownloading && p.Current > 0 {
			once.Do(cancel)
		}
	}))
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("Pull(cancelled) = %v, want context.Canceled", err)
	}
	if st := stateOf(t, e); !slices.Equal(st.index, before.index) || len(st.tmp) != 0 {
		t.Errorf("store after a cancelled pull = %+v", st)
	}
	if _, err := e.Pull(context.Background(), proxy.Host+"/app/x:v1"); err != nil {
		t.Errorf("Pull() after a cancelled one = %v", err)
	}
}

// A pull killed with SIGKILL mid-download leaves the store consistent
// (only tmp/ garbage, which Prune collects), and the next pull succeeds.
func TestPullKilled(t *testing.T) {
	testutil.RequireRoot(t)
	reg := registrytest.Start(t)
	registrytest.PushImage(t, reg, "app/x", "v1", registrytest.RandomLayer(t, 8<<20), registrytest.RandomLayer(t, 8<<20))
	proxy := registrytest.NewProxy(t, reg, registrytest.When(registrytest.BlobGet, registrytest.Delay(50*time.Millisecond)))
	e := openTestEngine(t)
	before := stateOf(t, e)
	ref := proxy.Host + "/app/x:v1"

	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), "DOCK_TEST_HELPER=pull", "DOCK_TEST_ROOT="+e.Root(), "DOCK_TEST_REF="+ref)
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	line, _ := bufio.NewReader(out).ReadString('\n')
	if line != "downloading\n" {
		cmd.Process.Kill()
		cmd.Wait()
		t.Fatalf("helper said %q before downloading", line)
	}
	cmd.Process.Kill()
	cmd.Wait()

	if st := stateOf(t, e); !slices.Equal(st.index, before.index) || !slices.Equal(st.layers, before.layers) {
		t.Errorf("store after a killed pull = %+v, want index and layers as before %+v", st, before)
	}
	if _, err := e.Pull(context.Background(), ref); err != nil {
		t.Fatalf("Pull() after a killed one = %v", err)
	}
	if _, err := e.Image(context.Background(), ref); err != nil {
		t.Errorf("Image(%s) after the second pull = %v", ref, err)
	}
}

func TestPullConcurrent(t *testing.T) {
	testutil.RequireRoot(t)
	reg := registrytest.Start(t)
	layers := [][]byte{registrytest.RandomLayer(t, 2<<20), registrytest.RandomLayer(t, 2<<20)}
	pushed := registrytest.Push(t, reg, "app/x", "v1", registrytest.Image{Layers: layers})
	proxy := registrytest.NewProxy(t, reg, nil)
	root := t.TempDir()
	var engines []*Engine
	for range 2 { // two engines on one root, as two processes would be
		e, err := Open(root)
		if err != nil {
			t.Fatal(err)
		}
		defer e.Close()
		engines = append(engines, e, e)
	}
	var downloads atomic.Int32
	var wg sync.WaitGroup
	errs := make([]error, len(engines))
	for i, e := range engines {
		wg.Go(func() {
			_, errs[i] = e.Pull(context.Background(), proxy.Host+"/app/x:v1", WithProgress(func(p Progress) {
				if p.Phase == PhaseDownloading && p.Current == 0 {
					downloads.Add(1)
				}
			}))
		})
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Errorf("Pull() %d = %v", i, err)
		}
	}
	gets := blobGets(proxy)
	for _, l := range pushed.Layers {
		if n := gets[l.Digest.String()]; n != 1 {
			t.Errorf("layer %s downloaded %d times, want once", l.Digest, n)
		}
	}
	if n := downloads.Load(); n != int32(len(layers)) {
		t.Errorf("%d layer downloads reported, want %d", n, len(layers))
	}
	if st := stateOf(t, engines[0]); len(st.layers) != 2 || len(st.tmp) != 0 || len(st.index) != 1 {
		t.Errorf("store = %+v, want 2 layers, 1 image, tmp/ empty", st)
	}
}

func TestPullPresent(t *testing.T) {
	testutil.RequireRoot(t)
	ctx := context.Background()
	reg := registrytest.Start(t)
	registrytest.PushImage(t, reg, "app/x", "v1", layerTar(t, "f", "present"), registrytest.RandomLayer(t, 1<<20))
	proxy := registrytest.NewProxy(t, reg, nil)
	e := openTestEngine(t)
	ref := proxy.Host + "/app/x:v1"
	if _, err := e.Pull(ctx, ref); err != nil {
		t.Fatal(err)
	}
	n := len(proxy.Requests())
	var phases []Phase
	t0 := time.Now()
	img, err := e.Pull(ctx, ref, WithProgress(func(p Progress) { phases = append(phases, p.Phase) }))
	took := time.Since(t0)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range proxy.Requests()[n:] {
		if strings.Contains(r.Path, "/blobs/") {
			t.Errorf("Pull of a present image requested %s %s", r.Method, r.Path)
		}
	}
	if !slices.Equal(phases, []Phase{PhaseExists, PhaseExists}) || len(img.RepoTags) != 1 {
		t.Errorf("Pull() again: phases %v, tags %v", phases, img.RepoTags)
	}
	t.Logf("pull of a present image: %v", took)

	// A layer dir removed under the image: unpacked again from its blob.
	chains := store.ChainID("", digest.Digest(img.Layers[0]))
	if err := os.RemoveAll(e.path("layers", chains.Encoded())); err != nil {
		t.Fatal(err)
	}
	phases = nil
	if _, err := e.Pull(ctx, ref, WithProgress(func(p Progress) { phases = append(phases, p.Phase) })); err != nil {
		t.Fatal(err)
	}
	if !slices.Contains(phases, PhaseExtracting) || len(blobGets(proxy)) != 3 {
		t.Errorf("Pull() with a layer dir missing: phases %v, blob GETs %v", phases, blobGets(proxy))
	}
	if got := layerFile(t, e, ref, 0, "data/f"); got != "present" {
		t.Errorf("data/f = %q", got)
	}
}

// BenchmarkPullPresent measures Pull of an image the store has: one
// manifest request, no blob, the tag set again (goal: < 50 ms).
func BenchmarkPullPresent(b *testing.B) {
	testutil.RequireRoot(b)
	ctx := context.Background()
	reg := registrytest.Start(b)
	layers := [][]byte{registrytest.RandomLayer(b, 1<<20)}
	for i := range 5 {
		layers = append(layers, layerTar(b, fmt.Sprint(i), "x"))
	}
	registrytest.PushImage(b, reg, "app/x", "v1", layers...)
	e, err := Open(b.TempDir())
	if err != nil {
		b.Fatal(err)
	}
	defer e.Close()
	ref := reg.Host + "/app/x:v1"
	if _, err := e.Pull(ctx, ref); err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	for range b.N {
		if _, err := e.Pull(ctx, ref); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Microseconds())/1000/float64(b.N), "ms/pull")
}

// WithRegistryCredentials serves its registry only: another registry of
// the same call's options never sees them.
func TestPullRegistryCredentials(t *testing.T) {
	testutil.RequireRoot(t)
	ctx := context.Background()
	regA := registrytest.Start(t, registrytest.WithBasicAuth("alice", "s3cret"))
	registrytest.PushImage(t, regA, "app/x", "v1", layerTar(t, "f", "a"))
	regB := registrytest.Start(t)
	registrytest.PushImage(t, regB, "app/y", "v1", layerTar(t, "f", "b"))
	var mu sync.Mutex
	var authB []string
	proxyB := registrytest.NewProxy(t, regB, func(w http.ResponseWriter, r *http.Request, next http.Handler) {
		mu.Lock()
		authB = append(authB, r.Header.Get("Authorization"))
		mu.Unlock()
		next.ServeHTTP(w, r)
	})
	e, err := Open(t.TempDir(), WithRegistryConfig(RegistryConfig{DockerConfig: filepath.Join(t.TempDir(), "none.json")}))
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	creds := []PullOption{
		WithRegistryCredentials("http://"+regA.Host+"/v2/", "alice", "s3cret"),
		WithRegistryCredentials("other.example.com", "carol", "pw"),
	}
	if _, err := e.Pull(ctx, regA.Host+"/app/x:v1", creds...); err != nil {
		t.Errorf("Pull(A with A's credentials) = %v", err)
	}
	if _, err := e.Pull(ctx, proxyB.Host+"/app/y:v1", creds...); err != nil {
		t.Errorf("Pull(B with A's credentials) = %v", err)
	}
	mu.Lock()
	for _, a := range authB {
		if a != "" {
			t.Errorf("registry B saw Authorization %q, want none", a)
		}
	}
	if len(authB) == 0 {
		t.Error("registry B saw no request")
	}
	mu.Unlock()
	var re *RegistryError
	_, err = e.Pull(ctx, regA.Host+"/app/x:v1", WithRegistryCredentials(proxyB.Host, "alice", "s3cret"))
	if !errors.As(err, &re) || re.StatusCode != 401 {
		t.Errorf("Pull(A with B's credentials) = %v, want a 401 RegistryError", err)
	}
	if _, err := e.Pull(ctx, "x", WithRegistryCredentials("a b", "u", "p")); !errors.Is(err, ErrInvalid) {
		t.Errorf("WithRegistryCredentials(bad server) = %v, want ErrInvalid", err)
	}
	if _, err := e.Pull(ctx, "x", WithRegistryCredentials("h", "", "p")); !errors.Is(err, ErrInvalid) {
		t.Errorf("WithRegistryCredentials(no user) = %v, want ErrInvalid", err)
	}
}

package dock

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
	"golang.org/x/sys/unix"

	"github.com/go-dock/dock/internal/registrytest"
	"github.com/go-dock/dock/internal/testutil"
)

// The interop tests move images between dock and the tools of the
// containers/image family (skopeo, umoci, buildah, podman) and runc,
// through the real registry (internal/registrytest, plain HTTP on
// 127.0.0.1). scripts/test-deps.sh installs every one of them: without
// one, the test or step that needs it skips, or fails in CI.

// interopTimeout bounds each tool run: a tool that hangs fails the test
// instead of the whole binary.
const interopTimeout = 3 * time.Minute

// interopTool runs name with args and returns its stdout; it fails the
// test with both outputs when the tool fails.
func interopTool(t *testing.T, name string, args ...string) []byte {
	t.Helper()
	out, err := interopToolErr(name, args...)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// interopToolErr is interopTool returning the failure instead of ending
// the test.
func interopToolErr(name string, args ...string) ([]byte, error) {
	ctx, cancel := context.WithTimeout(context.Background(), interopTimeout)
	defer cancel()
	var stdout, stderr bytes.Buffer
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		return nil, fmt.Errorf("%s %s: %v\nstdout: %s\nstderr: %s", name, strings.Join(args, " "), err, stdout.Bytes(), stderr.Bytes())
	}
	return stdout.Bytes(), nil
}

// remoteConfigDigest is the digest of the config of the image ref
// (a skopeo transport reference), as skopeo reads it.
func remoteConfigDigest(t *testing.T, skopeo string, args ...string) string {
	t.Helper()
	return digest.FromBytes(interopTool(t, skopeo, append([]string{"inspect", "--raw", "--config"}, args...)...)).String()
}

// remoteManifestDigest is the manifest digest skopeo inspect reports.
func remoteManifestDigest(t *testing.T, skopeo string, args ...string) string {
	t.Helper()
	var info struct{ Digest string }
	out := interopTool(t, skopeo, append([]string{"inspect"}, args...)...)
	if err := json.Unmarshal(out, &info); err != nil {
		t.Fatalf("skopeo inspect %v: %v\n%s", args, err, out)
	}
	return info.Digest
}

// unmountUnder detaches whatever a tool left mounted under dir, so that
// t.TempDir can remove it and later tests see the host's mounts unchanged.
func unmountUnder(t *testing.T, dir string) {
	t.Helper()
	f, err := os.Open("/proc/self/mountinfo")
	if err != nil {
		t.Error(err)
		return
	}
	defer f.Close()
	var mps []string
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		fields := strings.Fields(sc.Text())
		if len(fields) > 4 && (fields[4] == dir || strings.HasPrefix(fields[4], dir+"/")) {
			mps = append(mps, fields[4])
		}
	}
	slices.Reverse(mps) // the deepest (latest) first
	for _, mp := range mps {
		if err := unix.Unmount(mp, unix.MNT_DETACH); err != nil {
			t.Logf("unmount %s: %v", mp, err)
		}
	}
}

// runDockImage runs ref in e with cmd and returns its stdout.
func runDockImage(t *testing.T, e *Engine, ref string, cmd ...string) string {
	t.Helper()
	var out, errOut bytes.Buffer
	st, err := e.Run(context.Background(), Config{Image: ref, Cmd: cmd}, nil, &out, &errOut)
	if err != nil || st.Code != 0 {
		t.Fatalf("Run(%s, %q) = %+v, %v; stderr %q", ref, cmd, st, err, errOut.String())
	}
	return out.String()
}

// TestInteropDockPushTools pushes an image with dock and reads it back with
// the other tools: skopeo sees the manifest and config dock pushed; skopeo
// copies it to an OCI layout that umoci unpacks into a runtime bundle; runc
// runs the bundle, and podman pulls and runs the image itself.
func TestInteropDockPushTools(t *testing.T) {
	testutil.RequireRoot(t)
	skopeo := requireTool(t, "skopeo")
	ctx := context.Background()
	reg := registrytest.Start(t)
	e := openTestEngine(t)
	ref := reg.Host + "/interop/busybox:v1"
	img, err := e.ImportDir(ctx, testutil.BusyboxRootfs(t), ref,
		ImportConfig(ocispec.ImageConfig{Cmd: []string{"sh"}}))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.Push(ctx, ref); err != nil {
		t.Fatalf("Push(%s) = %v", ref, err)
	}
	// Push compressed the imported (uncompressed) layer: the image has a
	// new manifest, and the same ID.
	pushed, err := e.Image(ctx, ref)
	if err != nil || pushed.ID != img.ID || pushed.Digest == img.Digest {
		t.Fatalf("Image(%s) after Push = %+v, %v; want ID %s and a new digest", ref, pushed, err, img.ID)
	}
	img = pushed

	// skopeo sees exactly what dock stored: the manifest and the config.
	remote := "docker://" + ref
	if got := remoteManifestDigest(t, skopeo, "--tls-verify=false", remote); got != img.Digest {
		t.Errorf("skopeo inspect %s: digest %s, dock pushed %s", remote, got, img.Digest)
	}
	if got := remoteConfigDigest(t, skopeo, "--tls-verify=false", remote); got != img.ID {
		t.Errorf("skopeo inspect --config %s: config digest %s, dock's image ID %s", remote, got, img.ID)
	}

	t.Run("skopeo-umoci", func(t *testing.T) {
		umoci := requireTool(t, "umoci")
		dir := t.TempDir()
		layout := filepath.Join(dir, "layout")
		interopTool(t, skopeo, "copy", "--quiet", "--src-tls-verify=false", remote, "oci:"+layout+":v1")
		if got := remoteConfigDigest(t, skopeo, "oci:"+layout+":v1"); got != img.ID {
			t.Errorf("config of the copied layout %s, want %s", got, img.ID)
		}
		bundle := filepath.Join(dir, "bundle")
		interopTool(t, umoci, "unpack", "--image", layout+":v1", bundle)
		if b, err := os.ReadFile(filepath.Join(bundle, "rootfs/etc/os-release")); err != nil || !strings.Contains(string(b), "dock-test") {
			t.Fatalf("umoci unpack: etc/os-release %q, %v", b, err)
		}

		// A skip here leaves the skopeo and umoci checks above passed.
		t.Run("runc", func(t *testing.T) {
			runc := requireTool(t, "runc")
			setBundleProcess(t, bundle, []string{"/bin/sh", "-c", "echo from-runc"})
			state := filepath.Join(dir, "runc-state")
			id := fmt.Sprintf("dock-interop-%d", os.Getpid())
			// run deletes the container when it exits; make sure of it.
			t.Cleanup(func() { exec.Command(runc, "--root", state, "delete", "--force", id).Run() })
			out := interopTool(t, runc, "--root", state, "run", "--bundle", bundle, id)
			if string(out) != "from-runc\n" {
				t.Errorf("runc run printed %q, want %q", out, "from-runc\n")
			}
		})
	})

	t.Run("podman", func(t *testing.T) {
		podman := requireTool(t, "podman")
		storage := t.TempDir()
		runroot := t.TempDir()
		base := []string{"--root", storage, "--runroot", runroot, "--storage-driver", "overlay",
			"--cgroup-manager=cgroupfs", "--events-backend=file",
			// crun, which podman prefers when installed (buildah brings
			// it), refuses the hybrid cgroup layout.
			"--runtime", "runc"}
		t.Cleanup(func() {
			exec.Command(podman, append(base, "system", "reset", "--force")...).Run()
			unmountUnder(t, storage)
			unmountUnder(t, runroot)
		})
		// podman 4.3 sometimes loses the exit code of a short container
		// under load ("no such exit code (container in state running)"):
		// its own bug, so such a run is tried again.
		var out []byte
		for attempt := 1; ; attempt++ {
			var err error
			out, err = interopToolErr(podman, append(base, "run", "--rm", "--quiet", "--tls-verify=false",
				"--ulimit", "nofile=20000:20000", "--ulimit", "nproc=32768:32768", "--network", "none",
				ref, "echo", "from-podman")...)
			if err == nil || attempt == 3 || !strings.Contains(err.Error(), "no such exit code") {
				if err != nil {
					t.Fatal(err)
				}
				break
			}
		}
		if string(out) != "from-podman\n" {
			t.Errorf("podman run printed %q, want %q", out, "from-podman\n")
		}
		// podman stored the image dock pushed: the same ID.
		var images []struct {
			ID     string `json:"Id"`
			Digest string
		}
		raw := interopTool(t, podman, append(base, "images", "--format", "json")...)
		if err := json.Unmarshal(raw, &images); err != nil || len(images) != 1 {
			t.Fatalf("podman images: %v\n%s", err, raw)
		}
		if "sha256:"+images[0].ID != img.ID || images[0].Digest != img.Digest {
			t.Errorf("podman images: ID %s digest %s, want %s and %s", images[0].ID, images[0].Digest, img.ID, img.Digest)
		}
	})
}

// setBundleProcess sets the process of an OCI runtime bundle's config.json
// to args, without a terminal, keeping everything else umoci wrote.
func setBundleProcess(t *testing.T, bundle string, args []string) {
	t.Helper()
	path := filepath.Join(bundle, "config.json")
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var spec map[string]any
	if err := json.Unmarshal(b, &spec); err != nil {
		t.Fatal(err)
	}
	proc, _ := spec["process"].(map[string]any)
	if proc == nil {
		t.Fatalf("config.json of the bundle has no process: %s", b)
	}
	proc["args"] = args
	proc["terminal"] = false
	if b, err = json.Marshal(spec); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
}

// TestInteropSkopeoPushDockPull has skopeo push images that dock did not
// push itself, and dock pull and run them: the engine's own OCI layout as
// skopeo reads it, and an image that umoci built from the busybox tree.
func TestInteropSkopeoPushDockPull(t *testing.T) {
	testutil.RequireRoot(t)
	skopeo := requireTool(t, "skopeo")
	reg := registrytest.Start(t)

	check := func(t *testing.T, ref, wantID string) {
		t.Helper()
		remote := "docker://" + ref
		wantDigest := remoteManifestDigest(t, skopeo, "--tls-verify=false", remote)
		if got := remoteConfigDigest(t, skopeo, "--tls-verify=false", remote); got != wantID {
			t.Errorf("config skopeo pushed %s, want %s", got, wantID)
		}
		e := openTestEngine(t)
		img, err := e.Pull(context.Background(), ref)
		if err != nil {
			t.Fatalf("Pull(%s) = %v", ref, err)
		}
		if img.ID != wantID || img.Digest != wantDigest {
			t.Errorf("Pull(%s) = ID %s digest %s, want %s and %s", ref, img.ID, img.Digest, wantID, wantDigest)
		}
		if out := runDockImage(t, e, ref, "sh", "-c", "echo from-dock; id -u"); out != "from-dock\n0\n" {
			t.Errorf("Run(%s) printed %q", ref, out)
		}
	}

	t.Run("engine-layout", func(t *testing.T) {
		src := testEngine(t) // busybox:latest
		local, err := src.Image(context.Background(), "busybox")
		if err != nil {
			t.Fatal(err)
		}
		ref := reg.Host + "/from-skopeo:1"
		interopTool(t, skopeo, "copy", "--quiet", "--dest-tls-verify=false",
			"oci:"+src.Root()+":docker.io/library/busybox:latest", "docker://"+ref)
		check(t, ref, local.ID)
	})

	t.Run("umoci-built", func(t *testing.T) {
		umoci := requireTool(t, "umoci")
		dir := t.TempDir()
		layout := filepath.Join(dir, "layout")
		image := layout + ":v1"
		interopTool(t, umoci, "init", "--layout", layout)
		interopTool(t, umoci, "new", "--image", image)
		bundle := filepath.Join(dir, "bundle")
		interopTool(t, umoci, "unpack", "--image", image, bundle)
		interopTool(t, "cp", "-a", testutil.BusyboxRootfs(t)+"/.", filepath.Join(bundle, "rootfs"))
		interopTool(t, umoci, "repack", "--image", image, bundle)
		interopTool(t, umoci, "config", "--image", image, "--config.cmd", "sh")
		ref := reg.Host + "/from-umoci:1"
		interopTool(t, skopeo, "copy", "--quiet", "--dest-tls-verify=false", "oci:"+image, "docker://"+ref)
		check(t, ref, remoteConfigDigest(t, skopeo, "oci:"+image))
	})
}

// TestInteropBuildahPushDockPull builds an image with buildah from the
// busybox tree, has buildah push it, and dock pull and run it.
func TestInteropBuildahPushDockPull(t *testing.T) {
	testutil.RequireRoot(t)
	skopeo := requireTool(t, "skopeo")
	buildah := requireTool(t, "buildah")
	reg := registrytest.Start(t)
	storage, runroot := t.TempDir(), t.TempDir()
	base := []string{"--root", storage, "--runroot", runroot, "--storage-driver", "vfs"}
	bh := func(args ...string) string {
		t.Helper()
		return strings.TrimSpace(string(interopTool(t, buildah, append(base, args...)...)))
	}
	t.Cleanup(func() {
		exec.Command(buildah, append(base, "rm", "--all")...).Run()
		unmountUnder(t, storage)
		unmountUnder(t, runroot)
	})
	ctr := bh("from", "--quiet", "scratch")
	bh("copy", ctr, testutil.BusyboxRootfs(t), "/")
	bh("config", "--cmd", "sh", "--os", "linux", ctr)
	bh("commit", "--quiet", ctr, "from-buildah")
	ref := reg.Host + "/from-buildah:1"
	bh("push", "--quiet", "--tls-verify=false", "from-buildah", "docker://"+ref)

	remote := "docker://" + ref
	wantID := remoteConfigDigest(t, skopeo, "--tls-verify=false", remote)
	wantDigest := remoteManifestDigest(t, skopeo, "--tls-verify=false", remote)
	if local := "sha256:" + bh("inspect", "--type", "image", "--format", "{{.FromImageID}}", "from-buildah"); local != wantID {
		t.Errorf("buildah's image ID %s, registry's config %s", local, wantID)
	}
	e := openTestEngine(t)
	img, err := e.Pull(context.Background(), ref)
	if err != nil {
		t.Fatalf("Pull(%s) = %v", ref, err)
	}
	if img.ID != wantID || img.Digest != wantDigest || !slices.Equal(img.Config.Cmd, []string{"sh"}) {
		t.Errorf("Pull(%s) = ID %s digest %s cmd %q, want %s, %s, [sh]", ref, img.ID, img.Digest, img.Config.Cmd, wantID, wantDigest)
	}
	if out := runDockImage(t, e, ref, "sh", "-c", "echo from-buildah; cat /etc/os-release"); !strings.HasPrefix(out, "from-buildah\n") || !strings.Contains(out, "dock-test") {
		t.Errorf("Run(%s) printed %q", ref, out)
	}
}

package main

import (
	"regexp"
	"runtime"
	"strings"
	"testing"

	"github.com/go-dock/dock/internal/registrytest"
)

// TestCLIRunPulls: run and create pull a missing image as docker's do,
// with the pull's output on stderr; --pull always and never; --platform.
func TestCLIRunPulls(t *testing.T) {
	e := newEnv(t)
	reg := registrytest.Start(t)
	t.Setenv("DOCKER_CONFIG", t.TempDir())
	ref := reg.Host + "/library/busybox:v1"
	e.ok(nil, "tag", "busybox", ref)
	e.ok(nil, "push", ref)

	fresh := &env{t: t, bin: e.bin, root: t.TempDir()}
	// --pull never: a missing image is an error, and nothing is pulled.
	_, errOut, code := fresh.dock(nil, "run", "--rm", "--pull", "never", ref, "true")
	if code != 125 || !strings.Contains(errOut, "No such image: "+ref) {
		t.Errorf("run --pull never: exit %d, stderr %q", code, errOut)
	}
	if out := fresh.ok(nil, "images", "-q"); out != "" {
		t.Errorf("run --pull never pulled: images -q printed %q", out)
	}
	// Missing (the default): pulled, progress on stderr, stdout is the
	// container's.
	out, errOut, code := fresh.dock(nil, "run", "--rm", ref, "echo", "ran")
	if code != 0 || out != "ran\n" {
		t.Fatalf("run of a missing image: exit %d, stdout %q, stderr %q", code, out, errOut)
	}
	for _, re := range []string{
		`^Unable to find image '` + regexp.QuoteMeta(ref) + `' locally\n`,
		`\nv1: Pulling from library/busybox\n`,
		`\nDigest: sha256:[0-9a-f]{64}\n`,
		`\nStatus: Downloaded newer image for ` + regexp.QuoteMeta(ref) + `\n$`,
	} {
		if !regexp.MustCompile(re).MatchString(errOut) {
			t.Errorf("run's stderr %q, want a match for %q", errOut, re)
		}
	}
	// Present: no pull, nothing on stderr.
	if out, errOut, code := fresh.dock(nil, "run", "--rm", ref, "true"); code != 0 || out != "" || errOut != "" {
		t.Errorf("run of a present image: exit %d, stdout %q, stderr %q", code, out, errOut)
	}
	// --pull always: pulled again, up to date.
	_, errOut, code = fresh.dock(nil, "create", "--pull", "always", ref, "true")
	if code != 0 || !strings.HasSuffix(errOut, "Status: Image is up to date for "+ref+"\n") || strings.Contains(errOut, "Unable to find") {
		t.Errorf("create --pull always: exit %d, stderr %q", code, errOut)
	}
	// A platform the registry does not have: the pull's error, exit 125,
	// and the image of the host's platform is still there.
	_, errOut, code = fresh.dock(nil, "run", "--rm", "--platform", "linux/s390x", ref, "true")
	if code != 125 || !strings.Contains(errOut, "Unable to find image") {
		t.Errorf("run --platform linux/s390x: exit %d, stderr %q", code, errOut)
	}
	if out := fresh.ok(nil, "run", "--rm", "--platform", "linux/amd64", ref, "echo", "ok"); out != "ok\n" {
		t.Errorf("run --platform linux/amd64 printed %q", out)
	}
	// As docker: the OS alone is the host's architecture, an
	// architecture alone linux on it, in the usual aliases; a platform
	// that is none fails in containerd's words, before anything.
	if out, errOut, code := fresh.dock(nil, "run", "--rm", "--pull", "always", "--platform", "linux", ref, "echo", "ok"); code != 0 || out != "ok\n" {
		t.Errorf("run --pull always --platform linux: exit %d, stdout %q, stderr %q", code, out, errOut)
	}
	if out, errOut, code := fresh.dock(nil, "run", "--rm", "--platform", runtimeArchAlias(), ref, "echo", "ok"); code != 0 || out != "ok\n" || errOut != "" {
		t.Errorf("run --platform %s: exit %d, stdout %q, stderr %q", runtimeArchAlias(), code, out, errOut)
	}
	_, errOut, code = fresh.dock(nil, "run", "--rm", "--platform", "nope", ref, "true")
	if code != 125 || strings.Contains(errOut, "Unable to find") || !strings.Contains(errOut, `"nope": unknown operating system or architecture: invalid argument`) {
		t.Errorf("run --platform nope: exit %d, stderr %q", code, errOut)
	}
	// A bad --pull value: docker's words, exit 125, before anything.
	_, errOut, code = fresh.dock(nil, "run", "--pull", "sometimes", ref)
	if code != 125 || !strings.Contains(errOut, `invalid pull option: 'sometimes': must be one of "always", "missing" or "never"`) {
		t.Errorf("run --pull sometimes: exit %d, stderr %q", code, errOut)
	}
	// A registry that does not answer: the pull's error, exit 125.
	_, errOut, code = fresh.dock(nil, "run", "--rm", "127.0.0.1:1/nothing:here", "true")
	if code != 125 || !strings.Contains(errOut, "Unable to find image '127.0.0.1:1/nothing:here' locally") || strings.Contains(errOut, "Pulling from") {
		t.Errorf("run from a registry that is not there: exit %d, stderr %q", code, errOut)
	}
}

// runtimeArchAlias is the host's architecture by another name that
// docker takes for it ("x86_64", "aarch64").
func runtimeArchAlias() string {
	switch runtime.GOARCH {
	case "amd64":
		return "x86_64"
	case "arm64":
		return "aarch64"
	}
	return runtime.GOARCH
}

package main

import (
	"regexp"
	"strings"
	"testing"

	"github.com/go-dock/dock/internal/registrytest"
)

// push -a pushes every tag of the repository, and refuses a tag.
func TestCLIPushAllTags(t *testing.T) {
	e := newEnv(t)
	reg := registrytest.Start(t)
	t.Setenv("DOCKER_CONFIG", t.TempDir())
	repo := reg.Host + "/lib/all"
	e.ok(nil, "tag", "busybox", repo+":v2")
	e.ok(nil, "tag", "busybox", repo+":v1")
	e.ok(nil, "tag", "busybox", reg.Host+"/lib/other:v3")
	out := e.ok(nil, "push", "-a", repo)
	re := `^The push refers to repository \[` + regexp.QuoteMeta(repo) + `\]\n(.*\n)*v1: digest: sha256:[0-9a-f]{64} size: [1-9][0-9]*\n(.*\n)*v2: digest: sha256:[0-9a-f]{64} size: [1-9][0-9]*\n$`
	if !regexp.MustCompile(re).MatchString(out) || strings.Count(out, "The push refers") != 1 || strings.Contains(out, "v3") {
		t.Errorf("push -a printed %q", out)
	}
	e2 := &env{t: t, bin: e.bin, root: t.TempDir()}
	e2.ok(nil, "pull", "-q", repo+":v1")
	e2.ok(nil, "pull", "-q", repo+":v2")
	if _, errOut, code := e2.dock(nil, "pull", "-q", reg.Host+"/lib/other:v3"); code == 0 {
		t.Errorf("pull of a tag push -a of another repository pushed: stderr %q", errOut)
	}
	errOut := e.expect(1, "", "push", "-a", repo+":v1")
	if !strings.Contains(errOut, "tag can't be used with --all-tags/-a") {
		t.Errorf("push -a with a tag: stderr %q", errOut)
	}
	errOut = e.expect(1, "", "push", "--all-tags", reg.Host+"/lib/none")
	if !strings.Contains(errOut, "an image does not exist locally with the tag: "+reg.Host+"/lib/none") {
		t.Errorf("push -a of a repository without tags: stderr %q", errOut)
	}
}

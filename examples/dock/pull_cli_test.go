package main

import (
	"encoding/base64"
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/go-dock/dock/internal/registrytest"
)

func TestCLIPushPullLogin(t *testing.T) {
	e := newEnv(t)
	reg := registrytest.Start(t, registrytest.WithBasicAuth("alice", "s3cret"))
	t.Setenv("DOCKER_CONFIG", t.TempDir())
	ref := reg.Host + "/library/busybox:v1"
	e.ok(nil, "tag", "busybox", ref)

	// Without credentials: refused.
	if _, errOut, code := e.dock(nil, "push", ref); code != 1 || !strings.Contains(errOut, "401") {
		t.Errorf("push without login: exit %d, stderr %q", code, errOut)
	}
	out := e.ok([]byte("s3cret\n"), "login", "-u", "alice", "--password-stdin", reg.Host)
	if out != "Login Succeeded\n" {
		t.Errorf("login printed %q", out)
	}
	cfgPath := filepath.Join(os.Getenv("DOCKER_CONFIG"), "config.json")
	fi, err := os.Stat(cfgPath)
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("config.json: %v, %v, want mode 0600", fi, err)
	}
	var cfg struct {
		Auths map[string]struct{ Auth string } `json:"auths"`
	}
	b, _ := os.ReadFile(cfgPath)
	if err := json.Unmarshal(b, &cfg); err != nil || cfg.Auths[reg.Host].Auth != base64.StdEncoding.EncodeToString([]byte("alice:s3cret")) {
		t.Errorf("config.json = %s, %v", b, err)
	}

	out = e.ok(nil, "push", ref)
	for _, want := range []string{"The push refers to repository [" + reg.Host + "/library/busybox]\n", ": Pushed\n", "v1: digest: sha256:"} {
		if !strings.Contains(out, want) {
			t.Errorf("push printed %q, want %q in it", out, want)
		}
	}

	// A fresh state directory pulls it.
	e2 := &env{t: t, bin: e.bin, root: t.TempDir()}
	out = e2.ok(nil, "pull", ref)
	for _, re := range []string{
		`^v1: Pulling from library/busybox\n`,
		`\n[0-9a-f]{12}: Pulling fs layer\n`,
		`\n[0-9a-f]{12}: Downloading\n`,
		`\n[0-9a-f]{12}: Extracting\n`,
		`\n[0-9a-f]{12}: Pull complete\n`,
		`\nDigest: sha256:[0-9a-f]{64}\nStatus: Downloaded newer image for ` + regexp.QuoteMeta(ref) + `\n` + regexp.QuoteMeta(ref) + `\n$`,
	} {
		if !regexp.MustCompile(re).MatchString(out) {
			t.Errorf("pull printed %q, want a match for %q", out, re)
		}
	}
	out = e2.ok(nil, "pull", ref)
	if !strings.Contains(out, ": Already exists\n") || !strings.Contains(out, "Status: Image is up to date for "+ref+"\n") {
		t.Errorf("pull again printed %q", out)
	}
	if out := e2.ok(nil, "pull", "-q", ref); out != ref+"\n" {
		t.Errorf("pull -q printed %q", out)
	}
	e2.ok(nil, "run", "--rm", ref, "/bin/true")
	if _, errOut, code := e2.dock(nil, "pull", "-a", ref); code != 1 || !strings.Contains(errOut, "not supported") {
		t.Errorf("pull -a: exit %d, stderr %q", code, errOut)
	}
	if _, errOut, code := e2.dock(nil, "pull", reg.Host+"/library/busybox:nope"); code != 1 || !strings.Contains(errOut, "not found") && !strings.Contains(errOut, "unknown") {
		t.Errorf("pull of an unknown tag: exit %d, stderr %q", code, errOut)
	}

	if out := e.ok(nil, "logout", reg.Host); out != "Removing login credentials for "+reg.Host+"\n" {
		t.Errorf("logout printed %q", out)
	}
	if out := e.ok(nil, "logout", reg.Host); out != "Not logged in to "+reg.Host+"\n" {
		t.Errorf("logout again printed %q", out)
	}
	if _, _, code := e2.dock(nil, "pull", reg.Host+"/library/busybox:v1"); code == 0 {
		t.Error("pull after logout succeeded (the image is present, but the registry must refuse)")
	}
}

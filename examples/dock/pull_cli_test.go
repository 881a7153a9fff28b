package main

import (
	"encoding/base64"
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	ocispec "github.com/opencontainers/image-spec/specs-go/v1"

	"github.com/go-dock/dock/internal/registrytest"
	"github.com/go-dock/dock/internal/testutil"
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
	if _, errOut, code := e2.dock(nil, "pull", "-a", ref); code != 1 || !strings.Contains(errOut, "tag can't be used with --all-tags") {
		t.Errorf("pull -a NAME:TAG: exit %d, stderr %q", code, errOut)
	}
	// pull -a lists the tags with the credentials of config.json too.
	if out := e2.ok(nil, "pull", "-a", "-q", reg.Host+"/library/busybox"); out != reg.Host+"/library/busybox\n" {
		t.Errorf("pull -a -q printed %q", out)
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

// TestCLIPullAllTagsDigests checks pull -a (every tag the registry lists)
// and the DIGEST column of images --digests.
func TestCLIPullAllTagsDigests(t *testing.T) {
	e := newEnv(t)
	reg := registrytest.Start(t)
	t.Setenv("DOCKER_CONFIG", t.TempDir())
	repo := reg.Host + "/lib/bb"
	digestRow := func(out, repo, tag, dgst string) bool {
		re := `(?m)^` + regexp.QuoteMeta(repo) + `\s+` + regexp.QuoteMeta(tag) + `\s+` + dgst + `\s+[0-9a-f]{12}\s+.+ ago\s+[0-9.]+[kM]B$`
		return regexp.MustCompile(re).MatchString(out)
	}

	// Imported only: no repo digest.
	out := e.ok(nil, "images", "--digests")
	if !regexp.MustCompile(`^REPOSITORY\s+TAG\s+DIGEST\s+IMAGE ID\s+CREATED\s+SIZE\n`).MatchString(out) {
		t.Errorf("images --digests header:\n%s", out)
	}
	if !digestRow(out, "busybox", "latest", "<none>") {
		t.Errorf("images --digests of an imported image:\n%s", out)
	}
	e.ok(nil, "tag", "busybox", repo+":v1")
	e.ok(nil, "tag", "busybox", repo+":v2")
	pushed := e.ok(nil, "push", "-q", repo+":v1")
	e.ok(nil, "push", "-q", repo+":v2")
	if pushed != repo+":v1\n" {
		t.Errorf("push -q printed %q", pushed)
	}
	out = e.ok(nil, "images", "--digests")
	dgst := regexp.MustCompile(`sha256:[0-9a-f]{64}`).FindString(out)
	if dgst == "" || !digestRow(out, repo, "v1", dgst) || !digestRow(out, repo, "v2", dgst) || !digestRow(out, "busybox", "latest", "<none>") {
		t.Errorf("images --digests after push:\n%s", out)
	}
	// -q ignores --digests, as docker does: an ID per tag.
	if ids := strings.Fields(e.ok(nil, "images", "-q", "--digests")); len(ids) != 3 || ids[0] != ids[1] || ids[0] != ids[2] {
		t.Errorf("images -q --digests = %q", ids)
	}

	// A fresh state directory pulls every tag.
	e2 := &env{t: t, bin: e.bin, root: t.TempDir()}
	out = e2.ok(nil, "pull", "-a", repo)
	// The tags come in the registry's order, which nothing guarantees
	// (the CNCF registry lists its directory): v1 then v2, or v2 then v1.
	// The first downloads the layer, the second finds it.
	first, second := "v1", "v2"
	if strings.HasPrefix(out, "v2:") {
		first, second = second, first
	}
	for _, re := range []string{
		`^` + first + `: Pulling from lib/bb\n`,
		`\n[0-9a-f]{12}: Pull complete\n`,
		`\nDigest: ` + dgst + `\n` + second + `: Pulling from lib/bb\n`,
		`\n[0-9a-f]{12}: Already exists\n`,
		`\nDigest: ` + dgst + `\nStatus: Downloaded newer image for ` + regexp.QuoteMeta(repo) + `\n` + regexp.QuoteMeta(repo) + `\n$`,
	} {
		if !regexp.MustCompile(re).MatchString(out) {
			t.Errorf("pull -a printed %q, want a match for %q", out, re)
		}
	}
	out = e2.ok(nil, "images", "--digests")
	if !digestRow(out, repo, "v1", dgst) || !digestRow(out, repo, "v2", dgst) {
		t.Errorf("images --digests after pull -a:\n%s", out)
	}
	out = e2.ok(nil, "pull", "--all-tags", repo)
	if !strings.HasSuffix(out, "Status: Image is up to date for "+repo+"\n"+repo+"\n") {
		t.Errorf("pull -a again printed %q", out)
	}
	e2.expect(0, "v2\n", "run", "--rm", repo+":v2", "echo", "v2")
	if _, errOut, code := e2.dock(nil, "pull", "-a", reg.Host+"/lib/none"); code != 1 || !strings.Contains(errOut, "NAME_UNKNOWN") {
		t.Errorf("pull -a of an unknown repository: exit %d, stderr %q", code, errOut)
	}
}

// The digest push prints is the one the registry has: the first push of
// an imported image converts its layers, which gives it a new manifest.
func TestCLIPushPrintsPushedDigest(t *testing.T) {
	e := newEnv(t)
	reg := registrytest.Start(t)
	t.Setenv("DOCKER_CONFIG", t.TempDir())
	ref := reg.Host + "/lib/first:v1"
	e.ok(nil, "tag", "busybox", ref)
	out := e.ok(nil, "push", ref)
	m := regexp.MustCompile(`\nv1: digest: (sha256:[0-9a-f]{64}) size: ([0-9]+)\n$`).FindStringSubmatch(out)
	if m == nil {
		t.Fatalf("push printed %q, want a last line v1: digest: sha256:... size: N", out)
	}
	// The size is the manifest's, as the registry has it.
	req, err := http.NewRequest(http.MethodHead, reg.URL+"/v2/lib/first/manifests/"+m[1], nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Accept", ocispec.MediaTypeImageManifest)
	resp, err := reg.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if size := strconv.FormatInt(resp.ContentLength, 10); resp.StatusCode != http.StatusOK || size != m[2] || resp.ContentLength <= 0 {
		t.Errorf("push printed size %s; the registry answers %d with %d bytes", m[2], resp.StatusCode, resp.ContentLength)
	}
	// Pulled by that digest into a fresh state directory.
	e2 := &env{t: t, bin: e.bin, root: t.TempDir()}
	byDigest := reg.Host + "/lib/first@" + m[1]
	if out := e2.ok(nil, "pull", "-q", byDigest); out != byDigest+"\n" {
		t.Errorf("pull -q %s printed %q", byDigest, out)
	}
	// Pushed again, the same digest.
	if out := e.ok(nil, "push", ref); !strings.HasSuffix(out, "\nv1: digest: "+m[1]+" size: "+m[2]+"\n") {
		t.Errorf("push again printed %q, want digest %s", out, m[1])
	}
}

// login checks the credentials with the registry (Basic or token auth)
// before it stores them, and with a credsStore stores them through the
// credential helper, as docker does: config.json keeps no password.
func TestCLILoginChecksAndUsesCredsStore(t *testing.T) {
	e := newEnv(t)
	reg := registrytest.Start(t, registrytest.WithBasicAuth("alice", "s3cret"))
	t.Setenv("DOCKER_CONFIG", t.TempDir())
	cfgPath := filepath.Join(os.Getenv("DOCKER_CONFIG"), "config.json")
	if err := os.WriteFile(cfgPath, []byte(`{"credsStore": "docktest"}`), 0o600); err != nil {
		t.Fatal(err)
	}
	helper := testutil.InstallCredHelper(t, "docktest")

	_, errOut, code := e.dock([]byte("wrong\n"), "login", "-u", "alice", "--password-stdin", reg.Host)
	if code != 1 || !strings.Contains(errOut, "401") {
		t.Errorf("login with a wrong password: exit %d, stderr %q; want 1 and the registry's 401", code, errOut)
	}
	if calls := helper.Calls(t); len(calls) != 0 {
		t.Errorf("helper calls after a refused login: %q", calls)
	}
	if out := e.ok([]byte("s3cret\n"), "login", "-u", "alice", "--password-stdin", reg.Host); out != "Login Succeeded\n" {
		t.Errorf("login printed %q", out)
	}
	if user, secret, ok := helper.Stored(t, reg.Host); !ok || user != "alice" || secret != "s3cret" {
		t.Errorf("credential helper keeps %q, %q, %v; want alice, s3cret", user, secret, ok)
	}
	cfg, _ := os.ReadFile(cfgPath)
	if strings.Contains(string(cfg), "s3cret") || strings.Contains(string(cfg), base64.StdEncoding.EncodeToString([]byte("alice:s3cret"))) ||
		!strings.Contains(string(cfg), `"credsStore": "docktest"`) {
		t.Errorf("config.json after login with a credsStore:\n%s", cfg)
	}
	// push gets them from the helper.
	ref := reg.Host + "/lib/bb:v1"
	e.ok(nil, "tag", "busybox", ref)
	e.ok(nil, "push", "-q", ref)
	if out := e.ok(nil, "logout", reg.Host); out != "Removing login credentials for "+reg.Host+"\n" {
		t.Errorf("logout printed %q", out)
	}
	if _, _, ok := helper.Stored(t, reg.Host); ok {
		t.Error("the helper still has the credentials after logout")
	}
	if _, errOut, code := e.dock(nil, "push", ref); code != 1 || !strings.Contains(errOut, "401") {
		t.Errorf("push after logout: exit %d, stderr %q; want 1 and 401", code, errOut)
	}

	// Token auth: the token server must grant the credentials.
	treg := registrytest.Start(t, registrytest.WithTokenUser("bob", "pw", "*"))
	if _, errOut, code := e.dock([]byte("nope\n"), "login", "-u", "bob", "--password-stdin", treg.Host); code != 1 || !strings.Contains(errOut, "401") {
		t.Errorf("login to a token registry with a wrong password: exit %d, stderr %q", code, errOut)
	}
	e.ok([]byte("pw\n"), "login", "-u", "bob", "--password-stdin", treg.Host)
	if user, secret, ok := helper.Stored(t, treg.Host); !ok || user != "bob" || secret != "pw" {
		t.Errorf("credential helper keeps %q, %q, %v for the token registry; want bob, pw", user, secret, ok)
	}
}

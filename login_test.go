package dock

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/go-dock/dock/internal/registrytest"
	"github.com/go-dock/dock/internal/testutil"
)

// loginEngine opens an engine whose Docker config is the file it returns
// (not there yet).
func loginEngine(t *testing.T) (*Engine, string) {
	t.Helper()
	cfg := filepath.Join(t.TempDir(), "docker", "config.json")
	e, err := Open(t.TempDir(), WithRegistryConfig(RegistryConfig{DockerConfig: cfg}))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { e.Close() })
	return e, cfg
}

func readConfig(t *testing.T, path string) map[string]json.RawMessage {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]json.RawMessage
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return m
}

// pullStatus pulls a tag the registry does not have: 404 with accepted
// credentials, 401 without.
func pullStatus(t *testing.T, e *Engine, ref string) int {
	t.Helper()
	_, err := e.Pull(context.Background(), ref)
	var re *RegistryError
	if !errors.As(err, &re) {
		t.Fatalf("Pull(%q) = %v, want a *RegistryError", ref, err)
	}
	return re.StatusCode
}

// Login checks the credentials with the registry (Basic or token auth)
// before it stores them; refused ones are not stored.
func TestLoginChecksCredentials(t *testing.T) {
	ctx := context.Background()
	for _, tc := range []struct {
		name string
		opt  registrytest.Option
	}{
		{"basic", registrytest.WithBasicAuth("alice", "s3cret")},
		{"token", registrytest.WithTokenUser("alice", "s3cret", "*")},
	} {
		t.Run(tc.name, func(t *testing.T) {
			reg := registrytest.Start(t, tc.opt)
			e, cfg := loginEngine(t)
			err := e.Login(ctx, reg.Host, "alice", "wrong")
			var re *RegistryError
			if !errors.As(err, &re) || re.StatusCode != 401 {
				t.Fatalf("Login with a wrong password = %v, want a *RegistryError 401", err)
			}
			if _, err := os.Stat(cfg); !errors.Is(err, os.ErrNotExist) {
				t.Errorf("config.json after a refused login: %v, want none", err)
			}
			if err := e.Login(ctx, "http://"+reg.Host+"/v2/", "alice", "s3cret"); err != nil {
				t.Fatalf("Login = %v", err)
			}
			if tc.name == "token" {
				reqs := reg.TokenRequests(t)
				if len(reqs) == 0 || reqs[len(reqs)-1].User != "alice" || reqs[len(reqs)-1].Status != 200 {
					t.Errorf("token requests %+v, want the last one for alice", reqs)
				}
			}
			var auths map[string]struct{ Auth string }
			if err := json.Unmarshal(readConfig(t, cfg)["auths"], &auths); err != nil ||
				auths[reg.Host].Auth != base64.StdEncoding.EncodeToString([]byte("alice:s3cret")) {
				t.Errorf("auths = %+v, %v; want alice:s3cret for %s", auths, err, reg.Host)
			}
			if fi, err := os.Stat(cfg); err != nil || fi.Mode().Perm() != 0o600 {
				t.Errorf("config.json: %v, %v; want mode 0600", fi, err)
			}
			// Pull finds them.
			if got := pullStatus(t, e, reg.Host+"/app/none:v1"); got != 404 {
				t.Errorf("pull after login: status %d, want 404 (credentials accepted)", got)
			}
			if err := e.Logout(ctx, reg.Host); err != nil {
				t.Errorf("Logout = %v", err)
			}
			if err := e.Logout(ctx, reg.Host); !errors.Is(err, ErrNotFound) {
				t.Errorf("Logout again = %v, want ErrNotFound", err)
			}
		})
	}
}

// With a credsStore (or a credHelpers entry for the registry), Login
// stores the credentials with the helper: config.json gets an entry
// without secret, and keeps its other fields; Logout erases them there.
func TestLoginCredentialHelper(t *testing.T) {
	ctx := context.Background()
	reg := registrytest.Start(t, registrytest.WithBasicAuth("alice", "s3cret"))
	store := testutil.InstallCredHelper(t, "docktest")
	other := testutil.InstallCredHelper(t, "docktest-other")
	e, cfg := loginEngine(t)
	if err := os.MkdirAll(filepath.Dir(cfg), 0o700); err != nil {
		t.Fatal(err)
	}
	initial := `{"credsStore": "docktest", "credHelpers": {"other.example.com": "docktest-other"}, "psFormat": "{{.ID}}", "auths": {"other.example.com": {}}}`
	if err := os.WriteFile(cfg, []byte(initial), 0o600); err != nil {
		t.Fatal(err)
	}

	if err := e.Login(ctx, reg.Host, "alice", "wrong"); err == nil {
		t.Fatal("Login with a wrong password succeeded")
	}
	if calls := store.Calls(t); len(calls) != 0 {
		t.Errorf("helper calls after a refused login: %q, want none", calls)
	}
	if err := e.Login(ctx, reg.Host, "alice", "s3cret"); err != nil {
		t.Fatalf("Login = %v", err)
	}
	if user, secret, ok := store.Stored(t, reg.Host); !ok || user != "alice" || secret != "s3cret" {
		t.Errorf("helper keeps %q, %q, %v; want alice, s3cret", user, secret, ok)
	}
	b, _ := os.ReadFile(cfg)
	if strings.Contains(string(b), "s3cret") || strings.Contains(string(b), base64.StdEncoding.EncodeToString([]byte("alice:s3cret"))) {
		t.Errorf("config.json holds the password:\n%s", b)
	}
	m := readConfig(t, cfg)
	var auths map[string]map[string]any
	if err := json.Unmarshal(m["auths"], &auths); err != nil || auths[reg.Host] == nil || len(auths[reg.Host]) != 0 || auths["other.example.com"] == nil {
		t.Errorf("auths = %v, %v; want an empty entry for %s, and other.example.com's kept", auths, err, reg.Host)
	}
	if string(m["psFormat"]) != `"{{.ID}}"` || string(m["credsStore"]) != `"docktest"` {
		t.Errorf("config.json lost its other fields:\n%s", b)
	}
	// A new engine finds them through the helper.
	e2, err := Open(t.TempDir(), WithRegistryConfig(RegistryConfig{DockerConfig: cfg}))
	if err != nil {
		t.Fatal(err)
	}
	defer e2.Close()
	if got := pullStatus(t, e2, reg.Host+"/app/none:v1"); got != 404 {
		t.Errorf("pull after login: status %d, want 404 (credentials from the helper)", got)
	}

	if err := e.Logout(ctx, reg.Host); err != nil {
		t.Fatalf("Logout = %v", err)
	}
	if _, _, ok := store.Stored(t, reg.Host); ok {
		t.Error("the helper still has the credentials after Logout")
	}
	if !slices.Equal(store.Calls(t), []string{"store", "get", "erase"}) {
		t.Errorf("helper calls %q, want store, get, erase", store.Calls(t))
	}
	if calls := other.Calls(t); len(calls) != 0 {
		t.Errorf("the other registry's helper was called: %q", calls)
	}
}

// CheckLogin checks as Login does and stores nothing.
func TestCheckLoginStoresNothing(t *testing.T) {
	ctx := context.Background()
	reg := registrytest.Start(t, registrytest.WithBasicAuth("alice", "s3cret"))
	e, cfg := loginEngine(t)
	err := e.CheckLogin(ctx, reg.Host, "alice", "wrong")
	var re *RegistryError
	if !errors.As(err, &re) || re.StatusCode != 401 {
		t.Fatalf("CheckLogin with a wrong password = %v, want a *RegistryError 401", err)
	}
	if err := e.CheckLogin(ctx, reg.Host, "alice", "s3cret"); err != nil {
		t.Fatalf("CheckLogin = %v", err)
	}
	if _, err := os.Stat(cfg); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("config.json after CheckLogin: %v, want none", err)
	}
	if got := pullStatus(t, e, reg.Host+"/app/none:v1"); got != 401 {
		t.Errorf("pull after CheckLogin: status %d, want 401 (nothing stored)", got)
	}
	if err := e.CheckLogin(ctx, reg.Host, "", "x"); !errors.Is(err, ErrInvalid) {
		t.Errorf("CheckLogin without a user = %v, want ErrInvalid", err)
	}
}

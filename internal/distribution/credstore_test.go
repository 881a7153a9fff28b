package distribution

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/go-dock/dock/internal/testutil"
)

func TestStoreEraseCredential(t *testing.T) {
	ctx := context.Background()
	helper := testutil.InstallCredHelper(t, "docktest")
	path := filepath.Join(t.TempDir(), "config.json")
	write := func(s string) {
		t.Helper()
		if err := os.WriteFile(path, []byte(s), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	auths := func() map[string]authEntry {
		t.Helper()
		var cfg dockerConfig
		b, _ := os.ReadFile(path)
		if err := json.Unmarshal(b, &cfg); err != nil {
			t.Fatal(err)
		}
		return cfg.Auths
	}
	cred := Credential{Username: "u", Password: "p"}

	// No helper: base64 in auths, Docker Hub under its URL key.
	write(`{"auths": {"keep.example.com": {"auth": "a2VlcDpr"}}}`)
	if err := StoreCredential(ctx, path, "index.docker.io", cred); err != nil {
		t.Fatal(err)
	}
	a := auths()
	if a[dockerHubConfigKey].Auth != base64.StdEncoding.EncodeToString([]byte("u:p")) || a["keep.example.com"].Auth != "a2VlcDpr" {
		t.Errorf("auths = %+v", a)
	}
	if got, err := configCredential(ctx, path, "docker.io"); err != nil || got != cred {
		t.Errorf("configCredential after StoreCredential = %+v, %v", got, err)
	}

	// credHelpers for the host wins over credsStore (which is missing).
	write(`{"credsStore": "missing-helper", "credHelpers": {"reg:5000": "docktest"}}`)
	if err := StoreCredential(ctx, path, "reg:5000", cred); err != nil {
		t.Fatal(err)
	}
	if u, p, ok := helper.Stored(t, "reg:5000"); !ok || u != "u" || p != "p" {
		t.Errorf("helper keeps %q %q %v", u, p, ok)
	}
	if e := auths()["reg:5000"]; e != (authEntry{}) {
		t.Errorf("auths entry with a helper = %+v, want empty", e)
	}
	if got, err := configCredential(ctx, path, "reg:5000"); err != nil || got != cred {
		t.Errorf("configCredential through the helper = %+v, %v", got, err)
	}
	// A helper that fails to store: an error, config.json unchanged.
	if err := StoreCredential(ctx, path, "other:5000", cred); err == nil {
		t.Error("StoreCredential with a missing credsStore helper succeeded")
	}
	if _, ok := auths()["other:5000"]; ok {
		t.Error("config.json has an entry for a failed store")
	}

	// Erase: the helper's copy and the entry.
	if found, err := EraseCredential(ctx, path, "reg:5000"); !found || err != nil {
		t.Errorf("EraseCredential = %v, %v", found, err)
	}
	if _, _, ok := helper.Stored(t, "reg:5000"); ok {
		t.Error("the helper kept the credentials")
	}
	before, _ := os.ReadFile(path)
	if found, err := EraseCredential(ctx, path, "reg:5000"); found || err != nil {
		t.Errorf("EraseCredential again = %v, %v; want false, nil", found, err)
	}
	if after, _ := os.ReadFile(path); string(after) != string(before) {
		t.Errorf("EraseCredential of nothing changed config.json:\n%s\nto\n%s", before, after)
	}
	// A helper that fails to erase: the entry goes, the error comes.
	write(`{"credsStore": "missing-helper", "auths": {"x:1": {}}}`)
	found, err := EraseCredential(ctx, path, "x:1")
	var he *HelperError
	if !found || !errors.As(err, &he) {
		t.Errorf("EraseCredential with a failing helper = %v, %v; want true and a *HelperError", found, err)
	}
	if _, ok := auths()["x:1"]; ok {
		t.Error("the entry stayed after a failing helper")
	}
}

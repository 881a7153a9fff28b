package testutil

import (
	"encoding/hex"
	"encoding/json"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// CredHelper is a Docker credential helper for tests: a shell script,
// docker-credential-NAME, that keeps the credentials it is given in files
// of its directory and speaks the helper protocol (store reads
// {"ServerURL","Username","Secret"} on stdin; get and erase read the
// server URL; an unknown URL is "credentials not found"). A credential
// helper is an external program: the script is the real interface.
type CredHelper struct {
	dir string
}

// InstallCredHelper writes docker-credential-name into a directory of the
// test's and puts that directory first in PATH (t.Setenv: the test cannot
// be parallel).
func InstallCredHelper(t testing.TB, name string) *CredHelper {
	t.Helper()
	dir := t.TempDir()
	script := `#!/bin/sh
dir='` + dir + `'
key() { printf %s "$1" | od -An -tx1 | tr -d ' \n'; }
echo "$1" >> "$dir/calls"
case "$1" in
store)
	cat > "$dir/in"
	url=$(sed -n 's/.*"ServerURL":"\([^"]*\)".*/\1/p' "$dir/in")
	[ -n "$url" ] || { echo "no ServerURL"; exit 1; }
	mv "$dir/in" "$dir/cred-$(key "$url")"
	;;
get|erase)
	read -r url
	f="$dir/cred-$(key "$url")"
	[ -f "$f" ] || { echo "credentials not found in native keychain"; exit 1; }
	if [ "$1" = get ]; then cat "$f"; else rm "$f"; fi
	;;
*)
	echo "unknown action $1"; exit 1
	;;
esac
`
	if err := os.WriteFile(filepath.Join(dir, "docker-credential-"+name), []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	t.Setenv("PATH", dir+string(os.PathListSeparator)+os.Getenv("PATH"))
	return &CredHelper{dir: dir}
}

// Stored returns the credentials the helper keeps for serverURL.
func (h *CredHelper) Stored(t testing.TB, serverURL string) (user, secret string, ok bool) {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(h.dir, "cred-"+hex.EncodeToString([]byte(serverURL))))
	if errors.Is(err, fs.ErrNotExist) {
		return "", "", false
	}
	if err != nil {
		t.Fatal(err)
	}
	var v struct{ ServerURL, Username, Secret string }
	if err := json.Unmarshal(b, &v); err != nil || v.ServerURL != serverURL {
		t.Fatalf("credential helper's file for %s: %q, %v", serverURL, b, err)
	}
	return v.Username, v.Secret, true
}

// Calls returns the actions the helper was run with, in order.
func (h *CredHelper) Calls(t testing.TB) []string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(h.dir, "calls"))
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		t.Fatal(err)
	}
	return strings.Fields(string(b))
}

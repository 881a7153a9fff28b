package dockerapi

import (
	"archive/tar"
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/go-dock/dock"
)

// hostSecret is the content of the host file that the hostile image's
// symlinks point at: no archive request may return it or write there.
const hostSecret = "HOST-SECRET-7f3a"

// hostileImage is an image whose links point out of any root: at the
// host's dir (absolute, and relative with enough ..) and at its secret
// file, with a loop and a link up inside.
func hostileImage(t testing.TB, hostDir string) []byte {
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	mod := time.Unix(1700000000, 0)
	for _, h := range []tar.Header{
		{Name: "etc/", Typeflag: tar.TypeDir, Mode: 0o755},
		{Name: "etc/hostname", Typeflag: tar.TypeReg, Mode: 0o644, Size: int64(len("inside\n"))},
		{Name: "abs", Typeflag: tar.TypeSymlink, Linkname: hostDir},
		{Name: "rel", Typeflag: tar.TypeSymlink, Linkname: "../../../../../../../../../../.." + hostDir},
		{Name: "file", Typeflag: tar.TypeSymlink, Linkname: filepath.Join(hostDir, "secret")},
		{Name: "loop", Typeflag: tar.TypeSymlink, Linkname: "loop"},
		{Name: "d/", Typeflag: tar.TypeDir, Mode: 0o755},
		{Name: "d/up", Typeflag: tar.TypeSymlink, Linkname: "../../.."},
	} {
		h.ModTime = mod
		require.NoError(t, tw.WriteHeader(&h))
		if h.Size > 0 {
			_, err := tw.Write([]byte("inside\n"))
			require.NoError(t, err)
		}
	}
	require.NoError(t, tw.Close())
	return buf.Bytes()
}

// FuzzArchivePath: HEAD, GET and PUT /containers/{id}/archive over a
// created container whose image links out of its root, with any path
// (relative, absolute, .., NUL, very long) and, for a PUT, a tar of a
// link and a file through it: the host's file the links point at is never
// returned, changed or joined by another.
func FuzzArchivePath(f *testing.F) {
	hostDir := f.TempDir()
	secret := filepath.Join(hostDir, "secret")
	require.NoError(f, os.WriteFile(secret, []byte(hostSecret), 0o644))
	e, err := dock.Open(f.TempDir())
	require.NoError(f, err)
	f.Cleanup(func() { e.Close() })
	ctx := context.Background()
	_, err = e.Import(ctx, bytes.NewReader(hostileImage(f, hostDir)), "hostile:latest")
	require.NoError(f, err)
	_, err = e.Create(ctx, dock.Config{Image: "hostile", Name: "arch", Cmd: []string{"x"}})
	require.NoError(f, err)
	h := Handler(e, WithHandlerLogger(slog.New(slog.NewTextHandler(discard{}, nil))))

	for _, seed := range []struct {
		op                          uint8
		path, name, target, through string
	}{
		{1, "/abs/secret", "", "", ""},
		{1, "/rel/secret", "", "", ""},
		{1, "/file", "", "", ""},
		{1, "/abs/", "", "", ""},
		{1, "/d/up/abs/secret", "", "", ""},
		{1, "../../../../" + secret, "", "", ""},
		{0, "/file", "", "", ""},
		{1, "/loop/x", "", "", ""},
		{1, "/etc/hostname\x00/../../abs", "", "", ""},
		{2, "/abs", "x", "", "pwned"},
		{2, "/", "esc", hostDir, "esc/pwned"},
		{2, "/", "esc", "../../../../../../../" + hostDir, "esc/secret"},
		{2, "/d/up", "file", "", "file"},
		{2, "/rel", "../secret", "", "secret"},
		{2, "/", "", "", "../../../../../../" + hostDir[1:] + "/pwned"},
		{1, "/" + string(bytes.Repeat([]byte("a/"), 3000)), "", "", ""},
	} {
		f.Add(seed.op, seed.path, seed.name, seed.target, seed.through)
	}

	f.Fuzz(func(t *testing.T, op uint8, path, name, target, through string) {
		method := []string{"HEAD", "GET", "PUT"}[int(op)%3]
		var body []byte
		if method == "PUT" {
			var buf bytes.Buffer
			tw := tar.NewWriter(&buf)
			if name != "" {
				if tw.WriteHeader(&tar.Header{Name: name, Typeflag: tar.TypeSymlink, Linkname: target, Mode: 0o777}) != nil {
					return
				}
			}
			if tw.WriteHeader(&tar.Header{Name: through, Typeflag: tar.TypeReg, Mode: 0o644, Size: 5}) != nil {
				return
			}
			tw.Write([]byte("PWNED"))
			tw.Close()
			body = buf.Bytes()
		}
		u := &url.URL{Path: "/v1.45/containers/arch/archive", RawQuery: url.Values{"path": {path}}.Encode()}
		req := httptest.NewRequest(method, u.String(), bytes.NewReader(body))
		req.Header.Set("Content-Type", "application/x-tar")
		w := httptest.NewRecorder()
		h.ServeHTTP(w, req)

		if w.Code < 100 || w.Code > 599 {
			t.Fatalf("%s %q: status %d", method, path, w.Code)
		}
		if w.Code >= 500 && method != "HEAD" {
			var msg struct{ Message string }
			if json.Unmarshal(w.Body.Bytes(), &msg) != nil || msg.Message == "" {
				t.Fatalf("%s %q: %d without a JSON message: %q", method, path, w.Code, w.Body.String())
			}
		}
		if bytes.Contains(w.Body.Bytes(), []byte(hostSecret)) {
			t.Fatalf("%s %q: the host's file came back", method, path)
		}
		got, err := os.ReadFile(secret)
		if err != nil || string(got) != hostSecret {
			t.Fatalf("%s %q (%q -> %q, %q): the host's file changed: %q %v", method, path, name, target, through, got, err)
		}
		ents, err := os.ReadDir(hostDir)
		if err != nil || len(ents) != 1 {
			t.Fatalf("%s %q (%q -> %q, %q): the host's dir gained files: %v %v", method, path, name, target, through, ents, err)
		}
	})
}

package dock

import (
	"context"
	"crypto/sha256"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/go-dock/dock/internal/testutil"
	"github.com/stretchr/testify/require"
)

// buildSteps builds dir and returns the image and the progress lines.
func buildSteps(t *testing.T, e *Engine, dir string, opts ...BuildOption) (*Image, []string, error) {
	t.Helper()
	var steps []string
	opts = append(opts, BuildProgress(func(s string) { steps = append(steps, s) }))
	img, err := e.Build(context.Background(), dir, opts...)
	return img, steps, err
}

func TestBuildCopyHeredoc(t *testing.T) {
	e := testEngine(t)
	dir := buildContext(t, map[string]string{
		"Dockerfile": "FROM busybox\n" +
			"ARG WHO=me\n" +
			"ENV GREETING=hello\n" +
			"COPY <<EOF /greet.txt\n" +
			"$GREETING ${WHO} 'q' \"d\" \\$HOME\n" +
			"EOF\n" +
			"COPY <<'EOF' /raw.txt\n" +
			"$GREETING \"x\"\n" +
			"EOF\n" +
			"COPY --chmod=0755 --chown=1000:1001 <<a.sh <<b.txt /dir/\n" +
			"#!/bin/sh\n" +
			"echo run $0\n" +
			"a.sh\n" +
			"B\n" +
			"b.txt\n" +
			"ADD <<-EOF /tabs.txt\n" +
			"\ttabbed\n" +
			"\t\ttwo\n" +
			"\tEOF\n" +
			"COPY <<EOF ctxfile /mixed/\n" +
			"inline\n" +
			"EOF\n",
		"ctxfile": "from context\n",
	})
	_, _, err := buildSteps(t, e, dir, BuildTag("heredoc"), BuildArg("WHO", "you"))
	require.NoError(t, err)
	out := runOut(t, e, "heredoc", "sh", "-c",
		"cat /greet.txt /raw.txt /dir/b.txt /tabs.txt /mixed/EOF /mixed/ctxfile; /dir/a.sh; "+
			"stat -c '%a %u:%g %n' /greet.txt /raw.txt /dir/a.sh /dir/b.txt /dir /tabs.txt /mixed/EOF")
	require.Equal(t, "hello you 'q' \"d\" $HOME\n"+
		"$GREETING \"x\"\n"+
		"B\n"+
		"tabbed\ntwo\n"+
		"inline\n"+
		"from context\n"+
		"run /dir/a.sh\n"+
		"644 0:0 /greet.txt\n"+
		"644 0:0 /raw.txt\n"+
		"755 1000:1001 /dir/a.sh\n"+
		"755 1000:1001 /dir/b.txt\n"+
		"755 1000:1001 /dir\n"+
		"644 0:0 /tabs.txt\n"+
		"644 0:0 /mixed/EOF\n", out)
	noContainers(t, e)
}

func TestBuildCopyHeredocCache(t *testing.T) {
	e := testEngine(t)
	df := func(body string) string {
		return "FROM busybox\nARG V=1\nCOPY <<EOF /f\n" + body + "\nEOF\nCOPY <<'EOF' /g\n$V\nEOF\n"
	}
	dir := buildContext(t, map[string]string{"Dockerfile": df("one $V")})
	epoch := time.Unix(1700000000, 0)
	img1, _, err := buildSteps(t, e, dir, BuildSourceDateEpoch(epoch))
	require.NoError(t, err)
	require.Equal(t, "one 1\n$V\n1700000000\n", runOut(t, e, img1.ID, "sh", "-c", "cat /f /g; stat -c %Y /f"))

	img2, steps, err := buildSteps(t, e, dir, BuildSourceDateEpoch(epoch))
	require.NoError(t, err)
	require.Equal(t, img1.ID, img2.ID)
	require.Equal(t, 3, strings.Count(strings.Join(steps, "\n"), cacheUsed), "ARG and both COPY steps cached: %q", steps)

	// Only the here-document's body changed: the instruction text is the
	// same, the content is part of the key.
	require.NoError(t, os.WriteFile(filepath.Join(dir, "Dockerfile"), []byte(df("two $V")), 0o644))
	img3, steps, err := buildSteps(t, e, dir, BuildSourceDateEpoch(epoch))
	require.NoError(t, err)
	require.NotEqual(t, img1.ID, img3.ID)
	require.Equal(t, 1, strings.Count(strings.Join(steps, "\n"), cacheUsed), "only ARG cached: %q", steps)
	require.Equal(t, "two 1\n", runOut(t, e, img3.ID, "cat", "/f"))

	// A build argument that the expansion uses changes the content.
	img4, _, err := buildSteps(t, e, dir, BuildSourceDateEpoch(epoch), BuildArg("V", "2"))
	require.NoError(t, err)
	require.Equal(t, "two 2\n$V\n", runOut(t, e, img4.ID, "cat", "/f", "/g"))
	noContainers(t, e)
}

func TestBuildCopyHeredocInvalid(t *testing.T) {
	e := testStore(t)
	for _, tc := range []struct{ df, want string }{
		{"FROM busybox\nCOPY <<.. /d/\nx\n..\n", "not a file name"},
		{"FROM busybox\nCOPY Dockerfile <<EOF\nx\nEOF\n", "is a here-document"},
		{"FROM busybox\nCOPY <<EOF /f\n${x\nEOF\n", "here-document EOF: unsupported modifier"},
	} {
		dir := buildContext(t, map[string]string{"Dockerfile": tc.df})
		_, err := e.Build(context.Background(), dir, BuildTag("bad"))
		var be *BuildError
		require.ErrorAs(t, err, &be, tc.df)
		require.Equal(t, 2, be.Line, tc.df)
		require.ErrorContains(t, err, tc.want, tc.df)
		_, err = e.Image(context.Background(), "bad")
		require.ErrorIs(t, err, ErrNotFound)
	}
	noContainers(t, e)
}

// addServer is a loopback HTTP server for ADD: /file.txt (with
// Last-Modified), /plain (without), /archive.tar (a tar archive),
// /changing (content set by the test), /secret (basic auth user:s3cret),
// /missing (404), /broken (500), /truncated (a body shorter than its
// Content-Length), /loop (a redirect loop), /slow (half a body, then
// waits for the client to go).
type addServer struct {
	*httptest.Server
	mu       sync.Mutex
	changing string
	hits     map[string]int
	started  chan struct{} // closed when /slow sent its first half
}

var addLastModified = time.Unix(1e9, 0).UTC()

func newAddServer(t *testing.T) *addServer {
	s := &addServer{changing: "v1\n", hits: map[string]int{}, started: make(chan struct{})}
	tarball := testutil.Tar(t, testutil.TarEntry{Name: "in/tar.txt", Body: "yes", Mode: 0o644})
	mux := http.NewServeMux()
	mux.HandleFunc("/file.txt", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Last-Modified", addLastModified.Format(http.TimeFormat))
		io.WriteString(w, "payload\n")
	})
	mux.HandleFunc("/plain", func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "plain\n") })
	mux.HandleFunc("/archive.tar", func(w http.ResponseWriter, r *http.Request) { w.Write(tarball) })
	mux.HandleFunc("/changing", func(w http.ResponseWriter, r *http.Request) {
		s.mu.Lock()
		defer s.mu.Unlock()
		io.WriteString(w, s.changing)
	})
	mux.HandleFunc("/secret", func(w http.ResponseWriter, r *http.Request) {
		if u, p, ok := r.BasicAuth(); !ok || u != "user" || p != "s3cret" {
			http.Error(w, "who are you", http.StatusUnauthorized)
			return
		}
		io.WriteString(w, "classified\n")
	})
	mux.HandleFunc("/broken", func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, "oops", http.StatusInternalServerError)
	})
	mux.HandleFunc("/truncated", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Length", "1000")
		io.WriteString(w, "only a part")
	})
	mux.HandleFunc("/loop", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "/loop", http.StatusFound)
	})
	mux.HandleFunc("/slow", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Length", "2000")
		w.Write(make([]byte, 1000))
		w.(http.Flusher).Flush()
		close(s.started)
		<-r.Context().Done()
	})
	s.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.mu.Lock()
		s.hits[r.URL.Path]++
		s.mu.Unlock()
		mux.ServeHTTP(w, r)
	}))
	t.Cleanup(s.Close)
	return s
}

func (s *addServer) hitsOf(p string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.hits[p]
}

// tmpEmpty checks that nothing is left in the engine's tmp/.
func tmpEmpty(t *testing.T, e *Engine) {
	t.Helper()
	des, err := os.ReadDir(e.path("tmp"))
	require.NoError(t, err)
	require.Empty(t, des, "left in tmp/")
}

func TestBuildAddURL(t *testing.T) {
	e := testEngine(t)
	srv := newAddServer(t)
	authURL := strings.Replace(srv.URL, "http://", "http://user:s3cret@", 1)
	dir := buildContext(t, map[string]string{
		"Dockerfile": "FROM busybox\n" +
			"ADD " + srv.URL + "/file.txt " + srv.URL + "/archive.tar /dl/\n" +
			"ADD --chown=1000:1001 --chmod=0640 " + srv.URL + "/plain /renamed\n" +
			"ADD " + authURL + "/secret /\n" +
			"ADD --checksum=sha256:" + fmt.Sprintf("%x", sha256.Sum256([]byte("payload\n"))) + " " + srv.URL + "/file.txt /checked\n",
	})
	before := time.Now().Add(-time.Second).Unix()
	img, steps, err := buildSteps(t, e, dir, BuildTag("added"))
	require.NoError(t, err)
	for _, s := range steps {
		require.NotContains(t, s, "s3cret", "progress shows credentials")
	}
	require.Contains(t, strings.Join(steps, "\n"), "ADD http://xxxxx@127.0.0.1")
	for _, h := range img.History {
		require.NotContains(t, h.CreatedBy, "s3cret", "history shows credentials")
	}
	tarball := testutil.Tar(t, testutil.TarEntry{Name: "in/tar.txt", Body: "yes", Mode: 0o644})
	out := runOut(t, e, "added", "sh", "-c",
		"cat /dl/file.txt /renamed /secret /checked; ls /dl/in 2>&1 || echo not extracted; "+
			"stat -c '%a %u:%g %Y %s %n' /dl/file.txt /dl/archive.tar /checked; stat -c '%a %u:%g %s %n' /renamed /secret; "+
			"stat -c %Y /renamed")
	lm := addLastModified.Unix()
	lines := strings.Split(strings.TrimSpace(out), "\n")
	require.Equal(t, []string{
		"payload", "plain", "classified", "payload",
		"ls: /dl/in: No such file or directory", "not extracted",
		fmt.Sprintf("600 0:0 %d 8 /dl/file.txt", lm),
		lines[7], // checked below: its mtime is the build's
		fmt.Sprintf("600 0:0 %d 8 /checked", lm),
		"640 1000:1001 6 /renamed",
		"600 0:0 11 /secret",
	}, lines[:11])
	require.True(t, strings.HasPrefix(lines[7], "600 0:0 "), lines[7])
	require.True(t, strings.HasSuffix(lines[7], fmt.Sprintf(" %d /dl/archive.tar", len(tarball))), lines[7])
	mtime, err := strconv.ParseInt(lines[11], 10, 64)
	require.NoError(t, err)
	require.GreaterOrEqual(t, mtime, before, "without Last-Modified, the build's time")
	tmpEmpty(t, e)
	noContainers(t, e)
}

func TestBuildAddURLCache(t *testing.T) {
	e := testEngine(t)
	srv := newAddServer(t)
	dir := buildContext(t, map[string]string{
		"Dockerfile": "FROM busybox\nADD " + srv.URL + "/changing /c\nRUN cat /c > /copy\n",
	})
	img1, _, err := buildSteps(t, e, dir)
	require.NoError(t, err)
	img2, steps, err := buildSteps(t, e, dir)
	require.NoError(t, err)
	require.Equal(t, img1.ID, img2.ID)
	require.Equal(t, 2, strings.Count(strings.Join(steps, "\n"), cacheUsed), "ADD and RUN cached: %q", steps)
	require.Equal(t, 2, srv.hitsOf("/changing"), "downloaded by every build, as docker does, to key the step")

	srv.mu.Lock()
	srv.changing = "v2\n"
	srv.mu.Unlock()
	img3, steps, err := buildSteps(t, e, dir)
	require.NoError(t, err)
	require.NotEqual(t, img1.ID, img3.ID)
	require.Zero(t, strings.Count(strings.Join(steps, "\n"), cacheUsed), "changed content: %q", steps)
	require.Equal(t, "v2\nv2\n", runOut(t, e, img3.ID, "cat", "/c", "/copy"))
	tmpEmpty(t, e)
}

func TestBuildAddURLEpoch(t *testing.T) {
	e := testEngine(t)
	srv := newAddServer(t)
	dir := buildContext(t, map[string]string{
		"Dockerfile": "FROM busybox\nADD " + srv.URL + "/file.txt " + srv.URL + "/plain /d/\n",
	})
	epoch := time.Unix(1e8, 0) // before the Last-Modified of /file.txt
	img, _, err := buildSteps(t, e, dir, BuildSourceDateEpoch(epoch))
	require.NoError(t, err)
	require.Equal(t, "100000000\n100000000\n", runOut(t, e, img.ID, "stat", "-c", "%Y", "/d/file.txt", "/d/plain"))
	tmpEmpty(t, e)
}

func TestBuildAddURLFails(t *testing.T) {
	e := testStore(t)
	srv := newAddServer(t)
	ctx := context.Background()
	authURL := strings.Replace(srv.URL, "http://", "http://user:s3cret@", 1)
	before, err := e.Images(ctx)
	require.NoError(t, err)
	for _, tc := range []struct {
		name, add string
		is        error
		want      string
	}{
		{"404", srv.URL + "/missing /x", ErrNotFound, "404 Not Found"},
		{"500", srv.URL + "/broken /x", nil, "500 Internal Server Error"},
		{"truncated", srv.URL + "/truncated /x", io.ErrUnexpectedEOF, "truncated body: 11 of 1000 bytes"},
		{"checksum", "--checksum=sha256:" + strings.Repeat("0", 64) + " " + srv.URL + "/file.txt /x", ErrInvalid, "checksum mismatch"},
		{"bad checksum", "--checksum=md5:abc " + srv.URL + "/file.txt /x", ErrInvalid, "--checksum"},
		{"checksum of a file", "--checksum=sha256:" + strings.Repeat("0", 64) + " Dockerfile /x", ErrInvalid, "http and https sources only"},
		{"redirect loop", srv.URL + "/loop /x", nil, "redirects"},
		{"credentials", authURL + "/missing /x", ErrNotFound, "http://xxxxx@127.0.0.1"},
		{"wrong credentials", strings.Replace(authURL, "s3cret", "guess", 1) + "/secret /x", nil, "401 Unauthorized"},
		{"no file name", srv.URL + "/ /dir/", ErrInvalid, "cannot derive a file name"},
		{"ftp", "ftp://127.0.0.1/x /x", ErrUnsupported, `URL of scheme "ftp"`},
		{"file", "file:///etc/passwd /x", ErrUnsupported, `URL of scheme "file"`},
		{"git ssh", "git@github.com:go-dock/dock.git /x", ErrUnsupported, "ADD of a git repository"},
		{"git https", srv.URL + "/repo.git /x", ErrUnsupported, "ADD of a git repository"},
		{"git scheme", "git://127.0.0.1/repo /x", ErrUnsupported, "ADD of a git repository"},
		{"COPY", "COPY " + srv.URL + "/file.txt /x", ErrInvalid, "use ADD"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			line := "ADD " + tc.add
			if strings.HasPrefix(tc.add, "COPY ") {
				line = tc.add
			}
			dir := buildContext(t, map[string]string{"Dockerfile": "FROM busybox\n" + line + "\n"})
			_, steps, err := buildSteps(t, e, dir, BuildTag("failed"))
			t.Log(err)
			var be *BuildError
			require.ErrorAs(t, err, &be)
			require.Equal(t, 2, be.Line)
			require.ErrorContains(t, err, tc.want)
			if tc.is != nil {
				require.ErrorIs(t, err, tc.is)
			}
			require.NotContains(t, err.Error(), "s3cret")
			require.NotContains(t, strings.Join(steps, "\n"), "s3cret")
			_, err = e.Image(ctx, "failed")
			require.ErrorIs(t, err, ErrNotFound)
			after, err := e.Images(ctx)
			require.NoError(t, err)
			require.Len(t, after, len(before), "no image made")
			tmpEmpty(t, e)
		})
	}
	require.Equal(t, 10, srv.hitsOf("/loop"), "the loop is followed for 10 requests (Go's default), then refused")
	noContainers(t, e)
}

func TestBuildAddURLCancel(t *testing.T) {
	e := testStore(t)
	srv := newAddServer(t)
	dir := buildContext(t, map[string]string{"Dockerfile": "FROM busybox\nADD " + srv.URL + "/slow /x\n"})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go func() {
		<-srv.started
		cancel()
	}()
	before, err := e.Images(context.Background())
	require.NoError(t, err)
	_, err = e.Build(ctx, dir, BuildTag("cancelled"))
	require.ErrorIs(t, err, context.Canceled)
	require.ErrorContains(t, err, srv.URL+"/slow")
	_, err = e.Image(context.Background(), "cancelled")
	require.ErrorIs(t, err, ErrNotFound)
	after, err := e.Images(context.Background())
	require.NoError(t, err)
	require.Len(t, after, len(before))
	tmpEmpty(t, e)
	noContainers(t, e)
}

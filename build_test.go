package dock

import (
	"archive/tar"
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/go-dock/dock/internal/testutil"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
	"github.com/stretchr/testify/require"
)

// buildContext writes files (name -> content) into a new directory.
func buildContext(t *testing.T, files map[string]string) string {
	dir := t.TempDir()
	for name, content := range files {
		p := filepath.Join(dir, name)
		require.NoError(t, os.MkdirAll(filepath.Dir(p), 0o755))
		require.NoError(t, os.WriteFile(p, []byte(content), 0o644))
	}
	return dir
}

// runOut runs cmd in a container of image and returns its output.
func runOut(t *testing.T, e *Engine, image string, cmd ...string) string {
	t.Helper()
	var out bytes.Buffer
	cfg := Config{Image: image}
	if len(cmd) > 0 {
		cfg.Cmd = cmd
	}
	_, err := e.Run(context.Background(), cfg, nil, &out, &out)
	require.NoError(t, err, out.String())
	return out.String()
}

func noContainers(t *testing.T, e *Engine) {
	t.Helper()
	cs, err := e.Containers(context.Background())
	require.NoError(t, err)
	require.Empty(t, cs)
}

func TestBuild(t *testing.T) {
	e := testEngine(t)
	ctx := context.Background()
	dir := buildContext(t, map[string]string{
		"Dockerfile": `FROM busybox
ENV GREETING=hello
WORKDIR /app
RUN echo "$GREETING world" > made.txt
COPY --chown=1000:1001 --chmod=0640 a.txt sub/ ./
COPY secret.txt /
LABEL purpose=test
USER 1000
CMD ["sh", "-c", "cat /app/made.txt"]
`,
		"a.txt":         "A\n",
		"sub/b.txt":     "B\n",
		"secret.txt":    "no\n",
		".dockerignore": "secret.txt\n",
	})
	var steps []string
	_, err := e.Build(ctx, dir, BuildTag("built:1"), BuildProgress(func(s string) { steps = append(steps, s) }))
	var be *BuildError
	require.ErrorAs(t, err, &be, "secret.txt is excluded")
	require.Equal(t, 6, be.Line)
	require.ErrorIs(t, err, ErrNotFound)
	noContainers(t, e)
	_, err = e.Image(ctx, "built:1")
	require.ErrorIs(t, err, ErrNotFound)

	require.NoError(t, os.WriteFile(filepath.Join(dir, ".dockerignore"), []byte("nothing\n"), 0o644))
	steps = nil
	img, err := e.Build(ctx, dir, BuildTag("built:1"), BuildLabel("extra", "x"),
		BuildProgress(func(s string) { steps = append(steps, s) }))
	require.NoError(t, err)
	require.Equal(t, "Step 1/10 : FROM busybox", steps[0])
	require.Equal(t, "Step 10/10 : LABEL extra=x", steps[len(steps)-1], "the label is the last step")
	require.Len(t, steps, 10+4, "the 4 steps before the failed COPY come from the cache")
	require.Equal(t, 4, strings.Count(strings.Join(steps, "\n"), cacheUsed))
	require.Equal(t, []string{"built:1"}, img.RepoTags)
	require.Equal(t, "/app", img.Config.WorkingDir)
	require.Equal(t, "1000", img.Config.User)
	require.Equal(t, map[string]string{"purpose": "test", "extra": "x"}, img.Config.Labels)
	require.Contains(t, img.Config.Env, "GREETING=hello")
	noContainers(t, e)

	require.Equal(t, "hello world\n", runOut(t, e, "built:1"))
	out := runOut(t, e, "built:1", "sh", "-c", "pwd; id -u; echo $GREETING; stat -c '%u:%g %a %n' a.txt b.txt; cat a.txt b.txt /secret.txt")
	require.Equal(t, "/app\n1000\nhello\n1000:1001 640 a.txt\n1000:1001 640 b.txt\nA\nB\nno\n", out)
}

func TestBuildMultiStage(t *testing.T) {
	e := testEngine(t)
	ctx := context.Background()
	dir := buildContext(t, map[string]string{
		"Dockerfile": `ARG BASE=busybox
FROM ${BASE} AS builder
ARG WHO
RUN mkdir /out && echo "built by $WHO" > /out/result && rm /bin/vi
FROM ${BASE}
COPY --from=builder /out/result /result
COPY --from=0 /out /copied/
ENTRYPOINT ["cat"]
CMD ["/result"]
`,
	})
	img, err := e.Build(ctx, dir, BuildTag("multi"), BuildArg("WHO", "me"))
	require.NoError(t, err)
	require.Len(t, img.Layers, 3) // busybox + two COPY layers
	require.Equal(t, "built by me\n", runOut(t, e, "multi"))
	require.Equal(t, "built by me\n", runOut(t, e, "multi", "/copied/result"))
	// The whiteout of the first stage does not reach the second.
	runOut(t, e, "multi", "/bin/vi")
	noContainers(t, e)

	img, err = e.Build(ctx, dir, BuildTarget("builder"))
	require.NoError(t, err)
	require.Empty(t, img.RepoTags)
	out := runOut(t, e, img.ID, "sh", "-c", "cat /out/result; ls /bin/vi || echo gone")
	require.Contains(t, out, "built by \n")
	require.Contains(t, out, "gone")
}

func TestBuildRunFails(t *testing.T) {
	e := testEngine(t)
	ctx := context.Background()
	before, err := e.Images(ctx)
	require.NoError(t, err)
	dir := buildContext(t, map[string]string{
		"Dockerfile": "FROM busybox\nRUN touch /x\n\nRUN echo oops; exit 3\nCMD [\"sh\"]\n",
	})
	_, err = e.Build(ctx, dir, BuildTag("broken"))
	var be *BuildError
	require.ErrorAs(t, err, &be)
	require.Equal(t, 4, be.Line)
	require.Equal(t, "RUN", be.Instruction)
	require.Equal(t, 3, be.ExitCode)
	require.Equal(t, "oops\n", be.Output)
	require.Contains(t, err.Error(), "Dockerfile:4: RUN: command returned a non-zero code: 3")
	var ee *ExitError
	require.ErrorAs(t, err, &ee)
	noContainers(t, e)
	_, err = e.Image(ctx, "broken")
	require.ErrorIs(t, err, ErrNotFound)
	after, err := e.Images(ctx)
	require.NoError(t, err)
	require.Len(t, after, len(before)+1, "the image of the successful RUN is kept for the cache")
}

func TestBuildSyntaxError(t *testing.T) {
	e := testStore(t)
	dir := buildContext(t, map[string]string{"Dockerfile": "FROM busybox\nRUN [\"a\"\nFROBNICATE x\n"})
	_, err := e.Build(context.Background(), dir)
	var be *BuildError
	require.ErrorAs(t, err, &be)
	var se *SyntaxError
	require.ErrorAs(t, err, &se)
	require.Equal(t, 3, be.Line)
	require.Equal(t, "unknown instruction: FROBNICATE", se.Msg)
	require.Equal(t, "Dockerfile:3: unknown instruction: FROBNICATE", be.Error())
}

func TestBuildCopyOutsideContext(t *testing.T) {
	e := testEngine(t)
	ctx := context.Background()
	parent := t.TempDir()
	require.NoError(t, os.WriteFile(filepath.Join(parent, "outside"), []byte("secret"), 0o644))
	dir := filepath.Join(parent, "ctx")
	require.NoError(t, os.Mkdir(dir, 0o755))
	require.NoError(t, os.Symlink("/", filepath.Join(dir, "root")))
	require.NoError(t, os.Symlink("../outside", filepath.Join(dir, "up")))
	for _, df := range []string{
		"FROM busybox\nCOPY ../outside /x\n",
		"FROM busybox\nCOPY root/etc/passwd /x\n",
		"FROM busybox\nCOPY root /x\n",
		"FROM busybox\nCOPY up /x\n",
		"FROM busybox\nADD up /x\n",
	} {
		require.NoError(t, os.WriteFile(filepath.Join(dir, "Dockerfile"), []byte(df), 0o644))
		_, err := e.Build(ctx, dir, BuildTag("escape"))
		var be *BuildError
		require.ErrorAs(t, err, &be, df)
		require.Equal(t, 2, be.Line, df)
		_, err = e.Image(ctx, "escape")
		require.ErrorIs(t, err, ErrNotFound)
	}
	noContainers(t, e)

	// A symlink inside a copied directory is copied as a symlink.
	require.NoError(t, os.WriteFile(filepath.Join(dir, "Dockerfile"), []byte("FROM busybox\nCOPY . /ctx/\n"), 0o644))
	_, err := e.Build(ctx, dir, BuildTag("links"))
	require.NoError(t, err)
	require.Equal(t, "/\n", runOut(t, e, "links", "readlink", "/ctx/root"))
}

// reproEngine is testEngine with busybox imported at a fixed time, so that
// two engines hold the same busybox image.
func reproEngine(t *testing.T) *Engine {
	testutil.RequireRoot(t)
	e, err := Open(t.TempDir())
	require.NoError(t, err)
	t.Cleanup(func() { e.Close() })
	_, err = e.ImportDir(context.Background(), testutil.BusyboxRootfs(t), "busybox:latest",
		ImportConfig(ocispec.ImageConfig{Cmd: []string{"sh"}}), ImportCreated(time.Unix(1e9, 0)))
	require.NoError(t, err)
	return e
}

func TestBuildReproducible(t *testing.T) {
	dir := buildContext(t, map[string]string{
		"Dockerfile": "FROM busybox\nWORKDIR /w\nCOPY f /w/\nRUN echo x > /w/g && rm /bin/vi\nENV A=b\n",
		"f":          "f\n",
	})
	epoch := time.Unix(1700000000, 0)
	var ids []string
	for range 2 {
		e := reproEngine(t)
		img, err := e.Build(context.Background(), dir, BuildSourceDateEpoch(epoch))
		require.NoError(t, err)
		require.Equal(t, epoch.UTC(), img.Created.UTC())
		ids = append(ids, img.ID)
	}
	require.Equal(t, ids[0], ids[1])
}

func TestCommit(t *testing.T) {
	e := testEngine(t)
	ctx := context.Background()
	c, err := e.Create(ctx, Config{Image: "busybox", Cmd: []string{"sh", "-c", "echo new > /new && rm /bin/vi && rm -r /home && mkdir /home && echo x > /home/only"}})
	require.NoError(t, err)
	require.NoError(t, c.Start(ctx))
	st, err := c.Wait(ctx)
	require.NoError(t, err)
	require.Zero(t, st.Code)
	img, err := c.Commit(ctx, "committed:v1", CommitMessage("a change"), CommitAuthor("me"),
		CommitConfig(ocispec.ImageConfig{Cmd: []string{"cat", "/new"}, Env: []string{"PATH=/bin"}}))
	require.NoError(t, err)
	img2, err := c.Commit(ctx, "", CommitChange("ENV A=b"), CommitChange(`ENTRYPOINT ["cat"]`), CommitChange("WORKDIR /w"))
	require.NoError(t, err)
	require.Contains(t, img2.Config.Env, "A=b")
	require.Equal(t, []string{"cat"}, img2.Config.Entrypoint)
	require.Equal(t, "/w", img2.Config.WorkingDir)
	_, err = c.Commit(ctx, "", CommitChange("RUN true"))
	require.ErrorIs(t, err, ErrInvalid)
	require.NoError(t, c.Remove(ctx))
	require.Equal(t, []string{"committed:v1"}, img.RepoTags)
	require.Len(t, img.Layers, 2)
	require.Equal(t, "a change", img.History[len(img.History)-1].Comment)
	require.Equal(t, "me", img.Author)
	require.Empty(t, img2.Author)
	require.Equal(t, runtime.GOARCH, img.Architecture)
	require.Equal(t, "new\n", runOut(t, e, "committed:v1"))
	out := runOut(t, e, "committed:v1", "sh", "-c", "ls /bin/vi 2>/dev/null || echo gone; ls /home")
	require.Equal(t, "gone\nonly\n", out)
	require.False(t, strings.Contains(out, "dockuser"))
}

func TestBuildErrorUnwrap(t *testing.T) {
	inner := errors.New("x")
	be := &BuildError{File: "Dockerfile", Line: 3, Instruction: "COPY", Err: inner}
	require.ErrorIs(t, be, inner)
	require.Equal(t, "Dockerfile:3: COPY: x", be.Error())
}

func TestBuildAddArchive(t *testing.T) {
	e := testEngine(t)
	dir := buildContext(t, map[string]string{
		"Dockerfile": "FROM busybox\nADD files.tar /opt/\nADD ftp://example.invalid/x /y\n",
	})
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	require.NoError(t, tw.WriteHeader(&tar.Header{Name: "in/tar.txt", Mode: 0o600, Size: 3, Typeflag: tar.TypeReg}))
	_, err := tw.Write([]byte("yes"))
	require.NoError(t, err)
	require.NoError(t, tw.Close())
	require.NoError(t, os.WriteFile(filepath.Join(dir, "files.tar"), buf.Bytes(), 0o644))
	_, err = e.Build(context.Background(), dir, BuildTag("added"))
	require.ErrorIs(t, err, ErrUnsupported, "ADD of a URL")
	require.NoError(t, os.WriteFile(filepath.Join(dir, "Dockerfile"), []byte("FROM busybox\nADD files.tar /opt/\n"), 0o644))
	_, err = e.Build(context.Background(), dir, BuildTag("added"))
	require.NoError(t, err)
	require.Equal(t, "yes", runOut(t, e, "added", "cat", "/opt/in/tar.txt"))
}

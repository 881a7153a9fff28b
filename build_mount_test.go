package dock

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"
)

// noTemp checks that nothing a build made is left in the engine's tmp/.
func noTemp(t *testing.T, e *Engine) {
	t.Helper()
	ents, err := os.ReadDir(e.path("tmp"))
	require.NoError(t, err)
	require.Empty(t, ents, "left in tmp/")
}

// writeDockerfile replaces the Dockerfile of the context dir.
func writeDockerfile(t *testing.T, dir, df string) {
	t.Helper()
	require.NoError(t, os.WriteFile(filepath.Join(dir, "Dockerfile"), []byte(df), 0o644))
}

func TestBuildMountBindTmpfsCache(t *testing.T) {
	e := testEngine(t)
	ctx := context.Background()
	dir := buildContext(t, map[string]string{
		"Dockerfile": `FROM busybox
ARG SUB=sub
RUN --mount=type=bind,source=$SUB,target=/mnt/sub cat /mnt/sub/a > /from-bind && (touch /mnt/sub/x 2>/dev/null && echo writable || echo readonly) > /bind-ro && ls /mnt/sub > /bind-ls
RUN --mount=type=bind,source=data.txt,target=/data.txt,rw sh -c 'cat /data.txt > /from-file; echo changed > /data.txt; cat /data.txt > /file-after'
RUN --mount=type=tmpfs,target=/scratch/t,size=1m sh -c 'grep " /scratch/t " /proc/mounts | cut -d" " -f3,4 > /tmpfs-type; echo x > /scratch/t/f'
RUN --mount=type=cache,target=/var/cache/t,id=runs sh -c 'echo run >> /var/cache/t/log; wc -l < /var/cache/t/log > /cache-count'
`,
		"sub/a":         "A\n",
		"sub/ignored":   "no\n",
		"data.txt":      "data\n",
		".dockerignore": "sub/ignored\n",
	})
	count := func(tag string) string {
		return strings.TrimSpace(runOut(t, e, tag, "cat", "/cache-count"))
	}
	_, err := e.Build(ctx, dir, BuildTag("mounts:1"))
	require.NoError(t, err)
	out := runOut(t, e, "mounts:1", "sh", "-c", "cat /from-bind /bind-ro /bind-ls /from-file /file-after /tmpfs-type")
	// The tmpfs is BuildKit's: nosuid only, unlike docker run's --tmpfs.
	require.Equal(t, "A\nreadonly\na\ndata\nchanged\ntmpfs rw,nosuid,relatime,size=1024k\n", out, ".dockerignore applies to a bind of the context")
	require.Equal(t, "1", count("mounts:1"))
	// The writes of the rw bind are discarded; no mountpoint is left.
	data, err := os.ReadFile(filepath.Join(dir, "data.txt"))
	require.NoError(t, err)
	require.Equal(t, "data\n", string(data))
	out = runOut(t, e, "mounts:1", "sh", "-c", "for p in /mnt /data.txt /scratch /var/cache/t; do test -e $p && echo $p; done; true")
	require.Empty(t, out, "mountpoints in the image")
	noContainers(t, e)
	noTemp(t, e)

	// The cache persists across builds and across engines on the root.
	_, err = e.Build(ctx, dir, BuildTag("mounts:2"), BuildNoCache())
	require.NoError(t, err)
	require.Equal(t, "2", count("mounts:2"))
	require.NoError(t, e.Close())
	e2, err := Open(e.Root())
	require.NoError(t, err)
	t.Cleanup(func() { e2.Close() })
	_, err = e2.Build(ctx, dir, BuildTag("mounts:3"), BuildNoCache())
	require.NoError(t, err)
	require.Equal(t, "3", count2(t, e2, "mounts:3"))
	noTemp(t, e2)
}

func count2(t *testing.T, e *Engine, tag string) string {
	return strings.TrimSpace(runOut(t, e, tag, "cat", "/cache-count"))
}

func TestBuildMountCacheKey(t *testing.T) {
	e := testEngine(t)
	ctx := context.Background()
	dir := buildContext(t, map[string]string{
		"Dockerfile": "FROM busybox\nRUN --mount=type=bind,source=in,target=/in cat /in/f > /out\n",
		"in/f":       "one\n",
	})
	var steps []string
	progress := BuildProgress(func(s string) { steps = append(steps, s) })
	_, err := e.Build(ctx, dir, BuildTag("key"), progress)
	require.NoError(t, err)
	require.Equal(t, "one\n", runOut(t, e, "key", "cat", "/out"))
	steps = nil
	_, err = e.Build(ctx, dir, BuildTag("key"), progress)
	require.NoError(t, err)
	require.Contains(t, steps, cacheUsed, "same bound files: from the cache")
	require.NoError(t, os.WriteFile(filepath.Join(dir, "in/f"), []byte("two\n"), 0o644))
	steps = nil
	_, err = e.Build(ctx, dir, BuildTag("key"), progress)
	require.NoError(t, err)
	require.NotContains(t, steps, cacheUsed, "a bound file changed: the step runs")
	require.Equal(t, "two\n", runOut(t, e, "key", "cat", "/out"))

	// A bind of a stage keys on the stage's image.
	writeDockerfile(t, dir, `FROM busybox AS s
ARG V
RUN echo "$V" > /v
FROM busybox
RUN --mount=type=bind,from=s,source=/v,target=/v cat /v > /out
`)
	_, err = e.Build(ctx, dir, BuildTag("key"), BuildArg("V", "a"))
	require.NoError(t, err)
	require.Equal(t, "a\n", runOut(t, e, "key", "cat", "/out"))
	_, err = e.Build(ctx, dir, BuildTag("key"), BuildArg("V", "b"))
	require.NoError(t, err)
	require.Equal(t, "b\n", runOut(t, e, "key", "cat", "/out"))
	noTemp(t, e)
}

func TestBuildMountFrom(t *testing.T) {
	e := testEngine(t)
	ctx := context.Background()
	dir := buildContext(t, map[string]string{"Dockerfile": `FROM busybox AS s1
RUN mkdir /seed && echo staged > /seed/f
FROM busybox
RUN --mount=type=bind,from=s1,source=/seed,target=/m,rw sh -c 'cat /m/f > /got; echo w > /m/f'
RUN --mount=type=bind,from=s1,target=/m cat /m/seed/f > /got-root
RUN --mount=type=cache,target=/c,from=s1,source=/seed,mode=0700,uid=7,gid=8 sh -c 'cat /c/f > /got-cache; stat -c "%a %u %g" /c > /cache-stat'
RUN --mount=type=bind,from=busybox,source=/bin/busybox,target=/bb test -x /bb && echo ok > /got-image
`})
	_, err := e.Build(ctx, dir, BuildTag("from"))
	require.NoError(t, err)
	out := runOut(t, e, "from", "sh", "-c", "cat /got /got-root /got-cache /cache-stat /got-image; test -e /m && echo /m; test -e /c && echo /c; true")
	require.Equal(t, "staged\nstaged\nstaged\n700 7 8\nok\n", out)
	noTemp(t, e)
}

func TestBuildMountLocked(t *testing.T) {
	e := testEngine(t)
	ctx := context.Background()
	dir := buildContext(t, map[string]string{"Dockerfile": `FROM busybox
ARG N
RUN --mount=type=cache,target=/c,sharing=locked sh -c 'if [ -e /c/busy ]; then echo overlap >> /c/log; fi; touch /c/busy; for i in 1 2 3 4 5 6 7 8 9 10; do sleep 0.05; done; rm /c/busy; echo "done $N" >> /c/log'
RUN --mount=type=cache,target=/c,sharing=locked cat /c/log > /log
`})
	var wg sync.WaitGroup
	errs := make([]error, 3)
	for i := range errs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, errs[i] = e.Build(ctx, dir, BuildArg("N", fmt.Sprint(i)))
		}()
	}
	wg.Wait()
	for _, err := range errs {
		require.NoError(t, err)
	}
	_, err := e.Build(ctx, dir, BuildTag("locked"), BuildArg("N", "last"))
	require.NoError(t, err)
	log := runOut(t, e, "locked", "cat", "/log")
	require.NotContains(t, log, "overlap")
	require.Equal(t, 4, strings.Count(log, "done "), log)
	noTemp(t, e)
}

func TestBuildMountSecret(t *testing.T) {
	e := testEngine(t)
	ctx := context.Background()
	raw := make([]byte, 16)
	_, err := rand.Read(raw)
	require.NoError(t, err)
	secret := "s3cr3t-" + hex.EncodeToString(raw)
	sum := sha256.Sum256([]byte(secret))
	dir := buildContext(t, map[string]string{"Dockerfile": `FROM busybox
RUN --mount=type=secret,id=tok sh -c 'sha256sum /run/secrets/tok | cut -c1-64 > /sum; stat -c "%a %u %g" /run/secrets/tok > /mode; cat /run/secrets/tok > /dev/null'
RUN --mount=type=secret,id=tok,env=TOK,target=/s/tok,mode=0440,uid=5,gid=6 sh -c 'echo "$TOK" | cut -c1-7 > /env; stat -c "%a %u %g" /s/tok > /mode2'
RUN --mount=type=secret,id=tok,env=ONLY sh -c 'test -e /run/secrets/tok || echo "$ONLY" | wc -c > /only'
RUN --mount=type=secret,id=missing sh -c 'test -e /run/secrets/missing || echo absent > /missing'
`})
	src := filepath.Join(t.TempDir(), "tok")
	require.NoError(t, os.WriteFile(src, []byte(secret), 0o600))
	var progress, output bytes.Buffer
	_, err = e.Build(ctx, dir, BuildTag("secret"), BuildSecret("tok", src),
		BuildProgress(func(s string) { progress.WriteString(s + "\n") }), BuildOutput(&output))
	require.NoError(t, err)
	out := runOut(t, e, "secret", "sh", "-c", "cat /sum /mode /env /mode2 /only /missing; for p in /run /s; do test -e $p && echo $p; done; true")
	require.Equal(t, hex.EncodeToString(sum[:])+"\n400 0 0\ns3cr3t-\n440 5 6\n"+fmt.Sprint(len(secret)+1)+"\nabsent\n", out)
	require.NotContains(t, progress.String(), secret)

	// The secret is nowhere in the state directory: not in a layer, a
	// config, the history, the build cache, a container or tmp/.
	var found []string
	require.NoError(t, filepath.WalkDir(e.Root(), func(p string, d fs.DirEntry, err error) error {
		if err != nil || !d.Type().IsRegular() {
			return err
		}
		data, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		if bytes.Contains(data, []byte(secret)) || bytes.Contains(data, []byte(hex.EncodeToString([]byte(secret)))) {
			found = append(found, p)
		}
		return nil
	}))
	require.Empty(t, found)
	noTemp(t, e)

	// A changed secret does not change the cache key (as in BuildKit).
	require.NoError(t, os.WriteFile(src, []byte("other"), 0o600))
	img, err := e.Build(ctx, dir, BuildSecret("tok", src))
	require.NoError(t, err)
	require.Equal(t, hex.EncodeToString(sum[:])+"\n", runOut(t, e, img.ID, "cat", "/sum"))

	// A required secret that is missing fails the build, before its step.
	writeDockerfile(t, dir, "FROM busybox\nRUN --mount=type=secret,id=nope,required=true true\n")
	_, err = e.Build(ctx, dir, BuildTag("nope"))
	var be *BuildError
	require.ErrorAs(t, err, &be)
	require.Equal(t, 2, be.Line)
	require.ErrorIs(t, err, ErrNotFound)
	require.Contains(t, err.Error(), `secret "nope" is required`)
	_, err = e.Image(ctx, "nope")
	require.ErrorIs(t, err, ErrNotFound)
	noContainers(t, e)
	noTemp(t, e)

	_, err = e.Build(ctx, dir, BuildSecret("x", filepath.Join(t.TempDir(), "none")))
	require.ErrorIs(t, err, ErrInvalid)
	t.Setenv("DOCK_TEST_SECRET", secret)
	writeDockerfile(t, dir, "FROM busybox\nRUN --mount=type=secret,id=e sh -c 'cat /run/secrets/e | wc -c > /n'\n")
	img, err = e.Build(ctx, dir, BuildSecretEnv("e", "DOCK_TEST_SECRET"))
	require.NoError(t, err)
	require.Equal(t, fmt.Sprint(len(secret)), strings.TrimSpace(runOut(t, e, img.ID, "cat", "/n")))
}

func TestBuildMountHostile(t *testing.T) {
	e := testEngine(t)
	ctx := context.Background()
	parent := t.TempDir()
	require.NoError(t, os.WriteFile(filepath.Join(parent, "outside"), []byte("host file\n"), 0o644))
	dir := filepath.Join(parent, "ctx")
	require.NoError(t, os.Mkdir(dir, 0o755))
	require.NoError(t, os.Symlink("/", filepath.Join(dir, "root")))
	require.NoError(t, os.Symlink("../outside", filepath.Join(dir, "up")))
	for _, c := range []struct {
		run  string
		want error
	}{
		{"--mount=type=bind,source=../outside,target=/x cat /x", ErrInvalid},
		{"--mount=type=bind,source=up,target=/x cat /x", nil},
		{"--mount=type=bind,source=root/etc/passwd,target=/x cat /x", nil},
		{"--mount=type=bind,source=root,target=/x ls /x", nil},
		{"--mount=type=bind,source=/etc/passwd,target=/x cat /x", nil}, // the context's /etc/passwd: none
		{"--mount=type=bind,from=nostage,target=/x true", ErrNotFound},
		{"--mount=type=cache,target=/x,mode=999 true", ErrInvalid},
		{"--mount=type=cache,target=/x,uid=-1 true", ErrInvalid},
		{"--mount=type=secret,id=s,gid=root true", ErrInvalid},
		{"--mount=type=tmpfs,target=/x,size=lots true", ErrInvalid},
		{"--mount=type=cache,target=/ true", ErrInvalid},
		{"--mount=type=ssh true", ErrUnsupported},
		{"--mount=type=secret,id=s,required true", ErrNotFound},
		{"--network=bridge true", ErrUnsupported},
		{"--security=insecure true", ErrUnsupported},
	} {
		writeDockerfile(t, dir, "FROM busybox\nRUN "+c.run+"\n")
		_, err := e.Build(ctx, dir, BuildTag("hostile"))
		var be *BuildError
		require.ErrorAs(t, err, &be, c.run)
		require.Equal(t, 2, be.Line, c.run)
		require.Zero(t, be.ExitCode, "refused before running: %s: %v", c.run, err)
		if c.want != nil {
			require.ErrorIs(t, err, c.want, c.run)
		}
		require.NotContains(t, err.Error(), "host file")
		_, err = e.Image(ctx, "hostile")
		require.ErrorIs(t, err, ErrNotFound)
	}
	noContainers(t, e)
	noTemp(t, e)
	// A failing step with mounts leaves nothing behind either.
	writeDockerfile(t, dir, "FROM busybox\nRUN --mount=type=bind,target=/ctx --mount=type=cache,target=/c --mount=type=tmpfs,target=/t false\n")
	_, err := e.Build(ctx, dir, BuildTag("hostile"))
	var be *BuildError
	require.ErrorAs(t, err, &be)
	require.Equal(t, 1, be.ExitCode)
	noContainers(t, e)
	noTemp(t, e)
}

func TestBuildHeredoc(t *testing.T) {
	e := testEngine(t)
	ctx := context.Background()
	df := "FROM busybox\nENV WHO=world\n" +
		"RUN <<EOF\necho \"hello $WHO\" > /h1\necho second >> /h1\nEOF\n" +
		"RUN <<'EOF'\n#!/bin/sh\necho \"script $0 $WHO\" > /h2\nEOF\n" +
		"RUN cat <<A > /h3 && cat <<-B >> /h3\none $WHO\nA\n\ttwo\n\tB\n" +
		"RUN <<EOF\nBODY\nEOF\n"
	dir := buildContext(t, map[string]string{"Dockerfile": strings.Replace(df, "BODY", "echo v1 > /h4", 1)})
	_, err := e.Build(ctx, dir, BuildTag("heredoc"))
	require.NoError(t, err)
	out := runOut(t, e, "heredoc", "sh", "-c", "cat /h1 /h2 /h3 /h4; ls /dev/pipes 2>/dev/null; true")
	require.Equal(t, "hello world\nsecond\nscript /dev/pipes/EOF world\none world\ntwo\nv1\n", out)
	// The bodies are part of the cache key.
	writeDockerfile(t, dir, strings.Replace(df, "BODY", "echo v2 > /h4", 1))
	_, err = e.Build(ctx, dir, BuildTag("heredoc"))
	require.NoError(t, err)
	require.Equal(t, "v2\n", runOut(t, e, "heredoc", "cat", "/h4"))
	noContainers(t, e)
	noTemp(t, e)
}

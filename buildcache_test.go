package dock

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/go-dock/dock/internal/build"
	"github.com/stretchr/testify/require"
)

// cacheUsed is the progress line of a cached step, as Build documents it.
const cacheUsed = " ---> Using cache"

// cachedBuild builds dir and returns the image and, for each step, whether
// it came from the cache.
func cachedBuild(t *testing.T, e *Engine, dir string, opts ...BuildOption) (*Image, []bool) {
	t.Helper()
	var steps []bool
	opts = append(opts, BuildProgress(func(line string) {
		switch {
		case strings.HasPrefix(line, "Step "):
			steps = append(steps, false)
		case line == cacheUsed:
			require.NotEmpty(t, steps)
			steps[len(steps)-1] = true
		}
	}))
	img, err := e.Build(context.Background(), dir, opts...)
	require.NoError(t, err)
	noContainers(t, e)
	return img, steps
}

func TestBuildCache(t *testing.T) {
	e := testEngine(t)
	dir := buildContext(t, map[string]string{
		"Dockerfile": `FROM busybox
ARG GREETING=hello
ENV A=1
RUN echo "$GREETING" > /greeting
WORKDIR /app
COPY a.txt sub/ ./
RUN cat a.txt /greeting > both
CMD ["cat", "/app/both"]
`,
		"a.txt":     "a\n",
		"sub/b.txt": "b\n",
	})
	// FROM is never "cached"; the 7 instructions after it are.
	img1, steps := cachedBuild(t, e, dir, BuildTag("app"))
	require.Equal(t, []bool{false, false, false, false, false, false, false, false}, steps)
	require.Equal(t, "a\nhello\n", runOut(t, e, "app"))

	img2, steps := cachedBuild(t, e, dir, BuildTag("app"))
	require.Equal(t, img1.ID, img2.ID, "nothing changed: same image")
	require.Equal(t, []bool{false, true, true, true, true, true, true, true}, steps)

	// A copied file changes: the steps before the COPY are cached.
	require.NoError(t, os.WriteFile(filepath.Join(dir, "a.txt"), []byte("A\n"), 0o644))
	img3, steps := cachedBuild(t, e, dir, BuildTag("app"))
	require.NotEqual(t, img1.ID, img3.ID)
	require.Equal(t, []bool{false, true, true, true, true, false, false, false}, steps)
	require.Equal(t, "A\nhello\n", runOut(t, e, "app"))

	// A mode change is a change too.
	require.NoError(t, os.Chmod(filepath.Join(dir, "sub", "b.txt"), 0o600))
	_, steps = cachedBuild(t, e, dir)
	require.Equal(t, []bool{false, true, true, true, true, false, false, false}, steps)

	// A build argument used by a RUN: the steps in its scope re-run (the
	// ARG itself is keyed by the values before it).
	_, steps = cachedBuild(t, e, dir, BuildArg("GREETING", "bye"), BuildTag("app"))
	require.Equal(t, []bool{false, true, false, false, false, false, false, false}, steps)
	require.Equal(t, "A\nbye\n", runOut(t, e, "app"))
	_, steps = cachedBuild(t, e, dir, BuildArg("GREETING", "bye"))
	require.Equal(t, []bool{false, true, true, true, true, true, true, true}, steps)

	// No cache: every step runs.
	_, steps = cachedBuild(t, e, dir, BuildNoCache())
	require.Equal(t, []bool{false, false, false, false, false, false, false, false}, steps)

	// An entry whose image is gone is a miss.
	_, err := e.RemoveImage(context.Background(), "app", RemoveForce())
	require.NoError(t, err)
	imgs, err := e.Images(context.Background())
	require.NoError(t, err)
	for _, img := range imgs {
		if len(img.RepoTags) == 0 {
			_, err := e.RemoveImage(context.Background(), img.ID, RemoveForce())
			require.NoError(t, err)
		}
	}
	_, steps = cachedBuild(t, e, dir)
	require.Equal(t, []bool{false, true, true, false, false, false, false, false}, steps)
}

// TestBuildCacheStat checks that the stat cache serves unchanged files and
// that a changed file is hashed again.
func TestBuildCacheStat(t *testing.T) {
	old := build.RacyMargin
	build.RacyMargin = -time.Hour // trust every stat: the test's files are new
	t.Cleanup(func() { build.RacyMargin = old })
	e := testEngine(t)
	dir := buildContext(t, map[string]string{
		"Dockerfile": "FROM busybox\nCOPY . /ctx/\n",
		"a.txt":      "a\n",
		"b.txt":      "b\n",
	})
	img1, _ := cachedBuild(t, e, dir)
	matches, err := filepath.Glob(e.path("cache", "build", "files-*.json"))
	require.NoError(t, err)
	require.Len(t, matches, 1)
	data, err := os.ReadFile(matches[0])
	require.NoError(t, err)
	require.Contains(t, string(data), `"a.txt"`)

	img2, steps := cachedBuild(t, e, dir)
	require.Equal(t, img1.ID, img2.ID)
	require.Equal(t, []bool{false, true}, steps)

	require.NoError(t, os.WriteFile(filepath.Join(dir, "a.txt"), []byte("changed\n"), 0o644))
	img3, steps := cachedBuild(t, e, dir)
	require.NotEqual(t, img1.ID, img3.ID)
	require.Equal(t, []bool{false, false}, steps)
	require.Equal(t, "changed\n", runOut(t, e, img3.ID, "cat", "/ctx/a.txt"))
}

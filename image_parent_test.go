package dock

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// imageIDSet lists the IDs of images, sorted.
func imageIDSet(imgs []*Image) []string {
	var out []string
	for _, img := range imgs {
		out = append(out, img.ID)
	}
	slices.Sort(out)
	return out
}

func sortedIDs(ids ...string) []string {
	out := slices.Clone(ids)
	slices.Sort(out)
	return out
}

// chain returns the IDs from img up its parents, img first, as far as the
// store has them.
func chain(t *testing.T, e *Engine, id string) []string {
	t.Helper()
	var out []string
	for id != "" {
		img, err := e.Image(context.Background(), id)
		if err != nil {
			break
		}
		out = append(out, img.ID)
		id = img.Parent
	}
	return out
}

const fourSteps = "FROM busybox\nRUN echo 1 > /1\nRUN echo 2 > /2\nRUN echo 3 > /3\nRUN echo 4 > /4\n"

func TestImagesHidesIntermediate(t *testing.T) {
	e := testEngine(t)
	ctx := context.Background()
	busybox, err := e.Image(ctx, "busybox")
	require.NoError(t, err)
	img, err := e.Build(ctx, buildContext(t, map[string]string{"Dockerfile": fourSteps}), BuildTag("app"))
	require.NoError(t, err)

	imgs, err := e.Images(ctx)
	require.NoError(t, err)
	require.Equal(t, sortedIDs(busybox.ID, img.ID), imageIDSet(imgs), "docker images: the tagged ones")

	all, err := e.Images(ctx, ImagesAll())
	require.NoError(t, err)
	steps := chain(t, e, img.ID)
	require.Len(t, steps, 5, "four steps and the base: %v", steps)
	require.Equal(t, busybox.ID, steps[4], "the first step's parent is the base image")
	require.Equal(t, sortedIDs(steps...), imageIDSet(all), "docker images -a: every step")
	for _, i := range all {
		if i.ID != busybox.ID && i.ID != img.ID {
			require.Empty(t, i.RepoTags)
		}
	}
	require.Equal(t, "1\n2\n3\n4\n", runOut(t, e, "app", "cat", "/1", "/2", "/3", "/4"))
}

// An untagged build is dangling: listed, and Prune takes it with its
// intermediate images; the next build of it misses the cache.
func TestPruneDanglingBuild(t *testing.T) {
	e := testEngine(t)
	ctx := context.Background()
	busybox, err := e.Image(ctx, "busybox")
	require.NoError(t, err)
	dir := buildContext(t, map[string]string{"Dockerfile": fourSteps})
	img, steps := cachedBuild(t, e, dir)
	require.NotContains(t, steps, true)
	imgs, err := e.Images(ctx)
	require.NoError(t, err)
	require.Equal(t, sortedIDs(busybox.ID, img.ID), imageIDSet(imgs), "the untagged result is listed (dangling)")
	stepIDs := chain(t, e, img.ID)[:4]

	rep, err := e.Prune(ctx)
	require.NoError(t, err)
	for _, id := range stepIDs {
		require.Contains(t, rep.Deleted, "Deleted: "+id)
	}
	require.NotContains(t, rep.Deleted, "Deleted: "+busybox.ID)
	require.Positive(t, rep.SpaceReclaimed)
	all, err := e.Images(ctx, ImagesAll())
	require.NoError(t, err)
	require.Equal(t, []string{busybox.ID}, imageIDSet(all))

	// The cache entries of the pruned steps are misses.
	again, steps := cachedBuild(t, e, dir)
	require.Equal(t, []bool{false, false, false, false, false}, steps)
	require.Equal(t, "4\n", runOut(t, e, again.ID, "cat", "/4"))
}

// Two builds share their first steps: removing one keeps the shared
// intermediate images, removing the other takes them.
func TestRemoveImageSharedSteps(t *testing.T) {
	e := testEngine(t)
	ctx := context.Background()
	busybox, err := e.Image(ctx, "busybox")
	require.NoError(t, err)
	prefix := "FROM busybox\nRUN echo s1 > /s1\nRUN echo s2 > /s2\n"
	a, err := e.Build(ctx, buildContext(t, map[string]string{"Dockerfile": prefix + "RUN echo a > /a\n"}), BuildTag("a"))
	require.NoError(t, err)
	b, steps := cachedBuild(t, e, buildContext(t, map[string]string{"Dockerfile": prefix + "RUN echo b > /b\n"}), BuildTag("b"))
	require.Equal(t, []bool{false, true, true, false}, steps)
	shared := chain(t, e, b.ID)[1:3]
	require.Equal(t, shared, chain(t, e, a.ID)[1:3], "the builds share their first two steps")

	lines, err := e.RemoveImage(ctx, "a")
	require.NoError(t, err)
	require.Equal(t, "Untagged: a:latest", lines[0])
	require.Equal(t, "Deleted: "+a.ID, lines[1])
	require.Len(t, lines, 3, "a and its layer only: %q", lines)
	all, err := e.Images(ctx, ImagesAll())
	require.NoError(t, err)
	require.Equal(t, sortedIDs(busybox.ID, b.ID, shared[0], shared[1]), imageIDSet(all))
	require.Equal(t, "s1\ns2\nb\n", runOut(t, e, "b", "cat", "/s1", "/s2", "/b"))

	// The shared steps now have no other child: they go with b.
	lines, err = e.RemoveImage(ctx, "b")
	require.NoError(t, err)
	for _, id := range append([]string{b.ID}, shared...) {
		require.Contains(t, lines, "Deleted: "+id)
	}
	all, err = e.Images(ctx, ImagesAll())
	require.NoError(t, err)
	require.Equal(t, []string{busybox.ID}, imageIDSet(all))

	// An intermediate image is refused by ID, even with force, while it
	// has a child.
	c, err := e.Build(ctx, buildContext(t, map[string]string{"Dockerfile": fourSteps}), BuildTag("c"))
	require.NoError(t, err)
	parent := chain(t, e, c.ID)[1]
	_, err = e.RemoveImage(ctx, parent, RemoveForce())
	require.ErrorIs(t, err, ErrInUse)
	require.ErrorContains(t, err, "dependent child images")
}

// An image a container uses is never pruned, nor removed without force;
// PruneAll removes every other image.
func TestPruneKeepsImagesInUse(t *testing.T) {
	e := testEngine(t)
	ctx := context.Background()
	used, err := e.Build(ctx, buildContext(t, map[string]string{"Dockerfile": "FROM busybox\nRUN echo used > /u\n"}))
	require.NoError(t, err)
	other, err := e.Build(ctx, buildContext(t, map[string]string{"Dockerfile": "FROM busybox\nRUN echo other > /o\n"}), BuildTag("other"))
	require.NoError(t, err)
	c, err := e.Create(ctx, Config{Image: used.ID, Cmd: []string{"true"}})
	require.NoError(t, err)

	rep, err := e.Prune(ctx)
	require.NoError(t, err)
	require.NotContains(t, rep.Deleted, "Deleted: "+used.ID)
	_, err = e.RemoveImage(ctx, used.ID)
	require.ErrorIs(t, err, ErrInUse)

	rep, err = e.Prune(ctx, PruneAll())
	require.NoError(t, err)
	require.Contains(t, rep.Deleted, "Untagged: other:latest")
	require.Contains(t, rep.Deleted, "Deleted: "+other.ID)
	require.NotContains(t, rep.Deleted, "Deleted: "+used.ID)
	// As docker: busybox loses its tag but stays, the parent of the
	// used image.
	require.Contains(t, rep.Deleted, "Untagged: busybox:latest")
	all, err := e.Images(ctx, ImagesAll())
	require.NoError(t, err)
	require.Len(t, all, 2, "the used image and its base")
	require.Equal(t, "used\n", runOut(t, e, used.ID, "cat", "/u"))

	require.NoError(t, c.Remove(ctx))
	_, err = e.Prune(ctx, PruneAll())
	require.NoError(t, err)
	all, err = e.Images(ctx, ImagesAll())
	require.NoError(t, err)
	require.Empty(t, all)
}

// A second Engine on the root prunes everything it may while the first
// builds: the build's images (base, steps so far) survive and the build
// succeeds. The prune runs from the build's progress callback, between two
// steps, so the interleaving is fixed.
func TestPruneDuringBuild(t *testing.T) {
	e := testEngine(t)
	ctx := context.Background()
	other, err := Open(e.Root())
	require.NoError(t, err)
	defer other.Close()
	busybox, err := e.Image(ctx, "busybox")
	require.NoError(t, err)
	junk, err := e.ImportDir(ctx, t.TempDir(), "")
	require.NoError(t, err)

	var rep *PruneReport
	img, err := e.Build(ctx, buildContext(t, map[string]string{"Dockerfile": fourSteps}), BuildTag("app"),
		BuildProgress(func(line string) {
			if strings.HasPrefix(line, "Step 4/") {
				var perr error
				rep, perr = other.Prune(ctx, PruneAll())
				require.NoError(t, perr)
			}
		}))
	require.NoError(t, err)
	require.NotNil(t, rep, "the prune ran")
	require.Contains(t, rep.Deleted, "Deleted: "+junk.ID, "the prune removed what no build holds")
	require.NotContains(t, rep.Deleted, "Untagged: busybox:latest")
	steps := chain(t, e, img.ID)
	require.Len(t, steps, 5)
	require.Equal(t, busybox.ID, steps[4])
	require.Equal(t, "1\n2\n3\n4\n", runOut(t, e, "app", "cat", "/1", "/2", "/3", "/4"))
	entries, err := os.ReadDir(e.path("tmp"))
	require.NoError(t, err)
	for _, de := range entries {
		require.False(t, strings.HasPrefix(de.Name(), "lease-"), "lease left behind: %s", de.Name())
	}
}

// Commit records the container's image as the parent.
func TestCommitParent(t *testing.T) {
	e := testStore(t)
	ctx := context.Background()
	busybox, err := e.Image(ctx, "busybox")
	require.NoError(t, err)
	c, err := e.Create(ctx, Config{Image: "busybox", Cmd: []string{"true"}})
	require.NoError(t, err)
	img, err := c.Commit(ctx, "")
	require.NoError(t, err)
	require.Equal(t, busybox.ID, img.Parent)
	require.NoError(t, c.Remove(ctx))
	// Dangling: listed; removing it leaves the tagged base.
	imgs, err := e.Images(ctx)
	require.NoError(t, err)
	require.Contains(t, imageIDSet(imgs), img.ID)
	lines, err := e.RemoveImage(ctx, img.ID)
	require.NoError(t, err)
	require.Equal(t, "Deleted: "+img.ID, lines[0])
	_, err = e.Image(ctx, "busybox")
	require.NoError(t, err)
}

// Prune removes the seccomp programs that other builds of the program
// cached, and keeps this build's.
func TestPruneSeccompCache(t *testing.T) {
	e := testStore(t)
	dir := filepath.Join(e.Root(), "cache")
	require.NoError(t, os.MkdirAll(dir, 0o700))
	ours := filepath.Join(dir, "seccomp-"+seccompKey(capSet(0xa80425fb)))
	stale := filepath.Join(dir, "seccomp-0123456789abcdef-00000000a80425fb")
	for _, f := range []string{ours, stale} {
		require.NoError(t, os.WriteFile(f, make([]byte, 8), 0o600))
	}
	_, err := e.Prune(context.Background())
	require.NoError(t, err)
	require.NoFileExists(t, stale)
	require.FileExists(t, ours)
}

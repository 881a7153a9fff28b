package dock

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

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
	e := testEngine(t)
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

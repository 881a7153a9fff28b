package dock

import (
	"context"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestBuildLabelSteps: BuildLabel's labels are LABEL steps at the end of
// the final stage, in the order of their keys, as docker's classic
// builder shows and records them (docker build --label); their values
// are not expanded. Built again, each step says " ---> Using cache" once.
func TestBuildLabelSteps(t *testing.T) {
	e := testEngine(t)
	ctx := context.Background()
	busybox, err := e.Image(ctx, "busybox")
	require.NoError(t, err)
	dir := buildContext(t, map[string]string{"Dockerfile": "FROM busybox\nCMD [\"x\"]\n"})
	opts := func(rec *buildRecorder) []BuildOption {
		return append(rec.options(), BuildLabel("b", "2 $HOME"), BuildLabel("a", "1"))
	}
	short := func(id string) string { return strings.TrimPrefix(id, "sha256:")[:12] }
	var rec buildRecorder
	img, err := e.Build(ctx, dir, opts(&rec)...)
	require.NoError(t, err)
	require.Equal(t, []string{
		"Step 1/4 : FROM busybox",
		" ---> " + short(busybox.ID),
		`Step 2/4 : CMD ["x"]`,
		"Step 3/4 : LABEL a=1",
		"Step 4/4 : LABEL b=2 $HOME",
		" ---> " + short(img.ID),
	}, rec.lines)
	require.Equal(t, map[string]string{"a": "1", "b": "2 $HOME"}, img.Config.Labels)
	var history []string
	for _, h := range img.History[len(busybox.History):] {
		history = append(history, h.CreatedBy)
	}
	nop := "/bin/sh -c #(nop)  "
	require.Equal(t, []string{nop + `CMD ["x"]`, nop + "LABEL a=1", nop + "LABEL b=2 $HOME"}, history)

	rec = buildRecorder{}
	again, err := e.Build(ctx, dir, opts(&rec)...)
	require.NoError(t, err)
	require.Equal(t, img.ID, again.ID)
	require.Equal(t, []string{
		"Step 1/4 : FROM busybox",
		" ---> " + short(busybox.ID),
		`Step 2/4 : CMD ["x"]`,
		cacheUsed,
		"Step 3/4 : LABEL a=1",
		cacheUsed,
		"Step 4/4 : LABEL b=2 $HOME",
		cacheUsed,
		" ---> " + short(img.ID),
	}, rec.lines)
}

// A Dockerfile's LABEL expands its variables, a BuildLabel does not: the
// same text in both is not the same cached step.
func TestBuildLabelNotDockerfileLabel(t *testing.T) {
	e := testEngine(t)
	ctx := context.Background()
	fromFile, err := e.Build(ctx, buildContext(t, map[string]string{"Dockerfile": "FROM busybox\nLABEL a=$X\n"}))
	require.NoError(t, err)
	require.Equal(t, map[string]string{"a": ""}, fromFile.Config.Labels)
	fromOption, err := e.Build(ctx, buildContext(t, map[string]string{"Dockerfile": "FROM busybox\n"}), BuildLabel("a", "$X"))
	require.NoError(t, err)
	require.Equal(t, map[string]string{"a": "$X"}, fromOption.Config.Labels)
}

package dock

import (
	"context"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"
)

// buildRecorder keeps the lines of BuildProgress, BuildEvents and
// BuildOutput in the order they came.
type buildRecorder struct {
	mu    sync.Mutex
	lines []string
}

func (r *buildRecorder) add(line string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.lines = append(r.lines, line)
}

func (r *buildRecorder) Write(b []byte) (int, error) {
	r.add(strings.TrimSuffix(string(b), "\n"))
	return len(b), nil
}

func (r *buildRecorder) options() []BuildOption {
	return []BuildOption{BuildProgress(r.add), BuildOutput(r),
		BuildEvents(func(ev BuildEvent) { r.add(ev.String()) })}
}

// TestBuildEvents: the events frame a RUN step's output with its
// container's creation and removal, and give the image that FROM and each
// step making one leave, as docker's classic builder prints them; the
// configuration steps have none of their own (the stage's end commits
// theirs). A cached step gives its image again; a failed RUN its
// container but no image.
func TestBuildEvents(t *testing.T) {
	e := testEngine(t)
	ctx := context.Background()
	busybox, err := e.Image(ctx, "busybox")
	require.NoError(t, err)
	dir := buildContext(t, map[string]string{"f": "file\n", "Dockerfile": "FROM busybox\nENV A=1\nRUN echo out\nCOPY f /f\nLABEL l=1\n"})
	var rec buildRecorder
	img, err := e.Build(ctx, dir, rec.options()...)
	require.NoError(t, err)
	short := func(id string) string { return strings.TrimPrefix(id, "sha256:")[:12] }
	copied, err := e.Image(ctx, img.Parent)
	require.NoError(t, err)
	ran := copied.Parent
	require.Len(t, rec.lines, 12, "%q", rec.lines)
	container := strings.TrimPrefix(rec.lines[4], " ---> Running in ")
	require.Len(t, container, 12, rec.lines[4])
	require.Equal(t, []string{
		"Step 1/5 : FROM busybox",
		" ---> " + short(busybox.ID),
		"Step 2/5 : ENV A=1",
		"Step 3/5 : RUN echo out",
		" ---> Running in " + container,
		"out",
		" ---> Removed intermediate container " + container,
		" ---> " + short(ran),
		"Step 4/5 : COPY f /f",
		" ---> " + short(copied.ID),
		"Step 5/5 : LABEL l=1",
		" ---> " + short(img.ID),
	}, rec.lines)

	// Again: from the cache, no container.
	rec = buildRecorder{}
	again, err := e.Build(ctx, dir, rec.options()...)
	require.NoError(t, err)
	require.Equal(t, img.ID, again.ID)
	require.Equal(t, []string{
		"Step 1/5 : FROM busybox",
		" ---> " + short(busybox.ID),
		"Step 2/5 : ENV A=1",
		" ---> Using cache",
		"Step 3/5 : RUN echo out",
		" ---> Using cache",
		" ---> " + short(ran),
		"Step 4/5 : COPY f /f",
		" ---> Using cache",
		" ---> " + short(copied.ID),
		"Step 5/5 : LABEL l=1",
		" ---> Using cache", // once: the commit of the configuration is no step of its own
		" ---> " + short(img.ID),
	}, rec.lines)

	// A RUN that fails: its container, created and removed, no image.
	rec = buildRecorder{}
	_, err = e.Build(ctx, buildContext(t, map[string]string{"Dockerfile": "FROM busybox\nRUN echo failing; exit 2\n"}), rec.options()...)
	var be *BuildError
	require.ErrorAs(t, err, &be)
	require.Len(t, rec.lines, 6, "%q", rec.lines)
	container = strings.TrimPrefix(rec.lines[3], " ---> Running in ")
	require.Equal(t, []string{
		"Step 1/2 : FROM busybox",
		" ---> " + short(busybox.ID),
		"Step 2/2 : RUN echo failing; exit 2",
		" ---> Running in " + container,
		"failing",
		" ---> Removed intermediate container " + container,
	}, rec.lines)
	noContainers(t, e)
}

func TestBuildEventString(t *testing.T) {
	id := "0123456789ab" + strings.Repeat("c", 52)
	for _, tc := range []struct {
		ev   BuildEvent
		want string
	}{
		{BuildEvent{BuildContainerCreated, id}, " ---> Running in 0123456789ab"},
		{BuildEvent{BuildContainerRemoved, id}, " ---> Removed intermediate container 0123456789ab"},
		{BuildEvent{BuildImage, "sha256:" + id}, " ---> 0123456789ab"},
		{BuildEvent{BuildImage, "sha256:abc"}, " ---> abc"},
		{BuildEvent{0, id}, ""},
	} {
		require.Equal(t, tc.want, tc.ev.String(), "%+v", tc.ev)
	}
}

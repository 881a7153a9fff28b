package dock

import (
	"context"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestBuildWorkdirOwner: as with BuildKit, the directories that WORKDIR
// creates belong to the stage's USER (whose RUN steps can then write
// there); those that exist keep their owner.
func TestBuildWorkdirOwner(t *testing.T) {
	e := testEngine(t)
	dir := buildContext(t, map[string]string{
		"Dockerfile": "FROM busybox\nUSER dockuser:wheel\nWORKDIR /home/dockuser/a/b\nRUN touch made\nWORKDIR /tmp\n" +
			"USER root\nWORKDIR /srv/root-owned\n",
	})
	_, err := e.Build(context.Background(), dir, BuildTag("workdir-owner"))
	require.NoError(t, err, "a RUN as the USER writes into the WORKDIR it created")
	out := runOut(t, e, "workdir-owner", "stat", "-c", "%n %u:%g",
		"/home/dockuser", "/home/dockuser/a", "/home/dockuser/a/b", "/home/dockuser/a/b/made", "/tmp", "/srv", "/srv/root-owned")
	require.Equal(t, "/home/dockuser 1000:1000\n/home/dockuser/a 1000:10\n/home/dockuser/a/b 1000:10\n"+
		"/home/dockuser/a/b/made 1000:10\n/tmp 0:0\n/srv 0:0\n/srv/root-owned 0:0\n", out)
}

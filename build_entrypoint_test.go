package dock

import (
	"context"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestBuildEntrypointResetsCmd: as in docker, ENTRYPOINT drops the CMD of
// the base image (busybox's "sh"), but not one that the stage set before
// it; a CMD after it is kept too.
func TestBuildEntrypointResetsCmd(t *testing.T) {
	e := testStore(t)
	for _, tc := range []struct {
		dockerfile string
		want       []string
	}{
		{"FROM busybox\nENTRYPOINT [\"echo\"]\n", nil},
		{"FROM busybox\nCMD [\"hi\"]\nENTRYPOINT [\"echo\"]\n", []string{"hi"}},
		{"FROM busybox\nENTRYPOINT [\"echo\"]\nCMD [\"hi\"]\n", []string{"hi"}},
		{"FROM busybox AS a\nCMD [\"hi\"]\nFROM a\nENTRYPOINT [\"echo\"]\n", nil},
	} {
		img, err := e.Build(context.Background(), buildContext(t, map[string]string{"Dockerfile": tc.dockerfile}))
		require.NoError(t, err)
		require.Equal(t, tc.want, img.Config.Cmd, tc.dockerfile)
		require.Equal(t, []string{"echo"}, img.Config.Entrypoint, tc.dockerfile)
	}
}

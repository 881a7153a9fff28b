package dock

import (
	"context"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestBuildEnvSameLine: the values of an ENV line see the variables as they
// were before the line, as docker's do; the next line sees the new ones.
func TestBuildEnvSameLine(t *testing.T) {
	e := testStore(t)
	dir := buildContext(t, map[string]string{
		"Dockerfile": "FROM busybox\nENV A=one B=two\nENV A=uno C=\"$A-$B\"\nENV D=$A\n",
	})
	img, err := e.Build(context.Background(), dir)
	require.NoError(t, err)
	require.Subset(t, img.Config.Env, []string{"A=uno", "B=two", "C=one-two", "D=uno"})
	require.NotContains(t, img.Config.Env, "C=uno-two")
}

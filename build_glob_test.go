package dock

import (
	"context"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestBuildCopyGlobIgnored: a wildcard source matches the context as
// docker sends it, without the files .dockerignore excludes; an excluded
// match is skipped, not an error, and a wildcard whose matches are all
// excluded matches nothing.
func TestBuildCopyGlobIgnored(t *testing.T) {
	e := testEngine(t)
	dir := buildContext(t, map[string]string{
		"Dockerfile":    "FROM busybox\nCOPY *.md /docs/\n",
		".dockerignore": "*.md\n!README.md\n",
		"README.md":     "readme",
		"TODO.md":       "todo",
	})
	_, err := e.Build(context.Background(), dir, BuildTag("globbed"))
	require.NoError(t, err)
	require.Equal(t, "README.md\n", runOut(t, e, "globbed", "ls", "/docs"))

	dir = buildContext(t, map[string]string{
		"Dockerfile":    "FROM busybox\nCOPY *.md /docs/\n",
		".dockerignore": "*.md\n",
		"TODO.md":       "todo",
	})
	_, err = e.Build(context.Background(), dir)
	require.ErrorIs(t, err, ErrNotFound)
}

package main

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/go-dock/dock/internal/testutil"
)

// TestCLIImagesIntermediate: after a build, images hides the steps and
// images -a shows them; rmi removes the chain; image prune [-a] prints
// docker's report.
func TestCLIImagesIntermediate(t *testing.T) {
	testutil.RequireRoot(t)
	e := newEnv(t)
	ctx := t.TempDir()
	require.NoError(t, os.WriteFile(filepath.Join(ctx, "Dockerfile"), []byte(
		"FROM busybox\nRUN echo 1 > /1\nRUN echo 2 > /2\nRUN echo 3 > /3\nRUN echo 4 > /4\n"), 0o644))
	e.ok(nil, "build", "-q", "-t", "app:v1", ctx)
	rows := func(args ...string) []string {
		return strings.Split(strings.TrimSpace(e.ok(nil, append([]string{"images"}, args...)...)), "\n")
	}
	assert.Len(t, rows(), 3, "header, app and busybox")
	all := rows("-a")
	assert.Len(t, all, 6, "header, app, three steps and busybox:\n%s", strings.Join(all, "\n"))
	assert.Len(t, regexp.MustCompile(`(?m)^<none>\s+<none>\s`).FindAllString(strings.Join(all, "\n"), -1), 3, "the steps are untagged")
	assert.Len(t, strings.Fields(e.ok(nil, "images", "-aq")), 5)

	// rmi: the image, then each step, as docker prints them.
	out := e.ok(nil, "rmi", "app:v1")
	assert.Equal(t, 1, strings.Count(out, "Untagged: "))
	assert.Len(t, regexp.MustCompile(`(?m)^Deleted: sha256:`).FindAllString(out, -1), 8, "4 images and their 4 layers:\n%s", out)
	assert.Len(t, rows("-a"), 2, "busybox only")

	// An untagged build is dangling: image prune takes it and its steps.
	id := strings.TrimSpace(e.ok(nil, "build", "-q", ctx))
	assert.Contains(t, e.ok(nil, "images", "-q", "--no-trunc"), id)
	out = e.ok(nil, "image", "prune", "-f")
	assert.Regexp(t, `^Deleted Images:\n(deleted: sha256:[0-9a-f]{64}\n){8}\nTotal reclaimed space: [0-9.]+[kM]?B\n$`, out)
	assert.Contains(t, out, "deleted: "+id+"\n")
	assert.Len(t, rows("-a"), 2, "busybox only")

	// image prune -a: every image no container uses.
	e.ok(nil, "create", "--name", "c", "busybox", "true")
	e.ok(nil, "build", "-q", "-t", "app:v2", ctx)
	out = e.ok(nil, "image", "prune", "-a", "-f")
	assert.Contains(t, out, "untagged: app:v2\n")
	assert.NotContains(t, out, "untagged: busybox:latest\n", "busybox is used by a container")
	assert.Len(t, rows("-a"), 2, "busybox only")
	e.ok(nil, "rm", "c")
	out = e.ok(nil, "image", "prune", "-a")
	assert.True(t, strings.HasPrefix(out, "Deleted Images:\nuntagged: busybox:latest\ndeleted: sha256:"), out)
	assert.Len(t, rows("-a"), 1, "header only")
	e.expect(0, "Total reclaimed space: 0B\n", "image", "prune")
}

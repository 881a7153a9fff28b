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

// TestCLIImagePruneFilter: image prune --filter takes docker's keys
// (until, label, label!, dangling), refuses the others with docker's
// error, and refuses a dangling= that contradicts -a, as docker's daemon
// does.
func TestCLIImagePruneFilter(t *testing.T) {
	testutil.RequireRoot(t)
	e := newEnv(t)
	ctx := t.TempDir()
	require.NoError(t, os.WriteFile(filepath.Join(ctx, "Dockerfile"), []byte("FROM busybox\nLABEL team=a\n"), 0o644))
	id := strings.TrimSpace(e.ok(nil, "build", "-q", ctx)) // dangling: untagged
	images := func() string { return e.ok(nil, "images", "-aq", "--no-trunc") }
	require.Contains(t, images(), id)

	for _, f := range [][]string{
		{"--filter", "until=2000-01-01"},
		{"--filter", "label=team=b"},
		{"--filter", "label!=team=a"},
		{"-a", "--filter", "label=nosuch"},
	} {
		e.expect(0, "Total reclaimed space: 0B\n", append([]string{"image", "prune"}, f...)...)
	}
	assert.Contains(t, images(), id, "every filter above keeps the build")

	for _, tt := range []struct {
		args    []string
		code    int
		errWant string
	}{
		{[]string{"--filter", "reference=busybox"}, 1, "dock: invalid filter 'reference'\n"},
		{[]string{"--filter", "dangling=false"}, 1, "dock: invalid filter 'dangling=false,true'\n"},
		{[]string{"-a", "--filter", "dangling=true"}, 1, "dock: invalid filter 'dangling=false,true'\n"},
		{[]string{"--filter", "dangling=maybe"}, 1, "dock: invalid filter 'dangling=maybe'\n"},
	} {
		if errOut := e.expect(tt.code, "", append([]string{"image", "prune"}, tt.args...)...); errOut != tt.errWant {
			t.Errorf("image prune %q: stderr %q, want %q", tt.args, errOut, tt.errWant)
		}
	}
	assert.Contains(t, images(), id, "a refused filter prunes nothing")

	out := e.ok(nil, "image", "prune", "--filter", "label=team=a", "--filter", "dangling=true", "--filter", "until=2100-01-01")
	assert.Regexp(t, `^Deleted Images:\ndeleted: `+id+`\n(deleted: sha256:[0-9a-f]{64}\n)*\nTotal reclaimed space: [0-9.]+[kM]?B\n$`, out)
	// -a with dangling=false agrees; busybox, unlabelled, stays.
	e.expect(0, "Total reclaimed space: 0B\n", "image", "prune", "-a", "--filter", "dangling=false", "--filter", "label=team")
	assert.Equal(t, 1, strings.Count(images(), "\n"), "busybox only")
}

// TestCLIVolumePruneFilter: volume prune --filter takes label, label! and
// all (what -a sends), refuses -a with all= and the other keys with
// docker's errors.
func TestCLIVolumePruneFilter(t *testing.T) {
	testutil.RequireRoot(t)
	e := newEnv(t)
	e.ok(nil, "volume", "create", "--label", "app=web", "web")
	e.ok(nil, "volume", "create", "plain")
	volumes := func() string { return e.ok(nil, "volume", "ls", "-q") }

	e.expect(0, "Total reclaimed space: 0B\n", "volume", "prune", "--filter", "label=app", "--filter", "all=false")
	e.expect(0, "Total reclaimed space: 0B\n", "volume", "prune", "-a", "--filter", "label=app=nosuch")
	for _, tt := range []struct {
		args    []string
		errWant string
	}{
		{[]string{"-a", "--filter", "all=1"}, "dock: conflicting options: cannot specify both --all and --filter all=1\n"},
		{[]string{"--filter", "until=1h"}, "dock: invalid filter 'until'\n"},
		{[]string{"--filter", "all=perhaps"}, "dock: invalid filter 'all=perhaps'\n"},
		{[]string{"--filter", "label!=="}, "dock: invalid filter 'label!=='\n"},
	} {
		if errOut := e.expect(1, "", append([]string{"volume", "prune"}, tt.args...)...); errOut != tt.errWant {
			t.Errorf("volume prune %q: stderr %q, want %q", tt.args, errOut, tt.errWant)
		}
	}
	assert.Equal(t, "plain\nweb\n", volumes())

	e.expect(0, "Deleted Volumes:\nplain\n\nTotal reclaimed space: 0B\n", "volume", "prune", "--filter", "all=true", "--filter", "label!=app=web")
	e.expect(0, "Deleted Volumes:\nweb\n\nTotal reclaimed space: 0B\n", "volume", "prune", "-a", "--filter", "label=app")
	assert.Equal(t, "", volumes())
}

// TestCLINetworkPruneFilter: network prune --filter takes until, label
// and label!, and refuses the other keys with docker's error.
func TestCLINetworkPruneFilter(t *testing.T) {
	testutil.RequireRoot(t)
	e := newEnv(t)
	e.ok(nil, "network", "create", "--label", "app=web", "web")
	e.ok(nil, "network", "create", "other")

	e.expect(0, "", "network", "prune", "--filter", "until=2000-01-01")
	e.expect(0, "", "network", "prune", "--filter", "label=app=nosuch")
	if errOut := e.expect(1, "", "network", "prune", "--filter", "dangling=true"); errOut != "dock: invalid filter 'dangling'\n" {
		t.Errorf("network prune --filter dangling=true: stderr %q", errOut)
	}
	if errOut := e.expect(1, "", "network", "prune", "--filter", "until=soon"); !strings.Contains(errOut, `failed to parse value as time or duration: "soon"`) {
		t.Errorf("network prune --filter until=soon: stderr %q", errOut)
	}
	e.expect(0, "Deleted Networks:\nother\n\n", "network", "prune", "--filter", "label!=app=web")
	e.expect(0, "Deleted Networks:\nweb\n\n", "network", "prune", "-f", "--filter", "label=app", "--filter", "until=2100-01-01")
	e.expect(0, "bridge\nhost\nnone\n", "network", "ls", "--format", "{{.Name}}")
}

package main

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/go-dock/dock"
	"github.com/go-dock/dock/dockerapi"
)

func TestImageRows(t *testing.T) {
	const d1, d2 = "sha256:1111", "sha256:2222"
	for _, tc := range []struct {
		name    string
		img     dock.Image
		digests bool
		want    string // repo:tag@digest rows
	}{
		{"untagged", dock.Image{}, false, "<none>:<none>@<none>"},
		{"untagged, digests", dock.Image{}, true, "<none>:<none>@<none>"},
		{"tags", dock.Image{RepoTags: []string{"busybox:latest", "mine:v1", "busybox:1"}}, false,
			"busybox:latest@<none> busybox:1@<none> mine:v1@<none>"},
		{"tags and digests, not shown", dock.Image{RepoTags: []string{"r/a:v1"}, RepoDigests: []string{"r/a@" + d1}}, false,
			"r/a:v1@<none>"},
		{"tags and digests", dock.Image{RepoTags: []string{"r/a:v1", "r/a:v2"}, RepoDigests: []string{"r/a@" + d1, "r/a@" + d2}}, true,
			"r/a:v1@" + d1 + " r/a:v1@" + d2 + " r/a:v2@" + d1 + " r/a:v2@" + d2},
		{"a tag without digest", dock.Image{RepoTags: []string{"busybox:latest"}, RepoDigests: []string{"r/a@" + d1}}, true,
			"busybox:latest@<none> r/a:<none>@" + d1},
		// A tag moved away: the repository still has the digest.
		{"digest only", dock.Image{RepoDigests: []string{"busybox@" + d1}}, false, "busybox:<none>@"},
		{"digest only, shown", dock.Image{RepoDigests: []string{"busybox@" + d1, "busybox@" + d2}}, true,
			"busybox:<none>@" + d1 + " busybox:<none>@" + d2},
		{"registry with a port", dock.Image{RepoTags: []string{"localhost:5000/a"}}, false, "localhost:5000/a:<none>@<none>"},
	} {
		var got []string
		for _, r := range imageRows(&tc.img, tc.digests) {
			got = append(got, r.Repository()+":"+r.Tag()+"@"+r.Digest())
		}
		assert.Equal(t, tc.want, strings.Join(got, " "), tc.name)
	}
}

func TestPsRowImage(t *testing.T) {
	const id = "sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
	const dgst = "sha256:fedcba9876543210fedcba9876543210fedcba9876543210fedcba9876543210"
	for _, tc := range []struct {
		name, want, noTrunc string
	}{
		{"busybox", "busybox", "busybox"},
		{"busybox:1.36", "busybox:1.36", "busybox:1.36"},
		{"docker.io/library/busybox:latest", "busybox:latest", "docker.io/library/busybox:latest"},
		{"localhost:5000/app@" + dgst, "localhost:5000/app", "localhost:5000/app@" + dgst},
		{"app:v1@" + dgst, "app:v1", "app:v1@" + dgst},
		{id, "0123456789ab", id}, // the name now names another image
		{"", "<no image>", "<no image>"},
	} {
		lc := &dockerapi.ListedContainer{Info: &dock.Info{ImageID: id}, ImageName: tc.name}
		assert.Equal(t, tc.want, (&psRow{lc: lc, trunc: true}).Image(), "Image of %q", tc.name)
		assert.Equal(t, tc.noTrunc, (&psRow{lc: lc}).Image(), "Image of %q, --no-trunc", tc.name)
	}
}

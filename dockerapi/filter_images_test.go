package dockerapi

import (
	"strings"
	"testing"
	"time"

	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/go-dock/dock"
)

const testDigest = "sha256:0123456789012345678901234567890123456789012345678901234567890123"

// testImages are images as Engine.Images(ImagesAll()) lists them, newest
// first: a build (app:v1 on two untagged steps on busybox), a dangling
// build, a pushed image with two tags, an image whose tag moved (it keeps
// its repo digest), and busybox.
func testImages() []*dock.Image {
	at := func(h int) time.Time { return time.Date(2024, 1, 1, h, 0, 0, 0, time.UTC) }
	return []*dock.Image{
		{ID: "sha256:app", Parent: "sha256:step2", RepoTags: []string{"app:v1"}, Created: at(7),
			Config: ocispec.ImageConfig{Labels: map[string]string{"version": "1", "team": "a"}}},
		{ID: "sha256:step2", Parent: "sha256:step1", Created: at(6)},
		{ID: "sha256:step1", Parent: "sha256:busybox", Created: at(5)},
		{ID: "sha256:dangling", Parent: "sha256:busybox", Created: at(4),
			Config: ocispec.ImageConfig{Labels: map[string]string{"team": "b"}}},
		{ID: "sha256:pushed", RepoTags: []string{"localhost:5000/lib/bb:v1", "localhost:5000/lib/bb:v2"},
			RepoDigests: []string{"localhost:5000/lib/bb@" + testDigest}, Created: at(3)},
		{ID: "sha256:moved", RepoDigests: []string{"busybox@" + testDigest}, Created: at(2)},
		{ID: "sha256:busybox", RepoTags: []string{"busybox:latest", "mine:v1"}, Created: at(1)},
	}
}

func TestSelectImages(t *testing.T) {
	imgs := testImages()
	image := func(ref string) (*dock.Image, error) {
		for _, img := range imgs {
			if img.ID == "sha256:"+ref || len(img.RepoTags) > 0 && img.RepoTags[0] == ref {
				return img, nil
			}
		}
		return nil, dock.ErrNotFound
	}
	// row is an image as the test expects it: its ID without sha256:,
	// and with a reference filter the tags and digests kept.
	row := func(img *dock.Image, names bool) string {
		s := strings.TrimPrefix(img.ID, "sha256:")
		if !names {
			return s
		}
		for _, r := range append(append([]string(nil), img.RepoTags...), img.RepoDigests...) {
			s += "," + strings.Replace(r, testDigest, "D", 1)
		}
		return s
	}
	for _, tc := range []struct {
		all     bool
		filters []string
		want    string
	}{
		{want: "app dangling pushed moved busybox"},
		{all: true, want: "app step2 step1 dangling pushed moved busybox"},
		{filters: []string{"dangling=true"}, want: "dangling moved"},
		{all: true, filters: []string{"dangling=true"}, want: "dangling moved"}, // heads only, even with -a
		{filters: []string{"dangling=false"}, want: "app pushed moved busybox"},
		{filters: []string{"dangling=1"}, want: "dangling moved"},
		{filters: []string{"label=team"}, want: "app dangling"},
		{filters: []string{"label=team=a"}, want: "app"},
		{filters: []string{"label!=team"}, want: "pushed moved busybox"},
		{filters: []string{"before=pushed"}, want: "moved busybox"},
		{filters: []string{"since=pushed"}, want: "app dangling"},
		{all: true, filters: []string{"since=busybox", "before=dangling"}, want: "pushed moved"},
		{filters: []string{"until=2024-01-01T03:30:00Z"}, want: "pushed moved busybox"},
		{filters: []string{"until=1704078000"}, want: "moved busybox"},
		{filters: []string{"until=1h"}, want: "app dangling pushed moved busybox"},
		// reference: the tags and digests kept narrow to those matched.
		{filters: []string{"reference=busybox"}, want: "moved,busybox@D busybox,busybox:latest"},
		{filters: []string{"reference=busybox:latest"}, want: "busybox,busybox:latest"},
		{filters: []string{"reference=docker.io/library/busybox:latest"}, want: "busybox,busybox:latest"},
		{filters: []string{"reference=mine"}, want: "busybox,mine:v1"},
		{filters: []string{"reference=mi*"}, want: "busybox,mine:v1"},
		{filters: []string{"reference=*:v1"}, want: "app,app:v1 busybox,mine:v1"},
		{filters: []string{"reference=*/lib/bb:v2"}, want: "pushed,localhost:5000/lib/bb:v2"},
		{filters: []string{"reference=localhost:5000/lib/bb"}, want: "pushed,localhost:5000/lib/bb:v1,localhost:5000/lib/bb:v2,localhost:5000/lib/bb@D"},
		{filters: []string{"reference=app:v1", "reference=mine:v1"}, want: "app,app:v1 busybox,mine:v1"},
		{filters: []string{"reference=nosuch"}, want: ""},
		{filters: []string{"reference=busybox", "dangling=true"}, want: "moved,busybox@D"},
		{all: true, filters: []string{"reference=*"}, want: "app,app:v1 moved,busybox@D busybox,busybox:latest,mine:v1"},
	} {
		var f Filters
		for _, a := range tc.filters {
			require.NoError(t, f.Set(a))
		}
		m, err := newImageMatcher(f, image)
		require.NoError(t, err, "filters %q", tc.filters)
		var got []string
		for _, img := range selectImages(imgs, m, tc.all) {
			got = append(got, row(img, f.Contains("reference")))
		}
		assert.Equal(t, tc.want, strings.Join(got, " "), "all %v, filters %q", tc.all, tc.filters)
	}
	assert.Equal(t, []string{"busybox:latest", "mine:v1"}, imgs[6].RepoTags, "the images listed are copies")
}

func TestImageFilterErrors(t *testing.T) {
	image := func(ref string) (*dock.Image, error) { return nil, dock.ErrNotFound }
	for _, tc := range []struct {
		filter string
		err    string
	}{
		{"dangling=maybe", "invalid filter 'dangling=maybe'"},
		{"until=soon", `failed to parse value as time or duration: "soon"`},
		{"reference=[", "invalid filter 'reference=[': syntax error in pattern"},
		{"reference=Bad:Ref:x", `invalid filter 'reference=Bad:Ref:x': invalid reference format: "Bad:Ref:x": `},
	} {
		var f Filters
		require.NoError(t, f.Set(tc.filter))
		_, err := newImageMatcher(f, image)
		require.Error(t, err, tc.filter)
		assert.True(t, strings.HasPrefix(err.Error(), tc.err), "%s: %v", tc.filter, err)
		assert.ErrorIs(t, err, dock.ErrInvalid)
	}
	// Both dangling values.
	f := filtersOf("dangling", "true", "dangling", "false")
	_, err := newImageMatcher(f, image)
	assert.EqualError(t, err, "invalid filter 'dangling=false,true'")
	_, err = newImageMatcher(filtersOf("before", "nosuch"), image)
	assert.ErrorIs(t, err, dock.ErrNotFound)
	assert.EqualError(t, filtersOf("status", "x").validate(imageFilterKeys...), "invalid filter 'status'")
}

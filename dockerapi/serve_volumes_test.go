package dockerapi

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/moby/moby/api/types/volume"
	"github.com/moby/moby/client"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/go-dock/dock"
	"github.com/go-dock/dock/internal/testutil"
)

// volumeNames lists the names of the volumes that filters select.
func volumeNames(t *testing.T, a *apiTest, filters client.Filters) []string {
	t.Helper()
	res, err := a.client.VolumeList(context.Background(), client.VolumeListOptions{Filters: filters})
	require.NoError(t, err)
	var out []string
	for _, v := range res.Items {
		out = append(out, v.Name)
	}
	return out
}

func TestServeVolumes(t *testing.T) {
	testutil.RequireRoot(t)
	a := newAPITest(t)
	ctx := context.Background()

	status, _, body := a.do(t, http.MethodGet, "/volumes", "")
	assert.Equal(t, http.StatusOK, status)
	assert.JSONEq(t, `{"Volumes":[],"Warnings":[]}`, body, "empty lists, not null")

	res, err := a.client.VolumeCreate(ctx, client.VolumeCreateOptions{Name: "data", Driver: "local", Labels: map[string]string{"app": "db"}})
	require.NoError(t, err)
	v := res.Volume
	assert.Equal(t, "data", v.Name)
	assert.Equal(t, "local", v.Driver)
	assert.Equal(t, "local", v.Scope)
	assert.Equal(t, map[string]string{"app": "db"}, v.Labels)
	assert.DirExists(t, v.Mountpoint)
	require.NoError(t, os.WriteFile(filepath.Join(v.Mountpoint, "f"), []byte("0123456789"), 0o644))

	// Anonymous: a random name and Docker's label.
	res, err = a.client.VolumeCreate(ctx, client.VolumeCreateOptions{})
	require.NoError(t, err)
	anon := res.Volume.Name
	assert.Regexp(t, "^[0-9a-f]{64}$", anon)
	assert.Equal(t, map[string]string{"com.docker.volume.anonymous": ""}, res.Volume.Labels)

	// Raw: 201; an existing name answers the volume as it is.
	status, _, body = a.do(t, http.MethodPost, "/volumes/create", `{"Name":"data","Labels":{"app":"other"}}`)
	assert.Equal(t, http.StatusCreated, status)
	var got volume.Volume
	require.NoError(t, json.Unmarshal([]byte(body), &got))
	assert.Equal(t, "db", got.Labels["app"])
	_, err = a.client.VolumeCreate(ctx, client.VolumeCreateOptions{Name: "used"})
	require.NoError(t, err)

	insp, err := a.client.VolumeInspect(ctx, "data", client.VolumeInspectOptions{})
	require.NoError(t, err)
	assert.Equal(t, "data", insp.Volume.Name)
	assert.Equal(t, "db", insp.Volume.Labels["app"])
	assert.NotEmpty(t, insp.Volume.CreatedAt)

	// A container mounts "used".
	_, err = a.engine.Create(ctx, dock.Config{Image: "busybox", Cmd: []string{"true"},
		Mounts: []dock.Mount{{Type: "volume", Source: "used", Target: "/data"}}})
	require.NoError(t, err)

	all := slices.Sorted(slices.Values([]string{anon, "data", "used"}))
	for _, tc := range []struct {
		filters client.Filters
		want    []string
	}{
		{nil, all},
		{client.Filters{}.Add("name", "at"), []string{"data"}},
		{client.Filters{}.Add("name", "^u"), []string{"used"}},
		{client.Filters{}.Add("driver", "local"), all},
		{client.Filters{}.Add("driver", "nfs"), nil},
		{client.Filters{}.Add("label", "app=db"), []string{"data"}},
		{client.Filters{}.Add("label", "com.docker.volume.anonymous"), []string{anon}},
		{client.Filters{}.Add("dangling", "true"), slices.Sorted(slices.Values([]string{anon, "data"}))},
		{client.Filters{}.Add("dangling", "false"), []string{"used"}},
	} {
		assert.Equal(t, tc.want, volumeNames(t, a, tc.filters), "filters %v", tc.filters)
	}

	// Remove: in use is 409, force or not; missing is 404, or nothing with force.
	for _, path := range []string{"/volumes/used", "/volumes/used?force=1"} {
		status, _, body = a.do(t, http.MethodDelete, path, "")
		assert.Equal(t, http.StatusConflict, status, path)
		assert.Contains(t, body, "remove used: volume is in use - [", path)
	}
	status, _, body = a.do(t, http.MethodDelete, "/volumes/nosuch", "")
	assert.Equal(t, http.StatusNotFound, status)
	assert.JSONEq(t, `{"message":"get nosuch: no such volume"}`, body)
	_, err = a.client.VolumeRemove(ctx, "nosuch", client.VolumeRemoveOptions{Force: true})
	assert.NoError(t, err)

	// Prune: anonymous only by default (API 1.42 and later), label
	// filters, all; before 1.42 every unused one.
	pr, err := a.client.VolumePrune(ctx, client.VolumePruneOptions{})
	require.NoError(t, err)
	assert.Equal(t, []string{anon}, pr.Report.VolumesDeleted)
	pr, err = a.client.VolumePrune(ctx, client.VolumePruneOptions{All: true, Filters: client.Filters{}.Add("label!", "app=db")})
	require.NoError(t, err)
	assert.Empty(t, pr.Report.VolumesDeleted)
	_, err = a.client.VolumeCreate(ctx, client.VolumeCreateOptions{Name: "old"})
	require.NoError(t, err)
	status, _, body = a.do(t, http.MethodPost, "/v1.41/volumes/prune?filters="+url.QueryEscape(`{"label":{"app=db":true}}`), "")
	assert.Equal(t, http.StatusOK, status)
	var rep volume.PruneReport
	require.NoError(t, json.Unmarshal([]byte(body), &rep))
	assert.Equal(t, []string{"data"}, rep.VolumesDeleted)
	assert.Equal(t, uint64(10), rep.SpaceReclaimed)
	assert.Equal(t, []string{"old", "used"}, volumeNames(t, a, nil))

	_, err = a.client.VolumeRemove(ctx, "old", client.VolumeRemoveOptions{})
	require.NoError(t, err)
	_, err = a.client.VolumeInspect(ctx, "old", client.VolumeInspectOptions{})
	assert.ErrorContains(t, err, "get old: no such volume")
}

// Bad requests are refused with Docker's statuses, and create nothing.
func TestServeVolumesHostile(t *testing.T) {
	a := newAPITest(t)
	for _, tc := range []struct {
		method, path, body string
		status             int
		msg                string
	}{
		{"POST", "/volumes/create", `{"Name":`, 400, "invalid JSON"},
		{"POST", "/volumes/create", `{"Name":["x"]}`, 400, "invalid JSON"},
		{"POST", "/volumes/create", `{"Name":"../etc"}`, 400, `"../etc" includes invalid characters for a local volume name`},
		{"POST", "/volumes/create", `{"Name":"/abs"}`, 400, "invalid characters"},
		{"POST", "/volumes/create", `{"Name":"a\u0000b"}`, 400, "invalid characters"},
		{"POST", "/volumes/create", `{"Name":"x","Driver":"nfs"}`, 404, `plugin "nfs" not found`},
		{"POST", "/volumes/create", `{"Name":"x","DriverOpts":{"type":"tmpfs"}}`, 400, "not supported"},
		{"POST", "/volumes/create", `{"Name":"x","DriverOpts":{"bogus":"1"}}`, 400, `invalid option key: "bogus"`},
		{"POST", "/volumes/create", `{"Name":"x","Labels":{"":"v"}}`, 400, "no key"},
		{"POST", "/volumes/create", `{"Name":"x","ClusterVolumeSpec":{}}`, 503, "swarm"},
		{"GET", "/volumes/..%2Fetc", "", 404, "get ../etc: no such volume"},
		{"DELETE", "/volumes/.x", "", 404, "get .x: no such volume"},
		{"GET", "/volumes/nosuch", "", 404, "get nosuch: no such volume"},
		{"GET", "/volumes?filters=" + url.QueryEscape(`{"nosuch":["x"]}`), "", 400, "invalid filter 'nosuch'"},
		{"GET", "/volumes?filters=" + url.QueryEscape(`{"dangling":["maybe"]}`), "", 400, "invalid filter 'dangling=maybe'"},
		{"GET", "/volumes?filters=" + url.QueryEscape(`{"dangling":["true","false"]}`), "", 400, "invalid filter 'dangling'"},
		{"GET", "/volumes?filters={", "", 400, "invalid filter"},
		{"POST", "/volumes/prune?filters=" + url.QueryEscape(`{"until":["1h"]}`), "", 400, "invalid filter 'until'"},
		{"POST", "/volumes/prune?filters=" + url.QueryEscape(`{"all":["perhaps"]}`), "", 400, "invalid filter 'all=perhaps'"},
		{"POST", "/volumes/prune?filters=" + url.QueryEscape(`{"label":["=x"]}`), "", 400, "invalid filter 'label==x'"},
	} {
		status, _, body := a.do(t, tc.method, tc.path, tc.body)
		assert.Equal(t, tc.status, status, "%s %s %s: %s", tc.method, tc.path, tc.body, body)
		var e struct{ Message string }
		require.NoError(t, json.Unmarshal([]byte(body), &e), body)
		assert.Contains(t, e.Message, tc.msg, "%s %s %s", tc.method, tc.path, tc.body)
	}
	assert.Empty(t, volumeNames(t, a, nil), "nothing was created")
}

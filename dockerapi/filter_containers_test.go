package dockerapi

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/go-dock/dock"
)

// testContainers are five containers, newest first, as Engine.Containers
// lists them, with the images they were made from: base, child (built
// on base), grandchild (built on child) and other.
func testContainers() ([]*ListedContainer, []*dock.Image) {
	images := []*dock.Image{
		{ID: "sha256:base", RepoTags: []string{"base:latest"}},
		{ID: "sha256:child", Parent: "sha256:base", RepoTags: []string{"child:1"}},
		{ID: "sha256:grandchild", Parent: "sha256:child"},
		{ID: "sha256:other", RepoTags: []string{"other:latest"}},
	}
	started := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
	mk := func(id, name, image string, st dock.State, labels map[string]string) *ListedContainer {
		return &ListedContainer{
			Info:   &dock.Info{ID: id, Name: name, ImageID: image, State: st},
			Labels: labels, Health: "none",
		}
	}
	web := mk("5aaa", "web", "sha256:grandchild", dock.State{Status: dock.StatusRunning, StartedAt: started}, map[string]string{"app": "web", "tier": "front"})
	web.Info.Mounts = []dock.MountPoint{{Type: "volume", Name: "data", Source: "/var/lib/dock/volumes/data/_data", Target: "/data"}}
	web.Info.Ports = []dock.PortMapping{{ContainerPort: 80, Proto: "tcp", HostPort: 8080}}
	web.Networks = []dock.EndpointInfo{{NetworkID: "b1b1", Network: "bridge"}}
	web.Health = "healthy"
	db := mk("4bbb", "db", "sha256:base", dock.State{Status: dock.StatusPaused, StartedAt: started}, map[string]string{"app": "db"})
	db.Info.Mounts = []dock.MountPoint{{Type: "bind", Source: "/srv/db", Target: "/var/lib/db"}}
	db.Info.ExposedPorts = []dock.Port{{Number: 5432}}
	db.Networks = []dock.EndpointInfo{{NetworkID: "b2b2", Network: "backend"}}
	job := mk("3ccc", "job", "sha256:other", dock.State{Status: dock.StatusExited, StartedAt: started, Exit: dock.ExitStatus{Code: 0}}, nil)
	job.Networks = []dock.EndpointInfo{{NetworkID: "n0n0", Network: "none"}}
	fail := mk("2ddd", "fail", "sha256:child", dock.State{Status: dock.StatusExited, StartedAt: started, Exit: dock.ExitStatus{Code: 3}}, map[string]string{"app": "batch"})
	fail.Info.Ports = []dock.PortMapping{{ContainerPort: 53, Proto: "udp"}}
	created := mk("1eee", "new", "sha256:base", dock.State{Status: dock.StatusCreated}, nil)
	return []*ListedContainer{web, db, job, fail, created}, images
}

// testLookups resolve the names of testContainers, as an engine would.
func testLookups(list []*ListedContainer, images []*dock.Image) containerLookups {
	return containerLookups{
		container: func(ref string) (string, error) {
			for _, lc := range list {
				if lc.Info.Name == ref || strings.HasPrefix(lc.Info.ID, ref) {
					return lc.Info.ID, nil
				}
			}
			return "", fmt.Errorf("no such container: %s: %w", ref, dock.ErrNotFound)
		},
		image: func(ref string) (string, error) {
			for _, img := range images {
				if img.ID == "sha256:"+ref || len(img.RepoTags) > 0 && (img.RepoTags[0] == ref || img.RepoTags[0] == ref+":latest") {
					return img.ID, nil
				}
			}
			return "", dock.ErrNotFound
		},
		images: images,
	}
}

// A container with a health check is listed with its status, one
// without (or never started) with "none"; a restarting one is listed
// without -a, as running.
func TestContainerHealthAndRestarting(t *testing.T) {
	assert.Equal(t, "none", containerHealth(&dock.Info{}))
	assert.Equal(t, "unhealthy", containerHealth(&dock.Info{Health: &dock.Health{Status: dock.HealthUnhealthy}}))
	list := []*ListedContainer{
		{Info: &dock.Info{ID: "2", Name: "loop", State: dock.State{Status: dock.StatusRestarting}}, Health: "none"},
		{Info: &dock.Info{ID: "1", Name: "done", State: dock.State{Status: dock.StatusExited}}, Health: "none"},
	}
	m, err := newContainerMatcher(Filters{}, containerLookups{})
	require.NoError(t, err)
	got := selectContainers(list, m, ContainerListOptions{})
	require.Len(t, got, 1)
	assert.Equal(t, "loop", got[0].Info.Name)
	var f Filters
	require.NoError(t, f.Set("status=restarting"))
	m, err = newContainerMatcher(f, containerLookups{})
	require.NoError(t, err)
	got = selectContainers(list, m, ContainerListOptions{All: true})
	require.Len(t, got, 1)
	assert.Equal(t, "loop", got[0].Info.Name)
}

func TestSelectContainers(t *testing.T) {
	list, images := testContainers()
	all := ContainerListOptions{All: true}
	for _, tc := range []struct {
		opts    ContainerListOptions
		filters []string // --filter arguments
		want    string   // the names listed, newest first
	}{
		{want: "web db"}, // running and paused
		{opts: all, want: "web db job fail new"},
		{opts: ContainerListOptions{Limit: 3}, want: "web db job"},
		{opts: ContainerListOptions{Limit: 1}, want: "web"},
		{opts: ContainerListOptions{Limit: 1}, filters: []string{"status=exited"}, want: "job"},
		// status implies -a.
		{filters: []string{"status=exited"}, want: "job fail"},
		{filters: []string{"status=created", "status=paused"}, want: "db new"},
		{filters: []string{"status=dead"}, want: ""},
		{opts: all, filters: []string{"name=web"}, want: "web"},
		{opts: all, filters: []string{"name=/web"}, want: "web"},
		{opts: all, filters: []string{"name=e"}, want: "web new"}, // part of a name
		{opts: all, filters: []string{"name=^(db|job)$"}, want: "db job"},
		{opts: all, filters: []string{"name=web", "name=db"}, want: "web db"},
		{opts: all, filters: []string{"id=4b"}, want: "db"},
		{opts: all, filters: []string{"id=bbb"}, want: ""}, // a prefix, not a part
		{opts: all, filters: []string{"id="}, want: ""},
		{opts: all, filters: []string{"label=app"}, want: "web db fail"},
		{opts: all, filters: []string{"label=app=db"}, want: "db"},
		{opts: all, filters: []string{"label=app", "label=tier=front"}, want: "web"},
		{opts: all, filters: []string{"label!=app"}, want: "job new"},
		{opts: all, filters: []string{"label!=app=web"}, want: "db job fail new"},
		// ancestor: the image and those built on it.
		{opts: all, filters: []string{"ancestor=base"}, want: "web db fail new"},
		{opts: all, filters: []string{"ancestor=child:1"}, want: "web fail"},
		{opts: all, filters: []string{"ancestor=grandchild"}, want: "web"},
		{opts: all, filters: []string{"ancestor=other", "ancestor=child:1"}, want: "web job fail"},
		{opts: all, filters: []string{"ancestor=nosuch"}, want: ""},
		// exited: containers that ran, not the created one.
		{opts: all, filters: []string{"exited=0"}, want: "job"},
		{opts: all, filters: []string{"exited=3", "exited=0"}, want: "job fail"},
		{filters: []string{"exited=0"}, want: ""}, // without -a, as docker
		// before and since, by position; with -a or not.
		{opts: all, filters: []string{"before=job"}, want: "fail new"},
		{opts: all, filters: []string{"since=job"}, want: "web db"},
		{opts: all, filters: []string{"since=fail", "before=db"}, want: "job"},
		{opts: all, filters: []string{"before=db", "before=job"}, want: "fail new"},
		{opts: all, filters: []string{"since=fail", "since=db"}, want: "web"},
		{filters: []string{"before=web"}, want: "db"},
		{opts: all, filters: []string{"volume=data"}, want: "web"},
		{opts: all, filters: []string{"volume=/data"}, want: "web"},
		{opts: all, filters: []string{"volume=/srv/db"}, want: "db"},
		{opts: all, filters: []string{"volume=/var/lib/db", "volume=data"}, want: "web db"},
		{opts: all, filters: []string{"volume=nosuch"}, want: ""},
		{opts: all, filters: []string{"network=bridge"}, want: "web"},
		{opts: all, filters: []string{"network=b2"}, want: "db"},
		{opts: all, filters: []string{"network=none"}, want: "job"},
		{opts: all, filters: []string{"network=bri"}, want: ""}, // names are whole
		{opts: all, filters: []string{"publish=80"}, want: "web"},
		{opts: all, filters: []string{"publish=80/udp"}, want: ""},
		{opts: all, filters: []string{"publish=50-60/udp"}, want: "fail"},
		{opts: all, filters: []string{"expose=5432/tcp"}, want: "db"},
		{opts: all, filters: []string{"expose=80"}, want: "web"}, // published is exposed
		{opts: all, filters: []string{"health=none"}, want: "db job fail new"},
		{opts: all, filters: []string{"health=healthy"}, want: "web"},
		{opts: all, filters: []string{"health=unhealthy", "health=starting"}, want: ""},
		{opts: all, filters: []string{"is-task=false"}, want: "web db job fail new"},
		{opts: all, filters: []string{"is-task=true"}, want: ""},
		{opts: all, filters: []string{"isolation=default"}, want: "web db job fail new"},
		{opts: all, filters: []string{"isolation=hyperv"}, want: ""},
		{opts: all, filters: []string{"status=exited", "label=app"}, want: "fail"},
	} {
		opts := tc.opts
		for _, a := range tc.filters {
			require.NoError(t, opts.Filters.Set(a))
		}
		m, err := newContainerMatcher(opts.Filters, testLookups(list, images))
		require.NoError(t, err, "filters %q", tc.filters)
		var got []string
		for _, lc := range selectContainers(list, m, opts) {
			got = append(got, lc.Info.Name)
		}
		assert.Equal(t, tc.want, strings.Join(got, " "), "opts %+v, filters %q", tc.opts, tc.filters)
	}
}

func TestContainerFilterErrors(t *testing.T) {
	list, images := testContainers()
	for _, tc := range []struct {
		filter string
		err    string
	}{
		{"status=bogus", "invalid filter 'status=bogus'"},
		{"health=sick", "invalid filter 'health=sick'"},
		{"exited=x", "invalid filter 'exited=x'"},
		{"is-task=maybe", "invalid filter 'is-task=maybe'"},
		{"publish=8080:80", "filter for 'publish' should not contain ':': 8080:80"},
		{"expose=http", "error while looking up for expose http: invalid port range"},
		{"publish=90-80", "error while looking up for publish 90-80: invalid port range"},
		{"before=nosuch", "no such container: nosuch: not found"},
		{"since=nosuch", "no such container: nosuch: not found"},
	} {
		var f Filters
		require.NoError(t, f.Set(tc.filter))
		_, err := newContainerMatcher(f, testLookups(list, images))
		assert.EqualError(t, err, tc.err, tc.filter)
		if strings.HasPrefix(tc.filter, "before") || strings.HasPrefix(tc.filter, "since") {
			assert.ErrorIs(t, err, dock.ErrNotFound)
		} else {
			assert.ErrorIs(t, err, dock.ErrInvalid)
		}
	}
	var f Filters
	require.NoError(t, f.Set("colour=red"))
	assert.EqualError(t, f.validate(containerFilterKeys...), "invalid filter 'colour'")
}

func TestListedCommand(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want string
	}{
		{nil, ""},
		{[]string{"sleep"}, "sleep"},
		{[]string{"sleep", "10"}, "sleep 10"},
		{[]string{"sh", "-c", "sleep 1"}, "sh -c 'sleep 1'"},
		{[]string{"/bin/my prog", "a b", "c\td"}, "/bin/my prog 'a b' c\td"}, // only spaces, not the first
	} {
		assert.Equal(t, tc.want, listedCommand(tc.args), "listedCommand(%q)", tc.args)
	}
}

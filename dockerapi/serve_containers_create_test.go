package dockerapi

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/netip"
	"strings"
	"testing"

	cerrdefs "github.com/containerd/errdefs"
	"github.com/moby/moby/api/types/container"
	"github.com/moby/moby/api/types/network"
	"github.com/moby/moby/client"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
	"github.com/stretchr/testify/require"

	"github.com/go-dock/dock"
	"github.com/go-dock/dock/internal/testutil"
)

// requireNoContainers checks that nothing was left behind.
func (a *apiTest) requireNoContainers(t *testing.T) {
	t.Helper()
	infos, err := a.engine.Containers(context.Background())
	require.NoError(t, err)
	require.Empty(t, infos)
}

// TestServeContainersCreateRefusals sends bad and hostile create
// requests: each gets Docker's status and words, and nothing is created.
func TestServeContainersCreateRefusals(t *testing.T) {
	testutil.RequireRoot(t)
	a := newAPITest(t)
	ctx := context.Background()

	_, err := a.client.ContainerCreate(ctx, client.ContainerCreateOptions{Config: &container.Config{Image: "nosuch"}})
	require.True(t, cerrdefs.IsNotFound(err), "an image not in the store is a 404, on which the CLI pulls: %v", err)
	require.ErrorContains(t, err, "No such image: nosuch:latest")
	_, err = a.client.ContainerCreate(ctx, client.ContainerCreateOptions{Config: &container.Config{Image: "busybox"},
		Platform: &ocispec.Platform{OS: "linux", Architecture: "s390x"}})
	require.True(t, cerrdefs.IsNotFound(err), "%v", err)
	require.ErrorContains(t, err, "was found but its platform")

	for _, tt := range []struct {
		name, path, contentType, body string
		status                        int
		msg                           string
	}{
		{"bad JSON", "/containers/create", "application/json", `{"Image":`, 400, "invalid JSON: unexpected EOF"},
		{"wrong type", "/containers/create", "application/json", `{"Image":["busybox"]}`, 400, ""},
		{"huge number", "/containers/create", "application/json", `{"Image":"busybox","HostConfig":{"Memory":1e40}}`, 400, ""},
		{"empty body", "/containers/create", "application/json", ``, 400, "config cannot be empty in order to create a container"},
		{"null config", "/containers/create", "application/json", `null`, 400, "config cannot be empty in order to create a container"},
		{"text body", "/containers/create", "text/plain", `{"Image":"busybox"}`, 400, "unsupported Content-Type header (text/plain): must be 'application/json'"},
		{"bad name", "/containers/create?name=a%20b", "application/json", `{"Image":"busybox"}`, 400, "Invalid container name (a b), only [a-zA-Z0-9][a-zA-Z0-9_.-] are allowed"},
		{"bad platform", "/containers/create?platform=linux/a/b/c", "application/json", `{"Image":"busybox"}`, 400, ""},
		{"two networks at 1.43", "/v1.43/containers/create", "application/json",
			`{"Image":"busybox","NetworkingConfig":{"EndpointsConfig":{"a":{},"b":{}}}}`, 400, "Container cannot be connected to network endpoints: a, b"},
		{"no such network", "/containers/create", "application/json", `{"Image":"busybox","HostConfig":{"NetworkMode":"nosuchnet"}}`, 404, ""},
		{"no such second network", "/containers/create", "application/json",
			`{"Image":"busybox","NetworkingConfig":{"EndpointsConfig":{"bridge":{},"nosuchnet":{}}}}`, 404, ""},
		{"bind of nothing", "/containers/create", "application/json", `{"Image":"busybox","HostConfig":{"Binds":["/nonexistent/dir:/x"]}}`, 400, ""},
		{"huge body", "/containers/create", "application/json", `{"Image":"busybox","Env":["` + strings.Repeat("A", maxJSONBody) + `"]}`, 413,
			fmt.Sprintf("request body too large: %d bytes, the limit is %d", maxJSONBody+30, maxJSONBody)},
		{"unknown capability", "/containers/create", "application/json", `{"Image":"busybox","HostConfig":{"CapAdd":["CAP_NOPE"]}}`, 400, ""},
		{"negative oom score", "/containers/create", "application/json", `{"Image":"busybox","HostConfig":{"OomScoreAdj":-5000}}`, 400, ""},
	} {
		t.Run(tt.name, func(t *testing.T) {
			req, err := http.NewRequest("POST", "http://docker"+tt.path, strings.NewReader(tt.body))
			require.NoError(t, err)
			req.Header.Set("Content-Type", tt.contentType)
			resp, err := a.http.Do(req)
			require.NoError(t, err)
			defer resp.Body.Close()
			var e struct{ Message string }
			require.NoError(t, json.NewDecoder(resp.Body).Decode(&e))
			require.Equal(t, tt.status, resp.StatusCode, e.Message)
			if tt.msg != "" {
				require.Equal(t, tt.msg, e.Message)
			}
			require.NotEmpty(t, e.Message)
			a.requireNoContainers(t)
		})
	}

	a.create(t, "taken", &container.Config{Cmd: []string{"true"}}, nil)
	_, err = a.client.ContainerCreate(ctx, client.ContainerCreateOptions{Name: "taken", Config: &container.Config{Image: "busybox"}})
	require.True(t, cerrdefs.IsConflict(err), "a name in use is a 409: %v", err)
	require.ErrorContains(t, err, `Conflict. The container name "/taken" is already in use by container`)
}

// TestServeContainersCreateNetworks creates a container on two networks
// at once (API 1.44), with aliases and an address, and on the default
// network as Docker's default.
func TestServeContainersCreateNetworks(t *testing.T) {
	testutil.RequireRoot(t)
	a := newAPITest(t)
	ctx := context.Background()
	for _, n := range []string{"apinet1", "apinet2"} {
		_, err := a.engine.CreateNetwork(ctx, n, dock.NetworkSubnet(map[string]string{"apinet1": "10.231.1.0/24", "apinet2": "10.231.2.0/24"}[n]))
		require.NoError(t, err)
		t.Cleanup(func() { a.engine.RemoveNetwork(context.Background(), n) })
	}
	res, err := a.client.ContainerCreate(ctx, client.ContainerCreateOptions{
		Name:       "netted",
		Config:     &container.Config{Image: "busybox", Cmd: []string{"true"}, ExposedPorts: network.PortSet{network.MustParsePort("80/tcp"): {}}},
		HostConfig: &container.HostConfig{NetworkMode: "apinet1", PortBindings: network.PortMap{network.MustParsePort("80/tcp"): {{HostPort: "18080"}}}},
		NetworkingConfig: &network.NetworkingConfig{EndpointsConfig: map[string]*network.EndpointSettings{
			"apinet1": {Aliases: []string{"web"}, IPAMConfig: &network.EndpointIPAMConfig{IPv4Address: netip.MustParseAddr("10.231.1.9")}},
			"apinet2": {Aliases: []string{"api"}},
		}},
	})
	require.NoError(t, err)
	info := a.inspect(t, res.ID)
	require.Equal(t, container.NetworkMode("apinet1"), info.HostConfig.NetworkMode)
	require.Contains(t, info.NetworkSettings.Networks, "apinet1")
	require.Contains(t, info.NetworkSettings.Networks, "apinet2")
	require.Equal(t, []string{"web"}, info.NetworkSettings.Networks["apinet1"].Aliases)
	require.Equal(t, []string{"api"}, info.NetworkSettings.Networks["apinet2"].Aliases)
	require.Equal(t, "10.231.1.9", info.NetworkSettings.Networks["apinet1"].IPAMConfig.IPv4Address.String())
	require.Equal(t, []network.PortBinding{{HostPort: "18080"}}, info.HostConfig.PortBindings[network.MustParsePort("80/tcp")])

	def := a.create(t, "", &container.Config{Cmd: []string{"true"}}, nil)
	require.Equal(t, container.NetworkMode("bridge"), a.inspect(t, def).HostConfig.NetworkMode, "Docker's default network")
}

// TestServeContainersInspectVersions checks the version-dependent shapes
// of inspect and list, and the size parameters.
func TestServeContainersInspectVersions(t *testing.T) {
	testutil.RequireRoot(t)
	a := newAPITest(t)
	ctx := context.Background()
	id := a.create(t, "shapes", &container.Config{Cmd: []string{"sh", "-c", "echo x > /written"}}, &container.HostConfig{NetworkMode: "none"})
	_, err := a.client.ContainerStart(ctx, id, client.ContainerStartOptions{})
	require.NoError(t, err)
	<-a.client.ContainerWait(ctx, id, client.ContainerWaitOptions{}).Result

	keys := func(path string) map[string]json.RawMessage {
		t.Helper()
		status, _, body := a.do(t, "GET", path, "")
		require.Equal(t, http.StatusOK, status, body)
		var v struct {
			NetworkSettings map[string]json.RawMessage
			SizeRw          *int64
		}
		require.NoError(t, json.Unmarshal([]byte(body), &v))
		if strings.Contains(path, "size=1") {
			require.NotNil(t, v.SizeRw)
			require.Positive(t, *v.SizeRw, "the file written")
		} else {
			require.Nil(t, v.SizeRw)
		}
		return v.NetworkSettings
	}
	require.Contains(t, keys("/v1.51/containers/shapes/json"), "IPAddress", "the legacy fields before 1.52")
	require.NotContains(t, keys("/v1.52/containers/shapes/json?size=1"), "IPAddress")

	list, err := a.client.ContainerList(ctx, client.ContainerListOptions{All: true, Size: true, Limit: 1})
	require.NoError(t, err)
	require.Len(t, list.Items, 1)
	require.Positive(t, list.Items[0].SizeRw)
	require.Equal(t, "none", list.Items[0].HostConfig.NetworkMode)
	require.Contains(t, list.Items[0].NetworkSettings.Networks, "none")

	status, _, body := a.do(t, "GET", "/containers/json?filters=%7Bbad", "")
	require.Equal(t, http.StatusBadRequest, status, body)
	status, _, body = a.do(t, "GET", `/containers/json?filters={"colour":["red"]}`, "")
	requireError(t, status, body, http.StatusBadRequest, "invalid filter 'colour'")
	status, _, body = a.do(t, "GET", "/containers/json?limit=many", "")
	requireError(t, status, body, http.StatusBadRequest, `invalid value for limit: "many"`)
	status, _, body = a.do(t, "GET", `/containers/json?all=1&filters={"label":["nope"]}`, "")
	require.Equal(t, http.StatusOK, status)
	require.JSONEq(t, `[]`, body, "an empty list, not null")
}

// TestServeContainersPrune removes the stopped containers a label
// selects, then all of them.
func TestServeContainersPrune(t *testing.T) {
	testutil.RequireRoot(t)
	a := newAPITest(t)
	ctx := context.Background()
	a1 := a.create(t, "", &container.Config{Cmd: []string{"true"}, Labels: map[string]string{"team": "a"}}, nil)
	b := a.create(t, "", &container.Config{Cmd: []string{"true"}}, nil)
	res, err := a.client.ContainerPrune(ctx, client.ContainerPruneOptions{Filters: make(client.Filters).Add("label", "team=a")})
	require.NoError(t, err)
	require.Equal(t, []string{a1}, res.Report.ContainersDeleted)
	status, _, body := a.do(t, "POST", `/containers/prune?filters={"until":["soon"]}`, "")
	require.Equal(t, http.StatusBadRequest, status, body)
	status, _, body = a.do(t, "POST", `/containers/prune?filters={"name":["x"]}`, "")
	requireError(t, status, body, http.StatusBadRequest, "invalid filter 'name'")
	res, err = a.client.ContainerPrune(ctx, client.ContainerPruneOptions{})
	require.NoError(t, err)
	require.Equal(t, []string{b}, res.Report.ContainersDeleted)
	status, _, body = a.do(t, "POST", "/containers/prune", "")
	require.Equal(t, http.StatusOK, status)
	require.JSONEq(t, `{"ContainersDeleted":[],"SpaceReclaimed":0}`, body)
}

// TestServeContainersResize sizes a detached container's terminal:
// ConsoleSize at its start, then POST resize, as docker run -it does;
// Docker's refusals.
func TestServeContainersResize(t *testing.T) {
	testutil.RequireRoot(t)
	a := newAPITest(t)
	ctx := context.Background()
	id := a.create(t, "tty", &container.Config{Tty: true, Cmd: []string{"sleep", "1000"}},
		&container.HostConfig{NetworkMode: "none", ConsoleSize: [2]uint{30, 100}})
	status, _, body := a.do(t, "POST", "/containers/tty/resize?h=30&w=100", "")
	requireError(t, status, body, http.StatusConflict, "Container "+id+" is not running")
	_, err := a.client.ContainerStart(ctx, id, client.ContainerStartOptions{})
	require.NoError(t, err)
	size := func() string {
		t.Helper()
		c, err := a.engine.Container(id)
		require.NoError(t, err)
		var out strings.Builder
		p := c.Exec(dock.ExecConfig{Cmd: []string{"stty", "-F", "/dev/console", "size"}})
		p.Stdout = &out
		require.NoError(t, p.Start(ctx))
		st, err := p.Wait(ctx)
		require.NoError(t, err)
		require.Zero(t, st.Code)
		return strings.TrimSpace(out.String())
	}
	require.Equal(t, "30 100", size(), "ConsoleSize, set at the start")

	// A program that reads the size at once sees ConsoleSize, not 0x0
	// (docker run -it --rm busybox stty size).
	at := a.create(t, "sttyatonce", &container.Config{Tty: true, Cmd: []string{"stty", "size"}},
		&container.HostConfig{NetworkMode: "none", ConsoleSize: [2]uint{31, 101}})
	_, err = a.client.ContainerStart(ctx, at, client.ContainerStartOptions{})
	require.NoError(t, err)
	c, err := a.engine.Container(at)
	require.NoError(t, err)
	st, err := c.Wait(ctx)
	require.NoError(t, err)
	require.Zero(t, st.Code, "stty size at the start")
	var logged strings.Builder
	require.NoError(t, c.Logs(ctx, &logged, &logged, dock.LogOptions{}))
	require.Equal(t, "31 101", strings.TrimSpace(logged.String()))
	_, err = a.client.ContainerResize(ctx, id, client.ContainerResizeOptions{Height: 40, Width: 120})
	require.NoError(t, err)
	require.Equal(t, "40 120", size())

	status, _, body = a.do(t, "POST", "/containers/tty/resize?h=x&w=100", "")
	requireError(t, status, body, http.StatusBadRequest, `invalid value for h: "x"`)
	status, _, body = a.do(t, "POST", "/containers/tty/resize?h=-1&w=100", "")
	requireError(t, status, body, http.StatusBadRequest, "invalid terminal size: -1x100")
	status, _, body = a.do(t, "POST", "/containers/tty/resize?h=70000&w=100", "")
	requireError(t, status, body, http.StatusBadRequest, "invalid terminal size: 70000x100")
}

// TestServeContainersCreateVolumeLabels: a mount's named volume that does
// not exist is made with the mount's labels; an existing one is kept.
func TestServeContainersCreateVolumeLabels(t *testing.T) {
	testutil.RequireRoot(t)
	a := newAPITest(t)
	ctx := context.Background()
	_, err := a.engine.CreateVolume(ctx, "oldvol")
	require.NoError(t, err)
	status, _, body := a.do(t, "POST", "/containers/create", `{"Image":"busybox","HostConfig":{"Mounts":[
		{"Type":"volume","Source":"labvol","Target":"/a","VolumeOptions":{"Labels":{"team":"a"}}},
		{"Type":"volume","Source":"oldvol","Target":"/b","VolumeOptions":{"Labels":{"team":"b"}}}]}}`)
	require.Equal(t, http.StatusCreated, status, body)
	v, err := a.engine.Volume(ctx, "labvol")
	require.NoError(t, err)
	require.Equal(t, map[string]string{"team": "a"}, v.Labels)
	v, err = a.engine.Volume(ctx, "oldvol")
	require.NoError(t, err)
	require.Empty(t, v.Labels)
}

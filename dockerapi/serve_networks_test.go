package dockerapi

import (
	"context"
	"encoding/json"
	"net/http"
	"net/netip"
	"net/url"
	"testing"

	"github.com/moby/moby/api/types/network"
	"github.com/moby/moby/client"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/go-dock/dock"
	"github.com/go-dock/dock/internal/testutil"
)

// networkNames lists the names of the networks that filters select.
func networkNames(t *testing.T, a *apiTest, filters client.Filters) []string {
	t.Helper()
	res, err := a.client.NetworkList(context.Background(), client.NetworkListOptions{Filters: filters})
	require.NoError(t, err)
	var out []string
	for _, n := range res.Items {
		out = append(out, n.Name)
	}
	return out
}

func TestServeNetworksCreateListInspectRemove(t *testing.T) {
	a := newAPITest(t)
	ctx := context.Background()

	// The predefined networks, by their names.
	assert.Equal(t, []string{"bridge", "host", "none"}, networkNames(t, a, nil))

	v6 := true
	created, err := a.client.NetworkCreate(ctx, "front", client.NetworkCreateOptions{
		Driver: "bridge", Internal: true, EnableIPv6: &v6,
		IPAM: &network.IPAM{Config: []network.IPAMConfig{{
			Subnet:  netip.MustParsePrefix("10.77.0.0/16"),
			IPRange: netip.MustParsePrefix("10.77.1.0/24"),
			Gateway: netip.MustParseAddr("10.77.0.254"),
		}}},
		Options: map[string]string{"com.docker.network.driver.mtu": "1400"},
		Labels:  map[string]string{"app": "web", "tier": "front"},
	})
	require.NoError(t, err)
	assert.Len(t, created.ID, 64)
	assert.Empty(t, created.Warning)
	_, err = a.client.NetworkCreate(ctx, "back", client.NetworkCreateOptions{Labels: map[string]string{"app": "db"}})
	require.NoError(t, err)

	insp, err := a.client.NetworkInspect(ctx, "front", client.NetworkInspectOptions{Verbose: true, Scope: "local"})
	require.NoError(t, err)
	n := insp.Network
	assert.Equal(t, created.ID, n.ID)
	assert.Equal(t, "front", n.Name)
	assert.Equal(t, "bridge", n.Driver)
	assert.Equal(t, "local", n.Scope)
	assert.True(t, n.Internal)
	assert.True(t, n.EnableIPv6)
	assert.Equal(t, "1400", n.Options["com.docker.network.driver.mtu"])
	assert.Equal(t, map[string]string{"app": "web", "tier": "front"}, n.Labels)
	require.NotEmpty(t, n.IPAM.Config)
	assert.Equal(t, "10.77.0.0/16", n.IPAM.Config[0].Subnet.String())
	assert.Equal(t, "10.77.1.0/24", n.IPAM.Config[0].IPRange.String())
	assert.Equal(t, "10.77.0.254", n.IPAM.Config[0].Gateway.String())
	assert.Empty(t, insp.Network.Containers)
	// By ID prefix too.
	insp, err = a.client.NetworkInspect(ctx, created.ID[:10], client.NetworkInspectOptions{})
	require.NoError(t, err)
	assert.Equal(t, "front", insp.Network.Name)

	// Another scope finds nothing, as in Docker.
	_, err = a.client.NetworkInspect(ctx, "front", client.NetworkInspectOptions{Scope: "swarm"})
	assert.ErrorContains(t, err, "network front not found")

	// Filters.
	for _, tc := range []struct {
		filters client.Filters
		want    []string
	}{
		{client.Filters{}.Add("name", "ron"), []string{"front"}},
		{client.Filters{}.Add("name", "^b"), []string{"back", "bridge"}},
		{client.Filters{}.Add("id", created.ID[:12]), []string{"front"}},
		{client.Filters{}.Add("driver", "null"), []string{"none"}},
		{client.Filters{}.Add("type", "custom"), []string{"back", "front"}},
		{client.Filters{}.Add("type", "builtin"), []string{"bridge", "host", "none"}},
		{client.Filters{}.Add("label", "app"), []string{"back", "front"}},
		{client.Filters{}.Add("label", "app=db"), []string{"back"}},
		{client.Filters{}.Add("label", "app", "tier=front"), []string{"front"}},
		{client.Filters{}.Add("scope", "local").Add("name", "host"), []string{"host"}},
		{client.Filters{}.Add("scope", "swarm"), nil},
		{client.Filters{}.Add("dangling", "true"), []string{"back", "front"}},
		{client.Filters{}.Add("dangling", "0"), []string{"bridge", "host", "none"}},
	} {
		assert.Equal(t, tc.want, networkNames(t, a, tc.filters), "filters %v", tc.filters)
	}

	// An existing name, a predefined one.
	_, err = a.client.NetworkCreate(ctx, "front", client.NetworkCreateOptions{})
	assert.ErrorContains(t, err, "network with name front already exists")
	status, _, body := a.do(t, http.MethodPost, "/networks/create", `{"Name":"front","CheckDuplicate":true}`)
	assert.Equal(t, http.StatusConflict, status, body)
	status, _, body = a.do(t, http.MethodPost, "/networks/create", `{"Name":"bridge"}`)
	assert.Equal(t, http.StatusForbidden, status, body)

	// Remove: predefined ones are refused with 403, a missing one 404.
	for _, name := range []string{"bridge", "host", "none"} {
		status, _, body := a.do(t, http.MethodDelete, "/networks/"+name, "")
		assert.Equal(t, http.StatusForbidden, status, name)
		assert.JSONEq(t, `{"message":"`+name+` is a pre-defined network and cannot be removed"}`, body)
	}
	_, err = a.client.NetworkRemove(ctx, "front", client.NetworkRemoveOptions{})
	require.NoError(t, err)
	status, _, body = a.do(t, http.MethodDelete, "/networks/front", "")
	assert.Equal(t, http.StatusNotFound, status)
	assert.JSONEq(t, `{"message":"network front not found"}`, body)
	status, _, _ = a.do(t, http.MethodGet, "/networks/front", "")
	assert.Equal(t, http.StatusNotFound, status)
	assert.Equal(t, []string{"back", "bridge", "host", "none"}, networkNames(t, a, nil))

	// Prune: filters, then every unused one.
	pr, err := a.client.NetworkPrune(ctx, client.NetworkPruneOptions{Filters: client.Filters{}.Add("label", "app=nosuch")})
	require.NoError(t, err)
	assert.Empty(t, pr.Report.NetworksDeleted)
	pr, err = a.client.NetworkPrune(ctx, client.NetworkPruneOptions{Filters: client.Filters{}.Add("until", "2000-01-01")})
	require.NoError(t, err)
	assert.Empty(t, pr.Report.NetworksDeleted)
	pr, err = a.client.NetworkPrune(ctx, client.NetworkPruneOptions{Filters: client.Filters{}.Add("label!", "app=web")})
	require.NoError(t, err)
	assert.Equal(t, []string{"back"}, pr.Report.NetworksDeleted)
	assert.Equal(t, []string{"bridge", "host", "none"}, networkNames(t, a, nil))
}

// Bad requests are refused with Docker's statuses, and create nothing.
func TestServeNetworksHostile(t *testing.T) {
	a := newAPITest(t)
	for _, tc := range []struct {
		method, path, body string
		status             int
		msg                string
	}{
		{"POST", "/networks/create", `{"Name":`, 400, "invalid JSON"},
		{"POST", "/networks/create", `{"Name":42}`, 400, "invalid JSON"},
		{"POST", "/networks/create", `{"Name":"x","Internal":"yes"}`, 400, "invalid JSON"},
		{"POST", "/networks/create", `{"Name":""}`, 400, "invalid name"},
		{"POST", "/networks/create", `{}`, 400, "invalid name"},
		{"POST", "/networks/create", `{"Name":"../../etc"}`, 400, "invalid name"},
		{"POST", "/networks/create", `{"Name":"x","Driver":"overlay"}`, 503, "not a swarm manager"},
		{"POST", "/networks/create", `{"Name":"x","Driver":"host"}`, 403, `only one instance of "host" network is allowed`},
		{"POST", "/networks/create", `{"Name":"x","Driver":"nosuch"}`, 404, `plugin "nosuch" not found`},
		{"POST", "/networks/create", `{"Name":"x","Scope":"swarm"}`, 400, "scope"},
		{"POST", "/networks/create", `{"Name":"x","EnableIPv4":false}`, 400, "IPv6-only"},
		{"POST", "/networks/create", `{"Name":"x","IPAM":{"Driver":"nosuch"}}`, 404, `plugin "nosuch" not found`},
		{"POST", "/networks/create", `{"Name":"x","IPAM":{"Config":[{"Subnet":"10.0.0.0/33"}]}}`, 400, "invalid JSON"},
		{"POST", "/networks/create", `{"Name":"x","IPAM":{"Config":[{"Subnet":"10.9.0.0/16","Gateway":"10.10.0.1"}]}}`, 400, ""},
		{"POST", "/networks/create", `{"Name":"x","IPAM":{"Config":[{"Gateway":"10.10.0.1"}]}}`, 400, "needs a subnet"},
		{"POST", "/networks/create", `{"Name":"x","IPAM":{"Config":[{"Subnet":"10.9.0.0/16","AuxiliaryAddresses":{"a":"10.9.0.5"}}]}}`, 400, "auxiliary"},
		{"POST", "/networks/create", `{"Name":"x","IPAM":{"Config":[{"Subnet":"fd00:9::/64"}]}}`, 400, ""},
		{"POST", "/networks/create", `{"Name":"x","Labels":{"":"v"}}`, 400, ""},
		{"GET", "/networks?filters=" + url.QueryEscape(`{"nosuch":["x"]}`), "", 400, "invalid filter 'nosuch'"},
		{"GET", "/networks?filters=" + url.QueryEscape(`{"type":["other"]}`), "", 400, "invalid filter 'type=other'"},
		{"GET", "/networks?filters=" + url.QueryEscape(`{"dangling":["maybe"]}`), "", 400, "invalid filter 'dangling=maybe'"},
		{"GET", "/networks?filters=notjson", "", 400, "invalid filter"},
		{"GET", "/networks/nosuch", "", 404, "network nosuch not found"},
		{"POST", "/networks/bridge/connect", `{"Container":"nosuch"}`, 404, "No such container: nosuch"},
		{"POST", "/networks/nosuch/connect", `{"Container":"x"}`, 404, "network nosuch not found"},
		{"POST", "/networks/bridge/connect", `{}`, 400, "no container"},
		{"POST", "/networks/bridge/connect", `[1]`, 400, "invalid JSON"},
		{"POST", "/networks/bridge/disconnect", `{"Container":"nosuch","Force":true}`, 404, "No such container: nosuch"},
		{"POST", "/networks/prune?filters=" + url.QueryEscape(`{"dangling":["true"]}`), "", 400, "invalid filter 'dangling'"},
		{"POST", "/networks/prune?filters=" + url.QueryEscape(`{"until":["yesterday"]}`), "", 400, ""},
	} {
		status, _, body := a.do(t, tc.method, tc.path, tc.body)
		assert.Equal(t, tc.status, status, "%s %s %s: %s", tc.method, tc.path, tc.body, body)
		var e struct{ Message string }
		require.NoError(t, json.Unmarshal([]byte(body), &e), body)
		assert.Contains(t, e.Message, tc.msg, "%s %s %s", tc.method, tc.path, tc.body)
	}
	assert.Equal(t, []string{"bridge", "host", "none"}, networkNames(t, a, nil), "nothing was created")
}

// Connect and disconnect a running container; the network shows it, and
// refuses to go while it is used.
func TestServeNetworksConnect(t *testing.T) {
	testutil.RequireRoot(t)
	a := newAPITest(t)
	ctx := context.Background()
	_, err := a.client.NetworkCreate(ctx, "apinet", client.NetworkCreateOptions{
		IPAM: &network.IPAM{Config: []network.IPAMConfig{{Subnet: netip.MustParsePrefix("10.78.0.0/24")}}},
	})
	require.NoError(t, err)
	c, err := a.engine.Create(ctx, dock.Config{Image: "busybox", Name: "web", Cmd: []string{"sleep", "60"}, Network: "bridge"})
	require.NoError(t, err)
	require.NoError(t, c.StartDetached(ctx))

	_, err = a.client.NetworkConnect(ctx, "apinet", client.NetworkConnectOptions{
		Container: "web",
		EndpointConfig: &network.EndpointSettings{
			Aliases:    []string{"www"},
			IPAMConfig: &network.EndpointIPAMConfig{IPv4Address: netip.MustParseAddr("10.78.0.42")},
		},
	})
	require.NoError(t, err)
	insp, err := a.client.NetworkInspect(ctx, "apinet", client.NetworkInspectOptions{})
	require.NoError(t, err)
	require.Contains(t, insp.Network.Containers, c.ID())
	ep := insp.Network.Containers[c.ID()]
	assert.Equal(t, "web", ep.Name)
	assert.Equal(t, "10.78.0.42/24", ep.IPv4Address.String())

	// The address is in the container, and the alias is recorded.
	info, err := c.Inspect(ctx)
	require.NoError(t, err)
	var found bool
	for _, n := range info.Networks {
		if n.Network == "apinet" {
			found = true
			assert.Contains(t, n.Aliases, "www")
			assert.Equal(t, "10.78.0.42", n.IPv4.Addr().String())
		}
	}
	assert.True(t, found, "the container's networks: %+v", info.Networks)

	// Twice: Docker's 403. Unsupported endpoint settings: 400.
	status, _, body := a.do(t, http.MethodPost, "/networks/apinet/connect", `{"Container":"web"}`)
	assert.Equal(t, http.StatusForbidden, status, body)
	assert.Contains(t, body, "already exists in network apinet")
	status, _, body = a.do(t, http.MethodPost, "/networks/apinet/connect", `{"Container":"web","EndpointConfig":{"Links":["x:y"]}}`)
	assert.Equal(t, http.StatusBadRequest, status, body)

	// In use: remove and prune keep it; dangling does not list it.
	status, _, body = a.do(t, http.MethodDelete, "/networks/apinet", "")
	assert.Equal(t, http.StatusForbidden, status, body)
	assert.Contains(t, body, "has active endpoints")
	pr, err := a.client.NetworkPrune(ctx, client.NetworkPruneOptions{})
	require.NoError(t, err)
	assert.Empty(t, pr.Report.NetworksDeleted)
	assert.Empty(t, networkNames(t, a, client.Filters{}.Add("dangling", "true")))

	_, err = a.client.NetworkDisconnect(ctx, "apinet", client.NetworkDisconnectOptions{Container: "web", Force: true})
	require.NoError(t, err)
	insp, err = a.client.NetworkInspect(ctx, "apinet", client.NetworkInspectOptions{})
	require.NoError(t, err)
	assert.Empty(t, insp.Network.Containers)
	status, _, body = a.do(t, http.MethodPost, "/networks/apinet/disconnect", `{"Container":"web"}`)
	assert.Equal(t, http.StatusBadRequest, status, body)
	assert.Contains(t, body, "is not connected to network apinet")
	_, err = a.client.NetworkRemove(ctx, "apinet", client.NetworkRemoveOptions{})
	require.NoError(t, err)
}

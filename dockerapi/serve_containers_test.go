package dockerapi

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	cerrdefs "github.com/containerd/errdefs"
	"github.com/moby/moby/api/pkg/stdcopy"
	"github.com/moby/moby/api/types/container"
	"github.com/moby/moby/client"
	"github.com/stretchr/testify/require"

	"github.com/go-dock/dock/internal/testutil"
)

// create makes a container through the client.
func (a *apiTest) create(t *testing.T, name string, cfg *container.Config, hc *container.HostConfig) string {
	t.Helper()
	if cfg.Image == "" {
		cfg.Image = "busybox"
	}
	res, err := a.client.ContainerCreate(context.Background(), client.ContainerCreateOptions{Name: name, Config: cfg, HostConfig: hc})
	require.NoError(t, err)
	require.NotNil(t, res.Warnings)
	return res.ID
}

// inspect inspects a container through the client.
func (a *apiTest) inspect(t *testing.T, id string) container.InspectResponse {
	t.Helper()
	res, err := a.client.ContainerInspect(context.Background(), id, client.ContainerInspectOptions{})
	require.NoError(t, err)
	return res.Container
}

// requireError checks a raw answer: its status and Docker's message.
func requireError(t *testing.T, status int, body string, wantStatus int, wantMsg string) {
	t.Helper()
	require.Equal(t, wantStatus, status, body)
	var e struct{ Message string }
	require.NoError(t, json.Unmarshal([]byte(body), &e), body)
	require.Equal(t, wantMsg, e.Message)
}

// TestServeContainersRun is docker run's sequence: create, wait for the
// next exit (set up before the start, whose 200 must come first), start,
// then the logs, inspect, list and remove.
func TestServeContainersRun(t *testing.T) {
	testutil.RequireRoot(t)
	a := newAPITest(t)
	ctx := context.Background()
	id := a.create(t, "api-run", &container.Config{Cmd: []string{"sh", "-c", "echo out; echo err >&2; exit 3"}, Labels: map[string]string{"k": "v"}},
		&container.HostConfig{NetworkMode: "none"})

	wait := a.client.ContainerWait(ctx, id, client.ContainerWaitOptions{Condition: container.WaitConditionNextExit})
	_, err := a.client.ContainerStart(ctx, id, client.ContainerStartOptions{})
	require.NoError(t, err)
	select {
	case res := <-wait.Result:
		require.Equal(t, int64(3), res.StatusCode)
		require.Nil(t, res.Error)
	case err := <-wait.Error:
		t.Fatalf("ContainerWait: %v", err)
	}
	// not-running answers at once for a container that exited.
	wait = a.client.ContainerWait(ctx, id, client.ContainerWaitOptions{})
	require.Equal(t, int64(3), (<-wait.Result).StatusCode)

	logs, err := a.client.ContainerLogs(ctx, id, client.ContainerLogsOptions{ShowStdout: true, ShowStderr: true})
	require.NoError(t, err)
	var stdout, stderr bytes.Buffer
	_, err = stdcopy.StdCopy(&stdout, &stderr, logs)
	logs.Close()
	require.NoError(t, err)
	require.Equal(t, "out\n", stdout.String())
	require.Equal(t, "err\n", stderr.String())

	info := a.inspect(t, "api-run")
	require.Equal(t, id, info.ID)
	require.Equal(t, "/api-run", info.Name)
	require.Equal(t, 3, info.State.ExitCode)
	require.Equal(t, container.StateExited, info.State.Status)

	list, err := a.client.ContainerList(ctx, client.ContainerListOptions{All: true, Filters: make(client.Filters).Add("label", "k=v")})
	require.NoError(t, err)
	require.Len(t, list.Items, 1)
	require.Equal(t, []string{"/api-run"}, list.Items[0].Names)
	require.True(t, strings.HasPrefix(list.Items[0].Status, "Exited (3) "), list.Items[0].Status)
	require.Equal(t, "sh -c 'echo out; echo err >&2; exit 3'", list.Items[0].Command)
	list, err = a.client.ContainerList(ctx, client.ContainerListOptions{})
	require.NoError(t, err)
	require.Empty(t, list.Items, "only running containers without all")

	// The oldest version's body, with a field Docker does not know.
	status, _, body := a.do(t, "POST", "/v1.24/containers/create?name=old", `{"Image":"busybox","Cmd":["true"],"Bogus":{"x":1},"HostConfig":{"Bogus":2}}`)
	require.Equal(t, http.StatusCreated, status, body)
	var created container.CreateResponse
	require.NoError(t, json.Unmarshal([]byte(body), &created))
	require.Equal(t, []string{}, created.Warnings)
	require.Equal(t, "/old", a.inspect(t, created.ID).Name)

	_, err = a.client.ContainerRemove(ctx, id, client.ContainerRemoveOptions{})
	require.NoError(t, err)
	_, err = a.client.ContainerInspect(ctx, id, client.ContainerInspectOptions{})
	require.True(t, cerrdefs.IsNotFound(err), "inspect after remove: %v", err)
	status, _, body = a.do(t, "GET", "/containers/api-run/json", "")
	requireError(t, status, body, http.StatusNotFound, "No such container: api-run")
}

// TestServeContainersWaitRemoved waits for an AutoRemove container's
// removal, as docker run --rm does.
func TestServeContainersWaitRemoved(t *testing.T) {
	testutil.RequireRoot(t)
	a := newAPITest(t)
	ctx := context.Background()
	id := a.create(t, "", &container.Config{Cmd: []string{"sh", "-c", "exit 7"}}, &container.HostConfig{AutoRemove: true, NetworkMode: "none"})
	wait := a.client.ContainerWait(ctx, id, client.ContainerWaitOptions{Condition: container.WaitConditionRemoved})
	_, err := a.client.ContainerStart(ctx, id, client.ContainerStartOptions{})
	require.NoError(t, err)
	select {
	case res := <-wait.Result:
		require.Equal(t, int64(7), res.StatusCode)
	case err := <-wait.Error:
		t.Fatalf("ContainerWait: %v", err)
	}
	_, err = a.engine.Container(id)
	require.Error(t, err, "the container is gone once the wait answers")

	status, _, body := a.do(t, "POST", "/containers/"+id+"/wait", "")
	requireError(t, status, body, http.StatusNotFound, "No such container: "+id)
	id = a.create(t, "", &container.Config{Cmd: []string{"true"}}, nil)
	status, _, body = a.do(t, "POST", "/containers/"+id+"/wait?condition=sometime", "")
	requireError(t, status, body, http.StatusBadRequest, `invalid condition: "sometime"`)
	// The 200 of a wait comes before the start, as docker run needs:
	// the request returns with the container still created.
	req, err := http.NewRequest("POST", "http://docker/containers/"+id+"/wait?condition=next-exit", nil)
	require.NoError(t, err)
	resp, err := a.http.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	require.Equal(t, http.StatusOK, resp.StatusCode)
	require.Equal(t, container.StateCreated, a.inspect(t, id).State.Status)
	_, err = a.client.ContainerStart(ctx, id, client.ContainerStartOptions{})
	require.NoError(t, err)
	var wr container.WaitResponse
	require.NoError(t, json.NewDecoder(resp.Body).Decode(&wr))
	require.Equal(t, container.WaitResponse{StatusCode: 0}, wr)

	// A container never started: not-running answers 0 at once.
	id = a.create(t, "", &container.Config{Cmd: []string{"true"}}, nil)
	status, _, body = a.do(t, "POST", "/containers/"+id+"/wait", "")
	require.Equal(t, http.StatusOK, status)
	require.JSONEq(t, `{"StatusCode":0}`, body)
}

// TestServeContainersLifecycle drives a running container through the
// lifecycle endpoints, with Docker's 304s and 409s.
func TestServeContainersLifecycle(t *testing.T) {
	testutil.RequireRoot(t)
	a := newAPITest(t)
	ctx := context.Background()
	id := a.create(t, "life", &container.Config{Cmd: []string{"sleep", "1000"}}, &container.HostConfig{NetworkMode: "none"})
	_, err := a.client.ContainerStart(ctx, id, client.ContainerStartOptions{})
	require.NoError(t, err)
	status, _, _ := a.do(t, "POST", "/containers/life/start", "")
	require.Equal(t, http.StatusNotModified, status, "start of a running container")
	status, _, body := a.do(t, "POST", "/containers/life/start", `{"Binds":["/a:/b"]}`)
	requireError(t, status, body, http.StatusBadRequest, "starting container with non-empty request body was deprecated since API v1.22 and removed in v1.24")

	top, err := a.client.ContainerTop(ctx, id, client.ContainerTopOptions{Arguments: []string{"-o", "pid,comm"}})
	require.NoError(t, err)
	require.Equal(t, []string{"PID", "COMMAND"}, top.Titles)
	require.Len(t, top.Processes, 1)
	require.Equal(t, "sleep", top.Processes[0][1])

	_, err = a.client.ContainerPause(ctx, id, client.ContainerPauseOptions{})
	require.NoError(t, err)
	require.True(t, a.inspect(t, id).State.Paused)
	status, _, body = a.do(t, "POST", "/containers/life/pause", "")
	requireError(t, status, body, http.StatusConflict, "Container "+id+" is already paused")
	status, _, body = a.do(t, "POST", "/containers/life/start", "")
	requireError(t, status, body, http.StatusConflict, "cannot start a paused container, try unpause instead")
	_, err = a.client.ContainerUnpause(ctx, id, client.ContainerUnpauseOptions{})
	require.NoError(t, err)
	status, _, body = a.do(t, "POST", "/containers/life/unpause", "")
	requireError(t, status, body, http.StatusConflict, "Container "+id+" is not paused")

	_, err = a.client.ContainerRename(ctx, id, client.ContainerRenameOptions{NewName: "life2"})
	require.NoError(t, err)
	require.Equal(t, "/life2", a.inspect(t, id).Name)
	status, _, body = a.do(t, "POST", "/containers/life2/rename", "")
	requireError(t, status, body, http.StatusBadRequest, "Neither old nor new names may be empty")

	mem := int64(64 << 20)
	up, err := a.client.ContainerUpdate(ctx, id, client.ContainerUpdateOptions{Resources: &container.Resources{Memory: mem, MemorySwap: -1}})
	require.NoError(t, err)
	require.NotNil(t, up.Warnings)
	require.Equal(t, mem, a.inspect(t, id).HostConfig.Memory)
	status, _, body = a.do(t, "POST", "/containers/life2/update", `{"Memory":-5}`)
	requireError(t, status, body, http.StatusBadRequest, "invalid memory limit: -5")
	status, _, body = a.do(t, "POST", "/containers/life2/update", `{"Memory":"lots"}`)
	require.Equal(t, http.StatusBadRequest, status, body)
	status, _, body = a.do(t, "POST", "/containers/life2/update", `{"RestartPolicy":{"Name":"always"}}`)
	require.Equal(t, http.StatusOK, status, body)
	require.JSONEq(t, `{"Warnings":[]}`, body)
	status, _, body = a.do(t, "POST", "/containers/life2/update", `{"RestartPolicy":{"Name":"no"}}`)
	require.Equal(t, http.StatusOK, status, body)

	status, _, body = a.do(t, "POST", "/containers/life2/kill?signal=SIGNOPE", "")
	requireError(t, status, body, http.StatusBadRequest, "Invalid signal: SIGNOPE")
	status, _, body = a.do(t, "DELETE", "/containers/life2", "")
	requireError(t, status, body, http.StatusConflict, `cannot remove container "/life2": container is running: stop the container before removing or force remove`)

	stop := 1
	_, err = a.client.ContainerStop(ctx, id, client.ContainerStopOptions{Timeout: &stop})
	require.NoError(t, err)
	info := a.inspect(t, id)
	require.Equal(t, container.StateExited, info.State.Status)
	require.Equal(t, 137, info.State.ExitCode, "sleep as PID 1 ignores SIGTERM: killed after t=1")
	status, _, _ = a.do(t, "POST", "/containers/life2/stop", "")
	require.Equal(t, http.StatusNotModified, status)
	status, _, body = a.do(t, "POST", "/containers/life2/kill", "")
	requireError(t, status, body, http.StatusConflict, "Cannot kill container: life2: container "+id+" is not running")
	status, _, body = a.do(t, "POST", "/containers/life2/top", "")
	require.Equal(t, http.StatusNotFound, status, "top is GET only: %s", body)
	status, _, body = a.do(t, "GET", "/containers/life2/top", "")
	requireError(t, status, body, http.StatusConflict, "container "+id+" is not running")

	_, err = a.client.ContainerRestart(ctx, id, client.ContainerRestartOptions{Timeout: &stop})
	require.NoError(t, err)
	require.True(t, a.inspect(t, id).State.Running)
	_, err = a.client.ContainerKill(ctx, id, client.ContainerKillOptions{Signal: "KILL"})
	require.NoError(t, err)
	res := a.client.ContainerWait(ctx, id, client.ContainerWaitOptions{})
	require.Equal(t, int64(137), (<-res.Result).StatusCode)

	status, _, body = a.do(t, "DELETE", "/containers/life2?link=1", "")
	requireError(t, status, body, http.StatusBadRequest, "links are not supported: dock has no legacy container links")
	_, err = a.client.ContainerRemove(ctx, id, client.ContainerRemoveOptions{Force: true, RemoveVolumes: true})
	require.NoError(t, err)
	for _, p := range []string{"/start", "/stop", "/kill", "/restart", "/pause", "/unpause", "/rename?name=x", "/update", "/resize?h=1&w=1", "/wait"} {
		status, _, body = a.do(t, "POST", "/containers/life2"+p, "")
		requireError(t, status, body, http.StatusNotFound, "No such container: life2")
	}
	for _, p := range []string{"/json", "/logs?stdout=1", "/top", "/changes", "/export", "/stats", "/archive?path=/"} {
		status, _, body = a.do(t, "GET", "/containers/life2"+p, "")
		requireError(t, status, body, http.StatusNotFound, "No such container: life2")
	}
	status, _, body = a.do(t, "DELETE", "/containers/life2", "")
	requireError(t, status, body, http.StatusNotFound, "No such container: life2")
}

// TestServeContainersStats reads Docker's stats: a single answer with
// the sample before in precpu_stats, one-shot without, and a stream.
func TestServeContainersStats(t *testing.T) {
	testutil.RequireRoot(t)
	a := newAPITest(t)
	ctx := context.Background()
	id := a.create(t, "stats", &container.Config{Cmd: []string{"sh", "-c", "while :; do :; done"}}, &container.HostConfig{NetworkMode: "none"})
	_, err := a.client.ContainerStart(ctx, id, client.ContainerStartOptions{})
	require.NoError(t, err)

	res, err := a.client.ContainerStats(ctx, id, client.ContainerStatsOptions{IncludePreviousSample: true})
	require.NoError(t, err)
	var st container.StatsResponse
	require.NoError(t, json.NewDecoder(res.Body).Decode(&st))
	res.Body.Close()
	require.Equal(t, id, st.ID)
	require.Equal(t, "/stats", st.Name)
	require.NotZero(t, st.PreCPUStats.CPUUsage.TotalUsage)
	require.Greater(t, st.CPUStats.CPUUsage.TotalUsage, st.PreCPUStats.CPUUsage.TotalUsage, "the loop used CPU between the samples")
	require.Greater(t, st.CPUStats.SystemUsage, st.PreCPUStats.SystemUsage)
	require.NotZero(t, st.CPUStats.OnlineCPUs)
	require.NotZero(t, st.MemoryStats.Limit)
	require.Equal(t, uint64(1), st.PidsStats.Current)

	status, _, body := a.do(t, "GET", "/containers/stats/stats?stream=0&one-shot=1", "")
	require.Equal(t, http.StatusOK, status)
	st = container.StatsResponse{}
	require.NoError(t, json.Unmarshal([]byte(body), &st))
	require.Zero(t, st.PreCPUStats.CPUUsage.TotalUsage, "one-shot takes no sample before")
	require.NotZero(t, st.CPUStats.CPUUsage.TotalUsage)
	status, _, body = a.do(t, "GET", "/containers/stats/stats?stream=1&one-shot=1", "")
	requireError(t, status, body, http.StatusBadRequest, "cannot have stream=true and one-shot=true")

	res, err = a.client.ContainerStats(ctx, id, client.ContainerStatsOptions{Stream: true})
	require.NoError(t, err)
	dec := json.NewDecoder(res.Body)
	var first, second container.StatsResponse
	require.NoError(t, dec.Decode(&first))
	require.NoError(t, dec.Decode(&second))
	res.Body.Close()
	require.Equal(t, first.CPUStats, second.PreCPUStats, "each sample carries the one before")
	require.True(t, second.Read.After(first.Read))

	// On the default bridge: its interface's counters, as Docker's.
	br := a.create(t, "", &container.Config{Cmd: []string{"sleep", "1000"}}, nil)
	_, err = a.client.ContainerStart(ctx, br, client.ContainerStartOptions{})
	require.NoError(t, err)
	status, _, body = a.do(t, "GET", "/containers/"+br+"/stats?stream=0&one-shot=1", "")
	require.Equal(t, http.StatusOK, status, body)
	st = container.StatsResponse{}
	require.NoError(t, json.Unmarshal([]byte(body), &st))
	require.Contains(t, st.Networks, "eth0")

	_, err = a.client.ContainerKill(ctx, id, client.ContainerKillOptions{})
	require.NoError(t, err)
	<-a.client.ContainerWait(ctx, id, client.ContainerWaitOptions{}).Result
	// A container that does not run: one sample of zeros, even streamed.
	status, _, body = a.do(t, "GET", "/containers/stats/stats", "")
	require.Equal(t, http.StatusOK, status)
	require.Equal(t, 1, strings.Count(body, "\n"), body)
	st = container.StatsResponse{}
	require.NoError(t, json.Unmarshal([]byte(body), &st))
	require.Zero(t, st.CPUStats.CPUUsage.TotalUsage)
}

// TestServeContainersLogs covers the logs' parameters, a tty's raw
// stream and the version's content type.
func TestServeContainersLogs(t *testing.T) {
	testutil.RequireRoot(t)
	a := newAPITest(t)
	ctx := context.Background()
	id := a.create(t, "logs", &container.Config{Cmd: []string{"sh", "-c", "for i in 1 2 3; do echo $i; done; echo e >&2"}}, &container.HostConfig{NetworkMode: "none"})
	_, err := a.client.ContainerStart(ctx, id, client.ContainerStartOptions{})
	require.NoError(t, err)
	<-a.client.ContainerWait(ctx, id, client.ContainerWaitOptions{}).Result

	read := func(opts client.ContainerLogsOptions) (string, string) {
		t.Helper()
		rc, err := a.client.ContainerLogs(ctx, id, opts)
		require.NoError(t, err)
		defer rc.Close()
		var o, e bytes.Buffer
		_, err = stdcopy.StdCopy(&o, &e, rc)
		require.NoError(t, err)
		return o.String(), e.String()
	}
	o, e := read(client.ContainerLogsOptions{ShowStdout: true, Tail: "2"})
	require.Equal(t, "3\n", o, "the tail is of the log, both streams, as Docker's")
	require.Empty(t, e)
	o, e = read(client.ContainerLogsOptions{ShowStderr: true})
	require.Empty(t, o)
	require.Equal(t, "e\n", e)
	o, _ = read(client.ContainerLogsOptions{ShowStdout: true, Tail: "0"})
	require.Empty(t, o)
	o, _ = read(client.ContainerLogsOptions{ShowStdout: true, Tail: "junk"})
	require.Equal(t, "1\n2\n3\n", o, "a tail that is no number is all, as Docker")
	o, _ = read(client.ContainerLogsOptions{ShowStdout: true, Timestamps: true, Tail: "2"})
	ts, line, ok := strings.Cut(o, " ")
	require.True(t, ok, o)
	_, err = time.Parse(time.RFC3339Nano, ts)
	require.NoError(t, err)
	require.Equal(t, "3\n", line)
	o, _ = read(client.ContainerLogsOptions{ShowStdout: true, Since: "2000000000"})
	require.Empty(t, o, "since in the future")
	o, _ = read(client.ContainerLogsOptions{ShowStdout: true, Until: "1000000000"})
	require.Empty(t, o, "until in the past")

	status, h, _ := a.do(t, "GET", "/v1.41/containers/logs/logs?stdout=1", "")
	require.Equal(t, http.StatusOK, status)
	require.Equal(t, rawStreamType, h.Get("Content-Type"), "API < 1.42 says raw, and multiplexes")
	status, h, _ = a.do(t, "GET", "/containers/logs/logs?stdout=1", "")
	require.Equal(t, http.StatusOK, status)
	require.Equal(t, multiplexedStreamType, h.Get("Content-Type"))
	status, _, body := a.do(t, "GET", "/containers/logs/logs", "")
	requireError(t, status, body, http.StatusBadRequest, "Bad parameters: you must choose at least one stream")
	status, _, body = a.do(t, "GET", "/containers/logs/logs?stdout=1&since=yesterday", "")
	require.Equal(t, http.StatusBadRequest, status, body)

	tty := a.create(t, "", &container.Config{Tty: true, Cmd: []string{"echo", "hi"}}, &container.HostConfig{NetworkMode: "none"})
	_, err = a.client.ContainerStart(ctx, tty, client.ContainerStartOptions{})
	require.NoError(t, err)
	<-a.client.ContainerWait(ctx, tty, client.ContainerWaitOptions{}).Result
	status, h, body = a.do(t, "GET", "/containers/"+tty+"/logs?stdout=1&stderr=1", "")
	require.Equal(t, http.StatusOK, status)
	require.Equal(t, rawStreamType, h.Get("Content-Type"))
	require.Equal(t, "hi\r\n", body, "a tty's output is raw, not framed")
}

// TestServeContainersLogsFollow follows a running container's output:
// the lines as they come, and the end of the stream with the container.
func TestServeContainersLogsFollow(t *testing.T) {
	testutil.RequireRoot(t)
	a := newAPITest(t)
	ctx := context.Background()
	id := a.create(t, "", &container.Config{Cmd: []string{"sh", "-c", "echo first; exec sleep 1000"}}, &container.HostConfig{NetworkMode: "none"})
	_, err := a.client.ContainerStart(ctx, id, client.ContainerStartOptions{})
	require.NoError(t, err)
	rc, err := a.client.ContainerLogs(ctx, id, client.ContainerLogsOptions{ShowStdout: true, Follow: true})
	require.NoError(t, err)
	defer rc.Close()
	frame := make([]byte, 8+len("first\n"))
	_, err = io.ReadFull(rc, frame)
	require.NoError(t, err, "the line logged comes while the container runs")
	require.Equal(t, "\x01\x00\x00\x00\x00\x00\x00\x06first\n", string(frame))
	zero := 0
	_, err = a.client.ContainerStop(ctx, id, client.ContainerStopOptions{Timeout: &zero})
	require.NoError(t, err)
	rest, err := io.ReadAll(rc)
	require.NoError(t, err, "the stream ends with the container")
	require.Empty(t, rest)
}

// TestServeContainersStopSignal stops with ?signal= (API 1.42) in place
// of the container's stop signal, and waits for a removal by DELETE.
func TestServeContainersStopSignal(t *testing.T) {
	testutil.RequireRoot(t)
	a := newAPITest(t)
	ctx := context.Background()
	id := a.create(t, "", &container.Config{Cmd: []string{"sh", "-c", "trap 'exit 5' USR1; echo ready; while :; do sleep 0.1; done"}}, &container.HostConfig{NetworkMode: "none"})
	_, err := a.client.ContainerStart(ctx, id, client.ContainerStartOptions{})
	require.NoError(t, err)
	// The trap is set once it says so.
	logs, err := a.client.ContainerLogs(ctx, id, client.ContainerLogsOptions{ShowStdout: true, Follow: true})
	require.NoError(t, err)
	_, err = io.ReadFull(logs, make([]byte, 8+len("ready\n")))
	require.NoError(t, err)
	logs.Close()
	removed := a.client.ContainerWait(ctx, id, client.ContainerWaitOptions{Condition: container.WaitConditionRemoved})
	_, err = a.client.ContainerStop(ctx, id, client.ContainerStopOptions{Signal: "SIGUSR1"})
	require.NoError(t, err)
	require.Equal(t, 5, a.inspect(t, id).State.ExitCode, "the trap of USR1 ended it")
	status, _, body := a.do(t, "POST", "/containers/"+id+"/stop?signal=NOPE", "")
	requireError(t, status, body, http.StatusBadRequest, "Invalid signal: NOPE")
	_, err = a.client.ContainerRemove(ctx, id, client.ContainerRemoveOptions{})
	require.NoError(t, err)
	select {
	case res := <-removed.Result:
		require.Equal(t, int64(5), res.StatusCode)
	case err := <-removed.Error:
		t.Fatalf("ContainerWait: %v", err)
	}
}

// TestServeContainersStartFailure is a command that cannot run: Docker's
// 400, with the words from which docker run takes its exit code (127 for
// a command not found, 126 for one that cannot be executed).
func TestServeContainersStartFailure(t *testing.T) {
	testutil.RequireRoot(t)
	a := newAPITest(t)
	for _, tt := range []struct {
		cmd  []string
		word string
	}{
		{[]string{"/nonexistent"}, "no such file or directory"},
		{[]string{"nonexistent"}, "executable file not found"},
		{[]string{"/etc"}, "permission denied"},
	} {
		id := a.create(t, "", &container.Config{Cmd: tt.cmd}, &container.HostConfig{NetworkMode: "none"})
		status, _, body := a.do(t, "POST", "/containers/"+id+"/start", "")
		require.Equal(t, http.StatusBadRequest, status, body)
		require.Contains(t, body, tt.word)
		info := a.inspect(t, id)
		require.False(t, info.State.Running)
	}
	// docker run --rm: the container that never ran goes, and the wait
	// for its removal ends.
	id := a.create(t, "", &container.Config{Cmd: []string{"nonexistent"}}, &container.HostConfig{NetworkMode: "none", AutoRemove: true})
	ctx := context.Background()
	removed := a.client.ContainerWait(ctx, id, client.ContainerWaitOptions{Condition: container.WaitConditionRemoved})
	status, _, body := a.do(t, "POST", "/containers/"+id+"/start", "")
	require.Equal(t, http.StatusBadRequest, status, body)
	select {
	case <-removed.Result:
	case err := <-removed.Error:
		t.Fatalf("ContainerWait: %v", err)
	}
	_, err := a.client.ContainerInspect(ctx, id, client.ContainerInspectOptions{})
	require.True(t, cerrdefs.IsNotFound(err), "%v", err)
}

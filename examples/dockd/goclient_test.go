package main

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"time"

	"github.com/moby/moby/api/pkg/stdcopy"
	"github.com/moby/moby/api/types/container"
	"github.com/moby/moby/client"
)

// Docker's Go client (github.com/moby/moby/client) against dockd, over
// the socket: negotiation, a container's life, exec, the listings.
func TestGoClient(t *testing.T) {
	d := startDockd(t, newRoot(t), "")
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	c, err := client.New(client.WithHost(d.host()))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if _, err := c.Ping(ctx, client.PingOptions{NegotiateAPIVersion: true}); err != nil {
		t.Fatalf("Ping: %v", err)
	}

	created, err := c.ContainerCreate(ctx, client.ContainerCreateOptions{
		Name:   "goclient",
		Config: &container.Config{Image: "busybox", Cmd: []string{"sh", "-c", "echo out; echo err >&2; exit 3"}},
	})
	if err != nil {
		t.Fatalf("ContainerCreate: %v", err)
	}
	// Wait is set up before the start, as the CLI does.
	wait := c.ContainerWait(ctx, created.ID, client.ContainerWaitOptions{Condition: container.WaitConditionNextExit})
	if _, err := c.ContainerStart(ctx, created.ID, client.ContainerStartOptions{}); err != nil {
		t.Fatalf("ContainerStart: %v", err)
	}
	select {
	case res := <-wait.Result:
		if res.StatusCode != 3 {
			t.Errorf("ContainerWait = %+v, want StatusCode 3", res)
		}
	case err := <-wait.Error:
		t.Fatalf("ContainerWait: %v", err)
	}
	logs, err := c.ContainerLogs(ctx, created.ID, client.ContainerLogsOptions{ShowStdout: true, ShowStderr: true})
	if err != nil {
		t.Fatalf("ContainerLogs: %v", err)
	}
	var stdout, stderr bytes.Buffer
	_, err = stdcopy.StdCopy(&stdout, &stderr, logs)
	logs.Close()
	if err != nil || stdout.String() != "out\n" || stderr.String() != "err\n" {
		t.Errorf("ContainerLogs = %q, %q, %v; want out and err apart", stdout.String(), stderr.String(), err)
	}
	insp, err := c.ContainerInspect(ctx, "goclient", client.ContainerInspectOptions{})
	if err != nil || insp.Container.State == nil || insp.Container.State.ExitCode != 3 || insp.Container.ID != created.ID {
		t.Errorf("ContainerInspect = %+v, %v; want exit code 3", insp.Container.State, err)
	}

	// exec in a running container.
	running, err := c.ContainerCreate(ctx, client.ContainerCreateOptions{
		Config: &container.Config{Image: "busybox", Cmd: []string{"sleep", "600"}},
	})
	if err != nil {
		t.Fatalf("ContainerCreate: %v", err)
	}
	if _, err := c.ContainerStart(ctx, running.ID, client.ContainerStartOptions{}); err != nil {
		t.Fatalf("ContainerStart: %v", err)
	}
	ex, err := c.ExecCreate(ctx, running.ID, client.ExecCreateOptions{Cmd: []string{"sh", "-c", "echo from exec; exit 4"}, AttachStdout: true, AttachStderr: true})
	if err != nil {
		t.Fatalf("ExecCreate: %v", err)
	}
	att, err := c.ExecAttach(ctx, ex.ID, client.ExecAttachOptions{})
	if err != nil {
		t.Fatalf("ExecAttach: %v", err)
	}
	stdout.Reset()
	stderr.Reset()
	_, err = stdcopy.StdCopy(&stdout, &stderr, att.Reader)
	att.Close()
	if err != nil || stdout.String() != "from exec\n" {
		t.Errorf("exec output = %q, %q, %v; want from exec", stdout.String(), stderr.String(), err)
	}
	waitFor(t, "the exec's exit code", func() bool {
		ei, err := c.ExecInspect(ctx, ex.ID, client.ExecInspectOptions{})
		return err == nil && !ei.Running && ei.ExitCode == 4
	})

	list, err := c.ContainerList(ctx, client.ContainerListOptions{All: true})
	if err != nil || len(list.Items) != 2 {
		t.Errorf("ContainerList(all) = %d containers, %v; want 2", len(list.Items), err)
	}
	images, err := c.ImageList(ctx, client.ImageListOptions{})
	if err != nil || len(images.Items) != 1 || len(images.Items[0].RepoTags) != 1 || images.Items[0].RepoTags[0] != "busybox:latest" {
		t.Errorf("ImageList = %+v, %v; want busybox:latest", images.Items, err)
	}
	for _, id := range []string{created.ID, running.ID} {
		if _, err := c.ContainerRemove(ctx, id, client.ContainerRemoveOptions{Force: true}); err != nil {
			t.Errorf("ContainerRemove(%s): %v", id, err)
		}
	}
	if _, err := c.ContainerInspect(ctx, created.ID, client.ContainerInspectOptions{}); err == nil || !strings.Contains(err.Error(), "No such container") {
		t.Errorf("ContainerInspect after remove: %v; want not found", err)
	}
}

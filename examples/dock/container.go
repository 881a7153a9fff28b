package main

import (
	"context"
	"errors"
)

// containerCommands are the subcommands of container, in docker's order
// (alphabetical); ls is also ps and list, as in docker.
var containerCommands = []*command{
	{"attach", "[OPTIONS] CONTAINER", "Attach local standard input, output, and error streams to a running container", cmdAttach},
	{"commit", "[OPTIONS] CONTAINER [REPOSITORY[:TAG]]", "Create a new image from a container's changes", cmdCommit},
	{"cp", "[OPTIONS] CONTAINER:SRC_PATH DEST_PATH|-", "Copy files/folders between a container and the local filesystem", cmdCp},
	{"create", "[OPTIONS] IMAGE [COMMAND] [ARG...]", "Create a new container", failWith125(cmdCreate)},
	{"diff", "CONTAINER", "Inspect changes to files or directories on a container's filesystem", cmdDiff},
	{"exec", "[OPTIONS] CONTAINER COMMAND [ARG...]", "Execute a command in a running container", cmdExec},
	{"export", "[OPTIONS] CONTAINER", "Export a container's filesystem as a tar archive", cmdExport},
	{"inspect", "[OPTIONS] CONTAINER [CONTAINER...]", "Display detailed information on one or more containers", func(ctx context.Context, c *cli, args []string) error {
		return inspectCommand(ctx, c, "container inspect", "container", args)
	}},
	{"kill", "[OPTIONS] CONTAINER [CONTAINER...]", "Kill one or more running containers", cmdKill},
	{"logs", "[OPTIONS] CONTAINER", "Fetch the logs of a container", cmdLogs},
	{"ls", "[OPTIONS]", "List containers", cmdPs},
	{"pause", "CONTAINER [CONTAINER...]", "Pause all processes within one or more containers", cmdPause},
	{"port", "CONTAINER [PRIVATE_PORT[/PROTO]]", "List port mappings or a specific mapping for the container", cmdPort},
	{"prune", "[OPTIONS]", "Remove all stopped containers", containerPrune},
	{"rename", "CONTAINER NEW_NAME", "Rename a container", cmdRename},
	{"restart", "[OPTIONS] CONTAINER [CONTAINER...]", "Restart one or more containers", cmdRestart},
	{"rm", "[OPTIONS] CONTAINER [CONTAINER...]", "Remove one or more containers", cmdRm},
	{"run", "[OPTIONS] IMAGE [COMMAND] [ARG...]", "Create and run a new container from an image", failWith125(cmdRun)},
	{"start", "[OPTIONS] CONTAINER [CONTAINER...]", "Start one or more stopped containers", cmdStart},
	{"stats", "[OPTIONS] [CONTAINER...]", "Display a live stream of container(s) resource usage statistics", cmdStats},
	{"stop", "[OPTIONS] CONTAINER [CONTAINER...]", "Stop one or more running containers", cmdStop},
	{"top", "CONTAINER [ps OPTIONS]", "Display the running processes of a container", cmdTop},
	{"unpause", "CONTAINER [CONTAINER...]", "Unpause all processes within one or more containers", cmdUnpause},
	{"update", "[OPTIONS] CONTAINER [CONTAINER...]", "Update configuration of one or more containers", cmdUpdate},
	{"wait", "CONTAINER [CONTAINER...]", "Block until one or more containers stop, then print their exit codes", cmdWait},
}

func init() {
	// The same details under the group's path.
	commandDetails["container logs"] = commandDetails["logs"]
}

// failWith125 gives a command run as a subcommand (container run) the
// exit code of its failures as a top-level command (run): 125, where
// reportError would give a subcommand 1.
func failWith125(run func(context.Context, *cli, []string) error) func(context.Context, *cli, []string) error {
	return func(ctx context.Context, c *cli, args []string) error {
		err := run(ctx, c, args)
		var (
			code exitCode
			st   *statusError
			ue   *usageError
			help *helpRequest
		)
		switch {
		case err == nil, errors.As(err, &code), errors.As(err, &st), errors.As(err, &help):
			return err
		case errors.As(err, &ue):
			if ue.code == 0 {
				ue.code = 125
			}
			return err
		}
		return &statusError{code: 125, err: err}
	}
}

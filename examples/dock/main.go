// Command dock is a docker-like command line over the dock library: it
// imports images, runs and manages containers and volumes in a state
// directory, with no daemon. It is an example of the library's use, kept
// thin: each command maps its flags to one or two library calls.
//
//	dock [--root DIR] COMMAND [ARG...]
//
// The state directory is --root, else $DOCK_ROOT, else /var/lib/dock.
//
// Errors are printed as "dock: <error>" on stderr, and usage errors as
// docker prints them: the message, then "See 'dock COMMAND --help'.".
// Exit codes follow docker's: the container's exit code for run and
// start -a (126 when its command cannot be executed, 127 when it is not
// found); 125 for a flag error (unknown, without its value, a value of
// the wrong type) on every command, and for any other failure of run and
// create but these two: 1 for a wrong number of arguments and for "the
// input device is not a TTY"; 1 for the other commands' failures.
//
// Differences from docker, beyond what the library lacks:
//
//   - Without --security-opt no-new-privileges=false, containers run with
//     no_new_privs, the library's default (docker's is the opposite).
//   - stats samples the CPU time twice, statsInterval apart, where docker's
//     daemon samples every second; MEM USAGE includes the page cache.
//   - Attached runs (run without -d, start -a) make the CLI the container's
//     parent: the container dies with the CLI. run -d and start hand it to
//     the library's monitor process, and it outlives the CLI; with --rm the
//     monitor removes it when it exits.
//   - Containers' logs are bounded by default, at 20 MiB x 5 files (the
//     library's default, that of docker's local driver), in the json-file
//     format whichever --log-driver, json-file or local, is given; see
//     --log-opt. logs escapes control characters when it writes to a
//     terminal (see dock logs --help).
//   - inspect prints Docker's Engine API types (package dockerapi): every
//     key docker prints, Docker's zero value where dock lacks the datum
//     (Health, RestartCount, ExecIDs); NetworkSettings keeps the default
//     bridge's addresses at its top level, as docker did before API 1.52;
//     EndpointID is derived from the network's and the container's IDs,
//     dock having no endpoint objects. --format runs on those types, then
//     on the JSON where a field is not found, as docker does; a zero
//     address prints "invalid IP", as Docker 29 (its types are these).
//   - info and version describe the library the CLI is built with, which
//     plays the daemon's part ("Server").
//   - attach shows the output only, a line at a time: input cannot reach
//     a detached container (its monitor keeps no stdin), and ctrl-p ctrl-q
//     cannot detach run -it (the container would die with the CLI).
//   - network disconnect -f does what disconnect does: dock keeps no
//     endpoint that could outlive its container, for -f to force away.
//
// The CLI lives for milliseconds: it turns off the runtime's watch of the
// cgroup's CPU limit for GOMAXPROCS (a background task, and mountinfo read
// at start), runs with a timer slack of 1 ms (timerslack.c), and has the
// init of the container it runs prespawned (package prespawn).
//
//go:debug containermaxprocs=0
//go:debug updatemaxprocs=0
package main

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/go-dock/dock"
	// The init of the container a run starts is cloned as the CLI
	// starts, on another CPU (see the package).
	_ "github.com/go-dock/dock/prespawn"
)

const defaultRoot = "/var/lib/dock"

// cli is what every command gets: the streams and the state directory.
type cli struct {
	root   string
	stdin  *os.File
	stdout io.Writer
	stderr io.Writer
}

func (c *cli) open() (*dock.Engine, error) {
	return dock.Open(c.root)
}

type command struct {
	name    string
	args    string // the usage line after the name
	summary string
	run     func(ctx context.Context, c *cli, args []string) error
}

// commands are listed in the order docker --help shows them.
var commands []*command

func init() {
	commands = []*command{
		{"run", "[OPTIONS] IMAGE [COMMAND] [ARG...]", "Create and run a new container from an image", cmdRun},
		{"exec", "[OPTIONS] CONTAINER COMMAND [ARG...]", "Execute a command in a running container", cmdExec},
		{"ps", "[OPTIONS]", "List containers", cmdPs},
		{"images", "[OPTIONS] [REPOSITORY[:TAG]]", "List images", cmdImages},
		{"pull", "[OPTIONS] NAME[:TAG|@DIGEST]", "Download an image from a registry", cmdPull},
		{"push", "[OPTIONS] NAME[:TAG]", "Upload an image to a registry", cmdPush},
		{"login", "[OPTIONS] [SERVER]", "Log in to a registry", cmdLogin},
		{"logout", "[SERVER]", "Log out from a registry", cmdLogout},
		{"build", "[OPTIONS] PATH", "Build an image from a Dockerfile", cmdBuild},
		{"commit", "[OPTIONS] CONTAINER [REPOSITORY[:TAG]]", "Create a new image from a container's changes", cmdCommit},
		{"cp", "[OPTIONS] CONTAINER:SRC_PATH DEST_PATH|-", "Copy files/folders between a container and the local filesystem", cmdCp},
		{"diff", "CONTAINER", "Inspect changes to files or directories on a container's filesystem", cmdDiff},
		{"export", "[OPTIONS] CONTAINER", "Export a container's filesystem as a tar archive", cmdExport},
		{"import", "[OPTIONS] FILE|- [REPOSITORY[:TAG]]", "Import the contents from a tarball to create a filesystem image", cmdImport},
		{"version", "[OPTIONS]", "Show the dock version information", cmdVersion},
		{"info", "[OPTIONS]", "Display system-wide information", cmdInfo},
		{"attach", "[OPTIONS] CONTAINER", "Attach local standard input, output, and error streams to a running container", cmdAttach},
		{"create", "[OPTIONS] IMAGE [COMMAND] [ARG...]", "Create a new container", cmdCreate},
		{"start", "[OPTIONS] CONTAINER [CONTAINER...]", "Start one or more stopped containers", cmdStart},
		{"stop", "[OPTIONS] CONTAINER [CONTAINER...]", "Stop one or more running containers", cmdStop},
		{"restart", "[OPTIONS] CONTAINER [CONTAINER...]", "Restart one or more containers", cmdRestart},
		{"kill", "[OPTIONS] CONTAINER [CONTAINER...]", "Kill one or more running containers", cmdKill},
		{"pause", "CONTAINER [CONTAINER...]", "Pause all processes within one or more containers", cmdPause},
		{"unpause", "CONTAINER [CONTAINER...]", "Unpause all processes within one or more containers", cmdUnpause},
		{"rm", "[OPTIONS] CONTAINER [CONTAINER...]", "Remove one or more containers", cmdRm},
		{"rename", "CONTAINER NEW_NAME", "Rename a container", cmdRename},
		{"update", "[OPTIONS] CONTAINER [CONTAINER...]", "Update configuration of one or more containers", cmdUpdate},
		{"events", "[OPTIONS]", "Get real time events from the server", cmdEvents},
		{"logs", "[OPTIONS] CONTAINER", "Fetch the logs of a container", cmdLogs},
		{"top", "CONTAINER [ps OPTIONS]", "Display the running processes of a container", cmdTop},
		{"port", "CONTAINER [PRIVATE_PORT[/PROTO]]", "List port mappings or a specific mapping for the container", cmdPort},
		{"wait", "CONTAINER [CONTAINER...]", "Block until one or more containers stop, then print their exit codes", cmdWait},
		{"stats", "[OPTIONS] [CONTAINER...]", "Display a live stream of container(s) resource usage statistics", cmdStats},
		{"inspect", "[OPTIONS] NAME|ID [NAME|ID...]", "Return low-level information on dock objects", cmdInspect},
		{"rmi", "[OPTIONS] IMAGE [IMAGE...]", "Remove one or more images", cmdRmi},
		{"history", "[OPTIONS] IMAGE", "Show the history of an image", cmdHistory},
		{"tag", "SOURCE_IMAGE[:TAG] TARGET_IMAGE[:TAG]", "Create a tag TARGET_IMAGE that refers to SOURCE_IMAGE", cmdTag},
		{"save", "[OPTIONS] IMAGE [IMAGE...]", "Save one or more images to a tar archive (streamed to STDOUT by default)", cmdSave},
		{"load", "[OPTIONS]", "Load an image from a tar archive or STDIN", cmdLoad},
		{"container", "COMMAND", "Manage containers", groupCommand("container")},
		{"image", "COMMAND", "Manage images", groupCommand("image")},
		{"volume", "COMMAND", "Manage volumes", groupCommand("volume")},
		{"network", "COMMAND", "Manage networks", groupCommand("network")},
		{"system", "COMMAND", "Manage dock", groupCommand("system")},
	}
}

// commandDetails are what a command's --help says after its summary.
var commandDetails = map[string]string{
	"cp": `The other way: dock cp [OPTIONS] SRC_PATH|- CONTAINER:DEST_PATH

Use '-' as the source to read a tar archive from stdin
and extract it to a directory destination in a container.
Use '-' as the destination to stream a tar archive of a
container source to stdout.`,
	"logs": `On a terminal, control characters in the container's output are written
escaped, as ps writes commands (ESC as \x1b): only newlines, tabs, carriage
returns before a newline and colours (SGR) pass, so that the output cannot
move the cursor, set the window title or the clipboard, or answer for you.
Piped or redirected, the output is byte for byte what the container wrote
(dock logs CONTAINER | cat shows it raw on a terminal).`,
}

func main() {
	os.Exit(mainExit(os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
}

// exitCode ends the program with Code and prints nothing more (the
// container's exit code, or a failure already reported).
type exitCode int

func (e exitCode) Error() string { return fmt.Sprintf("exit status %d", int(e)) }

// statusError is an error to print, with the exit code to end with.
type statusError struct {
	code int
	err  error
}

func (e *statusError) Error() string { return e.err.Error() }
func (e *statusError) Unwrap() error { return e.err }

func mainExit(args []string, stdin *os.File, stdout, stderr io.Writer) int {
	c := &cli{root: os.Getenv("DOCK_ROOT"), stdin: stdin, stdout: stdout, stderr: stderr}
	if c.root == "" {
		c.root = defaultRoot
	}
	fs := newFlagSet("", false)
	fs.String(&c.root, "root", "Root of the state directory (default $DOCK_ROOT, else "+defaultRoot+")")
	var version bool
	fs.Bool(&version, "v,version", "Print version information and quit")
	rest, err := fs.Parse(args)
	if err == nil && version {
		fmt.Fprintln(stdout, versionLine())
		return 0
	}
	var help *helpRequest
	if errors.As(err, &help) || (err == nil && (len(rest) == 0 || rest[0] == "help")) {
		usage(stdout, fs)
		return 0
	}
	if err != nil {
		fmt.Fprintf(stderr, "dock: %v\nSee 'dock --help'.\n", err)
		return 125
	}
	var cmd *command
	for _, x := range commands {
		if x.name == rest[0] {
			cmd = x
		}
	}
	if cmd == nil {
		fmt.Fprintf(stderr, "dock: unknown command: dock %s\nSee 'dock --help'.\n", rest[0])
		return 1
	}
	err = cmd.run(context.Background(), c, rest[1:])
	return reportError(stdout, stderr, cmd, err)
}

// reportError prints err the way docker does and returns the exit code.
func reportError(stdout, stderr io.Writer, cmd *command, err error) int {
	var (
		code  exitCode
		st    *statusError
		ue    *usageError
		help  *helpRequest
		fails = 1
	)
	if cmd.name == "run" || cmd.name == "create" {
		fails = 125
	}
	switch {
	case err == nil:
		return 0
	case errors.As(err, &code):
		return int(code)
	case errors.As(err, &help):
		path := cmp.Or(help.path, help.fs.cmd, cmd.name)
		u, isGroup := lookupCommand(path)
		switch {
		case isGroup:
			printGroupHelp(stdout, path)
			return 0
		case u == nil: // not in the tables: the command's own line
			path, u = cmd.name, cmd
		}
		printUsage(stdout, path, u)
		if d := commandDetails[path]; d != "" {
			fmt.Fprintf(stdout, "\n%s\n", d)
		}
		if len(help.fs.flags) > 0 {
			fmt.Fprintf(stdout, "\nOptions:\n")
			help.fs.printDefaults(stdout)
		}
		return 0
	case errors.As(err, &ue):
		path := cmp.Or(ue.cmd, cmd.name)
		// As docker prints them: no "dock: " before the message.
		fmt.Fprintf(stderr, "%s\nSee 'dock %s --help'.\n", ue.msg, path)
		if u, _ := lookupCommand(path); u != nil && ue.showUsage {
			fmt.Fprintln(stderr)
			printUsage(stderr, path, u)
		}
		return cmp.Or(ue.code, fails)
	case errors.As(err, &st):
		fmt.Fprintf(stderr, "dock: %v\n", st.err)
		return st.code
	}
	fmt.Fprintf(stderr, "dock: %v\n", err)
	return fails
}

func usage(w io.Writer, fs *flagSet) {
	fmt.Fprintf(w, "Usage:  dock [OPTIONS] COMMAND\n\nA self-sufficient runtime for containers, without a daemon\n\nOptions:\n")
	fs.printDefaults(w)
	fmt.Fprintf(w, "\nCommands:\n")
	for _, c := range commands {
		fmt.Fprintf(w, "  %-10s %s\n", c.name, c.summary)
	}
	fmt.Fprintf(w, "\nRun 'dock COMMAND --help' for more information on a command.\n")
}

func plural(n int, s string) string {
	if n == 1 {
		return s
	}
	return s + "s"
}

// forEach runs fn for each named container, printing the name on success
// as docker does, and each failure on stderr; it fails at the end if any
// did.
func (c *cli) forEach(ctx context.Context, names []string, fn func(ctx context.Context, e *dock.Engine, ct *dock.Container) error) error {
	e, err := c.open()
	if err != nil {
		return err
	}
	defer e.Close()
	return c.eachName(names, func(name string) error {
		ct, err := e.Container(name)
		if err != nil {
			return err
		}
		return fn(ctx, e, ct)
	})
}

// openContainer opens the engine and finds the container ref, for the
// commands that act on one; done closes the engine.
func (c *cli) openContainer(ref string) (ct *dock.Container, done func(), err error) {
	e, err := c.open()
	if err != nil {
		return nil, nil, err
	}
	if ct, err = e.Container(ref); err != nil {
		e.Close()
		return nil, nil, err
	}
	return ct, func() { e.Close() }, nil
}

// eachName runs fn for each name, printing the name on success as docker
// does, and each failure on stderr; it fails at the end if any did.
func (c *cli) eachName(names []string, fn func(name string) error) error {
	failed := false
	for _, name := range names {
		if err := fn(name); err != nil {
			fmt.Fprintf(c.stderr, "dock: %v\n", err)
			failed = true
			continue
		}
		fmt.Fprintln(c.stdout, name)
	}
	if failed {
		return exitCode(1)
	}
	return nil
}

// shortID is the 12-character form docker prints.
func shortID(id string) string {
	id = strings.TrimPrefix(id, "sha256:")
	if len(id) > 12 {
		return id[:12]
	}
	return id
}

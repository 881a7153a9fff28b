package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
)

// groups are docker's management commands (image, volume, network): a
// command whose first argument names a subcommand. A subcommand is a
// command of its own, whose name is the word after the group's ("ls");
// its help and errors name it by its path ("volume ls").
var groups map[string][]*command

func init() {
	// In init: the tables refer to the commands' functions, and they (by
	// way of the errors) to the tables.
	groups = map[string][]*command{
		"container": containerCommands,
		"image":     imageCommands,
		"volume":    volumeCommands,
		"network":   networkCommands,
		"system":    systemCommands,
	}
}

// subcommandAliases are the other names docker gives the subcommands of
// every group.
var subcommandAliases = map[string]string{"list": "ls", "remove": "rm"}

// groupAliases are the other names of the subcommands of one group.
var groupAliases = map[string]map[string]string{"container": {"ps": "ls"}}

// groupCommand is the run of a group's command (dock volume ...): the
// subcommand its first argument names.
func groupCommand(group string) func(context.Context, *cli, []string) error {
	return func(ctx context.Context, c *cli, args []string) error { return runGroup(ctx, c, group, args) }
}

// runGroup runs the subcommand of group that args name. Without one it
// prints the group's help on stderr and succeeds, as docker does. A
// subcommand that is also a top-level command (image ls is images) has
// its help and usage errors renamed to its path.
func runGroup(ctx context.Context, c *cli, group string, args []string) error {
	fs := newFlagSet(group, false)
	rest, err := fs.Parse(args)
	if err != nil {
		return err // --help, or a flag: a group has none
	}
	if len(rest) == 0 {
		printGroupHelp(c.stderr, group)
		return nil
	}
	name := rest[0]
	if n, ok := subcommandAliases[name]; ok {
		name = n
	} else if n, ok := groupAliases[group][name]; ok {
		name = n
	}
	if name == "help" {
		return &helpRequest{fs: fs}
	}
	for _, sub := range groups[group] {
		if sub.name == name {
			return renameErr(sub.run(ctx, c, rest[1:]), group+" "+name)
		}
	}
	return &usageError{cmd: group, msg: fmt.Sprintf("unknown command %q for \"dock %s\"", rest[0], group)}
}

// renameErr makes the help and the usage errors of a command run as the
// subcommand path name it so.
func renameErr(err error, path string) error {
	var help *helpRequest
	if errors.As(err, &help) {
		help.path = path
		return err
	}
	var ue *usageError
	if errors.As(err, &ue) && ue.cmd != path {
		// ParseArgs quotes the command: "dock images" requires...
		ue.msg = strings.ReplaceAll(ue.msg, `"dock `+ue.cmd+`"`, `"dock `+path+`"`)
		ue.cmd = path
	}
	return err
}

// lookupCommand returns the command of path ("ps", "volume ls") and
// whether it is a group; nil when there is none.
func lookupCommand(path string) (cmd *command, isGroup bool) {
	first, sub, hasSub := strings.Cut(path, " ")
	for _, c := range commands {
		if c.name != first {
			continue
		}
		subs, isGroup := groups[first]
		if !hasSub {
			return c, isGroup
		}
		for _, s := range subs {
			if s.name == sub {
				return s, false
			}
		}
	}
	return nil, false
}

// printUsage writes the first lines of a command's help, docker's
// "Usage:  docker volume ls [OPTIONS]" and the summary.
func printUsage(w io.Writer, path string, cmd *command) {
	line := "dock " + path
	if cmd.args != "" {
		line += " " + cmd.args
	}
	fmt.Fprintf(w, "Usage:  %s\n\n%s\n", line, cmd.summary)
}

// printGroupHelp writes a group's help: its usage and its subcommands.
func printGroupHelp(w io.Writer, group string) {
	cmd, _ := lookupCommand(group)
	printUsage(w, group, cmd)
	fmt.Fprintf(w, "\nCommands:\n")
	for _, s := range groups[group] {
		fmt.Fprintf(w, "  %-11s %s\n", s.name, s.summary)
	}
	fmt.Fprintf(w, "\nRun 'dock %s COMMAND --help' for more information on a command.\n", group)
}

package main

import (
	"bytes"
	"os"
	"strings"
	"testing"
)

// commandPaths lists every command and subcommand of the tables:
// "ps", "volume", "volume ls"...
func commandPaths(t *testing.T) []string {
	t.Helper()
	var paths []string
	for _, c := range commands {
		paths = append(paths, c.name)
		for _, s := range groups[c.name] {
			paths = append(paths, c.name+" "+s.name)
		}
	}
	if len(paths) < len(commands)+15 {
		t.Fatalf("command paths %q: the groups' subcommands are missing", paths)
	}
	return paths
}

// runMain runs the CLI in this process with a state directory of the
// test's and stdin the null device (not a terminal).
func runMain(t *testing.T, args ...string) (stdout, stderr string, code int) {
	t.Helper()
	null, err := os.Open(os.DevNull)
	if err != nil {
		t.Fatal(err)
	}
	defer null.Close()
	var out, errb bytes.Buffer
	code = mainExit(append([]string{"--root", t.TempDir()}, args...), null, &out, &errb)
	return out.String(), errb.String(), code
}

// Every command's --help starts with docker's usage line naming the
// command itself, with its arguments: [OPTIONS] when it has options,
// COMMAND only for a group, which lists its subcommands.
func TestHelpUsageLines(t *testing.T) {
	for _, path := range commandPaths(t) {
		t.Run(path, func(t *testing.T) {
			out, errOut, code := runMain(t, append(strings.Fields(path), "--help")...)
			if code != 0 || errOut != "" {
				t.Fatalf("dock %s --help: exit %d, stderr %q; want 0 and nothing", path, code, errOut)
			}
			cmd, isGroup := lookupCommand(path)
			if cmd == nil {
				t.Fatalf("lookupCommand(%q) = nil", path)
			}
			first, rest, _ := strings.Cut(out, "\n")
			want := strings.TrimSpace("Usage:  dock " + path + " " + cmd.args)
			if first != want {
				t.Errorf("dock %s --help: first line %q, want %q", path, first, want)
			}
			words := strings.Fields(path)
			if strings.HasPrefix(cmd.args, words[len(words)-1]+" ") {
				t.Errorf("dock %s --help: usage %q names the command twice", path, first)
			}
			if !strings.HasPrefix(rest, "\n"+cmd.summary+"\n") || cmd.summary == "" {
				t.Errorf("dock %s --help: %q, want the summary %q after the usage line", path, rest, cmd.summary)
			}
			if got := cmd.args == "COMMAND"; got != isGroup {
				t.Errorf("dock %s: usage %q for a group: %v", path, first, isGroup)
			}
			hasOptions := strings.Contains(out, "\nOptions:\n")
			if got := strings.HasPrefix(cmd.args, "[OPTIONS]"); got != hasOptions {
				t.Errorf("dock %s --help: usage %q, options listed: %v", path, first, hasOptions)
			}
			if isGroup {
				if !strings.HasPrefix(cmd.summary, "Manage ") {
					t.Errorf("group %s: summary %q, want docker's Manage ...", path, cmd.summary)
				}
				for _, s := range groups[path] {
					if !strings.Contains(out, "\n  "+s.name+" ") {
						t.Errorf("dock %s --help lists no %s:\n%s", path, s.name, out)
					}
				}
				// Without a subcommand: the same help, on stderr, and
				// success, as docker.
				if o, e, code := runMain(t, path); code != 0 || o != "" || e != out {
					t.Errorf("dock %s: exit %d, stdout %q, stderr %q; want 0 and the help on stderr", path, code, o, e)
				}
			}
		})
	}
	// The aliases name the subcommand by its own name.
	out, _, code := runMain(t, "image", "list", "--help")
	if code != 0 || !strings.HasPrefix(out, "Usage:  dock image ls [OPTIONS]") {
		t.Errorf("dock image list --help: exit %d, %q", code, out)
	}
	// The top-level help gives each command its own summary.
	out, _, _ = runMain(t, "--help")
	for _, c := range commands {
		if !strings.Contains(out, "\n  "+c.name+strings.Repeat(" ", 11-len(c.name))+c.summary+"\n") {
			t.Errorf("dock --help has no line for %s with %q:\n%s", c.name, c.summary, out)
		}
	}
}

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

// A flag error exits 125 on every command, with docker's message and a
// pointer to the command's own help.
func TestFlagErrorsExit125(t *testing.T) {
	for _, path := range commandPaths(t) {
		t.Run(path, func(t *testing.T) {
			args := strings.Fields(path)
			for _, tc := range []struct{ flag, msg string }{
				{"--x", "unknown flag: --x"},
				{"-y", "unknown shorthand flag: 'y' in -y"},
			} {
				out, errOut, code := runMain(t, append(args, tc.flag)...)
				want := tc.msg + "\nSee 'dock " + path + " --help'.\n"
				if code != 125 || out != "" || errOut != want {
					t.Errorf("dock %s %s: exit %d, stdout %q, stderr %q; want 125 and %q", path, tc.flag, code, out, errOut, want)
				}
			}
		})
	}
}

// A wrong number of arguments exits 1, run's included, as does run -it
// without a terminal; both as docker.
func TestUsageErrorsExit1(t *testing.T) {
	for _, tc := range []struct {
		args []string
		msg  string
	}{
		{[]string{"run"}, "\"dock run\" requires at least 1 argument.\nSee 'dock run --help'.\n\nUsage:  dock run [OPTIONS] IMAGE [COMMAND] [ARG...]\n\nCreate and run a new container from an image\n"},
		{[]string{"create", "--name", "x"}, "\"dock create\" requires at least 1 argument.\nSee 'dock create --help'.\n"},
		{[]string{"image", "rm"}, "\"dock image rm\" requires at least 1 argument.\nSee 'dock image rm --help'.\n\nUsage:  dock image rm [OPTIONS] IMAGE [IMAGE...]\n"},
		{[]string{"volume", "ls", "extra"}, "\"dock volume ls\" accepts no arguments.\nSee 'dock volume ls --help'.\n"},
		{[]string{"run", "-it", "busybox"}, "dock: the input device is not a TTY\n"},
		{[]string{"exec", "-it", "c", "sh"}, "dock: the input device is not a TTY\n"},
		{[]string{"volume", "bogus"}, "unknown command \"bogus\" for \"dock volume\"\nSee 'dock volume --help'.\n"},
	} {
		out, errOut, code := runMain(t, tc.args...)
		if code != 1 || out != "" || !strings.HasPrefix(errOut, tc.msg) {
			t.Errorf("dock %q: exit %d, stdout %q, stderr %q; want 1 and %q", tc.args, code, out, errOut, tc.msg)
		}
	}
}

package main

import (
	"fmt"
	"io"
	"sort"
	"strconv"
	"strings"
)

// flagSet is a small command-line parser with the syntax of Docker's CLI
// (spf13/pflag): long flags as --name=value or --name value, short flags as
// -n value or -nvalue, combined short booleans (-itd), repeated flags,
// "--" to end the flags. With interspersed false (run, create, exec),
// parsing stops at the first positional argument: everything after it is
// the container's command.
type flagSet struct {
	cmd          string // "run", "volume ls": for messages
	interspersed bool
	flags        []*flagDef
	long         map[string]*flagDef
	short        map[byte]*flagDef
}

type flagDef struct {
	names  []string // as given: "e", "env"
	usage  string
	isBool bool
	set    func(string) error
}

func newFlagSet(cmd string, interspersed bool) *flagSet {
	return &flagSet{cmd: cmd, interspersed: interspersed, long: map[string]*flagDef{}, short: map[byte]*flagDef{}}
}

// add registers a flag under names, a comma-separated list: one-letter
// names are short flags ("e,env").
func (fs *flagSet) add(names, usage string, isBool bool, set func(string) error) {
	d := &flagDef{names: strings.Split(names, ","), usage: usage, isBool: isBool, set: set}
	for _, n := range d.names {
		if len(n) == 1 {
			fs.short[n[0]] = d
		} else {
			fs.long[n] = d
		}
	}
	fs.flags = append(fs.flags, d)
}

func (fs *flagSet) Bool(p *bool, names, usage string) {
	fs.add(names, usage, true, func(s string) error {
		v, err := strconv.ParseBool(s)
		if err != nil {
			return fmt.Errorf("want true or false")
		}
		*p = v
		return nil
	})
}

func (fs *flagSet) String(p *string, names, usage string) {
	fs.add(names, usage, false, func(s string) error { *p = s; return nil })
}

// Strings appends each occurrence to *p.
func (fs *flagSet) Strings(p *[]string, names, usage string) {
	fs.add(names, usage, false, func(s string) error { *p = append(*p, s); return nil })
}

func (fs *flagSet) Int(p *int, names, usage string) {
	fs.add(names, usage, false, func(s string) error {
		v, err := strconv.Atoi(s)
		if err != nil {
			return fmt.Errorf("not an integer")
		}
		*p = v
		return nil
	})
}

// Func calls fn with each value of the flag.
func (fs *flagSet) Func(names, usage string, fn func(string) error) {
	fs.add(names, usage, false, fn)
}

// usageError is a command-line mistake: main prints it with a hint to
// --help and exits with code, else as the command's other failures: 125
// for run and create, 1 for the others.
type usageError struct {
	cmd  string
	msg  string
	code int // 0: the command's failure code
	// showUsage: print the command's usage line after the hint, as
	// docker does for a wrong number of arguments.
	showUsage bool
}

func (e *usageError) Error() string { return e.msg }

// flagErrorCode is docker's exit code for a flag the parser refuses
// (unknown, missing its value, a value of the wrong type), on every
// command.
const flagErrorCode = 125

// errorf is a usage error of the command, for its checks of the values.
func (fs *flagSet) errorf(format string, args ...any) error {
	return &usageError{cmd: fs.cmd, msg: fmt.Sprintf(format, args...)}
}

// flagErrorf is an error of the parser: exit 125 whatever the command.
func (fs *flagSet) flagErrorf(format string, args ...any) error {
	return &usageError{cmd: fs.cmd, msg: fmt.Sprintf(format, args...), code: flagErrorCode}
}

// helpRequest is returned by Parse for --help, and for -h when the command
// does not define -h (run does: it is --hostname).
type helpRequest struct {
	fs *flagSet
	// path names the command whose help this is when it is not fs.cmd:
	// "image ls" for the parser of images.
	path string
}

func (h *helpRequest) Error() string { return "help requested" }

func flagTitle(d *flagDef) string {
	var parts []string
	for _, n := range d.names {
		if len(n) == 1 {
			parts = append(parts, "-"+n)
		} else {
			parts = append(parts, "--"+n)
		}
	}
	return strings.Join(parts, ", ")
}

func (fs *flagSet) setValue(d *flagDef, value string) error {
	if err := d.set(value); err != nil {
		return fs.flagErrorf("invalid argument %q for %q flag: %v", value, flagTitle(d), err)
	}
	return nil
}

// Parse parses args and returns the positional arguments.
func (fs *flagSet) Parse(args []string) ([]string, error) {
	var pos []string
	for i := 0; i < len(args); i++ {
		a := args[i]
		switch {
		case a == "--":
			return append(pos, args[i+1:]...), nil
		case strings.HasPrefix(a, "--"):
			name, value, hasValue := strings.Cut(a[2:], "=")
			d := fs.long[name]
			if d == nil {
				if name == "help" {
					return nil, &helpRequest{fs: fs}
				}
				return nil, fs.flagErrorf("unknown flag: --%s", name)
			}
			if d.isBool {
				if !hasValue {
					value = "true"
				}
			} else if !hasValue {
				if i+1 >= len(args) {
					return nil, fs.flagErrorf("flag needs an argument: --%s", name)
				}
				i++
				value = args[i]
			}
			if err := fs.setValue(d, value); err != nil {
				return nil, err
			}
		case strings.HasPrefix(a, "-") && len(a) > 1:
			for j := 1; j < len(a); j++ {
				c := a[j]
				d := fs.short[c]
				if d == nil {
					if c == 'h' {
						return nil, &helpRequest{fs: fs}
					}
					return nil, fs.flagErrorf("unknown shorthand flag: %q in %s", rune(c), a)
				}
				if d.isBool {
					value := "true"
					if rest := a[j+1:]; strings.HasPrefix(rest, "=") {
						value, j = rest[1:], len(a)
					}
					if err := fs.setValue(d, value); err != nil {
						return nil, err
					}
					continue
				}
				value := strings.TrimPrefix(a[j+1:], "=")
				if j+1 == len(a) {
					if i+1 >= len(args) {
						return nil, fs.flagErrorf("flag needs an argument: %q in -%c", rune(c), c)
					}
					i++
					value = args[i]
				}
				if err := fs.setValue(d, value); err != nil {
					return nil, err
				}
				break
			}
		default:
			if !fs.interspersed {
				return append(pos, args[i:]...), nil
			}
			pos = append(pos, a)
		}
	}
	return pos, nil
}

// noMax is ParseArgs's max for a command that takes any number of
// arguments past its min.
const noMax = -1

// ParseArgs is Parse, then docker's check of the number of positional
// arguments: at least min, at most max (noMax: no limit). A wrong number
// is docker's usage error ("\"dock rm\" requires at least 1 argument.",
// "requires exactly", "accepts at most", "accepts no arguments"), with
// the command's usage line after the hint and exit code 1 on every
// command, run included, as docker.
func (fs *flagSet) ParseArgs(args []string, min, max int) ([]string, error) {
	pos, err := fs.Parse(args)
	if err != nil {
		return nil, err
	}
	if err := fs.checkArgs(pos, min, max); err != nil {
		return nil, err
	}
	return pos, nil
}

// checkArgs is ParseArgs's check of the number of positional arguments.
func (fs *flagSet) checkArgs(args []string, min, max int) error {
	n, cmd := len(args), "dock "+fs.cmd
	var msg string
	switch {
	case max == 0 && n > 0:
		msg = fmt.Sprintf("%q accepts no arguments.", cmd)
	case min == max && n != min:
		msg = fmt.Sprintf("%q requires exactly %d %s.", cmd, min, plural(min, "argument"))
	case n < min:
		msg = fmt.Sprintf("%q requires at least %d %s.", cmd, min, plural(min, "argument"))
	case max >= 0 && n > max:
		msg = fmt.Sprintf("%q accepts at most %d %s.", cmd, max, plural(max, "argument"))
	default:
		return nil
	}
	return &usageError{cmd: fs.cmd, msg: msg, code: 1, showUsage: true}
}

// printDefaults writes one line per flag, sorted by long name.
func (fs *flagSet) printDefaults(w io.Writer) {
	defs := append([]*flagDef(nil), fs.flags...)
	sort.Slice(defs, func(i, j int) bool {
		return longName(defs[i]) < longName(defs[j])
	})
	for _, d := range defs {
		title := flagTitle(d)
		if len(d.names[0]) > 1 {
			title = "    " + title
		}
		usage := strings.ReplaceAll(d.usage, "\n", "\n"+strings.Repeat(" ", 31)) // under the first line
		fmt.Fprintf(w, "  %-28s %s\n", title, usage)
	}
}

func longName(d *flagDef) string {
	for _, n := range d.names {
		if len(n) > 1 {
			return n
		}
	}
	return d.names[0]
}

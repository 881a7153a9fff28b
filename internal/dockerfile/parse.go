package dockerfile

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"unicode"
)

const (
	// MaxSize is the largest Dockerfile Parse accepts (10 MiB).
	MaxSize = 10 << 20
	// MaxLineLength is the longest physical line Parse accepts (1 MiB).
	MaxLineLength = 1 << 20
)

// Dockerfile is a parsed Dockerfile.
type Dockerfile struct {
	// Escape is the escape character: '\\' by default, '`' after
	// "# escape=`".
	Escape rune
	// Syntax is the value of the "# syntax=" directive, recorded and
	// otherwise ignored ("" when absent).
	Syntax string
	// Check is the value of the "# check=" directive, recorded and
	// otherwise ignored.
	Check string
	// MetaArgs are the ARG instructions before the first FROM, in order.
	// Their values may be used in FROM lines.
	MetaArgs []Instruction
	// Stages are the build stages in order; there is at least one.
	Stages []Stage
	// Warnings are "line N: message" notes about accepted but doubtful
	// input: MAINTAINER, empty continuation lines, a shell form that looks
	// like broken JSON, the legacy "ENV name value" form.
	Warnings []string
}

// Stage is one FROM and the instructions that follow it.
type Stage struct {
	// Name is the lower-cased name from "FROM image AS name", or "".
	Name string
	// Index is the stage's position, from 0.
	Index int
	// From is the base image reference as written, unexpanded (it may
	// contain ${ARG}s, or name an earlier stage, or be "scratch").
	From string
	// Platform is the unexpanded --platform flag of FROM, or "".
	Platform string
	// Line is the line of the FROM instruction.
	Line int
	// Instructions follow FROM, in order; FROM itself is not among them.
	Instructions []Instruction
}

// Instruction is one instruction of a Dockerfile. All words are as
// written, unexpanded; Build expands them with Expand or ExpandWords where
// the Dockerfile reference says so.
type Instruction struct {
	// Cmd is the lower-case instruction name: "from", "run", ...
	Cmd string
	// Args depends on Cmd:
	//   - run, cmd, entrypoint, healthcheck (its CMD part): the elements
	//     of the JSON form, or the shell-form command as one string with
	//     ShellForm set. For healthcheck NONE, Args is empty.
	//   - shell: the JSON elements.
	//   - copy, add, volume: the JSON elements, or the white-space
	//     separated words (ShellForm set); for copy and add the last one
	//     is the destination.
	//   - expose: the white-space separated words.
	//   - from: the image, or image, "AS", name.
	//   - user, workdir, stopsignal, maintainer: the rest of the line as
	//     one string.
	//   - onbuild: the trigger instruction's text as one string.
	//   - env, label, arg: nil; see Pairs.
	Args []string
	// ShellForm reports that Args holds the non-JSON form.
	ShellForm bool
	// Flags are the --name=value options before the arguments, in
	// order, with the flag value's quotes removed.
	Flags []Flag `json:",omitempty"`
	// Pairs are the key=value pairs of env, label and arg (arg may have
	// keys without values). Values keep their quotes: pass them to
	// Expand, which removes them.
	Pairs []KeyValue `json:",omitempty"`
	// Heredocs are the here-documents of run, copy and add, in the order
	// of their "<<" markers.
	Heredocs []Heredoc `json:",omitempty"`
	// Mounts are the parsed --mount flags of run.
	Mounts []Mount `json:",omitempty"`
	// Health is the parsed healthcheck.
	Health *Healthcheck `json:",omitempty"`
	// Trigger is the parsed instruction of onbuild.
	Trigger *Instruction `json:",omitempty"`
	// Line and EndLine are the first and last line of the instruction,
	// from 1, including continuation lines and here-documents.
	Line, EndLine int
	// Original is the instruction with continuation lines joined (the
	// escape characters and comment lines removed), without the bodies
	// of here-documents, as Docker shows it in the image history.
	Original string
}

// Flag is one --name or --name=value option of an instruction.
type Flag struct {
	Name  string
	Value string
	// HasValue is false for a bare boolean flag such as --link.
	HasValue bool `json:",omitempty"`
}

// KeyValue is one pair of ENV, LABEL or ARG.
type KeyValue struct {
	Key   string
	Value string
	// HasValue is false for "ARG name" without a default.
	HasValue bool `json:",omitempty"`
}

// Heredoc is one here-document: "<<EOF" up to a line "EOF".
type Heredoc struct {
	// Name is the delimiter word, without quotes.
	Name string
	// Content is the text between the marker line and the delimiter,
	// each line ending with "\n"; with Chomp, leading tabs are removed.
	Content string
	// Expand is false when the delimiter was quoted ("<<'EOF'"), in
	// which case the content must not be expanded.
	Expand bool
	// Chomp is set for "<<-EOF".
	Chomp bool `json:",omitempty"`
}

// Healthcheck is a parsed HEALTHCHECK instruction.
type Healthcheck struct {
	// Test is the image config's form: ["NONE"], ["CMD", arg...] or
	// ["CMD-SHELL", command].
	Test []string
	// Durations are in nanoseconds as in the image config; 0 means the
	// default.
	Interval, Timeout, StartPeriod, StartInterval int64 `json:",omitempty"`
	Retries                                       int   `json:",omitempty"`
}

// Flag returns the value of the last flag with the given name (without the
// dashes) and whether it is present.
func (in *Instruction) Flag(name string) (string, bool) {
	for i := len(in.Flags) - 1; i >= 0; i-- {
		if in.Flags[i].Name == name {
			return in.Flags[i].Value, true
		}
	}
	return "", false
}

// Stage returns the stage named name (case-insensitive) or, if name is a
// decimal number, the stage with that index, as COPY --from and FROM use
// it. It returns nil when there is none.
func (d *Dockerfile) Stage(name string) *Stage {
	name = strings.ToLower(name)
	for i := range d.Stages {
		if d.Stages[i].Name != "" && d.Stages[i].Name == name {
			return &d.Stages[i]
		}
	}
	if n, err := strconv.Atoi(name); err == nil && n >= 0 && n < len(d.Stages) {
		return &d.Stages[n]
	}
	return nil
}

var (
	// Compiled on first use: a program that never parses a Dockerfile
	// (dock run) does not pay for them at start.
	directiveRe = lazyRegexp(`^#[ \t]*([a-zA-Z][a-zA-Z0-9]*)[ \t]*=[ \t]*(.+?)[ \t]*$`)
	stageNameRe = lazyRegexp(`^[a-z][a-z0-9\-_.]*$`)
	heredocRe   = lazyRegexp(`^<<(-?)(["']?)([A-Za-z0-9_.\-]+)(["']?)`)
)

// Parse reads and parses a Dockerfile. Syntax errors are *SyntaxError;
// an error of r is returned wrapped. Input over MaxSize, or with a line
// over MaxLineLength, is a *SyntaxError. Parse never panics.
func Parse(r io.Reader) (*Dockerfile, error) {
	data, err := io.ReadAll(io.LimitReader(r, MaxSize+1))
	if err != nil {
		return nil, fmt.Errorf("read dockerfile: %w", err)
	}
	if len(data) > MaxSize {
		return nil, &SyntaxError{Msg: "file larger than 10 MiB"}
	}
	data = bytes.TrimPrefix(data, []byte("\xef\xbb\xbf"))
	lines := strings.Split(string(data), "\n")
	for i, l := range lines {
		if len(l) > MaxLineLength {
			return nil, &SyntaxError{Line: i + 1, Msg: "line longer than 1 MiB"}
		}
		lines[i] = strings.TrimSuffix(l, "\r")
	}
	p := &parser{lines: lines, df: &Dockerfile{Escape: '\\'}, names: map[string]bool{}}
	if err := p.directives(); err != nil {
		return nil, err
	}
	if err := p.parse(); err != nil {
		return nil, err
	}
	return p.df, nil
}

type parser struct {
	lines []string
	i     int // next line, from 0
	df    *Dockerfile
	names map[string]bool // stage names so far
}

func (p *parser) warnf(line int, format string, args ...any) {
	p.df.Warnings = append(p.df.Warnings, fmt.Sprintf("line %d: ", line)+fmt.Sprintf(format, args...))
}

// directives reads the parser directives at the top of the file. They end
// at the first line that is not one; unknown directives are comments.
func (p *parser) directives() error {
	seen := map[string]bool{}
	for n, line := range p.lines {
		m := directiveRe().FindStringSubmatch(line)
		if m == nil {
			return nil
		}
		key, val := strings.ToLower(m[1]), m[2]
		switch key {
		case "escape", "syntax", "check":
		default:
			continue
		}
		if seen[key] {
			return &SyntaxError{Line: n + 1, Msg: fmt.Sprintf("only one %s parser directive can be used", key)}
		}
		seen[key] = true
		switch key {
		case "escape":
			if val != "`" && val != `\` {
				return &SyntaxError{Line: n + 1, Msg: fmt.Sprintf("invalid escape token %q does not match ` or \\", val)}
			}
			p.df.Escape = rune(val[0])
		case "syntax":
			p.df.Syntax = val
		case "check":
			p.df.Check = val
		}
	}
	return nil
}

func isComment(line string) bool {
	t := strings.TrimLeft(line, " \t")
	return strings.HasPrefix(t, "#")
}

// trimContinuation removes a trailing escape character (and white space
// after it) and reports whether there was one.
func (p *parser) trimContinuation(line string) (string, bool) {
	t := strings.TrimRight(line, " \t")
	if strings.HasSuffix(t, string(p.df.Escape)) {
		return t[:len(t)-len(string(p.df.Escape))], true
	}
	return line, false
}

func (p *parser) parse() error {
	var cur *Stage
	for p.i < len(p.lines) {
		start := p.i + 1
		line := strings.TrimLeft(p.lines[p.i], " \t")
		p.i++
		if strings.TrimSpace(line) == "" || strings.HasPrefix(line, "#") {
			continue
		}
		first, more := p.trimContinuation(line)
		var joined strings.Builder
		joined.WriteString(first)
		for more && p.i < len(p.lines) {
			next := p.lines[p.i]
			p.i++
			if isComment(next) {
				continue
			}
			if strings.TrimSpace(next) == "" {
				p.warnf(p.i, "empty continuation line")
				continue
			}
			next, more = p.trimContinuation(next)
			joined.WriteString(next)
		}
		logical := strings.TrimSpace(joined.String())
		in, err := p.instruction(logical, start, true)
		if err != nil {
			return err
		}
		if in == nil { // only white space after joining
			continue
		}
		if err := p.heredocs(in); err != nil {
			return err
		}
		if in.Cmd == "from" {
			st := Stage{Index: len(p.df.Stages), From: in.Args[0], Line: in.Line}
			st.Platform, _ = in.Flag("platform")
			if len(in.Args) == 3 {
				st.Name = strings.ToLower(in.Args[2])
				if !stageNameRe().MatchString(st.Name) {
					return &SyntaxError{Line: in.Line, Instruction: "FROM", Msg: fmt.Sprintf("invalid name for build stage: %q, name can't start with a number or contain symbols", in.Args[2])}
				}
				if p.names[st.Name] {
					return &SyntaxError{Line: in.Line, Instruction: "FROM", Msg: fmt.Sprintf("duplicate stage name %q", st.Name)}
				}
			}
			p.names[st.Name] = true
			p.df.Stages = append(p.df.Stages, st)
			cur = &p.df.Stages[len(p.df.Stages)-1]
			continue
		}
		if cur == nil {
			if in.Cmd == "arg" {
				p.df.MetaArgs = append(p.df.MetaArgs, *in)
				continue
			}
			return &SyntaxError{Line: in.Line, Instruction: strings.ToUpper(in.Cmd), Msg: "no build stage in current context: only ARG may come before the first FROM"}
		}
		cur.Instructions = append(cur.Instructions, *in)
	}
	if len(p.df.Stages) == 0 {
		if len(p.df.MetaArgs) == 0 {
			return &SyntaxError{Msg: "file with no instructions"}
		}
		return &SyntaxError{Msg: "no FROM instruction: a Dockerfile needs at least one build stage"}
	}
	return nil
}

// heredocs reads the bodies of in's here-documents from the lines that
// follow it.
func (p *parser) heredocs(in *Instruction) error {
	for k := range in.Heredocs {
		h := &in.Heredocs[k]
		var b strings.Builder
		found := false
		for p.i < len(p.lines) {
			line := p.lines[p.i]
			p.i++
			if h.Chomp {
				line = strings.TrimLeft(line, "\t")
			}
			if line == h.Name {
				found = true
				break
			}
			b.WriteString(line)
			b.WriteByte('\n')
		}
		if !found {
			return &SyntaxError{Line: in.Line, Instruction: strings.ToUpper(in.Cmd), Msg: fmt.Sprintf("unterminated heredoc %q", h.Name)}
		}
		h.Content = b.String()
		in.EndLine = p.i
	}
	return nil
}

// flagSpec lists the flags an instruction accepts: the value is "bool" for
// flags that may stand alone, "multi" for flags that may repeat.
var flagSpecs = map[string]map[string]string{
	"from":        {"platform": ""},
	"run":         {"mount": "multi", "network": "", "security": "", "device": "multi"},
	"copy":        {"from": "", "chown": "", "chmod": "", "link": "bool", "parents": "bool", "exclude": "multi"},
	"add":         {"chown": "", "chmod": "", "link": "bool", "checksum": "", "keep-git-dir": "bool", "unpack": "bool", "exclude": "multi", "parents": "bool"},
	"healthcheck": {"interval": "", "timeout": "", "start-period": "", "start-interval": "", "retries": ""},
}

var instructions = map[string]bool{
	"from": true, "run": true, "cmd": true, "label": true, "maintainer": true,
	"expose": true, "env": true, "add": true, "copy": true, "entrypoint": true,
	"volume": true, "user": true, "workdir": true, "arg": true, "onbuild": true,
	"stopsignal": true, "healthcheck": true, "shell": true,
}

// instruction parses one logical line. top is false for an ONBUILD
// trigger.
func (p *parser) instruction(logical string, line int, top bool) (*Instruction, error) {
	if logical == "" {
		return nil, nil
	}
	name, rest := logical, ""
	if i := strings.IndexFunc(logical, unicode.IsSpace); i >= 0 {
		name, rest = logical[:i], strings.TrimSpace(logical[i:])
	}
	in := &Instruction{Cmd: strings.ToLower(name), Line: line, EndLine: p.i, Original: logical}
	upper := strings.ToUpper(name)
	fail := func(format string, args ...any) (*Instruction, error) {
		return nil, &SyntaxError{Line: line, Instruction: upper, Msg: fmt.Sprintf(format, args...)}
	}
	if !instructions[in.Cmd] {
		return nil, &SyntaxError{Line: line, Msg: fmt.Sprintf("unknown instruction: %s", upper)}
	}
	rest, err := p.flags(in, rest)
	if err != nil {
		return fail("%s", err)
	}
	if err := p.args(in, rest, top); err != nil {
		return fail("%s", err)
	}
	if err := p.checkExpansion(in); err != nil {
		return fail("%s", err)
	}
	return in, nil
}

// flags takes the leading --flags off rest.
func (p *parser) flags(in *Instruction, rest string) (string, error) {
	spec := flagSpecs[in.Cmd]
	seen := map[string]bool{}
	for strings.HasPrefix(rest, "--") {
		word, after, err := p.flagWord(rest)
		if err != nil {
			return "", err
		}
		rest = after
		if word == "--" {
			break
		}
		name, val, hasVal := strings.Cut(word[2:], "=")
		kind, ok := spec[name]
		if !ok {
			return "", fmt.Errorf("unknown flag: --%s", name)
		}
		if seen[name] && kind != "multi" {
			return "", fmt.Errorf("duplicate flag specified: --%s", name)
		}
		seen[name] = true
		switch {
		case kind == "bool" && hasVal && val != "true" && val != "false":
			return "", fmt.Errorf("expecting boolean value for flag --%s, not: %s", name, val)
		case kind != "bool" && !hasVal:
			return "", fmt.Errorf("missing a value on flag: --%s", name)
		case kind != "bool" && val == "" && name != "chown" && name != "chmod":
			return "", fmt.Errorf("empty value on flag: --%s", name)
		}
		in.Flags = append(in.Flags, Flag{Name: name, Value: val, HasValue: hasVal})
	}
	return rest, nil
}

// flagWord reads one white-space terminated word, removing quotes, and
// returns it with the trimmed rest.
func (p *parser) flagWord(s string) (string, string, error) {
	var b strings.Builder
	var quote rune
	escaped := false
	for i, ch := range s {
		switch {
		case escaped:
			escaped = false
			b.WriteRune(ch)
		case quote == 0 && unicode.IsSpace(ch):
			return b.String(), strings.TrimSpace(s[i:]), nil
		case ch == p.df.Escape && quote != '\'':
			escaped = true
		case quote == 0 && (ch == '\'' || ch == '"'):
			quote = ch
		case ch == quote:
			quote = 0
		default:
			b.WriteRune(ch)
		}
	}
	if quote != 0 {
		return "", "", fmt.Errorf("unterminated quote in flag %s", s)
	}
	return b.String(), "", nil
}

// parseJSON returns the elements of a JSON array of strings, or false.
func parseJSON(s string) ([]string, bool) {
	if !strings.HasPrefix(s, "[") {
		return nil, false
	}
	var raw []any
	if err := json.Unmarshal([]byte(s), &raw); err != nil {
		return nil, false
	}
	out := make([]string, 0, len(raw))
	for _, v := range raw {
		s, ok := v.(string)
		if !ok {
			return nil, false
		}
		out = append(out, s)
	}
	return out, true
}

// command fills Args from a JSON or shell form; a shell form that starts
// with "[" is accepted, as Docker does, with a warning.
func (p *parser) command(in *Instruction, rest string) {
	if list, ok := parseJSON(rest); ok {
		in.Args = list
		return
	}
	if strings.HasPrefix(rest, "[") {
		p.warnf(in.Line, "%s: not valid JSON, used as a shell command: %s", strings.ToUpper(in.Cmd), rest)
	}
	in.Args, in.ShellForm = []string{rest}, true
}

// list fills Args from a JSON form or white-space separated words.
func (p *parser) list(in *Instruction, rest string) {
	if list, ok := parseJSON(rest); ok {
		in.Args = list
		return
	}
	in.Args, in.ShellForm = strings.Fields(rest), true
}

func (p *parser) args(in *Instruction, rest string, top bool) error {
	upper := strings.ToUpper(in.Cmd)
	atLeastOne := func() error {
		if rest == "" {
			return fmt.Errorf("%s requires at least one argument", upper)
		}
		return nil
	}
	switch in.Cmd {
	case "from":
		words := strings.Fields(rest)
		if len(words) != 1 && (len(words) != 3 || !strings.EqualFold(words[1], "as")) {
			return fmt.Errorf("FROM requires either one or three arguments (image [AS name])")
		}
		in.Args = words
	case "run", "cmd", "entrypoint":
		if err := atLeastOne(); err != nil {
			return err
		}
		p.command(in, rest)
		if in.Cmd == "run" && len(in.Args) == 0 {
			return fmt.Errorf("RUN requires at least one argument")
		}
		if in.Cmd == "run" {
			for _, f := range in.Flags {
				if f.Name == "mount" {
					m, err := ParseMount(f.Value)
					if err != nil {
						return err
					}
					in.Mounts = append(in.Mounts, m)
				}
			}
		}
	case "shell":
		if err := atLeastOne(); err != nil {
			return err
		}
		list, ok := parseJSON(rest)
		if !ok {
			return fmt.Errorf("SHELL requires the arguments to be in JSON form")
		}
		if len(list) == 0 {
			return fmt.Errorf("SHELL requires at least one argument")
		}
		in.Args = list
	case "copy", "add":
		p.list(in, rest)
		switch len(in.Args) {
		case 0:
			return fmt.Errorf("%s requires at least two arguments", upper)
		case 1:
			return fmt.Errorf("%s requires at least two arguments, but only one was provided. Destination could not be determined", upper)
		}
	case "volume":
		if err := atLeastOne(); err != nil {
			return err
		}
		p.list(in, rest)
		for _, v := range in.Args {
			if strings.TrimSpace(v) == "" {
				return fmt.Errorf("VOLUME specified can not be an empty string")
			}
		}
		if len(in.Args) == 0 {
			return fmt.Errorf("VOLUME requires at least one argument")
		}
	case "expose":
		if err := atLeastOne(); err != nil {
			return err
		}
		in.Args = strings.Fields(rest)
	case "user", "workdir", "maintainer":
		if err := atLeastOne(); err != nil {
			return err
		}
		in.Args = []string{rest}
		if in.Cmd == "maintainer" {
			p.warnf(in.Line, "MAINTAINER is deprecated: use LABEL org.opencontainers.image.authors=...")
		}
	case "stopsignal":
		if len(strings.Fields(rest)) != 1 {
			return fmt.Errorf("STOPSIGNAL requires exactly one argument")
		}
		in.Args = []string{rest}
	case "env", "label":
		return p.pairs(in, rest)
	case "arg":
		words := p.words(rest)
		if len(words) == 0 {
			return fmt.Errorf("ARG requires at least one argument")
		}
		for _, w := range words {
			k, v, has := strings.Cut(w, "=")
			if k == "" {
				return fmt.Errorf("ARG names can not be blank")
			}
			in.Pairs = append(in.Pairs, KeyValue{Key: k, Value: v, HasValue: has})
		}
	case "healthcheck":
		return p.healthcheck(in, rest)
	case "onbuild":
		if !top {
			return fmt.Errorf("chaining ONBUILD via `ONBUILD ONBUILD` isn't allowed")
		}
		if err := atLeastOne(); err != nil {
			return err
		}
		trig, err := p.instruction(rest, in.Line, false)
		if err != nil {
			var se *SyntaxError
			if ok := asSyntax(err, &se); ok {
				return fmt.Errorf("trigger: %s", strings.TrimPrefix(se.Error(), fmt.Sprintf("dockerfile line %d: ", in.Line)))
			}
			return err
		}
		switch trig.Cmd {
		case "onbuild":
			return fmt.Errorf("chaining ONBUILD via `ONBUILD ONBUILD` isn't allowed")
		case "from", "maintainer":
			return fmt.Errorf("%s isn't allowed as an ONBUILD trigger", strings.ToUpper(trig.Cmd))
		}
		in.Args, in.Trigger = []string{rest}, trig
	}
	// Heredoc markers, only in the shell form of RUN, COPY and ADD.
	if top && in.ShellForm && (in.Cmd == "run" || in.Cmd == "copy" || in.Cmd == "add") {
		for _, w := range strings.Fields(rest) {
			m := heredocRe().FindStringSubmatch(w)
			if m == nil || m[2] != m[4] {
				continue
			}
			in.Heredocs = append(in.Heredocs, Heredoc{Name: m[3], Expand: m[2] == "", Chomp: m[1] == "-"})
		}
	}
	return nil
}

func asSyntax(err error, target **SyntaxError) bool {
	se, ok := err.(*SyntaxError) //nolint:errorlint // produced right here, never wrapped
	if ok {
		*target = se
	}
	return ok
}

// words splits s at white space outside quotes, keeping quotes and escape
// characters, like BuildKit's parseWords.
func (p *parser) words(s string) []string {
	var words []string
	var b strings.Builder
	var quote rune
	rs := []rune(s)
	for i := 0; i < len(rs); i++ {
		ch := rs[i]
		if quote == 0 && unicode.IsSpace(ch) {
			if b.Len() > 0 {
				words = append(words, b.String())
				b.Reset()
			}
			continue
		}
		b.WriteRune(ch)
		switch {
		case ch == p.df.Escape && quote != '\'' && i+1 < len(rs):
			i++
			b.WriteRune(rs[i])
		case quote == 0 && (ch == '\'' || ch == '"'):
			quote = ch
		case ch == quote:
			quote = 0
		}
	}
	if b.Len() > 0 {
		words = append(words, b.String())
	}
	return words
}

// pairs parses ENV and LABEL: "k=v k2=v2" or the legacy "k v w".
func (p *parser) pairs(in *Instruction, rest string) error {
	upper := strings.ToUpper(in.Cmd)
	words := p.words(rest)
	if len(words) == 0 {
		return fmt.Errorf("%s requires at least one argument", upper)
	}
	if !strings.Contains(words[0], "=") {
		i := strings.IndexFunc(rest, unicode.IsSpace)
		if i < 0 {
			return fmt.Errorf("%s must have two arguments", upper)
		}
		p.warnf(in.Line, "%s: legacy \"%s key value\" form: use %s key=value", upper, upper, upper)
		in.Pairs = []KeyValue{{Key: rest[:i], Value: strings.TrimSpace(rest[i:]), HasValue: true}}
		return nil
	}
	for _, w := range words {
		k, v, ok := strings.Cut(w, "=")
		if !ok {
			return fmt.Errorf("syntax error - can't find = in %q. Must be of the form: name=value", w)
		}
		if k == "" {
			return fmt.Errorf("%s names can not be blank", upper)
		}
		in.Pairs = append(in.Pairs, KeyValue{Key: k, Value: v, HasValue: true})
	}
	return nil
}

func (p *parser) healthcheck(in *Instruction, rest string) error {
	typ, cmd := rest, ""
	if i := strings.IndexFunc(rest, unicode.IsSpace); i >= 0 {
		typ, cmd = rest[:i], strings.TrimSpace(rest[i:])
	}
	switch strings.ToUpper(typ) {
	case "":
		return fmt.Errorf("HEALTHCHECK requires at least one argument")
	case "NONE":
		if cmd != "" {
			return fmt.Errorf("HEALTHCHECK NONE takes no arguments")
		}
		if len(in.Flags) > 0 {
			return fmt.Errorf("HEALTHCHECK NONE takes no options")
		}
		in.Health = &Healthcheck{Test: []string{"NONE"}}
		return nil
	case "CMD":
	default:
		return fmt.Errorf("unknown type %q in HEALTHCHECK (try CMD)", typ)
	}
	if cmd == "" {
		return fmt.Errorf("HEALTHCHECK CMD requires a command")
	}
	p.command(in, cmd)
	h := &Healthcheck{}
	if in.ShellForm {
		h.Test = []string{"CMD-SHELL", cmd}
	} else {
		h.Test = append([]string{"CMD"}, in.Args...)
	}
	for _, f := range in.Flags {
		var dst *int64
		switch f.Name {
		case "interval":
			dst = &h.Interval
		case "timeout":
			dst = &h.Timeout
		case "start-period":
			dst = &h.StartPeriod
		case "start-interval":
			dst = &h.StartInterval
		case "retries":
			n, err := strconv.Atoi(f.Value)
			if err != nil {
				return fmt.Errorf("invalid --retries %q: not an integer", f.Value)
			}
			if n < 0 {
				return fmt.Errorf("--retries cannot be negative (%d)", n)
			}
			h.Retries = n
			continue
		}
		d, err := parseDuration(f.Value)
		if err != nil {
			return fmt.Errorf("invalid --%s %q: %w", f.Name, f.Value, err)
		}
		*dst = d
	}
	in.Health = h
	return nil
}

// parseDuration parses a healthcheck duration: 0, or at least 1ms.
func parseDuration(s string) (int64, error) {
	d, err := timeParseDuration(s)
	if err != nil {
		return 0, err
	}
	switch {
	case d < 0:
		return 0, fmt.Errorf("cannot be negative")
	case d > 0 && d < 1e6:
		return 0, fmt.Errorf("cannot be less than 1ms")
	}
	return int64(d), nil
}

// expandable lists, per instruction, whether its Args and Pairs are
// expanded at build time; their syntax is checked at parse time.
var expandable = map[string]bool{
	"from": true, "env": true, "arg": true, "label": true, "copy": true, "add": true,
	"workdir": true, "user": true, "expose": true, "volume": true, "stopsignal": true,
}

// checkExpansion checks the substitution syntax of the words Build will
// expand, with every variable set, so that only syntax errors remain.
func (p *parser) checkExpansion(in *Instruction) error {
	set := func(string) (string, bool) { return "x", true }
	check := func(s string) error {
		_, err := Expand(s, set, p.df.Escape)
		return err
	}
	for _, f := range in.Flags {
		switch f.Name {
		case "from", "chown", "chmod", "platform":
			if err := check(f.Value); err != nil {
				return fmt.Errorf("--%s: %w", f.Name, err)
			}
		}
	}
	if !expandable[in.Cmd] {
		return nil
	}
	args := in.Args
	if in.Cmd == "from" && len(args) == 3 {
		args = args[:1]
	}
	for _, a := range args {
		if err := check(a); err != nil {
			return err
		}
	}
	for _, kv := range in.Pairs {
		if err := check(kv.Key); err != nil {
			return err
		}
		if err := check(kv.Value); err != nil {
			return err
		}
	}
	return nil
}

// lazyRegexp returns a function that compiles expr on its first call.
func lazyRegexp(expr string) func() *regexp.Regexp {
	return sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(expr) })
}

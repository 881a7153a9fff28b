package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"strings"
	"text/template"
	"unicode"
	"unicode/utf8"
)

// The --format templates, as docker's: Go templates with docker's
// functions, run on the values docker runs them on (Docker Engine API
// types from package dockerapi for inspect, info and version; a row of
// string fields for list commands).
//
// Errors and exit codes, as docker 28's: a template that does not parse
// fails with "template parsing error: ..." before anything is done, exit
// 64 for inspect, info and version, 1 for the list commands; one that
// fails as it runs reports the error, exit 1.

// formatFuncs are the functions of docker's templates.
var formatFuncs = template.FuncMap{
	"json": func(v any) (string, error) {
		data, err := marshalJSON(v)
		return string(data), err
	},
	"join":     strings.Join,
	"split":    strings.Split,
	"lower":    strings.ToLower,
	"upper":    strings.ToUpper,
	"title":    title,
	"println":  fmt.Sprintln,
	"pad":      pad,
	"truncate": truncate,
}

// headerFuncs replace formatFuncs in a table's header row, which runs the
// template on the column names: they leave the names as they are, as
// docker's HeaderFunctions do; pad and println are docker's own there
// too (pad pads the column's name, so that it stays above its values).
var headerFuncs = template.FuncMap{
	"json":     func(v string) string { return v },
	"join":     func(v, _ string) string { return v },
	"split":    func(v, _ string) string { return v },
	"lower":    func(v string) string { return v },
	"upper":    func(v string) string { return v },
	"title":    func(v string) string { return v },
	"truncate": func(v string, _ int) string { return v },
}

// marshalJSON is json.Marshal without the escaping of <, > and &, as
// docker writes JSON.
func marshalJSON(v any) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return bytes.TrimSuffix(buf.Bytes(), []byte("\n")), nil
}

// title is docker's (strings.Title's): the first letter of each word in
// upper case, a word beginning after anything but a letter, digit, _ or
// '.
func title(s string) string {
	prev := ' '
	return strings.Map(func(r rune) rune {
		sep := !(unicode.IsLetter(prev) || unicode.IsDigit(prev) || prev == '_' || prev == '\'')
		prev = r
		if sep {
			return unicode.ToTitle(r)
		}
		return r
	}, s)
}

// pad surrounds a non-empty s with spaces.
func pad(s string, before, after int) string {
	if s == "" {
		return s
	}
	return strings.Repeat(" ", before) + s + strings.Repeat(" ", after)
}

// truncate keeps the first n characters of s (docker counts bytes; a
// character is never cut in two here).
func truncate(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	return string([]rune(s)[:max(n, 0)])
}

// parseTemplate parses a template with docker's functions, named name
// (docker's errors say "template: NAME:1: ...").
func parseTemplate(name, format string) (*template.Template, error) {
	tmpl, err := template.New(name).Funcs(formatFuncs).Parse(format)
	if err != nil {
		return nil, fmt.Errorf("template parsing error: %v", err)
	}
	return tmpl, nil
}

// formatError is a template that does not parse, with the exit code of
// docker's commands that take templates without listing (inspect, info,
// version).
func formatError(err error) error { return &statusError{code: 64, err: err} }

// writeTemplate writes the template format run on v, then a newline, as
// docker info and version --format do; "json" is {{json .}}.
func writeTemplate(w io.Writer, name, format string, v any) error {
	if format == "json" {
		format = "{{json .}}"
	}
	tmpl, err := parseTemplate(name, format)
	if err != nil {
		return formatError(err)
	}
	var buf bytes.Buffer
	err = tmpl.Execute(&buf, v)
	buf.WriteByte('\n')
	if _, werr := w.Write(buf.Bytes()); werr != nil {
		return werr
	}
	return err
}

// inspector writes objects as docker inspect does: with no format an
// indented JSON array ("[]" for none); with --format json the array on
// one line; with a template, the template run on each object, one per
// line. The template runs on the object's Go type first and, where that
// fails (a field named as in the JSON, {{.Id}}, or a map index by string,
// {{index .NetworkSettings.Ports "80/tcp"}}), on its JSON decoded, where
// a missing key is an error: docker's fallback.
type inspector struct {
	w        io.Writer
	typed    *template.Template // nil without a template
	raw      *template.Template // typed, with missingkey=error
	jsonLine bool               // --format json
	elems    [][]byte           // the objects' JSON, without a template
	buf      bytes.Buffer       // the templates' output
}

// newInspector parses format; a template that does not parse is docker's
// error, exit 64.
func newInspector(w io.Writer, format string) (*inspector, error) {
	in := &inspector{w: w, jsonLine: format == "json"}
	if format == "" || format == "json" {
		return in, nil
	}
	var err error
	if in.typed, err = parseTemplate("", format); err != nil {
		return nil, formatError(err)
	}
	in.raw, _ = parseTemplate("", format)
	in.raw.Option("missingkey=error")
	return in, nil
}

// add writes obj (or keeps it for the array); a template that fails on
// it gives docker's error, and nothing of it is written.
func (in *inspector) add(obj any) error {
	data, err := marshalJSON(obj)
	if err != nil {
		return err
	}
	if in.typed == nil {
		in.elems = append(in.elems, data)
		return nil
	}
	var out bytes.Buffer
	if err := in.typed.Execute(&out, obj); err != nil {
		out.Reset()
		var v any
		dec := json.NewDecoder(bytes.NewReader(data))
		dec.UseNumber()
		if err := dec.Decode(&v); err != nil {
			return fmt.Errorf("unable to read inspect data: %v", err)
		}
		if err := in.raw.Execute(&out, v); err != nil {
			return fmt.Errorf("template parsing error: %v", err)
		}
	}
	in.buf.Write(out.Bytes())
	in.buf.WriteByte('\n')
	return nil
}

// flush writes what add kept: the array, or the templates' lines (an
// empty line when none succeeded, as docker writes).
func (in *inspector) flush() error {
	out := &in.buf
	switch {
	case in.typed != nil:
		if out.Len() == 0 {
			out.WriteByte('\n')
		}
	case len(in.elems) == 0 && !in.jsonLine:
		out.WriteString("[]\n")
	default:
		array := append(append([]byte("["), bytes.Join(in.elems, []byte(","))...), ']')
		if in.jsonLine {
			out.Write(array)
		} else if err := json.Indent(out, array, "", "    "); err != nil {
			return err
		}
		out.WriteByte('\n')
	}
	_, err := in.w.Write(out.Bytes())
	return err
}

// inspectAll is the body of the inspect commands: find is run for each
// name, what it finds is written with format, and each failure reported
// after, on stderr; it fails with exit 1 if any did.
func (c *cli) inspectAll(format string, names []string, find func(name string) (any, error)) error {
	in, err := newInspector(c.stdout, format)
	if err != nil {
		return err
	}
	var errs []error
	for _, name := range names {
		obj, err := find(name)
		if err == nil {
			err = in.add(obj)
		}
		if err != nil {
			errs = append(errs, err)
		}
	}
	if err := in.flush(); err != nil {
		return err
	}
	for _, err := range errs {
		fmt.Fprintf(c.stderr, "dock: %v\n", err)
	}
	if len(errs) > 0 {
		return exitCode(1)
	}
	return nil
}

// listFormatUsage is the help of the list commands' --format.
const listFormatUsage = "Format output using a custom template:\n" +
	"'table':            Print output in table format with column headers (default)\n" +
	"'table TEMPLATE':   Print output in table format using the given Go template\n" +
	"'json':             Print in JSON format\n" +
	"'TEMPLATE':         Print output using the given Go template"

// labelList is a row's Labels: "k=v" pairs, comma-separated, sorted.
func labelList(labels map[string]string) string {
	var kv []string
	for k, v := range labels {
		kv = append(kv, k+"="+v)
	}
	slices.Sort(kv)
	return strings.Join(kv, ",")
}

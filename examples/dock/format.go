package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"text/template"
	"unicode"
)

// The --format of inspect commands: a Go template run on each object as
// its JSON reads (docker runs it on its Go types, and falls back to the
// JSON when a field is not found there, which is what scripts see): a
// field is .Key, a map's element .Key or index, numbers print as written.

// formatFuncs are the functions of docker's templates that dock has.
var formatFuncs = template.FuncMap{
	"json": func(v any) (string, error) {
		b, err := json.Marshal(v)
		return string(b), err
	},
	"join":  strings.Join,
	"split": strings.Split,
	"lower": strings.ToLower,
	"upper": strings.ToUpper,
	"title": func(s string) string {
		prev := ' '
		return strings.Map(func(r rune) rune {
			if unicode.IsSpace(prev) {
				r = unicode.ToTitle(r)
			}
			prev = r
			return r
		}, s)
	},
	"println": fmt.Sprintln,
	"pad": func(s string, before, after int) string {
		return strings.Repeat(" ", before) + s + strings.Repeat(" ", after)
	},
	"truncate": func(s string, n int) string {
		if r := []rune(s); len(r) > n {
			return string(r[:n])
		}
		return s
	},
}

// parseFormat parses a --format template; the error is docker's.
func parseFormat(format string) (*template.Template, error) {
	tmpl, err := template.New("").Funcs(formatFuncs).Parse(format)
	if err != nil {
		return nil, fmt.Errorf("template parsing error: %v", err)
	}
	return tmpl, nil
}

// writeFormatted writes tmpl run on each of objs, a line each.
func writeFormatted(w io.Writer, tmpl *template.Template, objs []any) error {
	for _, obj := range objs {
		data, err := json.Marshal(obj)
		if err != nil {
			return err
		}
		var v any
		dec := json.NewDecoder(bytes.NewReader(data))
		dec.UseNumber()
		if err := dec.Decode(&v); err != nil {
			return err
		}
		var buf bytes.Buffer
		if err := tmpl.Execute(&buf, v); err != nil {
			return fmt.Errorf("template: %v", err)
		}
		buf.WriteByte('\n')
		if _, err := w.Write(buf.Bytes()); err != nil {
			return err
		}
	}
	return nil
}

// writeInspect writes objs as docker inspect does: an indented JSON
// array, or with a format one line per object.
func writeInspect(w io.Writer, tmpl *template.Template, objs []any) error {
	if tmpl != nil {
		return writeFormatted(w, tmpl, objs)
	}
	if objs == nil {
		objs = []any{}
	}
	data, err := json.MarshalIndent(objs, "", "    ")
	if err != nil {
		return err
	}
	_, err = fmt.Fprintf(w, "%s\n", data)
	return err
}

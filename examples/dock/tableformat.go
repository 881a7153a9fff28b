package main

import (
	"bytes"
	"fmt"
	"io"
	"regexp"
	"strings"
	"text/tabwriter"
	"text/template"
)

// listFormat is the --format of a list command (ps, images, history,
// stats, system df, volume ls, network ls), as docker's formatter
// (cli/command/formatter) reads it:
//
//   - "" or "table": the command's default table;
//   - "json": each row as a JSON object on a line ({{json .}});
//   - "table TEMPLATE": a header row (the same template run on the
//     command's column names, with headerFuncs), then TEMPLATE on each
//     row, the columns aligned at the tabs; the header comes even when
//     there is no row;
//   - anything else: the template on each row, a line each.
//
// In the format, the two characters \t and \n stand for a tab and a
// newline, and the format is trimmed of spaces. A row is docker's row
// type: methods or fields named as docker's formatter's (.ID, .Names),
// with a MarshalJSON for {{json .}} (see marshalRow) or string fields
// declared in alphabetical order; the header is a value with the same
// names giving the columns' names (a listHeader map will do).
//
// Errors, as docker's: a template that does not parse, or that fails on
// a row, is "template parsing error: ..." and nothing is written; a
// header that fails part way is written up to there (what it cannot
// name stays empty).
//
// A list command with -q and no --format uses its quiet template; with
// both, --format wins, as in docker.
type listFormat struct {
	table bool
	tmpl  *template.Template
	head  *template.Template // table only
}

// parseListFormat parses format, def being the command's default table
// ("table {{.Driver}}\t{{.Name}}").
func parseListFormat(format, def string) (*listFormat, error) {
	switch format {
	case "", "table":
		format = def
	case "json":
		format = "{{json .}}"
	}
	f := &listFormat{}
	if rest, ok := strings.CutPrefix(format, "table"); ok {
		f.table, format = true, rest
	}
	format = strings.NewReplacer(`\t`, "\t", `\n`, "\n").Replace(strings.Trim(format, " "))
	var err error
	if f.tmpl, err = parseTemplate("", format); err != nil {
		return nil, err
	}
	if f.table {
		f.head = template.Must(f.tmpl.Clone()).Funcs(headerFuncs)
	}
	return f, nil
}

// uses reports whether the format refers to the field or method name
// (.Size), which the command computes only when asked.
func (f *listFormat) uses(name string) bool {
	return regexp.MustCompile(`\.` + name + `\b`).MatchString(f.tmpl.Root.String())
}

// listHeader maps a row's fields to their column names.
type listHeader map[string]string

// Label is the column name of {{.Label "com.example.some-key"}}: the
// key's last dot-separated part, with - and _ as spaces ("some key").
func (h listHeader) Label(name string) string {
	parts := strings.Split(name, ".")
	return strings.NewReplacer("-", " ", "_", " ").Replace(parts[len(parts)-1])
}

// marshalRow is a row's MarshalJSON: its fields, as docker writes JSON.
func marshalRow(fields map[string]string) ([]byte, error) { return marshalJSON(fields) }

// write writes rows with the format; header names the columns of a table.
func (f *listFormat) write(w io.Writer, header any, rows []any) error {
	var buf bytes.Buffer
	for _, row := range rows {
		if err := f.tmpl.Execute(&buf, row); err != nil {
			return fmt.Errorf("template parsing error: %v", err)
		}
		buf.WriteByte('\n')
	}
	if !f.table {
		_, err := w.Write(buf.Bytes())
		return err
	}
	tw := tabwriter.NewWriter(w, 10, 1, 3, ' ', 0)
	var head bytes.Buffer
	_ = f.head.Execute(&head, header) // as docker: a header stops where it fails
	head.WriteByte('\n')
	tw.Write(head.Bytes())
	tw.Write(buf.Bytes())
	return tw.Flush()
}

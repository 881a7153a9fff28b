package main

import (
	"bytes"
	"fmt"
	"io"
	"maps"
	"regexp"
	"strings"
	"text/tabwriter"
	"text/template"
)

// The --format of list commands (ps, images), as docker's formatter
// reads it:
//
//   - "table" is the command's default columns; "table TEMPLATE" writes a
//     header row (the columns' names, from the same template run on the
//     command's header) then a row per object, aligned in columns at the
//     tabs;
//   - "json" writes each object as a line of JSON;
//   - any other TEMPLATE writes a line per object.
//
// As in docker, the two characters \t and \n in a format are a tab and a
// newline, and the template runs on docker's row type (methods .ID,
// .Names...), not on JSON.

// rowFormat is a parsed --format of a list command.
type rowFormat struct {
	table  bool
	row    *template.Template
	header *template.Template // table only
}

// parseRowFormat parses format; "" is the default table, defaultTable.
func parseRowFormat(format, defaultTable string) (*rowFormat, error) {
	switch {
	case format == "" || format == "table":
		format = defaultTable
	case format == "json":
		format = "{{json .}}"
	}
	f := &rowFormat{}
	if rest, ok := strings.CutPrefix(format, "table"); ok {
		f.table, format = true, rest
	}
	format = strings.NewReplacer(`\t`, "\t", `\n`, "\n").Replace(strings.Trim(format, " "))
	var err error
	if f.row, err = parseTemplate("", format); err != nil {
		return nil, err
	}
	if f.table {
		// In the header, each function passes its first argument (a
		// column's name) through, as docker's header functions do.
		funcs := template.FuncMap{}
		for name := range maps.Keys(formatFuncs) {
			funcs[name] = func(args ...any) string {
				if len(args) == 0 {
					return ""
				}
				return fmt.Sprint(args[0])
			}
		}
		if f.header, err = template.New("").Funcs(funcs).Parse(format); err != nil {
			return nil, fmt.Errorf("template parsing error: %v", err)
		}
	}
	return f, nil
}

// uses reports whether the format refers to the field or method name
// (.Size), which the command computes only when asked.
func (f *rowFormat) uses(name string) bool {
	return regexp.MustCompile(`\.` + name + `\b`).MatchString(f.row.Root.String())
}

// marshalRow is a row's MarshalJSON: its fields, as docker writes JSON.
func marshalRow(fields map[string]string) ([]byte, error) { return marshalJSON(fields) }

// write writes rows with the format, and with a table's header (from
// header, the command's column names) first, even when there is no row.
func (f *rowFormat) write(w io.Writer, header any, rows []any) error {
	var buf bytes.Buffer
	for _, r := range rows {
		if err := f.row.Execute(&buf, r); err != nil {
			return fmt.Errorf("template: %v", err)
		}
		buf.WriteByte('\n')
	}
	if !f.table {
		_, err := w.Write(buf.Bytes())
		return err
	}
	tw := tabwriter.NewWriter(w, 10, 1, 3, ' ', 0)
	// As docker, a header that fails part way stops there.
	_ = f.header.Execute(tw, header)
	tw.Write([]byte("\n"))
	tw.Write(buf.Bytes())
	return tw.Flush()
}

package main

import (
	"bytes"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

type testRow struct{ name, note string }

func (r testRow) Name() string        { return r.name }
func (r testRow) Note() string        { return r.note }
func (r testRow) Get(k string) string { return k + "=" + r.name }
func (r testRow) MarshalJSON() ([]byte, error) {
	return marshalRow(map[string]string{"Name": r.name, "Note": r.note})
}

type testHeader struct{}

func (testHeader) Name() string      { return "NAME" }
func (testHeader) Note() string      { return "NOTE" }
func (testHeader) Get(string) string { return "GET" }

func TestRowFormat(t *testing.T) {
	rows := []any{testRow{"a", "<x>"}, testRow{"bbbbbbbbbbbbbb", "y"}}
	for _, tc := range []struct {
		format string
		rows   []any
		want   string
	}{
		{"", rows, "NAME             NOTE\na                <x>\nbbbbbbbbbbbbbb   y\n"}, // the default
		{"table", rows, "NAME             NOTE\na                <x>\nbbbbbbbbbbbbbb   y\n"},
		{"table", nil, "NAME      NOTE\n"}, // the header alone
		{`{{.Name}}\t{{.Note}}`, rows, "a\t<x>\nbbbbbbbbbbbbbb\ty\n"},
		{`{{.Name}}\n`, rows[:1], "a\n\n"},
		{`table {{upper .Name}}\t{{.Get "k"}}`, rows[:1], "NAME      GET\nA         k=a\n"},
		{`table {{json .Note}}`, rows[:1], "NOTE\n\"<x>\"\n"},
		{"json", rows, `{"Name":"a","Note":"<x>"}` + "\n" + `{"Name":"bbbbbbbbbbbbbb","Note":"y"}` + "\n"},
		{"  {{.Name}}  ", rows[:1], "a\n"}, // trimmed, as docker
		// Docker's header functions: pad pads the column's name too, so
		// that it stays above its values; json leaves it as it is.
		{`table {{pad .Name 2 0}}|{{json .Note}}`, rows[:1], "  NAME|NOTE\n  a|\"<x>\"\n"},
		// A header function given what is not a column's name stops the
		// header there, as docker's (typed) ones do.
		{`table {{.Name}}|{{json .}}|{{.Note}}`, rows[:1], "NAME|\na|{\"Name\":\"a\",\"Note\":\"<x>\"}|<x>\n"},
	} {
		lf, err := parseListFormat(tc.format, `table {{.Name}}\t{{.Note}}`)
		require.NoError(t, err, "parseListFormat(%q)", tc.format)
		var b bytes.Buffer
		require.NoError(t, lf.write(&b, testHeader{}, tc.rows), "format %q", tc.format)
		assert.Equal(t, tc.want, b.String(), "format %q", tc.format)
	}
	_, err := parseListFormat("{{.Name", "table")
	assert.EqualError(t, err, "template parsing error: template: :1: unclosed action")
	lf, err := parseListFormat("{{.Nope}}", "table")
	require.NoError(t, err)
	var out bytes.Buffer
	err = lf.write(&out, testHeader{}, rows)
	require.Error(t, err)
	// docker's wording for a template that fails as it runs, and nothing
	// written.
	assert.True(t, strings.HasPrefix(err.Error(), `template parsing error: template: :1:2: executing "" at <.Nope>: can't evaluate field Nope in type main.testRow`), err.Error())
	assert.Empty(t, out.String())
	assert.True(t, lf.uses("Nope"))
	assert.False(t, lf.uses("Nop"))
	assert.False(t, lf.uses("Name"))
}

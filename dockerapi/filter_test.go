package dockerapi

import (
	"encoding/json"
	"errors"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/go-dock/dock"
)

// filtersOf is a shorthand: filtersOf("status", "running", "label", "a")
// adds each pair.
func filtersOf(kv ...string) Filters {
	var f Filters
	for i := 0; i+1 < len(kv); i += 2 {
		f.Add(kv[i], kv[i+1])
	}
	return f
}

// asMap is f as a map of sorted values, for comparisons.
func asMap(f Filters) map[string][]string {
	m := map[string][]string{}
	for _, k := range f.Keys() {
		m[k] = f.Get(k)
	}
	return m
}

func TestFiltersSet(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want map[string][]string
		err  string
	}{
		{args: []string{"status=running"}, want: map[string][]string{"status": {"running"}}},
		{args: []string{"status=running", "status=exited", "status=running"}, want: map[string][]string{"status": {"exited", "running"}}},
		{args: []string{" Label = com.x=1 "}, want: map[string][]string{"label": {"com.x=1"}}},
		{args: []string{"label!=a"}, want: map[string][]string{"label!": {"a"}}},
		{args: []string{"name="}, want: map[string][]string{"name": {""}}},
		{args: []string{""}, want: map[string][]string{}},
		{args: []string{"dangling"}, err: "bad format of filter (expected name=value)"},
	} {
		var f Filters
		var err error
		for _, a := range tc.args {
			if err = f.Set(a); err != nil {
				break
			}
		}
		if tc.err != "" {
			assert.EqualError(t, err, tc.err, "Set(%q)", tc.args)
			assert.ErrorIs(t, err, dock.ErrInvalid)
			continue
		}
		require.NoError(t, err, "Set(%q)", tc.args)
		assert.Equal(t, tc.want, asMap(f), "Set(%q)", tc.args)
	}
}

func TestParseFilters(t *testing.T) {
	for _, tc := range []struct {
		param string
		want  map[string][]string
		err   bool
	}{
		{param: "", want: map[string][]string{}},
		{param: "{}", want: map[string][]string{}},
		{param: "null", want: map[string][]string{}},
		// The documented form, and the CLI's.
		{param: `{"status":["running","paused"],"label":["a=b"]}`, want: map[string][]string{"status": {"paused", "running"}, "label": {"a=b"}}},
		{param: `{"status":{"running":true,"paused":true}}`, want: map[string][]string{"status": {"paused", "running"}}},
		// A value set to false counts, as in Docker.
		{param: `{"status":{"exited":false}}`, want: map[string][]string{"status": {"exited"}}},
		// A key with no value is kept (and validated).
		{param: `{"bogus":[]}`, want: map[string][]string{"bogus": {}}},
		{param: `{"bogus":{}}`, want: map[string][]string{"bogus": {}}},
		{param: `[]`, err: true},
		{param: `{"status":"running"}`, err: true},
		{param: `{"status":{"running":"yes"}}`, err: true},
		{param: `{"status":[1]}`, err: true},
		{param: `{`, err: true},
	} {
		f, err := ParseFilters(tc.param)
		if tc.err {
			assert.EqualError(t, err, "invalid filter", "ParseFilters(%q)", tc.param)
			assert.ErrorIs(t, err, dock.ErrInvalid)
			continue
		}
		require.NoError(t, err, "ParseFilters(%q)", tc.param)
		assert.Equal(t, tc.want, asMap(f), "ParseFilters(%q)", tc.param)
	}
}

func TestFiltersJSON(t *testing.T) {
	f := filtersOf("status", "running", "label", "a=b", "label", "c")
	b, err := json.Marshal(f)
	require.NoError(t, err)
	assert.JSONEq(t, `{"label":{"a=b":true,"c":true},"status":{"running":true}}`, string(b), "the CLI's form")
	assert.JSONEq(t, string(b), f.String())
	var zero Filters
	assert.Equal(t, "{}", zero.String())
	var back Filters
	require.NoError(t, json.Unmarshal(b, &back))
	assert.Equal(t, asMap(f), asMap(back))
	assert.True(t, back.Contains("label"))
	assert.False(t, back.Contains("name"))
	assert.Equal(t, 2, back.Len())
	assert.Equal(t, []string{"label", "status"}, back.Keys())
}

func TestFiltersValidate(t *testing.T) {
	err := filtersOf("status", "running", "colour", "red").validate("status", "name")
	assert.EqualError(t, err, "invalid filter 'colour'")
	assert.ErrorIs(t, err, dock.ErrInvalid)
	var fe *FilterError
	require.True(t, errors.As(err, &fe))
	assert.Equal(t, "colour", fe.Key)
	assert.NoError(t, filtersOf("status", "running").validate("status", "name"))
	assert.NoError(t, Filters{}.validate())
	assert.EqualError(t, filterValueError("status", "bogus"), "invalid filter 'status=bogus'")
}

func TestFiltersMatch(t *testing.T) {
	for _, tc := range []struct {
		f    Filters
		s    string
		want bool
	}{
		{Filters{}, "anything", true},
		{filtersOf("name", "web"), "web", true},
		{filtersOf("name", "web"), "myweb1", true}, // a regular expression, unanchored
		{filtersOf("name", "^web$"), "myweb", false},
		{filtersOf("name", "^web$"), "web", true},
		{filtersOf("name", "db", "name", "web"), "web", true},
		{filtersOf("name", "db"), "web", false},
		{filtersOf("name", "a("), "a(", true}, // exact, though no regexp
		{filtersOf("name", "a("), "xa(", false},
	} {
		assert.Equal(t, tc.want, tc.f.match("name", tc.s), "%v.match(name, %q)", tc.f, tc.s)
	}
	assert.True(t, filtersOf("status", "running").exactMatch("status", "running"))
	assert.False(t, filtersOf("status", "run").exactMatch("status", "running"))
	assert.True(t, Filters{}.exactMatch("status", "running"))
}

func TestFiltersMatchLabels(t *testing.T) {
	labels := map[string]string{"app": "web", "tier": "front", "empty": ""}
	for _, tc := range []struct {
		f    Filters
		want bool
	}{
		{Filters{}, true},
		{filtersOf("label", "app"), true},
		{filtersOf("label", "app=web"), true},
		{filtersOf("label", "app=db"), false},
		{filtersOf("label", "app", "label", "tier=front"), true}, // every one
		{filtersOf("label", "app", "label", "nope"), false},
		{filtersOf("label", "empty="), true},
		{filtersOf("label", "app=web=x"), false},
		{filtersOf("label!", "app"), false},
		{filtersOf("label!", "app=db"), true},
		{filtersOf("label!", "nope"), true},
		// Excluded only when every label! value matches, as docker's
		// prune filters.
		{filtersOf("label!", "app", "label!", "nope"), true},
		{filtersOf("label", "tier", "label!", "app=web"), false},
	} {
		assert.Equal(t, tc.want, tc.f.matchLabels(labels), "%v.matchLabels", tc.f)
	}
	assert.False(t, filtersOf("label", "a").matchLabels(nil))
	assert.True(t, filtersOf("label!", "a").matchLabels(nil))
}

// FuzzParseFilters: the API's parser never panics, and what it accepts
// survives a round trip through the CLI's form.
func FuzzParseFilters(f *testing.F) {
	for _, s := range []string{"", "{}", "null", `{"status":["running"]}`, `{"label":{"a=b":true}}`,
		`{"a":{"b":false}}`, `{"a":[]}`, `[1]`, `{"a":"b"}`, `{"\u0000":["\ud800"]}`} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, param string) {
		got, err := ParseFilters(param)
		if err != nil {
			assert.ErrorIs(t, err, dock.ErrInvalid)
			return
		}
		b, err := json.Marshal(got)
		require.NoError(t, err)
		back, err := ParseFilters(string(b))
		require.NoError(t, err, "ParseFilters(%s), from %q", b, param)
		assert.Equal(t, asMap(got), asMap(back))
	})
}

// FuzzFiltersSet: the CLI's parser never panics; what it accepts has a
// lower-case, trimmed key.
func FuzzFiltersSet(f *testing.F) {
	for _, s := range []string{"status=running", " Label = a=b ", "x", "", "=", "K=\x00"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, arg string) {
		var fs Filters
		if err := fs.Set(arg); err != nil {
			assert.ErrorIs(t, err, dock.ErrInvalid)
			return
		}
		for _, k := range fs.Keys() {
			for _, r := range k {
				assert.False(t, r >= 'A' && r <= 'Z', "key %q", k)
			}
		}
	})
}

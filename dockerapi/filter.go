package dockerapi

import (
	"encoding/json"
	"regexp"
	"slices"
	"strings"

	"github.com/go-dock/dock"
)

// Filters are the filters of Docker's list commands and endpoints: for
// each key ("status", "label", "reference"...) the set of values given.
// Values of one key widen the list (any may match), except label's,
// which must all match; different keys narrow it.
//
// The CLI adds them from its --filter flags with Set; the Engine API
// parses its filters query parameter with ParseFilters. The zero value
// holds no filter and is ready to use. A Filters value is not safe for
// use by several goroutines while one of them adds to it.
type Filters struct {
	fields map[string]map[string]bool
}

// Add adds value to the set of key, as given (no trimming).
func (f *Filters) Add(key, value string) {
	if f.fields == nil {
		f.fields = map[string]map[string]bool{}
	}
	if f.fields[key] == nil {
		f.fields[key] = map[string]bool{}
	}
	f.fields[key][value] = true
}

// Set parses the argument of a --filter flag, "key=value", as the docker
// CLI does: the key is trimmed and lower-cased, the value trimmed (it may
// hold more "="); an empty argument adds nothing. An argument without "="
// is an error with the CLI's words.
func (f *Filters) Set(arg string) error {
	if arg == "" {
		return nil
	}
	key, value, ok := strings.Cut(arg, "=")
	if !ok {
		return &FilterError{Msg: "bad format of filter (expected name=value)"}
	}
	f.Add(strings.ToLower(strings.TrimSpace(key)), strings.TrimSpace(value))
	return nil
}

// ParseFilters parses the filters query parameter of the Engine API's list
// endpoints: a JSON object mapping each key to its values, either as a
// list ({"status":["running"]}, the form the API documents) or as a set
// ({"status":{"running":true}}, the form the docker CLI sends). A value
// mapped to false counts as given, as in Docker. An empty parameter is no
// filter. Anything else is a *FilterError.
func ParseFilters(param string) (Filters, error) {
	var f Filters
	if param == "" {
		return f, nil
	}
	if err := f.UnmarshalJSON([]byte(param)); err != nil {
		return Filters{}, err
	}
	return f, nil
}

// UnmarshalJSON reads either JSON form that ParseFilters takes.
func (f *Filters) UnmarshalJSON(data []byte) error {
	var sets map[string]map[string]bool
	if err := json.Unmarshal(data, &sets); err == nil {
		f.fields = nil
		for k, vs := range sets {
			for v := range vs {
				f.Add(k, v)
			}
			f.touch(k)
		}
		return nil
	}
	var lists map[string][]string
	if err := json.Unmarshal(data, &lists); err != nil {
		return &FilterError{}
	}
	f.fields = nil
	for k, vs := range lists {
		for _, v := range vs {
			f.Add(k, v)
		}
		f.touch(k)
	}
	return nil
}

// touch records key with no value yet: a key given with no value is
// still validated, as Docker does.
func (f *Filters) touch(key string) {
	if f.fields == nil {
		f.fields = map[string]map[string]bool{}
	}
	if f.fields[key] == nil {
		f.fields[key] = map[string]bool{}
	}
}

// MarshalJSON writes f in the form the docker CLI sends,
// {"key":{"value":true}}, which every API version reads.
func (f Filters) MarshalJSON() ([]byte, error) {
	if len(f.fields) == 0 {
		return []byte("{}"), nil
	}
	return json.Marshal(f.fields)
}

// Len returns the number of keys.
func (f Filters) Len() int { return len(f.fields) }

// Keys returns the keys, sorted.
func (f Filters) Keys() []string {
	keys := make([]string, 0, len(f.fields))
	for k := range f.fields {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

// Contains reports whether key was given, with values or not.
func (f Filters) Contains(key string) bool {
	_, ok := f.fields[key]
	return ok
}

// Get returns the values of key, sorted.
func (f Filters) Get(key string) []string {
	values := make([]string, 0, len(f.fields[key]))
	for v := range f.fields[key] {
		values = append(values, v)
	}
	slices.Sort(values)
	return values
}

// String returns f as MarshalJSON writes it.
func (f Filters) String() string {
	b, _ := f.MarshalJSON()
	return string(b)
}

// validate refuses the keys that accepted lacks, with Docker's error.
func (f Filters) validate(accepted ...string) error {
	for _, k := range f.Keys() {
		if !slices.Contains(accepted, k) {
			return &FilterError{Key: k}
		}
	}
	return nil
}

// exactMatch reports whether s is one of key's values; true when key has
// none.
func (f Filters) exactMatch(key, s string) bool {
	vs := f.fields[key]
	return len(vs) == 0 || vs[s]
}

// match is Docker's Match: s is one of key's values, or one of them, as
// a regular expression, matches somewhere in s (values that do not
// compile are skipped). True when key has no value.
func (f Filters) match(key, s string) bool {
	if f.exactMatch(key, s) {
		return true
	}
	for v := range f.fields[key] {
		re, err := regexp.Compile(v)
		if err == nil && re.MatchString(s) {
			return true
		}
	}
	return false
}

// matchLabels is Docker's test of "label" and "label!": labels has each
// of label's values ("key", or "key=value"), and not every one of
// label!'s.
func (f Filters) matchLabels(labels map[string]string) bool {
	return f.matchKV("label", labels) && (len(f.fields["label!"]) == 0 || !f.matchKV("label!", labels))
}

// matchKV is Docker's MatchKVList: labels has every value of key, a
// "key" (any value) or "key=value"; true when key has no value.
func (f Filters) matchKV(key string, labels map[string]string) bool {
	for want := range f.fields[key] {
		k, v, withValue := strings.Cut(want, "=")
		got, ok := labels[k]
		if !ok || withValue && got != v {
			return false
		}
	}
	return true
}

// FilterError is a filter Docker refuses: an unknown key, a value the key
// does not take, a --filter argument without "=", or a filters parameter
// that is not JSON. Its message is Docker's ("invalid filter 'x'",
// "invalid filter 'status=bogus'"). It wraps dock.ErrInvalid (and Err,
// when set), so that the Engine API answers 400.
type FilterError struct {
	// Key and Value are the filter refused; both empty for a parameter
	// that is not JSON.
	Key, Value string
	// Msg replaces the message built from Key and Value when set.
	Msg string
	// Err is the cause, when there is one (a malformed reference).
	Err error
}

func (e *FilterError) Error() string {
	switch {
	case e.Msg != "":
		return e.Msg
	case e.Key == "":
		return "invalid filter"
	case e.Value == "":
		return "invalid filter '" + e.Key + "'"
	}
	return "invalid filter '" + e.Key + "=" + e.Value + "'"
}

func (e *FilterError) Unwrap() []error {
	if e.Err != nil {
		return []error{dock.ErrInvalid, e.Err}
	}
	return []error{dock.ErrInvalid}
}

// filterValueError is the error for a value that key does not take.
func filterValueError(key, value string) error {
	return &FilterError{Key: key, Value: value, Msg: "invalid filter '" + key + "=" + value + "'"}
}

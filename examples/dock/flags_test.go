package main

import (
	"errors"
	"reflect"
	"testing"
)

// TestParseArgs pins docker's wording for each wrong number of arguments,
// and that a right number passes the arguments through.
func TestParseArgs(t *testing.T) {
	tests := []struct {
		cmd      string
		args     []string
		min, max int
		want     string // the usage error; "" for none
	}{
		{"cp", []string{"a"}, 2, 2, `"dock cp" requires exactly 2 arguments.`},
		{"diff", []string{"a", "b"}, 1, 1, `"dock diff" requires exactly 1 argument.`},
		{"rm", nil, 1, noMax, `"dock rm" requires at least 1 argument.`},
		{"exec", []string{"c"}, 2, noMax, `"dock exec" requires at least 2 arguments.`},
		{"port", []string{"a", "b", "c"}, 1, 2, `"dock port" accepts at most 2 arguments.`},
		{"images", []string{"a", "b"}, 0, 1, `"dock images" accepts at most 1 argument.`},
		{"volume ls", []string{"x"}, 0, 0, `"dock volume ls" accepts no arguments.`},
		{"ps", nil, 0, 0, ""},
		{"port", []string{"a", "b"}, 1, 2, ""},
		{"rm", []string{"a", "b", "c"}, 1, noMax, ""},
	}
	for _, tt := range tests {
		t.Run(tt.want, func(t *testing.T) {
			got, err := newFlagSet(tt.cmd, true).ParseArgs(tt.args, tt.min, tt.max)
			if tt.want == "" {
				if err != nil || !reflect.DeepEqual(got, tt.args) {
					t.Errorf("ParseArgs(%q, %d, %d) = %q, %v, want the arguments", tt.args, tt.min, tt.max, got, err)
				}
				return
			}
			var ue *usageError
			if !errors.As(err, &ue) || ue.msg != tt.want || ue.cmd != tt.cmd || ue.code != 1 || !ue.showUsage {
				t.Errorf("ParseArgs(%q, %d, %d) = %#v, want usage error %q, exit 1, usage shown", tt.args, tt.min, tt.max, err, tt.want)
			}
		})
	}
	// A flag error comes first, with its own exit code.
	var ue *usageError
	if _, err := newFlagSet("ps", true).ParseArgs([]string{"--nosuch", "x"}, 0, 0); !errors.As(err, &ue) || ue.code != flagErrorCode {
		t.Errorf("ParseArgs(--nosuch x) = %v, want the flag error", err)
	}
}

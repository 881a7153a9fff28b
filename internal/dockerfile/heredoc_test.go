package dockerfile

import (
	"strings"
	"testing"
)

func TestHeredocMarker(t *testing.T) {
	tests := []struct {
		word, name string
		ok         bool
	}{
		{"<<EOF", "EOF", true},
		{"<<-EOF", "EOF", true},
		{"<<'EOF'", "EOF", true},
		{`<<"a.txt"`, "a.txt", true},
		{"<<EOF>x", "", false},
		{`<<"EOF'`, "", false},
		{"<<", "", false},
		{"EOF", "", false},
		{"/dest", "", false},
	}
	for _, tt := range tests {
		name, ok := HeredocMarker(tt.word)
		if name != tt.name || ok != tt.ok {
			t.Errorf("HeredocMarker(%q) = %q, %v, want %q, %v", tt.word, name, ok, tt.name, tt.ok)
		}
	}
}

func TestExpandHeredoc(t *testing.T) {
	tests := []struct{ in, want, err string }{
		{in: "hello $name\n", want: "hello world\n"},
		{in: "'$name' \"${name}\"\n", want: "'world' \"world\"\n"},
		{in: "it's\n", want: "it's\n"},
		{in: `\$name costs $$`, want: "$name costs $$"},
		{in: "${unset:-it's}", want: "it's"},
		{in: "${name", err: "missing '}'"},
	}
	for _, tt := range tests {
		got, err := ExpandHeredoc(tt.in, testLookup)
		switch {
		case tt.err != "" && (err == nil || !strings.Contains(err.Error(), tt.err)):
			t.Errorf("ExpandHeredoc(%q) error = %v, want %q", tt.in, err, tt.err)
		case tt.err == "" && (err != nil || got != tt.want):
			t.Errorf("ExpandHeredoc(%q) = %q, %v, want %q", tt.in, got, err, tt.want)
		}
	}
}

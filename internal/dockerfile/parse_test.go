package dockerfile

import (
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite testdata/parse/*.golden")

func marshal(t testing.TB, df *Dockerfile) []byte {
	t.Helper()
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(df); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func TestParseGolden(t *testing.T) {
	files, err := filepath.Glob("testdata/parse/*.Dockerfile")
	if err != nil {
		t.Fatal(err)
	}
	if len(files) < 15 {
		t.Fatalf("found %d Dockerfiles in testdata/parse, want at least 15", len(files))
	}
	for _, file := range files {
		name := strings.TrimSuffix(filepath.Base(file), ".Dockerfile")
		t.Run(name, func(t *testing.T) {
			src, err := os.ReadFile(file)
			if err != nil {
				t.Fatal(err)
			}
			df, err := Parse(bytes.NewReader(src))
			if err != nil {
				t.Fatalf("Parse(%s) = %v", file, err)
			}
			got := marshal(t, df)
			golden := strings.TrimSuffix(file, ".Dockerfile") + ".golden"
			if *update {
				if err := os.WriteFile(golden, got, 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatalf("%v (run go test -update)", err)
			}
			if !bytes.Equal(got, want) {
				t.Errorf("Parse(%s) differs from %s (go test -update rewrites it):\n%s", file, golden, got)
			}
		})
	}
}

// wantRe is the expectation on the last line of each bad Dockerfile:
// "# want LINE: message substring".
var wantRe = regexp.MustCompile(`(?m)^# want (\d+): (.+?)\r?\n?\z`)

func TestParseBad(t *testing.T) {
	files, err := filepath.Glob("testdata/bad/*.Dockerfile")
	if err != nil {
		t.Fatal(err)
	}
	if len(files) == 0 {
		t.Fatal("no testdata/bad/*.Dockerfile")
	}
	for _, file := range files {
		t.Run(strings.TrimSuffix(filepath.Base(file), ".Dockerfile"), func(t *testing.T) {
			src, err := os.ReadFile(file)
			if err != nil {
				t.Fatal(err)
			}
			m := wantRe.FindSubmatch(src)
			if m == nil {
				t.Fatalf("%s: no last line \"# want LINE: message\"", file)
			}
			line, _ := strconv.Atoi(string(m[1]))
			df, err := Parse(bytes.NewReader(src))
			var se *SyntaxError
			if !errors.As(err, &se) {
				t.Fatalf("Parse(%s) = %v, %v, want a *SyntaxError", file, df != nil, err)
			}
			if se.Line != line || !strings.Contains(se.Error(), string(m[2])) {
				t.Errorf("Parse(%s) = line %d %q, want line %d containing %q", file, se.Line, se.Error(), line, m[2])
			}
		})
	}
}

func TestParseLimits(t *testing.T) {
	big := strings.Repeat("a", MaxLineLength+1)
	_, err := Parse(strings.NewReader("FROM alpine\nRUN " + big + "\n"))
	var se *SyntaxError
	if !errors.As(err, &se) || se.Line != 2 {
		t.Errorf("Parse(long line) = %v, want *SyntaxError at line 2", err)
	}
	huge := strings.Repeat("# comment line\n", MaxSize/15+1)
	if _, err := Parse(strings.NewReader(huge)); !errors.As(err, &se) || !strings.Contains(se.Msg, "10 MiB") {
		t.Errorf("Parse(>10 MiB) = %v, want size error", err)
	}
}

func TestStageLookup(t *testing.T) {
	df, err := Parse(strings.NewReader("FROM a AS One\nFROM b\nFROM c AS three\n"))
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name string
		want int
	}{{"one", 0}, {"ONE", 0}, {"1", 1}, {"three", 2}, {"2", 2}, {"3", -1}, {"-1", -1}, {"nope", -1}} {
		got := -1
		if st := df.Stage(tc.name); st != nil {
			got = st.Index
		}
		if got != tc.want {
			t.Errorf("Stage(%q) = %d, want %d", tc.name, got, tc.want)
		}
	}
}

func TestParseMount(t *testing.T) {
	tests := []struct {
		in      string
		typ     string
		opts    map[string]string
		wantErr bool
	}{
		{"type=cache,target=/c", "cache", map[string]string{"target": "/c"}, false},
		{"target=/src,ro", "bind", map[string]string{"target": "/src", "readonly": "true"}, false},
		{"type=bind,src=a,dst=/b,rw=true", "bind", map[string]string{"source": "a", "target": "/b", "readonly": "false"}, false},
		{`type=secret,id=x,"env=A B"`, "secret", map[string]string{"id": "x", "env": "A B"}, false},
		{"type=ssh", "ssh", map[string]string{}, false},
		{"type=volume,target=/x", "", nil, true},
		{"type=cache", "", nil, true},
		{"type=cache,target=/x,sharing=maybe", "", nil, true},
		{"type=cache,target=/x,bogus=1", "", nil, true},
		{"type=cache,target=/x,ro=perhaps", "", nil, true},
	}
	for _, tc := range tests {
		m, err := ParseMount(tc.in)
		if (err != nil) != tc.wantErr {
			t.Errorf("ParseMount(%q) = %v, want error %v", tc.in, err, tc.wantErr)
			continue
		}
		if err != nil {
			continue
		}
		if m.Type != tc.typ || len(m.Options) != len(tc.opts) {
			t.Errorf("ParseMount(%q) = %+v, want type %s options %v", tc.in, m, tc.typ, tc.opts)
			continue
		}
		for k, v := range tc.opts {
			if m.Options[k] != v {
				t.Errorf("ParseMount(%q).Options[%s] = %q, want %q", tc.in, k, m.Options[k], v)
			}
		}
	}
}

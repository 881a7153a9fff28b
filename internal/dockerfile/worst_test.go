package dockerfile

import (
	"strings"
	"testing"
	"time"
)

// TestParseWorstCase parses large inputs shaped to hit quadratic
// paths: long continuations, many stages, many flags, deep nesting.
func TestParseWorstCase(t *testing.T) {
	if testing.Short() {
		t.Skip("slow")
	}
	// 2 MiB: linear code parses it in well under a second, quadratic
	// code would take hours; the limit leaves room for -race and a
	// loaded machine.
	const n = 2 << 20
	cases := map[string]string{
		"continuations": "FROM a\nRUN " + strings.Repeat("x \\\n", n/5) + "y\n",
		"stages":        strings.Repeat("FROM a\nRUN x\n", n/13),
		"flags":         "FROM a\nRUN " + strings.Repeat("--mount=type=tmpfs,target=/t \\\n", n/32) + "true\n",
		"nesting":       "FROM a\nENV a=" + strings.Repeat("${a:-\\\n", n/7) + "\n",
		"quotes":        "FROM a\nLABEL " + strings.Repeat(`a="b c" \`+"\n", n/10) + "\n",
		"heredocs":      "FROM a\nRUN " + strings.Repeat("<<E ", 1000) + "\n" + strings.Repeat("x\nE\n", 1000),
		"comments":      "FROM a\nRUN a \\\n" + strings.Repeat("# c\n", n/4) + "b\n",
	}
	for name, src := range cases {
		start := time.Now()
		_, err := Parse(strings.NewReader(src))
		d := time.Since(start)
		t.Logf("Parse(%s, %d bytes) = %v in %v", name, len(src), err, d)
		if d > 10*time.Second {
			t.Errorf("Parse(%s, %d bytes) took %v, err %v", name, len(src), d, err)
		}
	}
}

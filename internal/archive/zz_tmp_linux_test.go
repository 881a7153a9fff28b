package archive

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"
)

func TestZZCompare(t *testing.T) {
	if os.Getenv("ZZ") == "" {
		t.Skip()
	}
	var small, big []tent
	s := strings.Repeat("x", 8<<10)
	for d := range 50 {
		small = append(small, dir(fmt.Sprintf("d%02d/", d)))
		for i := range 100 {
			small = append(small, reg(fmt.Sprintf("d%02d/f%03d", d, i), s[:1<<10+(d*100+i)%(7<<10)]))
		}
	}
	b := strings.Repeat("0123456789abcdef", 1<<20)
	for i := range 4 {
		big = append(big, reg(fmt.Sprintf("big%d", i), b))
	}
	for name, ents := range map[string][]tent{"small": small, "big": big} {
		data := makeTar(t, ents...)
		os.WriteFile("/dev/shm/zz.tar", data, 0o644)
		var ours, gnu time.Duration
		for i := range 6 {
			d := fmt.Sprintf("/dev/shm/zz%d", i)
			os.Mkdir(d, 0o755)
			t0 := time.Now()
			if _, err := Apply(context.Background(), d, bytes.NewReader(data), Options{}); err != nil {
				t.Fatal(err)
			}
			ours += time.Since(t0)
			os.RemoveAll(d)
			os.Mkdir(d, 0o755)
			t0 = time.Now()
			if out, err := exec.Command("tar", "-xpf", "/dev/shm/zz.tar", "-C", d).CombinedOutput(); err != nil {
				t.Fatal(err, string(out))
			}
			gnu += time.Since(t0)
			os.RemoveAll(d)
		}
		t.Logf("%s: ours %v gnu tar %v (avg of 6)", name, ours/6, gnu/6)
	}
	os.Remove("/dev/shm/zz.tar")
}

// Command pairs times commands run round-robin, one after the other, N
// rounds (after 3 untimed ones), and prints each command's median wall
// time and, for each pair of commands given (the 1st and 2nd, the 3rd and
// 4th...), the median of the differences between the second and the
// first within a round: the cost one adds to the other. A busy spell of
// a shared machine falls on both commands of a round, which two blocks of
// runs (hyperfine's) do not give: the difference of their medians moves
// by more than a millisecond from one run to the next here.
//
//	pairs -n 300 'dock run --rm --network none busybox true' 'dock run --rm -p 8080:80 busybox true'
//
// A command is split on spaces (no shell); a failed run ends the program.
package main

import (
	"flag"
	"fmt"
	"os"
	"os/exec"
	"slices"
	"strings"
	"time"
)

func main() {
	n := flag.Int("n", 200, "timed rounds")
	flag.Usage = func() {
		fmt.Fprintln(os.Stderr, "usage: pairs [-n ROUNDS] COMMAND COMMAND [COMMAND COMMAND...]")
		flag.PrintDefaults()
	}
	flag.Parse()
	cmds := flag.Args()
	if len(cmds) < 2 || len(cmds)%2 != 0 || *n < 1 {
		flag.Usage()
		os.Exit(2)
	}
	times := make([][]float64, len(cmds))
	for round := -3; round < *n; round++ {
		for i, c := range cmds {
			f := strings.Fields(c)
			cmd := exec.Command(f[0], f[1:]...)
			cmd.Stderr = os.Stderr
			t0 := time.Now()
			if err := cmd.Run(); err != nil {
				fmt.Fprintf(os.Stderr, "pairs: %s: %v\n", c, err)
				os.Exit(1)
			}
			if round >= 0 {
				times[i] = append(times[i], float64(time.Since(t0).Microseconds())/1000)
			}
		}
	}
	for i := 0; i < len(cmds); i += 2 {
		d := make([]float64, *n)
		for k := range d {
			d[k] = times[i+1][k] - times[i][k]
		}
		fmt.Printf("adds\t%.2f\t%s\tover\t%s\n", median(d), cmds[i+1], cmds[i])
	}
	for i, c := range cmds {
		fmt.Printf("median\t%.2f\t%s\n", median(times[i]), c)
	}
}

func median(xs []float64) float64 {
	s := slices.Sorted(slices.Values(xs))
	return s[len(s)/2]
}

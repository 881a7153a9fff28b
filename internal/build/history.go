package build

import (
	"fmt"
	"maps"
	"slices"
	"strings"
)

// The CreatedBy of the history entries that a build writes, as Docker's
// classic builder writes them (docker history shows them; the images of
// Docker Hub built before BuildKit carry them): the command of the
// container that made the step. A step that ran nothing is the stage's
// shell with "#(nop)" and the step ("/bin/sh -c #(nop)  LABEL l=1"; two
// spaces, as Docker joins "#(nop) " and the step as two words, but one
// for WORKDIR, COPY and ADD, which Docker writes as one word); a RUN is
// its command, behind the build arguments it saw ("|1 V=x /bin/sh -c
// make").

// nopCreatedBy is the CreatedBy of a configuration step (step: "LABEL
// l=1").
func nopCreatedBy(s *stageState, step string) string {
	return strings.Join(append(s.shellCmd(), "#(nop) ", step), " ")
}

// nopCreatedByWord is the CreatedBy of WORKDIR, COPY and ADD.
func nopCreatedByWord(s *stageState, step string) string {
	return strings.Join(append(s.shellCmd(), "#(nop) "+step), " ")
}

// runCreatedBy is the CreatedBy of a RUN of argv: the build arguments of
// the stage that have a value and no ENV of the same name, sorted, behind
// their count ("|2 A=1 B=2 /bin/sh -c make"), then argv.
func runCreatedBy(s *stageState, argv []string) string {
	var args []string
	for _, k := range slices.Sorted(maps.Keys(s.args)) {
		if _, inEnv := s.lookupEnv(k); inEnv || s.argUnset[k] {
			continue
		}
		args = append(args, k+"="+s.args[k])
	}
	if len(args) > 0 {
		argv = append(append([]string{fmt.Sprintf("|%d", len(args))}, args...), argv...)
	}
	return strings.Join(argv, " ")
}

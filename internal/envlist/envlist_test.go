package envlist

import (
	"slices"
	"testing"
)

func TestMerge(t *testing.T) {
	base := []string{"A=1", "B=2"}
	got := Merge(base, []string{"B=3", "C=", "junk", "A=4"})
	if want := []string{"A=4", "B=3", "C="}; !slices.Equal(got, want) {
		t.Errorf("Merge = %q, want %q", got, want)
	}
	if !slices.Equal(base, []string{"A=1", "B=2"}) {
		t.Errorf("Merge changed base: %q", base)
	}
}

package main

import (
	"strings"
	"testing"
)

// TestPrintPruneReport pins docker's report of a prune: each list that
// is not empty under its title with a blank line after it, then the total
// with 4 significant digits, as docker's units.HumanSize writes it.
func TestPrintPruneReport(t *testing.T) {
	tests := []struct {
		lists []deletedList
		bytes int64
		want  string
	}{
		{nil, 0, "Total reclaimed space: 0B\n"},
		{[]deletedList{{"Deleted Volumes:", nil}}, 2, "Total reclaimed space: 2B\n"},
		{[]deletedList{{"Deleted Volumes:", []string{"a", "b"}}}, 1234, "Deleted Volumes:\na\nb\n\nTotal reclaimed space: 1.234kB\n"},
		{[]deletedList{{"Deleted Containers:", []string{"c"}}, {"Deleted Networks:", nil}, {"Deleted Images:", []string{"deleted: sha256:x"}}}, 20_630_000,
			"Deleted Containers:\nc\n\nDeleted Images:\ndeleted: sha256:x\n\nTotal reclaimed space: 20.63MB\n"},
	}
	for _, tt := range tests {
		var b strings.Builder
		printDeleted(&b, tt.lists...)
		printReclaimed(&b, tt.bytes)
		if b.String() != tt.want {
			t.Errorf("report of %v, %d bytes = %q, want %q", tt.lists, tt.bytes, b.String(), tt.want)
		}
	}
}

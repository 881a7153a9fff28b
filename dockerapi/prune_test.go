package dockerapi

import (
	"errors"
	"testing"
	"time"

	"github.com/go-dock/dock"
)

// pruneOptionsCase is a filter (its keys and values, in pairs) and what
// a prune's filters give for it: so many options, or the FilterError.
type pruneOptionsCase struct {
	kv    []string
	nopts int
	err   string // "" for none
}

// checkPruneOptions runs fn, named name, on each case: the options come
// one a filter, the errors are FilterErrors (ErrInvalid: 400) in
// Docker's words.
func checkPruneOptions(t *testing.T, name string, fn func(Filters, time.Time) ([]dock.PruneOption, error), cases []pruneOptionsCase) {
	t.Helper()
	now := time.Now()
	for _, tc := range cases {
		opts, err := fn(filtersOf(tc.kv...), now)
		switch {
		case tc.err == "" && (err != nil || len(opts) != tc.nopts):
			t.Errorf("%s(%q) = %d options, %v; want %d", name, tc.kv, len(opts), err, tc.nopts)
		case tc.err != "":
			var fe *FilterError
			if err == nil || err.Error() != tc.err || !errors.As(err, &fe) || !errors.Is(err, dock.ErrInvalid) {
				t.Errorf("%s(%q) = %v, want the FilterError %q", name, tc.kv, err, tc.err)
			}
		}
	}
}

func TestContainerPruneOptions(t *testing.T) {
	checkPruneOptions(t, "ContainerPruneOptions", ContainerPruneOptions, []pruneOptionsCase{
		{nil, 0, ""},
		{[]string{"until", "24h"}, 1, ""},
		{[]string{"until", "2024-05-01T10:00:00Z", "label", "a", "label", "b=1", "label!", "c"}, 4, ""},
		{[]string{"until", "1h", "until", "2h"}, 0, "more than one until filter specified"},
		{[]string{"until", "soon"}, 0, `failed to parse value as time or duration: "soon"`},
		{[]string{"status", "exited"}, 0, "invalid filter 'status'"},
		{[]string{"label", ""}, 0, "invalid filter 'label='"},
		{[]string{"label!", "=x"}, 0, "invalid filter 'label!==x'"},
	})
}

func TestImagePruneOptions(t *testing.T) {
	checkPruneOptions(t, "ImagePruneOptions", ImagePruneOptions, []pruneOptionsCase{
		{nil, 0, ""},
		{[]string{"dangling", "true"}, 0, ""},
		{[]string{"dangling", "false"}, 1, ""},
		{[]string{"dangling", "0", "until", "24h", "label", "a=b", "label!", "c"}, 4, ""},
		{[]string{"dangling", "maybe"}, 0, "invalid filter 'dangling=maybe'"},
		{[]string{"dangling", "true", "dangling", "1"}, 0, ""},
		{[]string{"dangling", "true", "dangling", "false"}, 0, "invalid filter 'dangling=false,true'"},
		{[]string{"until", "soon"}, 0, `failed to parse value as time or duration: "soon"`},
		{[]string{"reference", "busybox"}, 0, "invalid filter 'reference'"},
	})
}

func TestVolumePruneOptions(t *testing.T) {
	volumePruneOptions := func(f Filters, _ time.Time) ([]dock.PruneOption, error) { return VolumePruneOptions(f) }
	checkPruneOptions(t, "VolumePruneOptions", volumePruneOptions, []pruneOptionsCase{
		{nil, 0, ""},
		{[]string{"all", "true"}, 1, ""},
		{[]string{"all", "0"}, 0, ""},
		{[]string{"all", "1", "label", "a", "label!", "b=c"}, 3, ""},
		{[]string{"all", "perhaps"}, 0, "invalid filter 'all=perhaps'"},
		{[]string{"until", "24h"}, 0, "invalid filter 'until'"},
		{[]string{"dangling", "true"}, 0, "invalid filter 'dangling'"},
		{[]string{"label", "=x"}, 0, "invalid filter 'label==x'"},
	})
}

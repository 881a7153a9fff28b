package dockerapi

import (
	"errors"
	"testing"
	"time"

	"github.com/go-dock/dock"
)

func TestContainerPruneOptions(t *testing.T) {
	now := time.Now()
	for _, tc := range []struct {
		kv    []string
		nopts int
		err   string // "" for none
	}{
		{nil, 0, ""},
		{[]string{"until", "24h"}, 1, ""},
		{[]string{"until", "2024-05-01T10:00:00Z", "label", "a", "label", "b=1", "label!", "c"}, 4, ""},
		{[]string{"until", "1h", "until", "2h"}, 0, "more than one until filter specified"},
		{[]string{"until", "soon"}, 0, `failed to parse value as time or duration: "soon"`},
		{[]string{"status", "exited"}, 0, "invalid filter 'status'"},
		{[]string{"label", ""}, 0, "invalid filter 'label='"},
		{[]string{"label!", "=x"}, 0, "invalid filter 'label!==x'"},
	} {
		opts, err := ContainerPruneOptions(filtersOf(tc.kv...), now)
		switch {
		case tc.err == "" && (err != nil || len(opts) != tc.nopts):
			t.Errorf("ContainerPruneOptions(%q) = %d options, %v; want %d", tc.kv, len(opts), err, tc.nopts)
		case tc.err != "":
			var fe *FilterError
			if err == nil || err.Error() != tc.err || !errors.As(err, &fe) || !errors.Is(err, dock.ErrInvalid) {
				t.Errorf("ContainerPruneOptions(%q) = %v, want the FilterError %q", tc.kv, err, tc.err)
			}
		}
	}
}

func TestImagePruneOptions(t *testing.T) {
	now := time.Now()
	for _, tc := range []struct {
		kv    []string
		nopts int
		err   string // "" for none
	}{
		{nil, 0, ""},
		{[]string{"dangling", "true"}, 0, ""},
		{[]string{"dangling", "false"}, 1, ""},
		{[]string{"dangling", "0", "until", "24h", "label", "a=b", "label!", "c"}, 4, ""},
		{[]string{"dangling", "maybe"}, 0, "invalid filter 'dangling=maybe'"},
		{[]string{"until", "soon"}, 0, `failed to parse value as time or duration: "soon"`},
		{[]string{"reference", "busybox"}, 0, "invalid filter 'reference'"},
	} {
		opts, err := ImagePruneOptions(filtersOf(tc.kv...), now)
		switch {
		case tc.err == "" && (err != nil || len(opts) != tc.nopts):
			t.Errorf("ImagePruneOptions(%q) = %d options, %v; want %d", tc.kv, len(opts), err, tc.nopts)
		case tc.err != "":
			var fe *FilterError
			if err == nil || err.Error() != tc.err || !errors.As(err, &fe) {
				t.Errorf("ImagePruneOptions(%q) = %v, want the FilterError %q", tc.kv, err, tc.err)
			}
		}
	}
}

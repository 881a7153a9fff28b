// Package envlist handles environment lists, "KEY=value" strings as
// images, containers and processes hold them.
package envlist

import (
	"slices"
	"strings"
)

// DefaultPath is the PATH of a process whose image sets none, as Docker
// and BuildKit give it.
const DefaultPath = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

// Merge returns base with over's entries added, each replacing the entry
// of base with the same key; entries of over without "=" are ignored.
// base is not changed.
func Merge(base, over []string) []string {
	out := slices.Clone(base)
	for _, kv := range over {
		k, _, ok := strings.Cut(kv, "=")
		if !ok {
			continue
		}
		i := slices.IndexFunc(out, func(s string) bool { return strings.HasPrefix(s, k+"=") })
		if i >= 0 {
			out[i] = kv
		} else {
			out = append(out, kv)
		}
	}
	return out
}

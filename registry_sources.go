package dock

// The blob sources file (sourcesFile in the root) remembers which
// repositories of which registries each blob was pulled from or pushed to:
// Push mounts a blob from one of them instead of uploading it, and
// RepoDigests comes from it.

import (
	"encoding/json"
	"os"
	"slices"
	"strings"

	"github.com/go-dock/dock/internal/reference"
	"github.com/opencontainers/go-digest"
)

// sourcesFile, in the state directory, maps blob digests to the registry
// repositories ("host/path") they were pulled from or pushed to, so that
// Push can ask a registry to mount a blob from another repository instead
// of uploading it again.
const sourcesFile = "registry-sources.json"

// maxSources bounds the repositories remembered per blob.
const maxSources = 8

// readSources reads the sources file; a missing or broken one is empty.
func (e *Engine) readSources() map[digest.Digest][]string {
	m := map[digest.Digest][]string{}
	b, err := os.ReadFile(e.path(sourcesFile))
	if err == nil {
		_ = json.Unmarshal(b, &m)
	}
	return m
}

// mountSource returns a repository of dst's registry, other than dst's,
// that blob d was pulled from or pushed to, or "".
func (e *Engine) mountSource(dst reference.Ref, d digest.Digest) string {
	for _, s := range e.readSources()[d] {
		domain, path, _ := strings.Cut(s, "/")
		if domain == dst.Domain && path != dst.Path {
			return path
		}
	}
	return ""
}

// recordSources remembers that the blobs ds are in r's repository. It is
// best effort: a failure only costs a later push an upload. Blobs gone
// from the store are forgotten.
func (e *Engine) recordSources(r reference.Ref, ds []digest.Digest) {
	repo := r.Domain + "/" + r.Path
	err := e.locked(func() error {
		m := e.readSources()
		for _, d := range ds {
			srcs := slices.DeleteFunc(m[d], func(s string) bool { return s == repo })
			m[d] = append([]string{repo}, srcs[:min(len(srcs), maxSources-1)]...)
		}
		for d := range m {
			if !e.store.HasBlob(d) {
				delete(m, d)
			}
		}
		b, err := json.Marshal(m)
		if err != nil {
			return err
		}
		return e.writeFileAtomic(e.path(sourcesFile), b, 0o644)
	})
	if err != nil {
		e.log.Warn("record blob sources", "repository", repo, "err", err)
	}
}

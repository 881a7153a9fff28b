package build

import (
	"fmt"
	"strings"

	"github.com/go-dock/dock/internal/dockerfile"
)

// inlineFile is a source of COPY or ADD given in the Dockerfile itself: a
// here-document ("COPY <<EOF /dest").
type inlineFile struct {
	name string // the delimiter: the file's name when copied into a directory
	data []byte
}

// heredocSources splits the raw (unexpanded) sources of a COPY or ADD into
// here-documents, with their content expanded through lookup unless the
// delimiter was quoted (as BuildKit does), and the other sources, returned
// unexpanded in order. A marker whose delimiter has no here-document (the
// JSON form has none) is an ordinary source.
func heredocSources(in *dockerfile.Instruction, srcs []string, lookup dockerfile.Lookup) (docs []inlineFile, rest []string, err error) {
	if len(in.Heredocs) == 0 {
		return nil, srcs, nil
	}
	byName := map[string]dockerfile.Heredoc{}
	for _, h := range in.Heredocs {
		byName[h.Name] = h
	}
	for _, src := range srcs {
		name, ok := dockerfile.HeredocMarker(src)
		h, found := byName[name]
		if !ok || !found {
			rest = append(rest, src)
			continue
		}
		// The delimiter becomes a file name in the destination directory:
		// "." or ".." would name the directory or its parent.
		if strings.Trim(name, ".") == "" {
			return nil, nil, fmt.Errorf("%w: here-document %q: not a file name", ErrInvalid, name)
		}
		content := h.Content
		if h.Expand {
			if content, err = dockerfile.ExpandHeredoc(content, lookup); err != nil {
				return nil, nil, fmt.Errorf("here-document %s: %w", name, err)
			}
		}
		docs = append(docs, inlineFile{name: name, data: []byte(content)})
	}
	return docs, rest, nil
}

package dock

import (
	"context"
	"fmt"
	"slices"
	"time"

	ocispec "github.com/opencontainers/image-spec/specs-go/v1"

	"github.com/go-dock/dock/internal/reference"
	"github.com/go-dock/dock/internal/store"
)

// HistoryEntry is a step of an image's history, as docker history and the
// Engine API's /images/{name}/history show it.
type HistoryEntry struct {
	// ID is the image the step made, when the store has it: the image
	// itself for its last step, a parent image (see Image.Parent: a
	// build's steps, a committed container's image) for the earlier
	// ones. Empty for the others (docker history shows <missing>).
	ID string
	// Created is when the step ran; zero when the history does not say.
	Created time.Time
	// CreatedBy is the step's command ("/bin/sh -c #(nop)  CMD [\"sh\"]").
	CreatedBy string
	// Tags are ID's tags, in Docker's short form.
	Tags []string
	// Size is the bytes of the layer the step added, as stored (see
	// Image.Size); 0 for a step that added none.
	Size int64
	// Comment is the step's comment (commit -m, import -m).
	Comment string
	// EmptyLayer reports a step that added no layer.
	EmptyLayer bool
}

// History returns how the image that ref names was made, its last step
// first. An image whose config records no history gets one entry per
// layer, as Docker gives it.
func (e *Engine) History(ctx context.Context, ref string) ([]HistoryEntry, error) {
	img, err := e.store.Resolve(ref)
	if err != nil {
		return nil, fmt.Errorf("history: %w", translate(err))
	}
	hist := img.Config.History
	if len(hist) == 0 {
		for range img.Manifest.Layers {
			hist = append(hist, ocispec.History{Created: img.Config.Created})
		}
	}
	out := make([]HistoryEntry, len(hist))
	layer := 0
	for i, h := range hist {
		ent := HistoryEntry{CreatedBy: h.CreatedBy, Comment: h.Comment, EmptyLayer: h.EmptyLayer}
		if h.Created != nil {
			ent.Created = *h.Created
		}
		if !h.EmptyLayer && layer < len(img.Manifest.Layers) {
			ent.Size = img.Manifest.Layers[layer].Size
			layer++
		}
		out[i] = ent
	}
	// Each image of the parent chain made the step its history ends with.
	for cur, depth := img, 0; cur != nil && depth < 10000; depth++ {
		if n := len(cur.Config.History); n > 0 && n <= len(out) && out[n-1].ID == "" {
			out[n-1].ID = cur.ID.String()
			out[n-1].Tags = familiarTags(cur)
		}
		if cur.Parent == "" {
			break
		}
		if cur, err = e.store.Resolve(cur.Parent.String()); err != nil {
			break
		}
	}
	if len(out) > 0 && out[len(out)-1].ID == "" {
		out[len(out)-1].ID, out[len(out)-1].Tags = img.ID.String(), familiarTags(img)
	}
	slices.Reverse(out)
	return out, nil
}

// familiarTags are an image's tags in Docker's short form.
func familiarTags(img *store.Image) []string {
	var tags []string
	for _, n := range img.Names {
		if r, err := reference.Parse(n); err == nil {
			n = r.Familiar()
		}
		tags = append(tags, n)
	}
	return tags
}

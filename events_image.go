package dock

import (
	"strconv"
	"strings"

	"github.com/go-dock/dock/internal/reference"
)

// The image events, as Docker records them: pull and push name the
// reference (Actor.ID and "name" both), tag and untag the image ID with
// the tag as "name", the others the image ID.

// familiarRef is ref in Docker's short form with its tag
// ("busybox:latest"), or ref itself when it does not parse.
func familiarRef(ref string) string {
	r, err := reference.Parse(ref)
	if err != nil {
		return ref
	}
	return r.Familiar()
}

// emitImage records an image event about id, named name.
func (e *Engine) emitImage(action, id, name string) {
	e.emit(EventImage, action, id, attrs("name", name))
}

// imageIDs are the IDs of the store's images, to tell in RemoveImage's
// lines the images deleted from their layers.
func (e *Engine) imageIDs() map[string]bool {
	imgs, _ := e.store.Images()
	ids := make(map[string]bool, len(imgs))
	for i := range imgs {
		ids[imgs[i].ID.String()] = true
	}
	return ids
}

// emitRemoval records the untag and delete events of RemoveImage's lines
// (Docker's words, see RemoveImage): ids are the image IDs before the
// removal, and untagged the ID of an image whose tag went but which
// stayed (empty when unknown). A tag's untag names the image deleted
// after it, else untagged.
func (e *Engine) emitRemoval(lines []string, ids map[string]bool, untagged string) {
	var pending []string
	flush := func(id string) {
		for _, name := range pending {
			e.emitImage("untag", id, name)
		}
		pending = nil
	}
	for _, l := range lines {
		if name, ok := strings.CutPrefix(l, "Untagged: "); ok {
			pending = append(pending, name)
			continue
		}
		if id, ok := strings.CutPrefix(l, "Deleted: "); ok && ids[id] {
			flush(id)
			e.emitImage("delete", id, id)
		}
	}
	if untagged != "" {
		flush(untagged)
	}
}

// emitPrune records a prune of typ, with the bytes it reclaimed.
func (e *Engine) emitPrune(typ string, reclaimed int64) {
	e.emit(typ, "prune", "", attrs("reclaimed", strconv.FormatInt(reclaimed, 10)))
}

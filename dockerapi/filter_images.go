package dockerapi

import (
	"context"
	"path"
	"slices"
	"strings"
	"time"

	"github.com/go-dock/dock"
	"github.com/go-dock/dock/internal/reference"
	"github.com/go-dock/dock/internal/timestamp"
)

// ImageListOptions are the options of docker images and of the Engine
// API's GET /images/json.
type ImageListOptions struct {
	// All lists the intermediate images too (images -a, all=1):
	// untagged images that are the parent of another, such as a build's
	// steps.
	All bool
	// Filters keep the images that match (images --filter, filters=):
	//
	//	dangling   true: only the untagged images that are no image's
	//	           parent; false: only those with a tag or a digest
	//	label      a label key, or key=value; every one must match
	//	label!     dock's addition, as docker's prune filters: the images
	//	           that lack the label (key, or key=value)
	//	reference  a pattern (path.Match's: *, ?, [...]) that a tag
	//	           ("busybox:latest") or a repository ("busybox") matches,
	//	           in their short form; a reference without a pattern
	//	           matches its normalized form too (docker.io/library/busybox)
	//	before     an image: the images created before it
	//	since      an image: the images created after it
	//	until      a time (RFC 3339, Unix seconds, or a duration such as
	//	           24h before now): the images created before it
	//
	// docker images REPOSITORY[:TAG] is a reference filter. Another key is
	// an error: invalid filter 'key'.
	Filters Filters
}

// imageFilterKeys are the filter keys ListImages takes.
var imageFilterKeys = []string{"before", "dangling", "label", "label!", "reference", "since", "until"}

// ListImages lists e's images as docker images does: newest first, the
// tagged ones and the dangling ones (and with opts.All the intermediate
// ones), those that opts.Filters keep. With a reference filter, each
// image's RepoTags and RepoDigests are narrowed to those it matches (the
// images returned are copies; the rest of each is shared with the
// store's listing). A filter Docker refuses is a *FilterError; a before or
// since filter that names no image is an error wrapping dock.ErrNotFound.
func ListImages(ctx context.Context, e *dock.Engine, opts ImageListOptions) ([]*dock.Image, error) {
	f := opts.Filters
	if err := f.validate(imageFilterKeys...); err != nil {
		return nil, err
	}
	m, err := newImageMatcher(f, func(ref string) (*dock.Image, error) { return e.Image(ctx, ref) })
	if err != nil {
		return nil, err
	}
	imgs, err := e.Images(ctx, dock.ImagesAll())
	if err != nil {
		return nil, err
	}
	return selectImages(imgs, m, opts.All), nil
}

// imageMatcher is an image filter with its values parsed and the images
// they name resolved.
type imageMatcher struct {
	f Filters
	// dangling is "true", "false", or "" without the filter.
	dangling      string
	before, since []*dock.Image
	until         time.Time // zero without the filter
	references    []referencePattern
}

func newImageMatcher(f Filters, image func(ref string) (*dock.Image, error)) (*imageMatcher, error) {
	m := &imageMatcher{f: f}
	if f.Contains("dangling") {
		vs := f.Get("dangling")
		isTrue := slices.Contains(vs, "true") || slices.Contains(vs, "1")
		isFalse := slices.Contains(vs, "false") || slices.Contains(vs, "0")
		if isTrue == isFalse || len(vs) > 2 {
			return nil, filterValueError("dangling", strings.Join(vs, ","))
		}
		m.dangling = "false"
		if isTrue {
			m.dangling = "true"
		}
	}
	for key, list := range map[string]*[]*dock.Image{"before": &m.before, "since": &m.since} {
		for _, v := range f.Get(key) {
			img, err := image(v)
			if err != nil {
				return nil, err
			}
			*list = append(*list, img)
		}
	}
	if f.Contains("until") {
		values := f.Get("until")
		if len(values) != 1 {
			return nil, &FilterError{Key: "until", Msg: "more than one until filter specified"}
		}
		t, err := timestamp.Parse(values[0], time.Now())
		if err != nil {
			return nil, &FilterError{Key: "until", Value: values[0], Msg: err.Error(), Err: err}
		}
		m.until = t
	}
	for _, v := range f.Get("reference") {
		p, err := parseReferencePattern(v)
		if err != nil {
			return nil, err
		}
		m.references = append(m.references, p)
	}
	return m, nil
}

// selectImages applies m to imgs (newest first), as Docker's image list
// does.
func selectImages(imgs []*dock.Image, m *imageMatcher, all bool) []*dock.Image {
	parents := map[string]bool{}
	for _, img := range imgs {
		if img.Parent != "" {
			parents[img.Parent] = true
		}
	}
	var out []*dock.Image
	for _, img := range imgs {
		if m.dangling == "true" && parents[img.ID] {
			continue // dangling=true lists the images no image is built on
		}
		if !m.matchCreated(img) || !m.f.matchLabels(img.Config.Labels) {
			continue
		}
		tags, digests := img.RepoTags, img.RepoDigests
		if len(m.references) > 0 {
			tags = slices.DeleteFunc(slices.Clone(tags), func(t string) bool { return !m.matchReference(t) })
			digests = slices.DeleteFunc(slices.Clone(digests), func(d string) bool { return !m.matchReference(d) })
		}
		switch {
		case len(tags) == 0 && len(digests) == 0:
			// Untagged: listed when dangling (no child) or with all,
			// unless the filters want a name.
			if !all && parents[img.ID] || m.dangling == "false" || len(m.references) > 0 {
				continue
			}
		case m.dangling == "true" && len(tags) > 0:
			continue
		}
		if len(m.references) > 0 {
			v := *img
			v.RepoTags, v.RepoDigests = tags, digests
			img = &v
		}
		out = append(out, img)
	}
	return out
}

// matchCreated applies before, since and until: strictly older than each
// before image and than until, strictly newer than each since image.
func (m *imageMatcher) matchCreated(img *dock.Image) bool {
	if !m.until.IsZero() && !img.Created.Before(m.until) {
		return false
	}
	for _, b := range m.before {
		if !img.Created.Before(b.Created) {
			return false
		}
	}
	for _, s := range m.since {
		if !img.Created.After(s.Created) {
			return false
		}
	}
	return true
}

// matchReference reports whether one of the reference patterns matches
// ref, a tag ("busybox:latest") or a repo digest ("busybox@sha256:...").
func (m *imageMatcher) matchReference(ref string) bool {
	return slices.ContainsFunc(m.references, func(p referencePattern) bool { return p.match(ref) })
}

// referencePattern is a value of the reference filter.
type referencePattern struct {
	pattern string
	// ref is the pattern parsed as a reference when it holds no
	// wildcard; its normalized name then matches too.
	ref *reference.Ref
}

// parseReferencePattern checks a reference filter's value: a valid
// pattern, and when it has no wildcard, a valid reference.
func parseReferencePattern(v string) (referencePattern, error) {
	p := referencePattern{pattern: v}
	if strings.ContainsAny(v, "*?[\\") {
		if _, err := path.Match(v, ""); err != nil {
			return p, &FilterError{Key: "reference", Value: v, Msg: "invalid filter 'reference=" + v + "': " + err.Error(), Err: err}
		}
		return p, nil
	}
	r, err := reference.ParseNoDefaultTag(v)
	if err != nil {
		return p, &FilterError{Key: "reference", Value: v, Msg: "invalid filter 'reference=" + v + "': " + err.Error(), Err: err}
	}
	p.ref = &r
	return p, nil
}

// match is Docker's FamiliarMatch: the pattern matches the short form
// of ref ("busybox:latest", "busybox@sha256:...") or of its repository
// ("busybox"); a reference without wildcards also matches the same
// repository (and tag or digest, if it has one) written in full.
func (p referencePattern) match(ref string) bool {
	r, err := reference.Parse(ref)
	if err != nil {
		return false
	}
	if ok, _ := path.Match(p.pattern, r.Familiar()); ok {
		return true
	}
	if ok, _ := path.Match(p.pattern, r.FamiliarName()); ok {
		return true
	}
	if p.ref == nil || p.ref.Name() != r.Name() {
		return false
	}
	switch {
	case p.ref.Tag != "":
		return p.ref.Tag == r.Tag && r.Digest == ""
	case p.ref.Digest != "":
		return p.ref.Digest == r.Digest
	}
	return true
}

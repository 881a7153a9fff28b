package main

import (
	"slices"
	"strings"
	"time"

	"github.com/go-dock/dock"
)

// imagesTable is docker images's default format; imagesTableDigests is
// the one of images --digests.
const (
	imagesTable        = "table {{.Repository}}\t{{.Tag}}\t{{.ID}}\t{{.CreatedSince}}\t{{.Size}}"
	imagesTableDigests = "table {{.Repository}}\t{{.Tag}}\t{{.Digest}}\t{{.ID}}\t{{.CreatedSince}}\t{{.Size}}"
)

// imageRow is a row of docker images: an image under one of its
// repositories and tags. Each method is a field of --format (docker's
// imageContext).
type imageRow struct {
	img               *dock.Image
	repo, tag, digest string
	trunc             bool
	now               time.Time
}

// imageRows are the rows of img, as docker's formatter makes them: a row
// per tag (with digests: per tag and digest of its repository); a row per
// repository that the image has a digest in but no tag, with the tag
// "<none>"; one "<none>" row for an image with neither. Without digests,
// the Digest of a tagged row is "<none>", of an untagged one "".
func imageRows(img *dock.Image, digests bool) []*imageRow {
	if len(img.RepoTags) == 0 && len(img.RepoDigests) == 0 {
		return []*imageRow{{img: img, repo: "<none>", tag: "<none>", digest: "<none>"}}
	}
	var repos []string // in the order of their first tag, then of their first digest
	tags, dgsts := map[string][]string{}, map[string][]string{}
	for _, t := range img.RepoTags {
		repo, tag := splitTag(t)
		if !slices.Contains(repos, repo) {
			repos = append(repos, repo)
		}
		tags[repo] = append(tags[repo], tag)
	}
	for _, rd := range img.RepoDigests {
		repo, d, ok := strings.Cut(rd, "@")
		if !ok {
			continue
		}
		if !slices.Contains(repos, repo) {
			repos = append(repos, repo)
		}
		dgsts[repo] = append(dgsts[repo], d)
	}
	var rows []*imageRow
	for _, repo := range repos {
		switch ts, ds := tags[repo], dgsts[repo]; {
		case len(ts) > 0:
			if !digests || len(ds) == 0 {
				ds = []string{"<none>"}
			}
			for _, t := range ts {
				for _, d := range ds {
					rows = append(rows, &imageRow{img: img, repo: repo, tag: t, digest: d})
				}
			}
		case digests:
			for _, d := range ds {
				rows = append(rows, &imageRow{img: img, repo: repo, tag: "<none>", digest: d})
			}
		default:
			rows = append(rows, &imageRow{img: img, repo: repo, tag: "<none>"})
		}
	}
	return rows
}

// ID is the image ID: 12 hexadecimal digits, or with --no-trunc
// "sha256:" and all 64.
func (r *imageRow) ID() string {
	if r.trunc {
		return shortID(r.img.ID)
	}
	return r.img.ID
}

func (r *imageRow) Repository() string { return r.repo }
func (r *imageRow) Tag() string        { return r.tag }
func (r *imageRow) Digest() string     { return r.digest }

// CreatedSince is the time since the image was made: "3 weeks ago"; N/A
// when its config does not say.
func (r *imageRow) CreatedSince() string {
	if r.img.Created.IsZero() {
		return "N/A"
	}
	return humanDuration(r.now.Sub(r.img.Created)) + " ago"
}

// CreatedAt is the creation time as docker prints it, in local time.
func (r *imageRow) CreatedAt() string {
	return r.img.Created.Truncate(time.Second).Local().String()
}

// Size is the image's size, "4.26MB".
func (r *imageRow) Size() string { return humanSize(r.img.Size) }

// VirtualSize is Size, as in docker since its API 1.44.
func (r *imageRow) VirtualSize() string { return r.Size() }

// Containers, SharedSize and UniqueSize are what docker shows when it
// did not count them: N/A.
func (r *imageRow) Containers() string { return "N/A" }
func (r *imageRow) SharedSize() string { return "N/A" }
func (r *imageRow) UniqueSize() string { return "N/A" }

// MarshalJSON is the row as {{json .}} and --format json write it.
func (r *imageRow) MarshalJSON() ([]byte, error) {
	return marshalRow(map[string]string{
		"Containers": r.Containers(), "CreatedAt": r.CreatedAt(), "CreatedSince": r.CreatedSince(),
		"Digest": r.Digest(), "ID": r.ID(), "Repository": r.Repository(), "SharedSize": r.SharedSize(),
		"Size": r.Size(), "Tag": r.Tag(), "UniqueSize": r.UniqueSize(), "VirtualSize": r.VirtualSize(),
	})
}

// imagesHeader is what the header row of a table format runs on: docker's
// column names.
type imagesHeader struct{}

func (imagesHeader) ID() string           { return "IMAGE ID" }
func (imagesHeader) Repository() string   { return "REPOSITORY" }
func (imagesHeader) Tag() string          { return "TAG" }
func (imagesHeader) Digest() string       { return "DIGEST" }
func (imagesHeader) CreatedSince() string { return "CREATED" }
func (imagesHeader) CreatedAt() string    { return "CREATED AT" }
func (imagesHeader) Size() string         { return "SIZE" }
func (imagesHeader) VirtualSize() string  { return "VIRTUAL SIZE" }
func (imagesHeader) Containers() string   { return "CONTAINERS" }
func (imagesHeader) SharedSize() string   { return "SHARED SIZE" }
func (imagesHeader) UniqueSize() string   { return "UNIQUE SIZE" }

// splitTag splits "localhost:5000/app:1" into "localhost:5000/app" and "1".
func splitTag(ref string) (repo, tag string) {
	i := strings.LastIndexByte(ref, ':')
	if i < 0 || strings.Contains(ref[i:], "/") {
		return ref, "<none>"
	}
	return ref[:i], ref[i+1:]
}

func init() {
	commandDetails["images"] = `Filters (--filter KEY=VALUE, repeated): dangling (true or false), label
(KEY or KEY=VALUE; all must match), label! (without that label),
reference (a pattern such as "busy*" or "*:v1", matched against
REPOSITORY:TAG and REPOSITORY), before and since (an image). The
argument REPOSITORY[:TAG] is a reference filter.

--format takes a Go template with docker's fields (.ID .Repository .Tag
.Digest .CreatedSince .CreatedAt .Size), "table TEMPLATE" for aligned
columns under a header, or json.`
}

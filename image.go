package dock

import (
	"context"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/go-dock/dock/internal/archive"
	"github.com/go-dock/dock/internal/build"
	"github.com/go-dock/dock/internal/reference"
	"github.com/go-dock/dock/internal/store"
	"github.com/go-dock/dock/internal/user"
	"github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
)

// Image describes an image in the engine's store. It is a snapshot: it
// does not change when the store does.
//
// An image is named by a reference as Docker understands it: "busybox"
// means "docker.io/library/busybox:latest"; "name@sha256:..." names a
// manifest digest; "sha256:<hex>", or any unique prefix of the hex,
// names an image ID.
type Image struct {
	// ID is the image ID: the digest of the image's config,
	// "sha256:<64 hex>", as "docker images --no-trunc" shows it.
	ID string
	// Digest is the digest of the image's manifest, "sha256:<64 hex>",
	// the digest a registry knows the image by.
	Digest string
	// ManifestSize is the size in bytes of that manifest, as docker push
	// prints it ("latest: digest: sha256:... size: 527").
	ManifestSize int64
	// RepoTags are the image's tags in Docker's short form
	// ("busybox:latest", "localhost:5000/app:1"); empty for an untagged
	// image.
	RepoTags []string
	// RepoDigests name the image by its manifest digest in each registry
	// repository it was pulled from or pushed to, in Docker's short form
	// ("localhost:5000/app@sha256:..."); empty for an image that never
	// went through a registry.
	RepoDigests []string
	// Created is when the image was made; zero if its config does not
	// say.
	Created time.Time
	// Size is the sum of the sizes of the image's layers as stored:
	// compressed as pulled, uncompressed for the layers this engine made
	// (Import, Build, Commit) and the layer.tar files of Docker archives,
	// until a Push compresses them.
	Size int64
	// Architecture, OS and Variant are the image's platform ("amd64",
	// "linux"; a Variant such as "v7" only where the architecture has
	// them).
	Architecture, OS, Variant string
	// Author is the image's author: docker commit --author, a
	// Dockerfile's MAINTAINER; empty if it names none.
	Author string `json:",omitempty"`
	// Config is the image's runtime configuration: Cmd, Entrypoint, Env,
	// WorkingDir, User, Labels...
	Config ocispec.ImageConfig
	// Healthcheck, Shell and OnBuild are the fields of Docker's image
	// config that the OCI one lacks, as a Dockerfile's HEALTHCHECK,
	// SHELL and ONBUILD set them (docker inspect shows them under
	// Config).
	//
	// Healthcheck is the image's health check; nil when it sets none.
	// Its containers run it (see Config.Healthcheck), and builds FROM
	// the image and commits keep it.
	Healthcheck *Healthcheck `json:",omitempty"`
	// Shell is the shell that runs the shell form of RUN, CMD and
	// ENTRYPOINT in builds FROM the image; nil: ["/bin/sh", "-c"].
	Shell []string `json:",omitempty"`
	// OnBuild are the image's ONBUILD triggers, each an instruction's
	// text ("RUN make"), that a build FROM the image runs right after
	// its FROM.
	OnBuild []string `json:",omitempty"`
	// Layers are the diff IDs (digests of the uncompressed layer tars),
	// bottom to top.
	Layers []string
	// History is how the image was made, oldest first, one entry per
	// step (a step that added no layer says EmptyLayer), as
	// "docker history" shows it; empty if the config has none.
	History []ocispec.History
	// Parent is the ID of the image this one was made on, as docker
	// inspect shows it: a build step's previous step (the first step's
	// base image), a committed container's image. Empty for pulled,
	// imported and loaded images, and when the record is missing. The
	// parent may have been removed since.
	Parent string `json:",omitempty"`
}

// Healthcheck is how a container of an image checks its health (Docker's
// HEALTHCHECK). A zero duration or Retries means docker's default (30s
// interval, 30s timeout, no start period, 5s start interval, 3 retries).
// It marshals to JSON as docker's image config has it: durations in
// nanoseconds, zero values left out.
type Healthcheck struct {
	// Test is ["NONE"] (no health check, not even the base image's),
	// ["CMD", arg...] (run directly) or ["CMD-SHELL", command] (run by
	// the image's shell).
	Test []string `json:",omitempty"`
	// Interval is the time between two checks.
	Interval time.Duration `json:",omitempty"`
	// Timeout is how long a check may run before it counts as failed.
	Timeout time.Duration `json:",omitempty"`
	// StartPeriod is the time after the start during which failures do
	// not count.
	StartPeriod time.Duration `json:",omitempty"`
	// StartInterval is the time between checks during StartPeriod.
	StartInterval time.Duration `json:",omitempty"`
	// Retries is how many consecutive failures make the container
	// unhealthy.
	Retries int `json:",omitempty"`
}

// ImportOption configures Import and ImportDir.
type ImportOption func(*importOptions) error

type importOptions struct {
	store.ImportOptions
	changes []string
}

// ImportConfig sets the runtime configuration of the imported image. By
// default it is empty: a container of the image needs a Cmd.
func ImportConfig(cfg ocispec.ImageConfig) ImportOption {
	return func(o *importOptions) error {
		o.Config = store.RuntimeConfig{ImageConfig: cfg}
		return nil
	}
}

// ImportChange applies a Dockerfile instruction to the imported image's
// configuration, as "docker import --change" does, with the parser and
// the rules of CommitChange (the same instructions: CMD, ENTRYPOINT, ENV,
// EXPOSE, HEALTHCHECK, LABEL, ONBUILD, STOPSIGNAL, USER, VOLUME, WORKDIR).
// It may be given several times; changes apply in order, after
// ImportConfig. A malformed or refused instruction makes Import fail with
// an error wrapping ErrInvalid before it reads the archive.
func ImportChange(instruction string) ImportOption {
	return func(o *importOptions) error {
		o.changes = append(o.changes, instruction)
		return nil
	}
}

// ImportMessage sets the comment of the imported image's history
// entry ("docker import --message"). By default it is empty.
func ImportMessage(msg string) ImportOption {
	return func(o *importOptions) error {
		o.Message = msg
		return nil
	}
}

// ImportCreated sets the creation time of the imported image; the
// default is the time of the import. A fixed time makes imports of the
// same content give the same image ID.
func ImportCreated(t time.Time) ImportOption {
	return func(o *importOptions) error {
		if t.IsZero() {
			return invalidf("ImportCreated: zero time")
		}
		o.Created = t
		return nil
	}
}

// Import makes an image of one layer from r, a tar archive of a root
// filesystem, plain or gzip-compressed, as "docker import" does, and tags
// it ref ("name" or "name:tag"; the tag defaults to "latest"). An empty
// ref leaves the image untagged; a ref that tags another image moves to
// this one.
//
// The archive is read once and unpacked as it arrives. Entries that would
// escape the root filesystem, device nodes and malformed whiteouts are
// refused. On error nothing is added to the store. A malformed ref or
// archive gives an error wrapping ErrInvalid.
func (e *Engine) Import(ctx context.Context, r io.Reader, ref string, opts ...ImportOption) (*Image, error) {
	o := importOptions{ImportOptions: store.ImportOptions{Ref: ref}}
	for _, opt := range opts {
		if err := opt(&o); err != nil {
			return nil, err
		}
	}
	if len(o.changes) > 0 {
		cfg := store.Config{Config: o.Config}
		if err := applyChanges(&cfg, o.changes); err != nil {
			return nil, fmt.Errorf("import: %w", err)
		}
		o.Config = cfg.Config
	}
	img, err := e.store.Import(ctx, r, o.ImportOptions)
	if err != nil {
		return nil, translate(err)
	}
	e.emitImage("import", img.ID.String(), img.ID.String())
	if ref != "" {
		e.emitImage("tag", img.ID.String(), familiarRef(ref))
	}
	return newImage(img), nil
}

// ImportDir is Import of the directory tree dir: its files, with their
// owners, modes, links and extended attributes, become the image's root
// filesystem. dir should not change during the import.
func (e *Engine) ImportDir(ctx context.Context, dir string, ref string, opts ...ImportOption) (*Image, error) {
	pr, pw := io.Pipe()
	done := make(chan struct{})
	go func() {
		defer close(done)
		pw.CloseWithError(archive.WriteDir(ctx, pw, dir))
	}()
	img, err := e.Import(ctx, pr, ref, opts...)
	pr.CloseWithError(errors.New("import ended")) // stops WriteDir if Import failed early
	<-done
	if err != nil {
		return nil, fmt.Errorf("import %s: %w", dir, err)
	}
	return img, nil
}

// ImagesOption is an option of Images.
type ImagesOption func(*imagesOptions) error

type imagesOptions struct {
	all bool
}

// ImagesAll makes Images list the intermediate images too ("docker images
// -a"): untagged images that are the parent of another image, such as the
// images of a build's steps.
func ImagesAll() ImagesOption {
	return func(o *imagesOptions) error {
		o.all = true
		return nil
	}
}

// Images lists the images of the store, newest first, as "docker images"
// does: tagged images and dangling ones (untagged, with no child, such as
// an untagged build's result or an image whose tag moved), but not the
// intermediate ones (untagged parents of another image: the steps of a
// build) unless ImagesAll. An image whose manifest or config is missing or
// corrupt is left out; Image reports the problem and RemoveImage removes
// it.
func (e *Engine) Images(ctx context.Context, opts ...ImagesOption) ([]*Image, error) {
	var o imagesOptions
	for _, opt := range opts {
		if err := opt(&o); err != nil {
			return nil, err
		}
	}
	imgs, err := e.store.Images()
	if err != nil {
		return nil, translate(err)
	}
	parents := map[digest.Digest]bool{}
	for i := range imgs {
		if p := imgs[i].Parent; p != "" {
			parents[p] = true
		}
	}
	out := make([]*Image, 0, len(imgs))
	sources := e.readSources()
	for i := range imgs {
		if !o.all && len(imgs[i].Names) == 0 && parents[imgs[i].ID] {
			continue // intermediate
		}
		img := newImage(&imgs[i])
		img.RepoDigests = repoDigests(sources, img)
		out = append(out, img)
	}
	return out, nil
}

// Image returns the image that ref names: a name with or without a tag, a
// name with a manifest digest, an image ID, or a unique prefix of an image
// ID (tried after the name, as in Docker). An unknown ref gives an error
// wrapping ErrNotFound; a malformed one, or an ID prefix that matches
// several images, ErrInvalid.
func (e *Engine) Image(ctx context.Context, ref string) (*Image, error) {
	img, err := e.store.Resolve(ref)
	if err != nil {
		return nil, translate(err)
	}
	out := newImage(img)
	out.RepoDigests = repoDigests(e.readSources(), out)
	return out, nil
}

// repoDigests lists the repositories that img's config blob went through
// (the record Push uses to mount blobs), with img's manifest digest.
func repoDigests(sources map[digest.Digest][]string, img *Image) []string {
	var out []string
	for _, repo := range sources[digest.Digest(img.ID)] {
		r, err := reference.ParseNoDefaultTag(repo)
		if err != nil {
			continue
		}
		out = append(out, r.FamiliarName()+"@"+img.Digest)
	}
	return out
}

// Tag gives the image that ref names the tag newRef, as "docker tag" does.
// The tag moves off any image that had it (which stays, untagged). A
// malformed newRef, or one with a digest, gives an error wrapping
// ErrInvalid; an unknown ref, ErrNotFound.
func (e *Engine) Tag(ctx context.Context, ref, newRef string) error {
	if err := e.store.Tag(ref, newRef); err != nil {
		return translate(err)
	}
	if img, err := e.store.Resolve(newRef); err == nil {
		e.emitImage("tag", img.ID.String(), familiarRef(newRef))
	}
	return nil
}

// RemoveImage removes an image or a tag, as "docker rmi" does, and returns
// what it did in Docker's words ("Untagged: busybox:latest",
// "Deleted: sha256:...").
//
// By name it untags, and deletes the image with its last tag. By ID it
// deletes the image and all its tags; an image with several tags needs
// RemoveForce. An image that a container was created from cannot be
// removed without it, and then it only untags: the image stays, untagged,
// until the container is gone; likewise an image that a build in progress
// uses, in any engine on the root. An image that is the parent of another
// image (see Image.Parent) is never deleted: by ID that is refused, even
// with RemoveForce, and by its last tag it is untagged and stays as an
// intermediate image. Refusals wrap ErrInUse. Deleting an image removes
// its manifest, its config, and the layers no other image uses, then its
// parent likewise if it is untagged and no other image, no container and
// no build in progress uses it, and so on up the chain: removing a built
// image removes its build's intermediate images, except those another
// build shares.
func (e *Engine) RemoveImage(ctx context.Context, ref string, opts ...RemoveOption) ([]string, error) {
	o, err := applyRemoveOptions("image", opts)
	if err != nil {
		return nil, err
	}
	force := o.force
	ids, untagged := e.imageIDs(), ""
	if img, err := e.store.Resolve(ref); err == nil {
		untagged = img.ID.String()
	}
	// inUse runs under the engine's lock: imageInUse must not take it.
	lines, err := e.store.Remove(ref, force, func(id digest.Digest) bool {
		return e.imageInUse(id.String())
	})
	e.emitRemoval(lines, ids, untagged)
	return lines, translate(err)
}

// PruneOption is an option of Prune, PruneVolumes and PruneContainers.
type PruneOption func(*pruneOptions) error

type pruneOptions struct {
	all bool
	// volumes makes PruneSystem prune volumes (PruneWithVolumes).
	volumes bool
	// until and labels filter PruneContainers (PruneUntil, PruneLabel).
	until  time.Time
	labels []labelSelector
}

// PruneAll makes Prune remove every image that no container uses, tagged
// or not ("docker image prune -a"), instead of the dangling ones only,
// PruneVolumes every volume no container mounts, named or not
// ("docker volume prune -a"), instead of the anonymous ones only,
// PruneBuildCache every record, and PruneSystem all of these (but the
// named volumes).
func PruneAll() PruneOption {
	return func(o *pruneOptions) error {
		o.all = true
		return nil
	}
}

func applyPruneOptions(opts []PruneOption) (pruneOptions, error) {
	var o pruneOptions
	for _, opt := range opts {
		if err := opt(&o); err != nil {
			return o, err
		}
	}
	return o, nil
}

// PruneReport is what Prune, PruneContainers or PruneBuildCache did.
type PruneReport struct {
	// Deleted is what was removed, in order. For Prune, in Docker's
	// words: RemoveImage's lines for each image ("Untagged: app:v1",
	// "Deleted: sha256:<image ID>", "Deleted: sha256:<chain ID>" for
	// its layers), then "Deleted: <digest>" for each blob and layer
	// that no image reached any more. For PruneContainers the
	// containers' IDs, for PruneBuildCache the records' IDs.
	Deleted []string
	// SpaceReclaimed is the bytes freed: for Prune the sum of the sizes
	// of the blobs removed (unpacked layer directories not counted).
	SpaceReclaimed int64
}

// Prune removes unused images and data, as "docker image prune" does.
//
// First the dangling images (untagged, and the parent of no image: an
// untagged build's result, an image whose tag moved), or with PruneAll
// every image, go as RemoveImage without RemoveForce removes them, with their
// untagged parents (a build's intermediate images). Images that a
// container was created from are kept, and so are the images of a build
// in progress in any engine on the same root (its base image, its cached
// and new steps; see Build), and the intermediate images of the images
// kept.
//
// PruneUntil and PruneLabel narrow the first part to the images created
// before a time and to those with (or without) labels, as docker image
// prune --filter until= and label= do; the untagged parents of the images
// removed still go with them.
//
// Then it removes what no image reaches: layer blobs and unpacked layers
// left by removed images or by a load or pull that failed after storing
// them, and leftovers in the state directory's tmp/ of operations that
// crashed. To spare the work of other goroutines and processes in progress
// (a pull that has stored blobs but not yet tagged its image), this second
// part removes only what is older than an hour. Last, the seccomp
// programs that other builds of the program compiled and cached go.
func (e *Engine) Prune(ctx context.Context, opts ...PruneOption) (*PruneReport, error) {
	o, err := applyPruneOptions(opts)
	if err != nil {
		return nil, fmt.Errorf("prune: %w", err)
	}
	var selects func(*store.Image) bool
	if !o.until.IsZero() || len(o.labels) > 0 {
		selects = func(img *store.Image) bool {
			created := img.Config.Created
			if !o.until.IsZero() && (created == nil || !created.Before(o.until)) {
				return false
			}
			return o.matchLabels(img.Config.Config.Labels)
		}
	}
	rep := &PruneReport{}
	ids := e.imageIDs()
	lines, n, err := e.store.PruneImagesMatching(ctx, o.all, func(id digest.Digest) bool {
		return e.imageInUse(id.String())
	}, selects)
	e.emitRemoval(lines, ids, "")
	rep.Deleted, rep.SpaceReclaimed = lines, n
	defer func() { e.emitPrune(EventImage, rep.SpaceReclaimed) }()
	if err != nil {
		return rep, translate(err)
	}
	lines, n, err = e.store.Prune(ctx, store.TmpGrace)
	rep.Deleted = append(rep.Deleted, lines...)
	rep.SpaceReclaimed += n
	if err != nil {
		return rep, translate(err)
	}
	// The compiled seccomp profiles of other builds of the program.
	return rep, e.pruneSeccompCache()
}

// newImage makes the public view of a store image.
func newImage(img *store.Image) *Image {
	out := &Image{
		ID:           img.ID.String(),
		Digest:       img.Digest.String(),
		ManifestSize: img.ManifestSize,
		Size:         img.Size,
		Architecture: img.Config.Architecture,
		OS:           img.Config.OS,
		Variant:      img.Config.Variant,
		Author:       img.Config.Author,
		Config:       img.Config.Config.ImageConfig,
		Shell:        img.Config.Config.Shell,
		OnBuild:      img.Config.Config.OnBuild,
		RepoTags:     []string{},
		Layers:       []string{},
		History:      img.Config.History,
		Parent:       img.Parent.String(),
	}
	if img.Config.Created != nil {
		out.Created = *img.Config.Created
	}
	if h := img.Config.Config.Healthcheck; h != nil {
		hc := Healthcheck(*h)
		out.Healthcheck = &hc
	}
	for _, n := range img.Names {
		if r, err := reference.Parse(n); err == nil {
			n = r.Familiar()
		}
		out.RepoTags = append(out.RepoTags, n)
	}
	for _, d := range img.Config.RootFS.DiffIDs {
		out.Layers = append(out.Layers, d.String())
	}
	return out
}

// storeError keeps the store's message and adds the engine's sentinel, so
// that errors.Is(err, ErrNotFound) holds for a store.ErrNotFound.
type storeError struct {
	err  error
	kind error
}

func (e *storeError) Error() string   { return e.err.Error() }
func (e *storeError) Unwrap() []error { return []error{e.err, e.kind} }

// translate maps the sentinel errors of the internal packages (store,
// reference, archive, user, build) to the engine's.
func translate(err error) error {
	if err == nil {
		return nil
	}
	for _, m := range []struct{ from, to error }{
		{store.ErrNotFound, ErrNotFound},
		{store.ErrInvalid, ErrInvalid},
		{store.ErrInUse, ErrInUse},
		{store.ErrExist, ErrExist},
		{reference.ErrInvalid, ErrInvalid},
		{archive.ErrUnsafe, ErrInvalid},
		{archive.ErrLimit, ErrInvalid},
		{user.ErrInvalid, ErrInvalid},
		{build.ErrNotFound, ErrNotFound},
		{build.ErrInvalid, ErrInvalid},
		{build.ErrUnsupported, ErrUnsupported},
	} {
		if errors.Is(err, m.from) {
			return &storeError{err: err, kind: m.to}
		}
	}
	return err
}

package store

import (
	"bytes"
	"context"
	"errors"
	"os"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/go-dock/dock/internal/testutil"
	"github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
)

// stepClock orders the created times of the images step makes.
var stepClock atomic.Int64

// step commits one build step on parent: a layer with body, untagged
// unless ref, at a distinct created time so that the order is fixed.
func step(t testing.TB, s *Store, parent *Image, body, ref string, lease *Lease) *Image {
	t.Helper()
	created := time.Unix(1700000000, 0).Add(time.Duration(stepClock.Add(1)) * time.Second).UTC()
	cfg := Config{Created: &created, History: []ocispec.History{{CreatedBy: body}}}
	if parent != nil {
		cfg.History = append(slices.Clone(parent.Config.History), cfg.History...)
	}
	img, err := s.Commit(context.Background(), parent, bytes.NewReader(smallTar(t, body)), cfg, ref, lease)
	if err != nil {
		t.Fatalf("Commit(%s) = %v", body, err)
	}
	return img
}

// chainOf builds n steps on base and returns their images, oldest first;
// the last is tagged ref.
func chainOf(t testing.TB, s *Store, base *Image, prefix string, n int, ref string) []*Image {
	t.Helper()
	var out []*Image
	p := base
	for i := range n {
		r := ""
		if i == n-1 {
			r = ref
		}
		p = step(t, s, p, prefix+string(rune('a'+i)), r, nil)
		out = append(out, p)
	}
	return out
}

func imageIDs(t testing.TB, s *Store) []digest.Digest {
	t.Helper()
	imgs, err := s.Images()
	if err != nil {
		t.Fatal(err)
	}
	var out []digest.Digest
	for _, img := range imgs {
		out = append(out, img.ID)
	}
	slices.Sort(out)
	return out
}

func idsOf(imgs ...*Image) []digest.Digest {
	var out []digest.Digest
	for _, img := range imgs {
		out = append(out, img.ID)
	}
	slices.Sort(out)
	return out
}

func TestCommitRecordsParent(t *testing.T) {
	testutil.RequireRoot(t)
	s := newStore(t)
	base := importTar(t, s, smallTar(t, "base"), "base")
	if base.Parent != "" {
		t.Errorf("imported image Parent = %q, want none", base.Parent)
	}
	steps := chainOf(t, s, base, "s", 3, "")
	for i, img := range steps {
		want := base.ID
		if i > 0 {
			want = steps[i-1].ID
		}
		if img.Parent != want {
			t.Errorf("Commit step %d: Parent = %s, want %s", i, img.Parent, want)
		}
		got, err := s.Resolve(img.ID.String())
		if err != nil || got.Parent != want {
			t.Errorf("Resolve(step %d).Parent = %v, %v, want %s", i, got, err, want)
		}
		b, err := os.ReadFile(s.path("images", img.ID.Encoded(), "parent"))
		if err != nil || string(b) != want.String()+"\n" {
			t.Errorf("images/%s/parent = %q, %v", img.ID.Encoded()[:12], b, err)
		}
	}
	// A config-only commit that changes nothing is its own parent's
	// image: no self-link.
	same, err := s.Commit(context.Background(), steps[2], nil, steps[2].Config, "", nil)
	if err != nil || same.ID != steps[2].ID || same.Parent != steps[1].ID {
		t.Errorf("Commit(same config) = %v, %v, want the same image, parent kept", same, err)
	}
	checkClean(t, s)
}

func TestRemoveDeletesUntaggedParents(t *testing.T) {
	testutil.RequireRoot(t)
	s := newStore(t)
	base := importTar(t, s, smallTar(t, "base"), "base")
	steps := chainOf(t, s, base, "s", 4, "app:v1")
	lines, err := s.Remove("app:v1", false, nil)
	want := []string{"Untagged: app:v1"}
	for i := len(steps) - 1; i >= 0; i-- {
		want = append(want, "Deleted: "+steps[i].ID.String(), "Deleted: "+steps[i].ChainIDs()[i+1].String())
	}
	if err != nil || !slices.Equal(lines, want) {
		t.Errorf("Remove(app:v1) = %q, %v\nwant %q", lines, err, want)
	}
	if got := imageIDs(t, s); !slices.Equal(got, idsOf(base)) {
		t.Errorf("images after Remove = %v, want the tagged base only", got)
	}
	if got := listDir(t, s.path("images")); len(got) != 0 {
		t.Errorf("images/ = %v, want empty", got)
	}
	if _, err := s.LayerDirs(context.Background(), base); err != nil {
		t.Errorf("LayerDirs(base) = %v", err)
	}
	checkClean(t, s)
}

func TestRemoveKeepsSharedParents(t *testing.T) {
	testutil.RequireRoot(t)
	s := newStore(t)
	base := importTar(t, s, smallTar(t, "base"), "base")
	shared := chainOf(t, s, base, "shared", 2, "")
	a := step(t, s, shared[1], "a", "a", nil)
	b := step(t, s, shared[1], "b", "b", nil)
	lines, err := s.Remove("a", false, nil)
	want := []string{"Untagged: a:latest", "Deleted: " + a.ID.String(), "Deleted: " + a.ChainIDs()[3].String()}
	if err != nil || !slices.Equal(lines, want) {
		t.Errorf("Remove(a) = %q, %v, want %q (the shared steps kept for b)", lines, err, want)
	}
	if got, want := imageIDs(t, s), idsOf(base, shared[0], shared[1], b); !slices.Equal(got, want) {
		t.Errorf("images = %v, want %v", got, want)
	}
	if _, err := s.LayerDirs(context.Background(), b); err != nil {
		t.Errorf("LayerDirs(b) = %v", err)
	}
	lines, err = s.Remove("b", false, nil)
	if err != nil || len(lines) != 7 || !slices.Contains(lines, "Deleted: "+shared[0].ID.String()) {
		t.Errorf("Remove(b) = %q, %v, want b and both shared steps deleted", lines, err)
	}
	if got := imageIDs(t, s); !slices.Equal(got, idsOf(base)) {
		t.Errorf("images = %v, want the base only", got)
	}
	checkClean(t, s)
}

func TestRemoveParentRules(t *testing.T) {
	testutil.RequireRoot(t)
	s := newStore(t)
	base := importTar(t, s, smallTar(t, "base"), "base")
	steps := chainOf(t, s, base, "s", 3, "app")
	// An image with a child: not deleted by ID, even with force.
	for _, force := range []bool{false, true} {
		if _, err := s.Remove(steps[1].ID.String(), force, nil); !errors.Is(err, ErrInUse) || !strings.Contains(err.Error(), "dependent child") {
			t.Errorf("Remove(parent by ID, force=%v) = %v, want ErrInUse", force, err)
		}
	}
	// By its last tag: untagged, kept as an intermediate image.
	lines, err := s.Remove("base", false, nil)
	if err != nil || !slices.Equal(lines, []string{"Untagged: base:latest"}) {
		t.Errorf("Remove(base with a child) = %q, %v, want an untag only", lines, err)
	}
	if img, err := s.Resolve(base.ID.String()); err != nil || len(img.Names) != 0 {
		t.Errorf("base after untag = %v, %v, want kept untagged", img, err)
	}
	// A parent used by a container stops the chain; the chain then
	// goes with the image that used it... when it is removed.
	used := func(id digest.Digest) bool { return id == steps[0].ID }
	lines, err = s.Remove("app", false, used)
	want := []string{"Untagged: app:latest",
		"Deleted: " + steps[2].ID.String(), "Deleted: " + steps[2].ChainIDs()[3].String(),
		"Deleted: " + steps[1].ID.String(), "Deleted: " + steps[1].ChainIDs()[2].String()}
	if err != nil || !slices.Equal(lines, want) {
		t.Errorf("Remove(app) with steps[0] in use = %q, %v\nwant %q", lines, err, want)
	}
	if got, want := imageIDs(t, s), idsOf(base, steps[0]); !slices.Equal(got, want) {
		t.Errorf("images = %v, want %v", got, want)
	}
	// Now steps[0] is dangling: removing it by ID takes the untagged base.
	lines, err = s.Remove(steps[0].ID.String(), false, nil)
	if err != nil || len(lines) != 4 || lines[2] != "Deleted: "+base.ID.String() {
		t.Errorf("Remove(steps[0]) = %q, %v, want it and the untagged base deleted", lines, err)
	}
	if got := imageIDs(t, s); len(got) != 0 {
		t.Errorf("images = %v, want none", got)
	}
	if got := listDir(t, s.path("blobs/sha256")); len(got) != 0 {
		t.Errorf("blobs/ = %v, want empty", got)
	}
	checkClean(t, s)
}

func TestPruneImages(t *testing.T) {
	testutil.RequireRoot(t)
	ctx := context.Background()
	s := newStore(t)
	base := importTar(t, s, smallTar(t, "base"), "base")
	dangling := chainOf(t, s, base, "d", 3, "")
	tagged := chainOf(t, s, base, "t", 2, "tagged")
	used := chainOf(t, s, base, "u", 2, "")
	inUse := func(id digest.Digest) bool { return id == used[1].ID }

	lines, n, err := s.PruneImages(ctx, false, inUse)
	var want []string
	for i := len(dangling) - 1; i >= 0; i-- {
		want = append(want, "Deleted: "+dangling[i].ID.String(), "Deleted: "+dangling[i].ChainIDs()[i+1].String())
	}
	if err != nil || !slices.Equal(lines, want) || n <= 0 {
		t.Errorf("PruneImages(dangling) = %q, %d, %v\nwant %q", lines, n, err, want)
	}
	if got, want := imageIDs(t, s), idsOf(base, tagged[0], tagged[1], used[0], used[1]); !slices.Equal(got, want) {
		t.Errorf("images after prune = %v, want %v", got, want)
	}
	// Nothing dangling is left.
	if lines, _, err := s.PruneImages(ctx, false, inUse); err != nil || len(lines) != 0 {
		t.Errorf("PruneImages again = %q, %v, want nothing", lines, err)
	}
	// -a: every image without a container, the base untagged but kept
	// (the used chain is its child).
	lines, _, err = s.PruneImages(ctx, true, inUse)
	if err != nil || !slices.Contains(lines, "Untagged: tagged:latest") || !slices.Contains(lines, "Deleted: "+tagged[0].ID.String()) ||
		!slices.Contains(lines, "Untagged: base:latest") || slices.Contains(lines, "Deleted: "+base.ID.String()) {
		t.Errorf("PruneImages(all) = %q, %v", lines, err)
	}
	if got, want := imageIDs(t, s), idsOf(base, used[0], used[1]); !slices.Equal(got, want) {
		t.Errorf("images after prune -a = %v, want the used chain and base", got)
	}
	// Once the container is gone, everything goes.
	if _, _, err := s.PruneImages(ctx, true, nil); err != nil {
		t.Fatal(err)
	}
	if got := imageIDs(t, s); len(got) != 0 {
		t.Errorf("images = %v, want none", got)
	}
	if got := listDir(t, s.path("blobs/sha256")); len(got) != 0 {
		t.Errorf("blobs/ = %v, want empty", got)
	}
	checkClean(t, s)
}

// A lease of another Store on the root (another process) keeps its images
// from prunes and from rmi's parent chains; a stale one does not.
func TestLeaseProtectsFromPrune(t *testing.T) {
	testutil.RequireRoot(t)
	ctx := context.Background()
	root := t.TempDir()
	builder := openStore(t, root)
	pruner := openStore(t, root)
	base := importTar(t, builder, smallTar(t, "base"), "base")
	lease, err := builder.NewLease()
	if err != nil {
		t.Fatal(err)
	}
	defer lease.Release()
	s1 := step(t, builder, base, "s1", "", lease)
	s2 := step(t, builder, s1, "s2", "", lease)
	if lines, _, err := pruner.PruneImages(ctx, true, nil); err != nil || slices.Contains(lines, "Deleted: "+s2.ID.String()) || slices.Contains(lines, "Deleted: "+s1.ID.String()) {
		t.Errorf("PruneImages during the build = %q, %v, want the leased images kept", lines, err)
	}
	// An explicit rmi of a leased image is refused without force, as for
	// an image a container uses.
	if _, err := pruner.Remove(s2.ID.String(), false, nil); !errors.Is(err, ErrInUse) || !strings.Contains(err.Error(), "build in progress") {
		t.Errorf("Remove(leased image) = %v, want ErrInUse", err)
	}
	// The build's next step still finds its parent.
	step(t, builder, s2, "s3", "other", nil)
	// rmi of a child does not take a leased parent.
	if _, err := pruner.Remove("other", false, nil); err != nil {
		t.Fatal(err)
	}
	if _, err := pruner.Resolve(s2.ID.String()); err != nil {
		t.Errorf("leased parent after rmi of its child: %v, want kept", err)
	}
	// A lease older than TmpGrace is a crash's leftover: ignored.
	old := time.Now().Add(-2 * TmpGrace)
	if err := os.Chtimes(builder.path(lease.name), old, old); err != nil {
		t.Fatal(err)
	}
	if lines, _, err := pruner.PruneImages(ctx, false, nil); err != nil || !slices.Contains(lines, "Deleted: "+s2.ID.String()) || !slices.Contains(lines, "Deleted: "+s1.ID.String()) {
		t.Errorf("PruneImages with a stale lease = %q, %v, want the chain deleted", lines, err)
	}
	lease.Release()
	lease.Release()
	checkClean(t, builder)
}

// Hand-corrupted parent records are ignored: the image counts as having no
// parent, and listing, removal and prune go on.
func TestMalformedParent(t *testing.T) {
	testutil.RequireRoot(t)
	ctx := context.Background()
	s := newStore(t)
	base := importTar(t, s, smallTar(t, "base"), "")
	steps := chainOf(t, s, base, "s", 2, "")
	bad := []string{"", "garbage", "sha256:xyz\n", strings.Repeat("a", 4096), steps[1].ID.String()}
	for _, content := range bad {
		if err := os.WriteFile(s.path("images", steps[1].ID.Encoded(), "parent"), []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
		img, err := s.Resolve(steps[1].ID.String())
		if err != nil || img.Parent != "" {
			t.Errorf("parent file %.20q: Resolve = %v, %v, want no parent", content, img, err)
		}
		if got := imageIDs(t, s); len(got) != 3 {
			t.Errorf("parent file %.20q: Images = %v, want 3", content, got)
		}
	}
	// Unlinked, steps[0] is dangling like steps[1]: prune takes both
	// chains (steps[0] with the untagged base).
	lines, _, err := s.PruneImages(ctx, false, nil)
	if err != nil || len(lines) != 6 {
		t.Errorf("PruneImages = %q, %v, want 3 images and 3 layers deleted", lines, err)
	}
	if got := imageIDs(t, s); len(got) != 0 {
		t.Errorf("images = %v, want none", got)
	}
	if got := listDir(t, s.path("images")); len(got) != 0 {
		t.Errorf("images/ = %v, want empty", got)
	}
	checkClean(t, s)
}

// Prune removes the metadata of images the index no longer names (a crash
// between the record and the index), under its age rule.
func TestPruneOrphanMetadata(t *testing.T) {
	ctx := context.Background()
	s := newStore(t)
	orphan := s.path("images", strings.Repeat("ab", 32))
	if err := os.MkdirAll(orphan, 0o711); err != nil {
		t.Fatal(err)
	}
	if _, _, err := s.Prune(ctx, TmpGrace); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(orphan); err != nil {
		t.Errorf("young orphan metadata: %v, want kept", err)
	}
	if _, _, err := s.Prune(ctx, 0); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(orphan); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("old orphan metadata: %v, want removed", err)
	}
	checkClean(t, s)
}

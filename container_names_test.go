package dock

import (
	"context"
	"regexp"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestCreateRandomName: containers created without a name get distinct
// adjective_surname names, which find them.
func TestCreateRandomName(t *testing.T) {
	e := testStore(t)
	ctx := context.Background()
	re := regexp.MustCompile(`^[a-z]+_[a-z]+$`)
	seen := map[string]string{}
	for range 2 {
		c, err := e.Create(ctx, Config{Image: "busybox", Cmd: []string{"true"}})
		require.NoError(t, err)
		info, err := c.Inspect(ctx)
		require.NoError(t, err)
		assert.Regexp(t, re, info.Name)
		assert.Equal(t, info.Name, info.Config.Name, "Config.Name records the name too")
		assert.NotContains(t, seen, info.Name, "names are distinct")
		seen[info.Name] = c.ID()
		found, err := e.Container(info.Name)
		require.NoError(t, err, "Container(%q)", info.Name)
		assert.Equal(t, c.ID(), found.ID())
	}
	// A name given is kept, and one generated cannot be taken again.
	c, err := e.Create(ctx, Config{Image: "busybox", Name: "given", Cmd: []string{"true"}})
	require.NoError(t, err)
	info, err := c.Inspect(ctx)
	require.NoError(t, err)
	assert.Equal(t, "given", info.Name)
	for name := range seen {
		_, err := e.Create(ctx, Config{Image: "busybox", Name: name, Cmd: []string{"true"}})
		assert.ErrorIs(t, err, ErrExist, "Create with the generated name %q", name)
	}
}

func TestRandomNameWords(t *testing.T) {
	word := regexp.MustCompile(`^[a-z]+$`)
	for _, list := range [][]string{nameAdjectives[:], nameSurnames[:]} {
		seen := map[string]bool{}
		for _, w := range list {
			assert.Regexp(t, word, w)
			assert.False(t, seen[w], "%q twice", w)
			seen[w] = true
		}
	}
	// Docker's one exception: Steve Wozniak is not boring. The pair has
	// a chance of 1 in len(adjectives)*len(surnames) (about 21,000) per
	// draw; in 300,000 draws it would come about 14 times.
	for range 300000 {
		if n := randomName(0); n == "boring_wozniak" {
			t.Fatalf("randomName(0) = %q", n)
		}
	}
	assert.Regexp(t, `^[a-z]+_[a-z]+[0-9]$`, randomName(1), "a retry gets a digit")
}

func TestPickName(t *testing.T) {
	id := "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
	taken := map[string]bool{"calm_turing": true}
	var retries []int
	got := pickName(id, taken, func(retry int) string {
		retries = append(retries, retry)
		if retry < 2 {
			return "calm_turing"
		}
		return "calm_turing7"
	})
	assert.Equal(t, "calm_turing7", got)
	assert.Equal(t, []int{0, 1, 2}, retries)
	got = pickName(id, taken, func(int) string { return "calm_turing" })
	assert.Equal(t, "0123456789ab", got, "after six taken names, the short ID")
}

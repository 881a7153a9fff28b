package main

import (
	"context"
	"maps"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/go-dock/dock"
	"github.com/go-dock/dock/dockerapi"
	"github.com/go-dock/dock/internal/reference"
)

// psTable is docker ps's default format; -s adds the SIZE column.
const psTable = "table {{.ID}}\t{{.Image}}\t{{.Command}}\t{{.RunningFor}}\t{{.Status}}\t{{.Ports}}\t{{.Names}}"

// cmdPs is docker ps: running containers, or with -a all of them, newest
// first, those --filter keeps (see dockerapi.ContainerListOptions).
func cmdPs(ctx context.Context, c *cli, args []string) error {
	var all, quiet, noTrunc, latest, size bool
	var format string
	last := -1
	var opts dockerapi.ContainerListOptions
	fs := newFlagSet("ps", true)
	fs.Bool(&all, "a,all", "Show all containers (default shows just running)")
	fs.Func("f,filter", "Filter output based on conditions provided", opts.Filters.Set)
	fs.String(&format, "format", "Format output using a custom template: 'table', 'table TEMPLATE', 'json' or a Go template")
	fs.Int(&last, "n,last", "Show n last created containers (includes all states) (default -1)")
	fs.Bool(&latest, "l,latest", "Show the latest created container (includes all states)")
	fs.Bool(&noTrunc, "no-trunc", "Don't truncate output")
	fs.Bool(&quiet, "q,quiet", "Only display container IDs")
	fs.Bool(&size, "s,size", "Display total file sizes")
	_, err := fs.ParseArgs(args, 0, 0)
	if err != nil {
		return err
	}
	if latest && last == -1 {
		last = 1
	}
	switch {
	case (format == "" || format == "table") && quiet:
		format = "{{.ID}}"
	case format == "" || format == "table":
		format = psTable
		if size {
			format += "\t{{.Size}}"
		}
	}
	lf, err := parseListFormat(format, psTable)
	if err != nil {
		return err
	}
	opts.All, opts.Limit = all, last
	opts.Size = size || lf.uses("Size")
	e, err := c.open()
	if err != nil {
		return err
	}
	defer e.Close()
	list, err := dockerapi.ListContainers(ctx, e, opts)
	if err != nil {
		return err
	}
	now := time.Now()
	rows := make([]any, 0, len(list))
	for _, lc := range list {
		r := &psRow{lc: lc, trunc: !noTrunc, now: now}
		if attached(lc.Info) {
			images := map[string]*dock.Image{lc.Info.ImageID: lc.Image}
			r.ports = psPorts(containerPorts(lc.Info, exposedPorts(ctx, e, lc.Info, images)))
		}
		rows = append(rows, r)
	}
	return lf.write(c.stdout, psHeader{}, rows)
}

// psRow is a container as docker ps's templates see it: each method is a
// field of --format (docker's ContainerContext).
type psRow struct {
	lc    *dockerapi.ListedContainer
	trunc bool
	now   time.Time
	ports string
}

// ID is the container's ID, 12 characters unless --no-trunc.
func (r *psRow) ID() string {
	if r.trunc {
		return shortID(r.lc.Info.ID)
	}
	return r.lc.Info.ID
}

// Image is the image as docker ps shows it: the reference the container
// was made with (without its digest unless --no-trunc), or the image's
// short ID when the reference names another image now.
func (r *psRow) Image() string {
	name := r.lc.ImageName
	if name == "" {
		return "<no image>"
	}
	if !r.trunc {
		return name
	}
	if shortID(name) == shortID(r.lc.Info.ImageID) {
		return shortID(name)
	}
	if ref, err := reference.ParseNoDefaultTag(name); err == nil {
		ref.Digest = ""
		return ref.Familiar()
	}
	return name
}

// Command is the command, quoted, truncated to 20 characters unless
// --no-trunc.
func (r *psRow) Command() string {
	cmd := r.lc.Command
	if r.trunc {
		cmd = ellipsis(cmd, 20)
	}
	return strconv.Quote(cmd)
}

// CreatedAt is the creation time as docker prints it, in local time.
func (r *psRow) CreatedAt() string {
	return r.lc.Info.Created.Truncate(time.Second).Local().String()
}

// RunningFor is the time since the container was created (docker's
// CREATED column).
func (r *psRow) RunningFor() string {
	return humanDuration(r.now.Sub(r.lc.Info.Created)) + " ago"
}

// Ports is the PORTS column: the published and exposed ports of a
// running container on a bridge network.
func (r *psRow) Ports() string { return r.ports }

// State is the status in one word: "running", "exited"...
func (r *psRow) State() string { return string(r.lc.Info.State.Status) }

// Status is the STATUS column: "Up 2 minutes", "Exited (0) 3 seconds ago".
func (r *psRow) Status() string { return dockerapi.ContainerStatus(r.lc.Info, r.now) }

// Size is the size of the container's writable layer, and the virtual
// size with its image's: "12B (virtual 4.26MB)".
func (r *psRow) Size() string {
	var s dock.ContainerSize
	if r.lc.Size != nil {
		s = *r.lc.Size
	}
	out := humanSize(s.RW)
	if s.RootFS > 0 {
		out += " (virtual " + humanSize(s.RootFS) + ")"
	}
	return out
}

// Names is the container's name.
func (r *psRow) Names() string { return r.lc.Info.Name }

// Labels are the labels as key=value, comma-separated, sorted.
func (r *psRow) Labels() string {
	var out []string
	for _, k := range slices.Sorted(maps.Keys(r.lc.Labels)) {
		out = append(out, k+"="+r.lc.Labels[k])
	}
	return strings.Join(out, ",")
}

// Label is the value of a label, "" when the container lacks it.
func (r *psRow) Label(name string) string { return r.lc.Labels[name] }

// Mounts are the mounts' volume names (a bind mount's source),
// comma-separated, each truncated to 15 characters unless --no-trunc.
func (r *psRow) Mounts() string {
	var out []string
	for _, m := range r.lc.Info.Mounts {
		name := m.Name
		if name == "" {
			name = m.Source
		}
		if r.trunc {
			name = ellipsis(name, 15)
		}
		out = append(out, name)
	}
	return strings.Join(out, ",")
}

// LocalVolumes is the number of volumes mounted.
func (r *psRow) LocalVolumes() string {
	n := 0
	for _, m := range r.lc.Info.Mounts {
		if m.Type == "volume" {
			n++
		}
	}
	return strconv.Itoa(n)
}

// Networks are the names of the container's networks, comma-separated,
// sorted.
func (r *psRow) Networks() string {
	var out []string
	for _, n := range r.lc.Networks {
		out = append(out, n.Network)
	}
	slices.Sort(out)
	return strings.Join(out, ",")
}

// MarshalJSON is the row as {{json .}} and --format json write it: every
// field, as docker does.
func (r *psRow) MarshalJSON() ([]byte, error) {
	return marshalRow(map[string]string{
		"Command": r.Command(), "CreatedAt": r.CreatedAt(), "ID": r.ID(), "Image": r.Image(),
		"Labels": r.Labels(), "LocalVolumes": r.LocalVolumes(), "Mounts": r.Mounts(),
		"Names": r.Names(), "Networks": r.Networks(), "Ports": r.Ports(),
		"RunningFor": r.RunningFor(), "Size": r.Size(), "State": r.State(), "Status": r.Status(),
	})
}

// psHeader is what the header row of a table format runs on: docker's
// column names.
type psHeader struct{}

func (psHeader) ID() string           { return "CONTAINER ID" }
func (psHeader) Image() string        { return "IMAGE" }
func (psHeader) Command() string      { return "COMMAND" }
func (psHeader) CreatedAt() string    { return "CREATED AT" }
func (psHeader) RunningFor() string   { return "CREATED" }
func (psHeader) Ports() string        { return "PORTS" }
func (psHeader) State() string        { return "STATE" }
func (psHeader) Status() string       { return "STATUS" }
func (psHeader) Size() string         { return "SIZE" }
func (psHeader) Names() string        { return "NAMES" }
func (psHeader) Labels() string       { return "LABELS" }
func (psHeader) Label(string) string  { return "LABEL" }
func (psHeader) Mounts() string       { return "MOUNTS" }
func (psHeader) LocalVolumes() string { return "LOCAL VOLUMES" }
func (psHeader) Networks() string     { return "NETWORKS" }

// ellipsis truncates s to n runes, the last being "…", as docker ps does.
func ellipsis(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n-1]) + "…"
}

func init() {
	commandDetails["ps"] = `Filters (--filter KEY=VALUE, repeated; values of one key widen the list,
different keys narrow it): status (created, running, paused, exited...),
name (part of the name, or a regular expression), id (prefix), label (KEY
or KEY=VALUE; all must match), label! (without that label), ancestor
(an image, or an image built on it), exited (exit code), before and since
(a container), volume (name or destination), network (name or ID
prefix), publish and expose (port[/proto] or a range), health, is-task.

--format takes a Go template with docker's fields (.ID .Image .Command
.CreatedAt .RunningFor .Ports .State .Status .Size .Names .Labels
.Label "KEY" .Mounts .LocalVolumes .Networks), "table TEMPLATE" for
aligned columns under a header, or json.`
}

package main

import (
	"context"
	"fmt"
	"io"
	"strconv"
	"time"

	"github.com/go-dock/dock"
	"github.com/go-dock/dock/dockerapi"
)

// systemCommands are the subcommands of system, in docker's order.
var systemCommands = []*command{
	{"df", "[OPTIONS]", "Show docker disk usage", systemDf},
	{"events", "[OPTIONS]", "Get real time events from the server", cmdEvents},
	{"info", "[OPTIONS]", "Display system-wide information", cmdInfo},
	{"prune", "[OPTIONS]", "Remove unused data", systemPrune},
}

// systemDfTable is docker system df's default format.
const systemDfTable = "table {{.Type}}\t{{.TotalCount}}\t{{.Active}}\t{{.Size}}\t{{.Reclaimable}}"

// systemDf is docker system df: the summary by kind, or with -v each
// image, container, volume and build cache record.
func systemDf(ctx context.Context, c *cli, args []string) error {
	var verbose bool
	var format string
	fs := newFlagSet("system df", true)
	fs.String(&format, "format", "Format output using a custom template: 'table', 'table TEMPLATE', 'json' or a Go template")
	fs.Bool(&verbose, "v,verbose", "Show detailed information on space usage")
	_, err := fs.ParseArgs(args, 0, 0)
	if err != nil {
		return err
	}
	if verbose && format != "" {
		return fs.errorf("--format is not supported with --verbose")
	}
	lf, err := parseListFormat(format, systemDfTable)
	if err != nil {
		return err
	}
	e, err := c.open()
	if err != nil {
		return err
	}
	defer e.Close()
	du, err := e.DiskUsage(ctx)
	if err != nil {
		return err
	}
	if verbose {
		return writeDfVerbose(ctx, c.stdout, e, du)
	}
	return lf.write(c.stdout, dfHeader{}, []any{dfImages(du), dfContainers(du), dfVolumes(du), dfBuildCache(du)})
}

// dfRow is a row of docker system df's summary (docker's
// diskUsage*Context): each method is a field of --format.
type dfRow struct {
	kind                   string
	total, active          int
	size, reclaimable, all int64 // all: the total reclaimable is a share of, 0 for none
}

func (r *dfRow) Type() string       { return r.kind }
func (r *dfRow) TotalCount() string { return strconv.Itoa(r.total) }
func (r *dfRow) Active() string     { return strconv.Itoa(r.active) }
func (r *dfRow) Size() string       { return humanSize4(r.size) }

// Reclaimable is the bytes a prune would free, with their share of the
// total as docker shows it ("16.38MB (79%)").
func (r *dfRow) Reclaimable() string {
	if r.all > 0 {
		return fmt.Sprintf("%s (%d%%)", humanSize4(r.reclaimable), r.reclaimable*100/r.all)
	}
	return humanSize4(r.reclaimable)
}

func (r *dfRow) MarshalJSON() ([]byte, error) {
	return marshalRow(map[string]string{"Type": r.Type(), "TotalCount": r.TotalCount(), "Active": r.Active(),
		"Size": r.Size(), "Reclaimable": r.Reclaimable()})
}

type dfHeader struct{}

func (dfHeader) Type() string        { return "TYPE" }
func (dfHeader) TotalCount() string  { return "TOTAL" }
func (dfHeader) Active() string      { return "ACTIVE" }
func (dfHeader) Size() string        { return "SIZE" }
func (dfHeader) Reclaimable() string { return "RECLAIMABLE" }

// dfImages: the layers' size; reclaimable is what the images no
// container uses hold on their own.
func dfImages(du *dock.DiskUsage) *dfRow {
	r := &dfRow{kind: "Images", total: len(du.Images), size: du.LayersSize, all: du.LayersSize}
	var used int64
	for _, u := range du.Images {
		if u.Containers > 0 {
			r.active++
			used += u.Image.Size - u.SharedSize
		}
	}
	r.reclaimable = max(du.LayersSize-used, 0)
	return r
}

// dfContainers: the writable layers; reclaimable those of the containers
// that do not run.
func dfContainers(du *dock.DiskUsage) *dfRow {
	r := &dfRow{kind: "Containers", total: len(du.Containers)}
	for _, u := range du.Containers {
		r.size += u.Size.RW
		if s := u.Info.State.Status; s == dock.StatusRunning || s == dock.StatusPaused {
			r.active++
		} else {
			r.reclaimable += u.Size.RW
		}
	}
	r.all = r.size
	return r
}

// dfVolumes: reclaimable what the volumes no container mounts hold.
func dfVolumes(du *dock.DiskUsage) *dfRow {
	r := &dfRow{kind: "Local Volumes", total: len(du.Volumes)}
	for _, v := range du.Volumes {
		r.size += v.Size
		if v.RefCount > 0 {
			r.active++
		} else {
			r.reclaimable += v.Size
		}
	}
	r.all = r.size
	return r
}

// dfBuildCache: what the records hold on their own (not the step
// images, counted as images); reclaimable what no build uses now.
func dfBuildCache(du *dock.DiskUsage) *dfRow {
	r := &dfRow{kind: "Build Cache", total: len(du.BuildCache)}
	for _, b := range du.BuildCache {
		if b.InUse {
			r.active++
		}
		if !b.Shared {
			r.size += b.Size
			if !b.InUse {
				r.reclaimable += b.Size
			}
		}
	}
	return r
}

// writeDfVerbose writes docker system df -v's tables.
func writeDfVerbose(ctx context.Context, w io.Writer, e *dock.Engine, du *dock.DiskUsage) error {
	now := time.Now()
	fmt.Fprint(w, "Images space usage:\n\n")
	lf, err := parseListFormat("table {{.Repository}}\t{{.Tag}}\t{{.ID}}\t{{.CreatedSince}}\t{{.Size}}\t{{.SharedSize}}\t{{.UniqueSize}}\t{{.Containers}}", "")
	if err != nil {
		return err
	}
	var rows []any
	for _, u := range du.Images {
		for _, r := range imageRows(u.Image, false) {
			r.trunc, r.now = true, now
			rows = append(rows, &dfImageRow{imageRow: r, u: u})
		}
	}
	if err := lf.write(w, imagesHeader{}, rows); err != nil {
		return err
	}

	fmt.Fprint(w, "\nContainers space usage:\n\n")
	if lf, err = parseListFormat("table {{.ID}}\t{{.Image}}\t{{.Command}}\t{{.LocalVolumes}}\t{{.Size}}\t{{.RunningFor}}\t{{.Status}}\t{{.Names}}", ""); err != nil {
		return err
	}
	sizes := map[string]int64{}
	for _, u := range du.Containers {
		sizes[u.Info.ID] = u.Size.RW
	}
	list, err := dockerapi.ListContainers(ctx, e, dockerapi.ContainerListOptions{All: true})
	if err != nil {
		return err
	}
	rows = rows[:0]
	for _, lc := range list {
		rows = append(rows, &dfContainerRow{psRow: &psRow{lc: lc, trunc: true, now: now}, size: sizes[lc.Info.ID]})
	}
	if err := lf.write(w, psHeader{}, rows); err != nil {
		return err
	}

	fmt.Fprint(w, "\nLocal Volumes space usage:\n\n")
	if lf, err = parseListFormat("table {{.Name}}\t{{.Links}}\t{{.Size}}", ""); err != nil {
		return err
	}
	rows = rows[:0]
	for _, v := range du.Volumes {
		rows = append(rows, &dfVolumeRow{v})
	}
	if err := lf.write(w, dfVolumeRow{}, rows); err != nil {
		return err
	}

	fmt.Fprintf(w, "\nBuild cache usage: %s\n\n", humanSize4(dfBuildCache(du).size))
	if lf, err = parseListFormat("table {{.ID}}\t{{.CacheType}}\t{{.Size}}\t{{.CreatedSince}}\t{{.LastUsedSince}}\t{{.UsageCount}}\t{{.Shared}}", ""); err != nil {
		return err
	}
	rows = rows[:0]
	for _, b := range du.BuildCache {
		rows = append(rows, &dfCacheRow{b: b, now: now})
	}
	return lf.write(w, dfCacheRow{header: true}, rows)
}

// dfImageRow is an image row of df -v, with what images leaves N/A.
type dfImageRow struct {
	*imageRow
	u dock.ImageUsage
}

func (r *dfImageRow) Containers() string { return strconv.Itoa(r.u.Containers) }
func (r *dfImageRow) SharedSize() string { return humanSize(r.u.SharedSize) }
func (r *dfImageRow) UniqueSize() string { return humanSize(r.u.Image.Size - r.u.SharedSize) }

// dfContainerRow is a container row of df -v: SIZE is its writable
// layer alone.
type dfContainerRow struct {
	*psRow
	size int64
}

func (r *dfContainerRow) Size() string { return humanSize(r.size) }

// dfVolumeRow is a volume row of df -v; its zero value is the header.
type dfVolumeRow struct{ v dock.VolumeUsage }

func (r dfVolumeRow) Name() string {
	if r.v.Volume == nil {
		return "VOLUME NAME"
	}
	return r.v.Volume.Name
}

func (r dfVolumeRow) Links() string {
	if r.v.Volume == nil {
		return "LINKS"
	}
	return strconv.Itoa(r.v.RefCount)
}

func (r dfVolumeRow) Size() string {
	if r.v.Volume == nil {
		return "SIZE"
	}
	return humanSize(r.v.Size)
}

// dfCacheRow is a build cache row of df -v; with header, the header.
type dfCacheRow struct {
	b      dock.BuildCacheRecord
	now    time.Time
	header bool
}

func (r dfCacheRow) pick(header, value string) string {
	if r.header {
		return header
	}
	return value
}

func (r dfCacheRow) ID() string        { return r.pick("CACHE ID", shortID(r.b.ID)) }
func (r dfCacheRow) CacheType() string { return r.pick("CACHE TYPE", r.b.Type) }
func (r dfCacheRow) Size() string      { return r.pick("SIZE", humanSize(r.b.Size)) }
func (r dfCacheRow) CreatedSince() string {
	return r.pick("CREATED", humanDuration(r.now.Sub(r.b.Created))+" ago")
}
func (r dfCacheRow) LastUsedSince() string {
	return r.pick("LAST USED", humanDuration(r.now.Sub(r.b.LastUsed))+" ago")
}
func (r dfCacheRow) UsageCount() string { return r.pick("USAGE", "0") }
func (r dfCacheRow) Shared() string     { return r.pick("SHARED", strconv.FormatBool(r.b.Shared)) }

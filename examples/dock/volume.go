package main

import (
	"context"
	"fmt"
	"strings"

	"github.com/moby/moby/api/types/volume"

	"github.com/go-dock/dock"
	"github.com/go-dock/dock/dockerapi"
)

// volumeCommands are the subcommands of volume, in docker's order.
var volumeCommands = []*command{
	{"create", "[OPTIONS] [VOLUME]", "Create a volume", volumeCreate},
	{"inspect", "[OPTIONS] VOLUME [VOLUME...]", "Display detailed information on one or more volumes", volumeInspect},
	{"ls", "[OPTIONS]", "List volumes", volumeLs},
	{"prune", "[OPTIONS]", "Remove unused local volumes", volumePrune},
	{"rm", "[OPTIONS] VOLUME [VOLUME...]", "Remove one or more volumes", volumeRm},
}

func volumeCreate(ctx context.Context, c *cli, args []string) error {
	var labels []string
	fs := newFlagSet("volume create", true)
	fs.Strings(&labels, "label", "Set metadata for a volume")
	args, err := fs.ParseArgs(args, 0, 1)
	if err != nil {
		return err
	}
	name := "" // an anonymous volume, with a random name, as with docker
	if len(args) == 1 {
		name = args[0]
	}
	e, err := c.open()
	if err != nil {
		return err
	}
	defer e.Close()
	var opts []dock.VolumeOption
	for _, l := range labels {
		k, v, _ := strings.Cut(l, "=")
		opts = append(opts, dock.VolumeLabel(k, v))
	}
	v, err := e.CreateVolume(ctx, name, opts...)
	if err != nil {
		return err
	}
	fmt.Fprintln(c.stdout, v.Name)
	return nil
}

func volumeLs(ctx context.Context, c *cli, args []string) error {
	var quiet bool
	var format string
	fs := newFlagSet("volume ls", true)
	fs.Bool(&quiet, "q,quiet", "Only display volume names")
	fs.String(&format, "format", listFormatUsage)
	_, err := fs.ParseArgs(args, 0, 0)
	if err != nil {
		return err
	}
	if quiet && format == "" {
		format = "{{.Name}}"
	}
	f, err := parseListFormat(format, "table {{.Driver}}\t{{.Name}}")
	if err != nil {
		return err
	}
	e, err := c.open()
	if err != nil {
		return err
	}
	defer e.Close()
	vols, err := e.Volumes(ctx)
	if err != nil {
		return err
	}
	var rows []any
	for _, v := range vols {
		rows = append(rows, newVolumeRow(dockerapi.Volume(v)))
	}
	return f.write(c.stdout, volumeHeader, rows)
}

// volumeRow is a volume as docker volume ls --format sees it (N/A: what
// only Docker's cluster volumes, or docker system df, have).
type volumeRow struct {
	Availability string
	Driver       string
	Group        string
	Labels       string
	Links        string
	Mountpoint   string
	Name         string
	Scope        string
	Size         string
	Status       string
	labels       map[string]string
}

var volumeHeader = listHeader{
	"Availability": "AVAILABILITY", "Driver": "DRIVER", "Group": "GROUP", "Labels": "LABELS", "Links": "LINKS",
	"Mountpoint": "MOUNTPOINT", "Name": "VOLUME NAME", "Scope": "SCOPE", "Size": "SIZE", "Status": "STATUS",
}

func newVolumeRow(v *volume.Volume) *volumeRow {
	return &volumeRow{
		Availability: "N/A", Driver: v.Driver, Group: "N/A", Labels: labelList(v.Labels), Links: "N/A",
		Mountpoint: v.Mountpoint, Name: v.Name, Scope: v.Scope, Size: "N/A", Status: "N/A", labels: v.Labels,
	}
}

// Label is the value of the volume's label name.
func (r *volumeRow) Label(name string) string { return r.labels[name] }

// volumeInspect is docker volume inspect, in Docker's schema.
func volumeInspect(ctx context.Context, c *cli, args []string) error {
	var format string
	fs := newFlagSet("volume inspect", true)
	fs.String(&format, "f,format", formatUsage)
	args, err := fs.ParseArgs(args, 1, noMax)
	if err != nil {
		return err
	}
	e, err := c.open()
	if err != nil {
		return err
	}
	defer e.Close()
	return c.inspectAll(format, args, func(name string) (any, error) {
		return inspectObject(ctx, e, "volume", name, nil)
	})
}

func volumeRm(ctx context.Context, c *cli, args []string) error {
	var force bool
	fs := newFlagSet("volume rm", true)
	fs.Bool(&force, "f,force", "Force the removal of one or more volumes")
	args, err := fs.ParseArgs(args, 1, noMax)
	if err != nil {
		return err
	}
	e, err := c.open()
	if err != nil {
		return err
	}
	defer e.Close()
	return c.eachName(args, func(name string) error { return e.RemoveVolume(ctx, name, forceOption(force)...) })
}

package main

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/moby/moby/api/types/network"

	"github.com/go-dock/dock"
	"github.com/go-dock/dock/dockerapi"
)

// networkCommands are the subcommands of network, in docker's order.
var networkCommands = []*command{
	{"connect", "[OPTIONS] NETWORK CONTAINER", "Connect a container to a network", networkConnect},
	{"create", "[OPTIONS] NETWORK", "Create a network", networkCreate},
	{"disconnect", "[OPTIONS] NETWORK CONTAINER", "Disconnect a container from a network", networkDisconnect},
	{"inspect", "[OPTIONS] NETWORK [NETWORK...]", "Display detailed information on one or more networks", networkInspect},
	{"ls", "[OPTIONS]", "List networks", networkLs},
	{"prune", "[OPTIONS]", "Remove all unused networks", networkPrune},
	{"rm", "NETWORK [NETWORK...]", "Remove one or more networks", networkRm},
}

func networkCreate(ctx context.Context, c *cli, args []string) error {
	var (
		driver                    = "bridge"
		internal, ipv6            bool
		subnets, gateways, ranges []string
		labels, options           []string
	)
	fs := newFlagSet("network create", true)
	fs.String(&driver, "d,driver", "Driver to manage the Network (bridge)")
	fs.Strings(&subnets, "subnet", "Subnet in CIDR format that represents a network segment")
	fs.Strings(&gateways, "gateway", "IPv4 or IPv6 Gateway for the master subnet")
	fs.Strings(&ranges, "ip-range", "Allocate container ip from a sub-range")
	fs.Bool(&internal, "internal", "Restrict external access to the network")
	fs.Bool(&ipv6, "ipv6", "Enable or disable IPv6 networking")
	fs.Strings(&labels, "label", "Set metadata on a network")
	fs.Strings(&options, "o,opt", "Set driver specific options")
	args, err := fs.ParseArgs(args, 1, 1)
	if err != nil {
		return err
	}
	opts := []dock.NetworkOption{dock.NetworkDriver(driver)}
	for _, s := range subnets {
		opts = append(opts, dock.NetworkSubnet(s))
	}
	for _, g := range gateways {
		opts = append(opts, dock.NetworkGateway(g))
	}
	for _, r := range ranges {
		opts = append(opts, dock.NetworkIPRange(r))
	}
	if internal {
		opts = append(opts, dock.NetworkInternal())
	}
	if ipv6 {
		opts = append(opts, dock.NetworkIPv6())
	}
	for _, l := range labels {
		k, v, _ := strings.Cut(l, "=")
		opts = append(opts, dock.NetworkLabel(k, v))
	}
	for _, o := range options {
		k, v, _ := strings.Cut(o, "=")
		opts = append(opts, dock.NetworkDriverOpt(k, v))
	}
	e, err := c.open()
	if err != nil {
		return err
	}
	defer e.Close()
	n, err := e.CreateNetwork(ctx, args[0], opts...)
	if err != nil {
		return err
	}
	fmt.Fprintln(c.stdout, n.ID)
	return nil
}

func networkLs(ctx context.Context, c *cli, args []string) error {
	var quiet, noTrunc bool
	var format string
	fs := newFlagSet("network ls", true)
	fs.Bool(&quiet, "q,quiet", "Only display network IDs")
	fs.Bool(&noTrunc, "no-trunc", "Do not truncate the output")
	fs.String(&format, "format", listFormatUsage)
	_, err := fs.ParseArgs(args, 0, 0)
	if err != nil {
		return err
	}
	if quiet && format == "" {
		format = "{{.ID}}"
	}
	f, err := parseListFormat(format, "table {{.ID}}\t{{.Name}}\t{{.Driver}}\t{{.Scope}}")
	if err != nil {
		return err
	}
	e, err := c.open()
	if err != nil {
		return err
	}
	defer e.Close()
	nets, err := e.Networks(ctx)
	if err != nil {
		return err
	}
	var rows []any
	for _, n := range nets {
		rows = append(rows, newNetworkRow(dockerapi.Network(n), noTrunc))
	}
	return f.write(c.stdout, networkHeader, rows)
}

// networkRow is a network as docker network ls --format sees it.
type networkRow struct {
	CreatedAt string
	Driver    string
	ID        string
	IPv4      string
	IPv6      string
	Internal  string
	Labels    string
	Name      string
	Scope     string
	labels    map[string]string
}

var networkHeader = listHeader{
	"CreatedAt": "CREATED AT", "Driver": "DRIVER", "ID": "NETWORK ID", "IPv4": "IPV4", "IPv6": "IPV6",
	"Internal": "INTERNAL", "Labels": "LABELS", "Name": "NAME", "Scope": "SCOPE",
}

func newNetworkRow(n network.Summary, noTrunc bool) *networkRow {
	id := n.ID
	if !noTrunc {
		id = shortID(id)
	}
	return &networkRow{
		CreatedAt: n.Created.String(), Driver: n.Driver, ID: id, IPv4: strconv.FormatBool(n.EnableIPv4),
		IPv6: strconv.FormatBool(n.EnableIPv6), Internal: strconv.FormatBool(n.Internal), Labels: labelList(n.Labels),
		Name: n.Name, Scope: n.Scope, labels: n.Labels,
	}
}

// Label is the value of the network's label name.
func (r *networkRow) Label(name string) string { return r.labels[name] }

// networkInspect is docker network inspect, in Docker's schema.
func networkInspect(ctx context.Context, c *cli, args []string) error {
	var format string
	fs := newFlagSet("network inspect", true)
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
	var infos []*dock.Info
	return c.inspectAll(format, args, func(name string) (any, error) {
		return inspectObject(ctx, e, "network", name, &infos)
	})
}

// errNoSuchNetwork is docker's error for a network not found.
func errNoSuchNetwork(name string) error {
	return errors.New("No such network: " + name)
}

func networkRm(ctx context.Context, c *cli, args []string) error {
	fs := newFlagSet("network rm", true)
	args, err := fs.ParseArgs(args, 1, noMax)
	if err != nil {
		return err
	}
	e, err := c.open()
	if err != nil {
		return err
	}
	defer e.Close()
	return c.eachName(args, func(name string) error { return e.RemoveNetwork(ctx, name) })
}

package main

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"text/tabwriter"
	"text/template"
	"time"

	"github.com/go-dock/dock"
)

// cmdNetwork is docker network: the subcommands of networkCommands.
func cmdNetwork(ctx context.Context, c *cli, args []string) error {
	return runGroup(ctx, c, "network", args)
}

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
	args, err := fs.Parse(args)
	if err != nil {
		return err
	}
	if err := needArgs("network create", args, 1, 1); err != nil {
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
	fs := newFlagSet("network ls", true)
	fs.Bool(&quiet, "q,quiet", "Only display network IDs")
	fs.Bool(&noTrunc, "no-trunc", "Do not truncate the output")
	args, err := fs.Parse(args)
	if err != nil {
		return err
	}
	if err := needArgs("network ls", args, 0, 0); err != nil {
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
	tw := tabwriter.NewWriter(c.stdout, 10, 1, 3, ' ', 0)
	if !quiet {
		fmt.Fprintln(tw, "NETWORK ID\tNAME\tDRIVER\tSCOPE")
	}
	for _, n := range nets {
		id := n.ID
		if !noTrunc {
			id = shortID(id)
		}
		if quiet {
			fmt.Fprintln(tw, id)
		} else {
			fmt.Fprintf(tw, "%s\t%s\t%s\tlocal\n", id, n.Name, n.Driver)
		}
	}
	return tw.Flush()
}

// networkJSON is a network as docker network inspect shows it.
type networkJSON struct {
	Name       string
	ID         string `json:"Id"`
	Created    time.Time
	Scope      string
	Driver     string
	EnableIPv6 bool
	IPAM       struct {
		Driver  string
		Options map[string]string
		Config  []ipamConfigJSON
	}
	Internal   bool
	Attachable bool
	Ingress    bool
	ConfigFrom struct{ Network string }
	ConfigOnly bool
	Containers map[string]networkContainerJSON
	Options    map[string]string
	Labels     map[string]string
}

type ipamConfigJSON struct {
	Subnet  string `json:",omitempty"`
	IPRange string `json:",omitempty"`
	Gateway string `json:",omitempty"`
}

func dockerNetwork(n *dock.Network) networkJSON {
	j := networkJSON{
		Name: n.Name, ID: n.ID, Created: n.Created, Scope: "local", Driver: n.Driver,
		EnableIPv6: n.EnableIPv6, Internal: n.Internal,
		Containers: map[string]networkContainerJSON{}, Options: nonNil(n.Options), Labels: nonNil(n.Labels),
	}
	j.IPAM.Driver = "default"
	j.IPAM.Options = map[string]string{}
	j.IPAM.Config = []ipamConfigJSON{}
	for _, c := range n.IPAM {
		cj := ipamConfigJSON{Subnet: c.Subnet.String(), Gateway: c.Gateway.String()}
		if c.IPRange.IsValid() {
			cj.IPRange = c.IPRange.String()
		}
		j.IPAM.Config = append(j.IPAM.Config, cj)
	}
	return j
}

func nonNil(m map[string]string) map[string]string {
	if m == nil {
		return map[string]string{}
	}
	return m
}

func networkInspect(ctx context.Context, c *cli, args []string) error {
	var format string
	fs := newFlagSet("network inspect", true)
	fs.String(&format, "f,format", "Format output using a custom template")
	args, err := fs.Parse(args)
	if err != nil {
		return err
	}
	if err := needArgs("network inspect", args, 1, -1); err != nil {
		return err
	}
	var tmpl *template.Template
	if format != "" {
		if tmpl, err = parseFormat(format); err != nil {
			return err
		}
	}
	e, err := c.open()
	if err != nil {
		return err
	}
	defer e.Close()
	var infos []*dock.Info // read once, for the first network found
	var out []any
	var errs []error
	for _, name := range args {
		n, err := e.Network(ctx, name)
		if errors.Is(err, dock.ErrNotFound) {
			err = errNoSuchNetwork(name)
		}
		if err != nil {
			errs = append(errs, err)
			continue
		}
		if infos == nil {
			if infos, err = e.Containers(ctx); err != nil {
				return err
			}
		}
		j := dockerNetwork(n)
		j.Containers = networkContainers(n, infos)
		out = append(out, j)
	}
	if err := writeInspect(c.stdout, tmpl, out); err != nil {
		return err
	}
	for _, err := range errs {
		fmt.Fprintf(c.stderr, "dock: %v\n", err)
	}
	if len(errs) > 0 {
		return exitCode(1)
	}
	return nil
}

// errNoSuchNetwork is docker's error for a network not found.
func errNoSuchNetwork(name string) error {
	return errors.New("No such network: " + name)
}

func networkRm(ctx context.Context, c *cli, args []string) error {
	fs := newFlagSet("network rm", true)
	args, err := fs.Parse(args)
	if err != nil {
		return err
	}
	if err := needArgs("network rm", args, 1, -1); err != nil {
		return err
	}
	e, err := c.open()
	if err != nil {
		return err
	}
	defer e.Close()
	return c.eachName(args, func(name string) error { return e.RemoveNetwork(ctx, name) })
}

// networkPrune is docker network prune: it removes the networks no
// container uses and prints their names.
func networkPrune(ctx context.Context, c *cli, args []string) error {
	var force bool
	fs := newFlagSet("network prune", true)
	fs.Bool(&force, "f,force", "Do not prompt for confirmation (dock never prompts)")
	args, err := fs.Parse(args)
	if err != nil {
		return err
	}
	if err := needArgs("network prune", args, 0, 0); err != nil {
		return err
	}
	e, err := c.open()
	if err != nil {
		return err
	}
	defer e.Close()
	removed, err := e.PruneNetworks(ctx)
	if len(removed) > 0 {
		fmt.Fprintln(c.stdout, "Deleted Networks:")
		for _, name := range removed {
			fmt.Fprintln(c.stdout, name)
		}
	}
	return err
}

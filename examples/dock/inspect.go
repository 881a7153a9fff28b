package main

import (
	"context"
	"errors"
	"fmt"
	"slices"

	"github.com/go-dock/dock"
	"github.com/go-dock/dock/dockerapi"
)

// inspectTypes are the kinds of objects inspect looks a name up as, in
// docker's order.
var inspectTypes = []string{"container", "image", "network", "volume"}

// formatUsage is the help of the inspect commands' --format.
const formatUsage = "Format output using a custom template:\n" +
	"'json':             Print in JSON format\n" +
	"'TEMPLATE':         Print output using the given Go template."

// cmdInspect is docker inspect: a JSON array with one element per name,
// each the first of a container, an image, a network and a volume of
// that name or ID (docker's order), in Docker's schema (package
// dockerapi); --type restricts the lookup, --format runs a template on
// each.
func cmdInspect(ctx context.Context, c *cli, args []string) error {
	return inspectCommand(ctx, c, "inspect", "", args)
}

// inspectCommand is docker inspect (typ "") and the inspect of one kind
// of object (docker container inspect, image inspect...), under the
// command name cmd.
func inspectCommand(ctx context.Context, c *cli, cmd, typ string, args []string) error {
	var format string
	fs := newFlagSet(cmd, true)
	if typ == "" {
		fs.String(&typ, "type", "Only inspect objects of the given type (container, image, network or volume)")
	}
	fs.String(&format, "f,format", formatUsage)
	args, err := fs.ParseArgs(args, 1, noMax)
	if err != nil {
		return err
	}
	if typ != "" && !slices.Contains(inspectTypes, typ) {
		return fmt.Errorf(`unknown type: %q: must be one of "container", "image", "network", "volume"`, typ)
	}
	e, err := c.open()
	if err != nil {
		return err
	}
	defer e.Close()
	var infos []*dock.Info // for the networks' Containers, read once
	return c.inspectAll(format, args, func(name string) (any, error) {
		for _, t := range inspectTypes {
			if typ != "" && t != typ {
				continue
			}
			obj, err := inspectObject(ctx, e, t, name, &infos)
			if errors.Is(err, dock.ErrNotFound) && typ == "" {
				continue
			}
			return obj, err
		}
		return nil, &notFoundError{"No such object: " + name}
	})
}

// inspectObject is the object of kind typ named name in Docker's schema;
// not found, an error wrapping dock.ErrNotFound with docker's words.
// infos caches the containers for a network's Containers.
func inspectObject(ctx context.Context, e *dock.Engine, typ, name string, infos *[]*dock.Info) (any, error) {
	notFound := func(err error, format string) error {
		if errors.Is(err, dock.ErrNotFound) {
			return &notFoundError{fmt.Sprintf(format, name)}
		}
		return err
	}
	switch typ {
	case "container":
		ct, err := e.Container(name)
		if err != nil {
			return nil, notFound(err, "No such container: %s")
		}
		info, err := ct.Inspect(ctx)
		if err != nil {
			return nil, notFound(err, "No such container: %s")
		}
		return dockerapi.LegacyInspect(dockerapi.ContainerInspect(info)), nil
	case "image":
		img, err := e.Image(ctx, name)
		if err != nil {
			return nil, notFound(err, "No such image: %s")
		}
		return dockerapi.ImageInspect(img), nil
	case "network":
		n, err := e.Network(ctx, name)
		if err != nil {
			return nil, notFound(err, "No such network: %s")
		}
		if *infos == nil {
			if *infos, err = e.Containers(ctx); err != nil {
				return nil, err
			}
		}
		return dockerapi.NetworkInspect(n, *infos), nil
	case "volume":
		v, err := e.Volume(ctx, name)
		if err != nil {
			if errors.Is(err, dock.ErrInvalid) {
				err = dock.ErrNotFound // no volume has such a name
			}
			return nil, notFound(err, "get %s: no such volume")
		}
		return dockerapi.Volume(v), nil
	}
	return nil, fmt.Errorf("inspect: unknown type %q", typ)
}

// notFoundError is an object not found, in docker's words.
type notFoundError struct{ msg string }

func (e *notFoundError) Error() string { return e.msg }
func (e *notFoundError) Unwrap() error { return dock.ErrNotFound }

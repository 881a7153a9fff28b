package main

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/go-dock/dock"
)

// ensureImage is what docker run and create do before they create: pull
// the image when it is missing (--pull missing, the default: "Unable to
// find image ... locally", then pull's output, on stderr), always
// (--pull always), or never, when a missing image is an error. An image
// of another platform than --platform asks for counts as missing, as
// the daemon reports it (docker 20.10 pulls the platform asked for). The
// platform is parsed and compared as docker does (dock.ParsePlatform,
// Platform.Matches): "linux" alone is linux on the host's architecture.
func (c *cli) ensureImage(ctx context.Context, e *dock.Engine, o *runOptions) error {
	ref := o.Config.Image
	var platform dock.Platform
	if o.Platform != "" {
		var err error
		if platform, err = dock.ParsePlatform(o.Platform); err != nil {
			return err
		}
	}
	img, err := e.Image(ctx, ref)
	if err != nil && !errors.Is(err, dock.ErrNotFound) {
		return err
	}
	present := img != nil && (o.Platform == "" || platform.Matches(img.Platform()))
	if present && o.Pull != "always" {
		return nil
	}
	short, _, _ := splitRef(ref)
	if strings.Contains(ref, "@") {
		short = ref // by digest: pulled as written
	}
	if !present && o.Pull == "never" {
		//lint:ignore ST1005 docker's words, which scripts match
		return fmt.Errorf("No such image: %s", short)
	}
	if !present {
		fmt.Fprintf(c.stderr, "Unable to find image '%s' locally\n", short)
	}
	var opts []dock.PullOption
	if o.Platform != "" {
		opts = append(opts, dock.WithPlatform(o.Platform))
	}
	newer, err := pullTo(ctx, c.stderr, e, ref, false, opts)
	if err != nil {
		return err
	}
	writePullStatus(c.stderr, newer, short)
	return nil
}

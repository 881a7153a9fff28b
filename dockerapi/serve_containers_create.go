package dockerapi

import (
	"context"
	"errors"
	"maps"
	"mime"
	"net/http"
	"slices"
	"strings"

	"github.com/moby/moby/api/types/container"

	"github.com/go-dock/dock"
)

// createRequest is the body of POST /containers/create: Docker's
// CreateRequest, and the Config.MacAddress that API versions before 1.44
// send.
type createRequest struct {
	container.CreateRequest
	MacAddress string `json:"MacAddress,omitempty"`
}

// createContainer is POST /containers/create?name=&platform=: 201 with
// the ID and the warnings. An image not in the store is a 404 "No such
// image", on which Docker's CLI pulls it and asks again.
func (s *server) createContainer(w http.ResponseWriter, r *http.Request) {
	if ct := r.Header.Get("Content-Type"); ct != "" && r.ContentLength != 0 {
		if mt, _, err := mime.ParseMediaType(ct); err != nil || mt != "application/json" {
			writeError(w, r, badRequest("unsupported Content-Type header (%s): must be 'application/json'", ct))
			return
		}
	}
	var body createRequest
	if err := readJSON(r, &body); err != nil {
		writeError(w, r, err)
		return
	}
	spec, err := CreateConfig(&body.CreateRequest, CreateOptions{
		Name: r.URL.Query().Get("name"), APIVersion: apiVersion(r), MacAddress: body.MacAddress,
	})
	if err != nil {
		writeError(w, r, err)
		return
	}
	ctx := context.WithoutCancel(r.Context())
	if err := s.checkImage(ctx, spec.Config.Image, r.URL.Query().Get("platform")); err != nil {
		writeError(w, r, err)
		return
	}
	if err := s.createLabelledVolumes(ctx, spec.VolumeLabels); err != nil {
		writeError(w, r, err)
		return
	}
	c, err := s.engine.Create(ctx, spec.Config)
	if err != nil {
		writeError(w, r, err)
		return
	}
	for _, ep := range spec.Networks {
		var opts []dock.ConnectOption
		if len(ep.Aliases) > 0 {
			opts = append(opts, dock.ConnectAliases(ep.Aliases...))
		}
		if ep.IPv4Address.IsValid() {
			opts = append(opts, dock.ConnectIP(ep.IPv4Address.String()))
		}
		if ep.IPv6Address.IsValid() {
			opts = append(opts, dock.ConnectIP(ep.IPv6Address.String()))
		}
		if err := c.Connect(ctx, ep.Network, opts...); err != nil {
			// Nothing is kept of a create that failed.
			if rerr := c.Remove(ctx, dock.RemoveForce(), dock.RemoveVolumes()); rerr != nil {
				s.log.Warn("remove the container of a failed create", "container", c.ID(), "err", rerr)
			}
			writeError(w, r, err)
			return
		}
	}
	if spec.ConsoleSize != (dock.WindowSize{}) && spec.Config.Tty {
		s.consoles.Store(c.ID(), spec.ConsoleSize)
	}
	warnings := append(append([]string{}, spec.Warnings...), c.Warnings()...)
	writeJSON(w, http.StatusCreated, container.CreateResponse{ID: c.ID(), Warnings: warnings})
}

// createLabelledVolumes makes the named volumes of a create's mounts that
// carry labels, with them; those that exist are kept as they are.
func (s *server) createLabelledVolumes(ctx context.Context, labels map[string]map[string]string) error {
	for _, name := range slices.Sorted(maps.Keys(labels)) {
		if _, err := s.engine.Volume(ctx, name); err == nil {
			continue
		}
		var opts []dock.VolumeOption
		for _, k := range slices.Sorted(maps.Keys(labels[name])) {
			opts = append(opts, dock.VolumeLabel(k, labels[name][k]))
		}
		if _, err := s.engine.CreateVolume(ctx, name, opts...); err != nil {
			return err
		}
	}
	return nil
}

// checkImage finds the image of a create in the store, with Docker's 404
// when it is not there or is not of the platform asked for.
func (s *server) checkImage(ctx context.Context, ref, platform string) error {
	img, err := s.engine.Image(ctx, ref)
	if errors.Is(err, dock.ErrNotFound) {
		return errorf(http.StatusNotFound, "No such image: %s", taggedRef(ref))
	}
	if err != nil {
		return err
	}
	if platform == "" {
		return nil
	}
	want, err := dock.ParsePlatform(platform)
	if err != nil {
		return badRequest("%s", strings.TrimPrefix(err.Error(), dock.ErrInvalid.Error()+": "))
	}
	have := dock.Platform{OS: img.OS, Architecture: img.Architecture, Variant: img.Variant}
	if !want.Matches(have) {
		return errorf(http.StatusNotFound, "image with reference %s was found but its platform (%s) does not match the specified platform (%s)", ref, have, want)
	}
	return nil
}

// taggedRef is ref as Docker names a missing image: with ":latest" when
// it has neither tag nor digest.
func taggedRef(ref string) string {
	if strings.Contains(ref, "@") || strings.HasPrefix(ref, "sha256:") {
		return ref
	}
	last := ref[strings.LastIndex(ref, "/")+1:]
	if strings.Contains(last, ":") {
		return ref
	}
	return ref + ":latest"
}

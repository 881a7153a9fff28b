package dockerapi

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"

	"github.com/go-dock/dock"
)

// ContainerListOptions are the options of docker ps and of the Engine
// API's GET /containers/json.
type ContainerListOptions struct {
	// All lists the containers that do not run too (ps -a, all=1); by
	// default only running, paused and restarting ones are listed (those
	// Docker calls running). A status filter implies All.
	All bool
	// Limit, above 0, keeps only the Limit newest containers that pass
	// the filters, running or not (ps -n N, ps -l, limit=N).
	Limit int
	// Size measures each container listed (ps -s, size=1); see
	// ListedContainer.Size.
	Size bool
	// Filters keep the containers that match (ps --filter, filters=):
	//
	//	status    created, restarting, running, removing, paused, exited or dead
	//	name      a name, or a regular expression that matches part of one
	//	id        a prefix of the ID
	//	label     a label key, or key=value; every one must match
	//	label!    dock's addition, as docker's prune filters: the
	//	          containers that lack the label (key, or key=value)
	//	ancestor  an image (name[:tag], name@digest, ID or ID prefix): the
	//	          containers of that image or of an image built from it
	//	exited    an exit code, of a container that ran and exited
	//	before    a container's name or ID: the containers created before it
	//	since     a container's name or ID: the containers created after it
	//	volume    a volume's name, a bind mount's source, or a mount's
	//	          destination in the container
	//	network   a network's name, or a prefix of its ID
	//	publish   a published container port: 80, 80/udp, 8000-8080/tcp
	//	expose    an exposed (or published) container port, as publish
	//	health    starting, healthy, unhealthy or none
	//	is-task   true (swarm tasks: none here) or false (every container)
	//	isolation Windows' isolation: every container here is "default"
	//
	// Another key is an error: invalid filter 'key'.
	Filters Filters
}

// containerFilterKeys are the filter keys ListContainers takes.
var containerFilterKeys = []string{
	"ancestor", "before", "exited", "expose", "health", "id", "is-task", "isolation",
	"label", "label!", "name", "network", "publish", "since", "status", "volume",
}

// containerStatuses are the statuses Docker's status filter takes; dock's
// containers are never removing nor dead.
var containerStatuses = []string{"created", "restarting", "running", "removing", "paused", "exited", "dead"}

// healthStatuses are the values of the health filter.
var healthStatuses = []string{"starting", "healthy", "unhealthy", "none"}

// ListedContainer is a container as docker ps and GET /containers/json
// show it: its Info, and what Docker derives from it for the list.
type ListedContainer struct {
	Info *dock.Info
	// Image is the container's image; nil when it has been removed.
	Image *dock.Image
	// ImageName is the image as Docker lists it: the reference the
	// container was created with while it still names the container's
	// image, else the image's ID ("sha256:...").
	ImageName string
	// Command is the command as Docker lists it: the arguments after the
	// first that hold a space between single quotes ("sh -c 'sleep 1'").
	Command string
	// Labels are the container's labels over its image's, as Docker
	// records a container's labels.
	Labels map[string]string
	// Health is "starting", "healthy" or "unhealthy" for a container
	// with a health check, "none" otherwise.
	Health string
	// Networks are the networks the container is on: Info.Networks, or
	// the predefined host or none network for those modes.
	Networks []dock.EndpointInfo
	// Size is the container's use of disk with
	// ContainerListOptions.Size; nil otherwise.
	Size *dock.ContainerSize
}

// ListContainers lists e's containers as docker ps does: newest first,
// the running ones unless opts.All, those that opts.Filters keep, at most
// opts.Limit. A filter Docker refuses is a *FilterError; a before or since
// filter that names no container is an error wrapping dock.ErrNotFound.
func ListContainers(ctx context.Context, e *dock.Engine, opts ContainerListOptions) ([]*ListedContainer, error) {
	f := opts.Filters
	if err := f.validate(containerFilterKeys...); err != nil {
		return nil, err
	}
	// Every image, for the descendants of the ancestor filter's.
	var images []*dock.Image
	if f.Contains("ancestor") {
		var err error
		if images, err = e.Images(ctx, dock.ImagesAll()); err != nil {
			return nil, err
		}
	}
	m, err := newContainerMatcher(f, containerLookups{
		container: func(ref string) (string, error) {
			c, err := e.Container(ref)
			if err != nil {
				return "", err
			}
			return c.ID(), nil
		},
		image: func(ref string) (string, error) {
			img, err := e.Image(ctx, ref)
			if err != nil {
				return "", err
			}
			return img.ID, nil
		},
		images: images,
	})
	if err != nil {
		return nil, err
	}
	infos, err := e.Containers(ctx, dock.ContainersWhere(m.preselect(opts)))
	if err != nil {
		return nil, err
	}
	l := &containerLister{ctx: ctx, e: e, byID: map[string]*dock.Image{}, refs: map[string]string{}}
	list := make([]*ListedContainer, 0, len(infos))
	for _, info := range infos {
		list = append(list, l.listed(info))
	}
	out := selectContainers(list, m, opts)
	if opts.Size {
		for _, lc := range out {
			c, err := e.Container(lc.Info.ID)
			if err != nil {
				if errors.Is(err, dock.ErrNotFound) {
					continue // removed meanwhile: no size
				}
				return nil, err
			}
			size, err := c.Size(ctx)
			if err != nil && !errors.Is(err, dock.ErrNotFound) {
				return nil, err
			}
			if err == nil {
				lc.Size = &size
			}
		}
	}
	return out, nil
}

// selectContainers applies opts to list (newest first), as Docker walks
// its containers: before and since by position, then the running ones
// unless All, a status filter or a Limit, then the filters, then Limit.
func selectContainers(list []*ListedContainer, m *containerMatcher, opts ContainerListOptions) []*ListedContainer {
	all := opts.All || len(opts.Filters.Get("status")) > 0
	before := maps.Clone(m.before)
	var out []*ListedContainer
	for _, lc := range list {
		if len(before) > 0 {
			// Newer than (or one of) the before containers.
			delete(before, lc.Info.ID)
			continue
		}
		if m.since[lc.Info.ID] {
			break // the rest are older
		}
		if !psRunning(lc.Info.State.Status) && !all && opts.Limit <= 0 {
			continue
		}
		if !m.matches(lc) {
			continue
		}
		out = append(out, lc)
		if opts.Limit > 0 && len(out) == opts.Limit {
			break
		}
	}
	return out
}

// preselect is what selectContainers and the filters decide from a
// container's ID and state alone, for Containers to leave out the others
// before it reads them: those that do not run unless opts.All (or a
// status filter, or a Limit), and the id, status and exited filters. The
// containers that before and since name are kept: selectContainers finds
// its place in the list by them.
func (m *containerMatcher) preselect(opts ContainerListOptions) func(id string, st dock.State) bool {
	all := opts.All || len(opts.Filters.Get("status")) > 0 || opts.Limit > 0
	return func(id string, st dock.State) bool {
		switch {
		case m.before[id] || m.since[id]:
			return true
		case !all && !psRunning(st.Status):
			return false
		case !m.matchID(id), !m.f.exactMatch("status", string(st.Status)):
			return false
		case len(m.exited) > 0 && !m.matchExited(st):
			return false
		}
		return true
	}
}

// psRunning reports whether docker ps lists a container of that status
// without -a: running, paused or restarting (Docker's Running).
func psRunning(st dock.Status) bool {
	return st == dock.StatusRunning || st == dock.StatusPaused || st == dock.StatusRestarting
}

// containerLookups resolve what the filters name.
type containerLookups struct {
	container func(ref string) (id string, err error) // a container's ID
	image     func(ref string) (id string, err error) // an image's ID
	images    []*dock.Image                           // every image, for the descendants
}

// containerMatcher is a container filter with its values parsed and the
// objects they name resolved.
type containerMatcher struct {
	f      Filters
	exited []int
	// before and since are the IDs of the containers named.
	before, since map[string]bool
	// ancestors are the images of the ancestor filter and their
	// descendants; nil without an ancestor filter.
	ancestors        map[string]bool
	publish, expose  []portRange
	isTask, notTasks bool // is-task=true, is-task=false
}

// newContainerMatcher checks f's values and resolves the containers and
// images they name.
func newContainerMatcher(f Filters, look containerLookups) (*containerMatcher, error) {
	m := &containerMatcher{f: f, before: map[string]bool{}, since: map[string]bool{}}
	for _, v := range f.Get("exited") {
		code, err := strconv.Atoi(v)
		if err != nil {
			return nil, filterValueError("exited", v)
		}
		m.exited = append(m.exited, code)
	}
	for _, v := range f.Get("status") {
		if !slices.Contains(containerStatuses, v) {
			return nil, filterValueError("status", v)
		}
	}
	for _, v := range f.Get("health") {
		if !slices.Contains(healthStatuses, v) {
			return nil, filterValueError("health", v)
		}
	}
	if f.Contains("is-task") {
		switch vs := f.Get("is-task"); {
		case slices.Equal(vs, []string{"true"}):
			m.isTask = true
		case slices.Equal(vs, []string{"false"}):
			m.notTasks = true
		default:
			return nil, filterValueError("is-task", strings.Join(vs, ","))
		}
	}
	for key, set := range map[string]map[string]bool{"before": m.before, "since": m.since} {
		for _, v := range f.Get(key) {
			id, err := look.container(v)
			if err != nil {
				return nil, err
			}
			set[id] = true
		}
	}
	if f.Contains("ancestor") {
		m.ancestors = ancestorSet(f.Get("ancestor"), look.image, look.images)
	}
	for key, ranges := range map[string]*[]portRange{"publish": &m.publish, "expose": &m.expose} {
		for _, v := range f.Get(key) {
			r, err := parsePortFilter(key, v)
			if err != nil {
				return nil, err
			}
			*ranges = append(*ranges, r)
		}
	}
	return m, nil
}

// ancestorSet returns the IDs of the images refs name, and of their
// descendants (the images built on them, at any depth), as Docker's
// ancestor filter takes them. A ref that names no image adds nothing
// (Docker only logs it).
func ancestorSet(refs []string, image func(string) (string, error), images []*dock.Image) map[string]bool {
	children := map[string][]string{}
	for _, img := range images {
		if img.Parent != "" {
			children[img.Parent] = append(children[img.Parent], img.ID)
		}
	}
	set := map[string]bool{}
	var add func(id string)
	add = func(id string) {
		if set[id] {
			return
		}
		set[id] = true
		for _, c := range children[id] {
			add(c)
		}
	}
	for _, ref := range refs {
		if id, err := image(ref); err == nil {
			add(id)
		}
	}
	return set
}

// matches applies every filter but before and since to lc.
func (m *containerMatcher) matches(lc *ListedContainer) bool {
	f, info := m.f, lc.Info
	switch {
	case !f.match("name", info.Name) && !f.match("name", "/"+info.Name):
		return false
	case !m.matchID(info.ID):
		return false
	case m.isTask:
		return false // no container is a swarm task
	case !f.matchLabels(lc.Labels):
		return false
	case !f.match("isolation", "default"):
		return false
	case len(m.exited) > 0 && !m.matchExited(info.State):
		return false
	case !f.exactMatch("status", string(info.State.Status)):
		return false
	case !f.exactMatch("health", lc.Health):
		return false
	case f.Contains("volume") && !matchVolume(f.Get("volume"), info.Mounts):
		return false
	case m.ancestors != nil && !m.ancestors[info.ImageID]:
		return false
	case f.Contains("network") && !matchNetwork(f.Get("network"), lc.Networks):
		return false
	case len(m.publish) > 0 && !matchPorts(m.publish, publishedPorts(info)):
		return false
	case len(m.expose) > 0 && !matchPorts(m.expose, exposedPortList(info)):
		return false
	}
	return true
}

// matchID: the ID begins with one of the id filter's values (an empty
// value matches nothing, as in Docker).
func (m *containerMatcher) matchID(id string) bool {
	vs := m.f.Get("id")
	if !m.f.Contains("id") || len(vs) == 0 {
		return true
	}
	return slices.ContainsFunc(vs, func(v string) bool { return v != "" && strings.HasPrefix(id, v) })
}

// matchExited: the container ran and exited with one of the codes.
func (m *containerMatcher) matchExited(st dock.State) bool {
	return st.Status == dock.StatusExited && !st.StartedAt.IsZero() && slices.Contains(m.exited, st.Exit.Code)
}

// matchVolume: a mount has one of values as its volume's name (a bind
// mount: its source) or its destination.
func matchVolume(values []string, mounts []dock.MountPoint) bool {
	for _, mp := range mounts {
		name := mp.Name
		if name == "" {
			name = mp.Source
		}
		if slices.Contains(values, name) || slices.Contains(values, mp.Target) {
			return true
		}
	}
	return false
}

// matchNetwork: the container is on a network named by one of values,
// or whose ID begins with one.
func matchNetwork(values []string, nets []dock.EndpointInfo) bool {
	for _, n := range nets {
		for _, v := range values {
			if n.Network == v || strings.HasPrefix(n.NetworkID, v) {
				return true
			}
		}
	}
	return false
}

// portRange is a publish or expose filter's value.
type portRange struct {
	first, last uint16
	proto       string
}

// parsePortFilter parses "80", "80/udp" or "8000-8080/tcp" (tcp when no
// protocol is given), with Docker's errors.
func parsePortFilter(key, v string) (portRange, error) {
	if strings.Contains(v, ":") {
		return portRange{}, &FilterError{Key: key, Value: v, Msg: fmt.Sprintf("filter for '%s' should not contain ':': %s", key, v)}
	}
	port, proto, ok := strings.Cut(v, "/")
	if !ok || proto == "" {
		proto = "tcp"
	}
	first, last, isRange := strings.Cut(port, "-")
	if !isRange {
		last = first
	}
	lo, err1 := strconv.ParseUint(first, 10, 16)
	hi, err2 := strconv.ParseUint(last, 10, 16)
	if err := errors.Join(err1, err2); err != nil || hi < lo {
		return portRange{}, &FilterError{Key: key, Value: v, Msg: fmt.Sprintf("error while looking up for %s %s: invalid port range", key, v)}
	}
	return portRange{first: uint16(lo), last: uint16(hi), proto: strings.ToLower(proto)}, nil
}

// matchPorts: one of ports is in one of ranges.
func matchPorts(ranges []portRange, ports []dock.Port) bool {
	for _, p := range ports {
		proto := p.Proto
		if proto == "" {
			proto = "tcp"
		}
		for _, r := range ranges {
			if r.proto == proto && p.Number >= r.first && p.Number <= r.last {
				return true
			}
		}
	}
	return false
}

// publishedPorts are the container ports info publishes.
func publishedPorts(info *dock.Info) []dock.Port {
	var out []dock.Port
	for _, pm := range info.Ports {
		out = append(out, dock.Port{Number: pm.ContainerPort, Proto: pm.Proto})
	}
	return out
}

// exposedPortList is the ports info exposes: the image's and the config's,
// and the published ones, which Docker exposes too.
func exposedPortList(info *dock.Info) []dock.Port {
	return append(slices.Clone(info.ExposedPorts), publishedPorts(info)...)
}

// containerLister builds ListedContainers, with what it looks up cached.
type containerLister struct {
	ctx  context.Context
	e    *dock.Engine
	byID map[string]*dock.Image // nil for an image removed
	// refs maps the image references containers were created with to
	// the IDs they name now ("" for none).
	refs map[string]string
	// predefined are the host and none networks, read once when needed.
	predefined map[string]dock.EndpointInfo
}

func (l *containerLister) listed(info *dock.Info) *ListedContainer {
	lc := &ListedContainer{
		Info:      info,
		Image:     l.image(info.ImageID),
		ImageName: info.Image,
		Command:   listedCommand(info.Args),
		Health:    containerHealth(info),
		Networks:  info.Networks,
	}
	if lc.ImageName != info.ImageID && l.refID(lc.ImageName) != info.ImageID {
		lc.ImageName = info.ImageID // the name now means another image, or none
	}
	lc.Labels = map[string]string{}
	if lc.Image != nil {
		maps.Copy(lc.Labels, lc.Image.Config.Labels)
	}
	maps.Copy(lc.Labels, info.Config.Labels)
	switch info.Config.Network {
	case "", "none":
		lc.Networks = l.predefinedNetwork("none")
	case "host":
		lc.Networks = l.predefinedNetwork("host")
	}
	return lc
}

// image returns the image with the given ID, read once; nil when it has
// been removed.
func (l *containerLister) image(id string) *dock.Image {
	img, ok := l.byID[id]
	if !ok {
		img, _ = l.e.Image(l.ctx, id)
		l.byID[id] = img
	}
	return img
}

// refID resolves an image reference, once.
func (l *containerLister) refID(ref string) string {
	id, ok := l.refs[ref]
	if !ok {
		if img, err := l.e.Image(l.ctx, ref); err == nil {
			id = img.ID
		}
		l.refs[ref] = id
	}
	return id
}

// predefinedNetwork is the host or none network as a container's only
// network, as Docker lists a container in that mode.
func (l *containerLister) predefinedNetwork(name string) []dock.EndpointInfo {
	if l.predefined == nil {
		l.predefined = map[string]dock.EndpointInfo{}
		for _, n := range []string{"host", "none"} {
			if net, err := l.e.Network(l.ctx, n); err == nil {
				l.predefined[n] = dock.EndpointInfo{NetworkID: net.ID, Network: net.Name}
			}
		}
	}
	if ep, ok := l.predefined[name]; ok {
		return []dock.EndpointInfo{ep}
	}
	return nil
}

// listedCommand is the command as Docker lists it: the first argument,
// then the others, those that hold a space between single quotes.
func listedCommand(args []string) string {
	if len(args) == 0 {
		return ""
	}
	var b strings.Builder
	b.WriteString(args[0])
	for _, a := range args[1:] {
		b.WriteByte(' ')
		if strings.Contains(a, " ") {
			b.WriteString("'" + a + "'")
		} else {
			b.WriteString(a)
		}
	}
	return b.String()
}

// containerHealth is the container's health as the health filter and
// Docker's lists name it: "none" for a container without a health check
// or that never started with one, else its last status (kept once it
// exited, as Docker keeps it).
func containerHealth(info *dock.Info) string {
	if info.Health == nil {
		return "none"
	}
	return string(info.Health.Status)
}

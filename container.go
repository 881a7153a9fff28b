package dock

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/go-dock/dock/internal/envlist"
	"github.com/go-dock/dock/internal/user"
)

// Container is a handle on a container in the engine's state directory.
//
// Like os/exec.Cmd, its stdio fields are set before Start: nil connects
// the process to the null device; any reader or writer is copied through a
// pipe, and Wait waits for the output copies to end. Unlike os/exec, an
// *os.File is copied too, never handed to the container, which could
// reopen it through /proc/self/fd. The copy of Stdin ends when Stdin ends
// (the container then reads EOF) or once the container has exited; Wait
// does not wait for it, and from an *os.File nothing more is read once
// the container has exited. The output is also written to the
// container's log (see Logs), whatever the fields hold.
//
// A Container's methods are safe for use by many goroutines, except that
// the stdio fields must not change once Start is called. Several handles
// (from Engine.Container, or another process's engine) may refer to the
// same container.
type Container struct {
	// Stdin, Stdout and Stderr are the process's standard streams when
	// this handle starts it.
	Stdin  io.Reader
	Stdout io.Writer
	Stderr io.Writer
	// TtySize is the size of the terminal when the container starts (with
	// Config.Tty), so that a program that reads it at once sees it; Resize
	// changes it later. Zero leaves the kernel's default (0x0).
	TtySize WindowSize

	e  *Engine
	id string
	// rec is the record Create wrote, which never changes: Start and
	// Remove use it instead of reading it back. Nil in a handle that
	// Engine.Container made.
	rec *containerRecord
	// createdUser is the user Create resolved, for the first Start of
	// this handle (a later start reads the container's own /etc/passwd).
	createdUser atomic.Pointer[user.User]
	// warnings are Create's (see Warnings).
	warnings []string
	// files, in the handles Containers makes, is the containers
	// directory, open: the container's files are read relative to it
	// (readFile).
	files *os.File
}

// Warnings are what Create discarded from the configuration because the
// host cannot carry it out, in Docker's words (the warnings of Docker's
// create response; see Resources.OOMKillDisable and BlkioWeight): nil
// for a handle that Create did not return.
func (c *Container) Warnings() []string { return slices.Clone(c.warnings) }

// WindowSize is a terminal's size in characters.
type WindowSize struct {
	Rows, Cols uint16
}

// containerRecord is the immutable part of a container, saved as
// containers/<id>/config.json when it is created.
type containerRecord struct {
	ID      string    `json:"id"`
	Name    string    `json:"name,omitempty"`
	Created time.Time `json:"created"`
	Config  Config    `json:"config"`
	// ImageID is the config digest of the image it was created from.
	ImageID string `json:"imageID"`
	// Image is the image's configuration at creation time, so that the
	// container runs the same whatever happens to the image later.
	Process  processSpec `json:"process"`
	Hostname string      `json:"hostname"`
	// Layers are the unpacked image layers, bottom to top.
	Layers []string `json:"layers"`
	// Networks are the bridge networks the container joins when it
	// starts, in order (the first gets eth0 and the default route).
	Networks []endpointConfig `json:"networks,omitempty"`
	// ExposedPorts are the image's EXPOSE and Config.ExposedPorts.
	ExposedPorts []Port `json:"exposedPorts,omitempty"`
	// Resolved is Config merged with the image's defaults, for Inspect;
	// nil in the records of containers created before it was kept.
	Resolved *ResolvedConfig `json:"resolved,omitempty"`
	// Shell is the image's SHELL, which runs a CMD-SHELL health check.
	Shell []string `json:"shell,omitempty"`
}

// processSpec is the process to run, with the image's defaults applied.
type processSpec struct {
	Args       []string `json:"args"`
	Env        []string `json:"env"`
	WorkingDir string   `json:"workingDir"`
	User       string   `json:"user,omitempty"`
	StopSignal string   `json:"stopSignal,omitempty"`
}

// State is a container's state as recorded in the state directory.
type State struct {
	// Status is StatusCreated, StatusRunning, StatusPaused,
	// StatusRestarting or StatusExited.
	Status Status `json:"status"`
	// Pid is the host PID of the container's init while it runs (0
	// while it is restarting).
	Pid int `json:"pid,omitempty"`
	// pidStart is the start time of Pid (from /proc/PID/stat), so that a
	// reused PID is never taken for the container.
	PidStart  uint64    `json:"pidStart,omitempty"`
	StartedAt time.Time `json:"startedAt,omitzero"`
	// FinishedAt and Exit are when and how the last run ended, once the
	// container has exited, and while it is restarting.
	FinishedAt time.Time  `json:"finishedAt,omitzero"`
	Exit       ExitStatus `json:"exit,omitzero"`
	// RestartCount is how many times the restart policy started the
	// container again since the user last started it (Docker's
	// RestartCount).
	RestartCount int `json:"restartCount,omitempty"`
	// Detached is set when a monitor process, not the program that
	// started it, waits for the container.
	Detached bool `json:"detached,omitempty"`
	// Monitor and MonitorStart name a detached container's monitor: it
	// records the exit after the exit hook, so a reader waits for it
	// while it lives. While the container is restarting, they name the
	// process that will start it again.
	Monitor      int    `json:"monitor,omitempty"`
	MonitorStart uint64 `json:"monitorStart,omitempty"`
}

// Status is where a container is in its life, in Docker's words.
type Status string

const (
	StatusCreated Status = "created" // made, never started
	StatusRunning Status = "running"
	StatusPaused  Status = "paused" // its processes frozen (Pause)
	StatusExited  Status = "exited" // its process ended; it may start again
	// StatusRestarting: its process ended and its restart policy starts
	// it again after a back-off (see RestartPolicy).
	StatusRestarting Status = "restarting"
)

// active reports whether the status is one of a container that runs or
// is about to run again: running, paused or restarting (Docker's
// Running).
func (s Status) active() bool {
	return s == StatusRunning || s == StatusPaused || s == StatusRestarting
}

func newID() string {
	var b [32]byte
	if _, err := rand.Read(b[:]); err != nil {
		panic(err) // crypto/rand never fails on Linux
	}
	return hex.EncodeToString(b[:])
}

// ID returns the container's 64-character hexadecimal ID.
func (c *Container) ID() string { return c.id }

// removalPrefix names, in tmp/, the directory of a container under
// removal (see sweepRemovals).
const removalPrefix = "rm-"

// removalTrash is where the removal of container id puts its directory.
func (e *Engine) removalTrash(id string) string { return e.path("tmp", removalPrefix+id) }

func (c *Container) dir(elem ...string) string {
	return c.e.path(append([]string{"containers", c.id}, elem...)...)
}

// Create makes a container from cfg: it resolves the image (which must be
// in the store), checks the configuration, and prepares the container's
// writable layer and its volumes. Each VOLUME of the image that cfg's
// mounts do not cover gets a new anonymous volume, and an empty volume
// mounted over a directory of the image gets a copy of its content (see
// Mount.NoCopy). Nothing runs until Start. Invalid configurations fail
// here with an error wrapping ErrInvalid, and leave nothing behind: no
// container, no volume. Among them: an image VOLUME on or under /proc,
// /dev or /sys; a mount on or inside /proc (as runc refuses; a bind of a
// file that lxcfs emulates, such as /proc/cpuinfo, excepted) or a volume
// or tmpfs on /dev; and a VOLUME or mount that the image's symlinks lead
// into /proc, /dev or /sys, or through a symlink to a path the image
// lacks.
func (e *Engine) Create(ctx context.Context, cfg Config) (*Container, error) {
	return e.create(ctx, cfg, true)
}

// create is Create; withImageVolumes false ignores the image's VOLUMEs, for
// the containers of RUN steps (BuildKit mounts no volume there either).
func (e *Engine) create(ctx context.Context, cfg Config, withImageVolumes bool) (c *Container, retErr error) {
	go e.prefetchStart(cfg)
	if cfg.Image == "" {
		return nil, invalidf("create container: no image")
	}
	if cfg.Name != "" && !validName(strings.TrimPrefix(cfg.Name, "/"), 1<<10) {
		return nil, invalidf("create container: invalid name %q: only [a-zA-Z0-9][a-zA-Z0-9_.-] are allowed", cfg.Name)
	}
	cfg.Name = strings.TrimPrefix(cfg.Name, "/")
	if err := validateConfig(&cfg); err != nil {
		return nil, fmt.Errorf("create container: %w", err)
	}
	warnings, err := checkHost(&cfg)
	if err != nil {
		return nil, fmt.Errorf("create container: %w", err)
	}
	endpoints, err := e.resolveEndpoints(ctx, &cfg)
	if err != nil {
		return nil, fmt.Errorf("create container: %w", err)
	}
	// The log limits are recorded as they apply, so that a later change
	// of the defaults leaves this container's alone.
	cfg.Log = cfg.Log.resolved()
	img, err := e.imageForRun(ctx, cfg.Image)
	if err != nil {
		return nil, fmt.Errorf("create container: %w", err)
	}
	resolved := resolveConfig(&cfg, &img.Config) // before the image's VOLUMEs join cfg.Mounts
	for _, m := range cfg.Mounts {
		if err := checkMountPath(img.Layers, m.Target, m.Type+" mount "+m.Target); err != nil {
			return nil, fmt.Errorf("create container: %w", err)
		}
	}
	if withImageVolumes {
		vols, err := imageVolumes(cfg.Mounts, img.Config.Volumes, img.Layers)
		if err != nil {
			return nil, fmt.Errorf("create container: %w", err)
		}
		cfg.Mounts = append(slices.Clip(cfg.Mounts), vols...)
	}
	cfg.Healthcheck = mergeHealthcheck(cfg.Healthcheck, img.Healthcheck)
	rec := &containerRecord{
		ID:       newID(),
		Name:     cfg.Name,
		Created:  time.Now().UTC(),
		Config:   cfg,
		ImageID:  img.ID,
		Layers:   img.Layers,
		Networks: endpoints,
		Resolved: &resolved,
		Shell:    img.Shell,
	}
	if rec.ExposedPorts, err = exposedPorts(img.Config.ExposedPorts, cfg.ExposedPorts); err != nil {
		return nil, fmt.Errorf("create container: %w", err)
	}
	rec.Process, err = processFromImage(&cfg, img)
	if err != nil {
		return nil, fmt.Errorf("create container: %w", err)
	}
	rec.Hostname = cfg.Hostname
	if cfg.UTS == nsHost {
		// The host's, as Docker records it (its /etc/hostname).
		if rec.Hostname, err = os.Hostname(); err != nil {
			return nil, fmt.Errorf("create container: %w", err)
		}
	}
	if rec.Hostname == "" {
		rec.Hostname = rec.ID[:12]
	}
	// Check the user now, so that a typo fails at create as in Docker.
	user, err := e.lookupUser(rec, nil)
	if err != nil {
		return nil, fmt.Errorf("create container: %w", err)
	}
	c = &Container{e: e, id: rec.ID, rec: rec, warnings: warnings}
	c.createdUser.Store(&user)
	err = e.locked(func() error {
		if rec.Name != "" {
			if other, err := e.findByName(rec.Name); err == nil {
				return &nameConflict{Name: rec.Name, ID: other}
			}
		} else {
			name, err := e.nameForContainer(rec.ID)
			if err != nil {
				return err
			}
			rec.Name, rec.Config.Name = name, name
		}
		return e.createFiles(ctx, c, rec)
	})
	if err != nil {
		return nil, fmt.Errorf("create container: %w", err)
	}
	return c, nil
}

// createFiles lays out containers/<id>/ in tmp/ and renames it into place,
// so that a failure leaves nothing and a reader never sees half of it.
func (e *Engine) createFiles(ctx context.Context, c *Container, rec *containerRecord) (retErr error) {
	tmp, err := os.MkdirTemp(e.path("tmp"), "container-*")
	if err != nil {
		return err
	}
	defer func() {
		if retErr != nil {
			os.RemoveAll(tmp)
		}
	}()
	for _, d := range []string{"upper", "work", "rootfs"} {
		if err := os.Mkdir(path.Join(tmp, d), 0o700); err != nil {
			return err
		}
	}
	if err := os.Chmod(path.Join(tmp, "upper"), 0o755); err != nil {
		return err
	}
	if err := writeEtcFiles(tmp, rec, nil); err != nil {
		return err
	}
	if len(rec.Config.UIDMap) > 0 {
		// The container's root owns its / and the files bound over
		// /etc/hostname, hosts and resolv.conf.
		uid, _ := hostID(rec.Config.UIDMap, 0)
		gid, _ := hostID(rec.Config.GIDMap, 0)
		for _, name := range []string{"upper", "hostname", "hosts", "resolv.conf"} {
			if err := os.Chown(path.Join(tmp, name), uid, gid); err != nil {
				return err
			}
		}
	}
	undoVolumes, newVolumes, err := e.createVolumes(ctx, rec)
	if err != nil {
		return err
	}
	defer func() {
		if retErr != nil {
			retErr = errors.Join(retErr, undoVolumes())
		}
	}()
	data, err := json.MarshalIndent(rec, "", "  ")
	if err != nil {
		return err
	}
	if err := os.WriteFile(path.Join(tmp, "config.json"), data, 0o600); err != nil {
		return err
	}
	st, _ := json.Marshal(State{Status: StatusCreated})
	if err := os.WriteFile(path.Join(tmp, "state.json"), st, 0o600); err != nil {
		return err
	}
	if err := os.Rename(tmp, c.dir()); err != nil {
		return err
	}
	for _, name := range newVolumes {
		e.emitVolume(name, "create")
	}
	c.emit(rec, "create")
	return nil
}

// processFromImage applies Docker's rules for combining the image's
// configuration with the container's.
func processFromImage(cfg *Config, img *runImage) (processSpec, error) {
	p := processSpec{
		WorkingDir: img.Config.WorkingDir,
		User:       img.Config.User,
		StopSignal: img.Config.StopSignal,
	}
	entrypoint, cmd := img.Config.Entrypoint, img.Config.Cmd
	if cfg.Entrypoint != nil {
		entrypoint = cfg.Entrypoint
		cmd = nil // Docker resets the image's Cmd with a new entrypoint
		if len(entrypoint) == 1 && entrypoint[0] == "" {
			entrypoint = nil
		}
	}
	if cfg.Cmd != nil {
		cmd = cfg.Cmd
	}
	p.Args = append(slices.Clone(entrypoint), cmd...)
	if len(p.Args) == 0 {
		return p, invalidf("no command specified")
	}
	if cfg.WorkingDir != "" {
		p.WorkingDir = cfg.WorkingDir
	}
	if p.WorkingDir == "" {
		p.WorkingDir = "/"
	}
	if err := validateExec(&p); err != nil {
		return p, err // the image's WORKDIR is checked as the caller's is
	}
	p.WorkingDir = path.Clean(p.WorkingDir)
	if cfg.User != "" {
		p.User = cfg.User
	}
	if cfg.StopSignal != "" {
		p.StopSignal = cfg.StopSignal
	}
	p.Env = envlist.Merge(img.Config.Env, cfg.Env)
	if !slices.ContainsFunc(p.Env, func(s string) bool { return strings.HasPrefix(s, "PATH=") }) {
		p.Env = append([]string{"PATH=" + envlist.DefaultPath}, p.Env...)
	}
	return p, nil
}

func (e *Engine) readRecord(id string) (*containerRecord, error) {
	return (&Container{e: e, id: id}).record()
}

// record reads the container's record, with its settings laid over it.
func (c *Container) record() (*containerRecord, error) {
	data, err := c.readFile("config.json")
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("no such container: %s: %w", c.id, ErrNotFound)
	}
	if err != nil {
		return nil, err
	}
	var rec containerRecord
	if err := json.Unmarshal(data, &rec); err != nil {
		return nil, fmt.Errorf("read container %s: %w", c.id, err)
	}
	s, err := c.settings()
	if err != nil {
		return nil, err
	}
	s.apply(&rec)
	return &rec, nil
}

// knownRecord is the record Create wrote when this handle comes from
// Create (with the settings changed since laid over it), else the one on
// disk.
func (c *Container) knownRecord() (*containerRecord, error) {
	if c.rec == nil {
		return c.record()
	}
	s, err := c.e.readSettings(c.id)
	if err != nil {
		return nil, err
	}
	if s == (containerSettings{}) {
		return c.rec, nil
	}
	rec := *c.rec
	s.apply(&rec)
	return &rec, nil
}

// readState reads the recorded state without checking it.
func (c *Container) readState() (State, error) {
	var st State
	data, err := c.readFile("state.json")
	if errors.Is(err, fs.ErrNotExist) {
		return st, fmt.Errorf("no such container: %s: %w", c.id, ErrNotFound)
	}
	if err != nil {
		return st, err
	}
	err = json.Unmarshal(data, &st)
	return st, err
}

func (c *Container) writeState(st State) error {
	data, err := json.Marshal(st)
	if err != nil {
		return err
	}
	return c.e.writeFileAtomic(c.dir("state.json"), data, 0o600)
}

// Run creates a container from cfg, starts it with the given stdio (nil
// means the null device, as for Container's fields), waits for it to exit
// and removes it with its anonymous volumes, like docker run --rm. A
// non-zero exit is returned as *ExitError as well as in the status.
func (e *Engine) Run(ctx context.Context, cfg Config, stdin io.Reader, stdout, stderr io.Writer) (ExitStatus, error) {
	c, err := e.Create(ctx, cfg)
	if err != nil {
		return ExitStatus{}, err
	}
	defer c.Remove(context.WithoutCancel(ctx), RemoveForce(), RemoveVolumes())
	c.Stdin, c.Stdout, c.Stderr = stdin, stdout, stderr
	if err := c.Start(ctx); err != nil {
		return ExitStatus{}, err
	}
	st, err := c.Wait(ctx)
	if err != nil {
		return st, err
	}
	if st.Code != 0 {
		return st, &ExitError{Status: st}
	}
	return st, nil
}

// imageInUse reports whether a container was created from the image.
func (e *Engine) imageInUse(id string) bool {
	entries, _ := os.ReadDir(e.path("containers"))
	for _, ent := range entries {
		if rec, err := e.readRecord(ent.Name()); err == nil && rec.ImageID == id {
			return true
		}
	}
	return false
}

// running tracks the containers this Engine value started and waits for.
type running struct {
	mu   sync.Mutex
	byID map[string]*proc
	// execs are the execs this Engine value started that have not
	// recorded their exec_die yet, by container ID (exec_track_linux.go).
	execs map[string]map[*Process]struct{}
}

// RemoveOption is an option of Container.Remove, Engine.RemoveImage and
// Engine.RemoveVolume.
type RemoveOption func(*removeOptions) error

type removeOptions struct {
	force   bool
	volumes bool
}

// RemoveForce removes what is in use: a running container is killed
// first (docker rm -f); an image or a volume that a container uses is
// removed as those calls describe (docker rmi -f, docker volume rm -f).
// By default what is in use is refused.
func RemoveForce() RemoveOption {
	return func(o *removeOptions) error {
		o.force = true
		return nil
	}
}

// RemoveVolumes makes Container.Remove remove the container's anonymous
// volumes as well (docker rm -v), except those that another container
// mounts. Named volumes are never removed with a container. By default
// every volume is kept. Only Container.Remove takes it.
func RemoveVolumes() RemoveOption {
	return func(o *removeOptions) error {
		o.volumes = true
		return nil
	}
}

// applyRemoveOptions applies opts for what ("container", "image",
// "volume"); only a container takes RemoveVolumes.
func applyRemoveOptions(what string, opts []RemoveOption) (removeOptions, error) {
	var o removeOptions
	for _, opt := range opts {
		if err := opt(&o); err != nil {
			return o, fmt.Errorf("remove %s: %w", what, err)
		}
	}
	if o.volumes && what != "container" {
		return o, invalidf("remove %s: RemoveVolumes applies to containers", what)
	}
	return o, nil
}

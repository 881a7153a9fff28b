package dock

import (
	"os"

	"github.com/go-dock/dock/internal/bridge"
	"github.com/go-dock/dock/internal/cgroup"
	"github.com/go-dock/dock/internal/netstate"
	"github.com/go-dock/dock/internal/nsinit"
	"github.com/go-dock/dock/internal/user"
)

// What a container's init needs to know, resolved before (or, on a cgroup
// v1 host, while) it is started.

// launch is everything resolved for starting a container's init.
type launch struct {
	rec      *containerRecord
	dir      string // containers/<id>
	layers   string // the directory holding the unpacked layers
	user     user.User
	caps     capSet
	seccomp  []byte             // nil when unconfined
	cgroupV2 bool               // mount the container's cgroup2 at /sys/fs/cgroup
	cgroupV1 []cgroup.Hierarchy // else these v1 hierarchies under it
	// ttySize is the size the process's terminal starts with (Tty).
	ttySize WindowSize
	userns  bool // UIDMap and GIDMap are set
	// usernsFile is /proc/PID/ns/user of a process that holds the user
	// namespace the init enters (see usernsHolder).
	usernsFile string
	// joinFiles are the cgroup v1 tasks files the init writes "0" to, to
	// move itself into its cgroup (see cgroup.Manager.JoinFiles).
	joinFiles []string
	// pdeathsig kills the init when the program that started it dies
	// (attached containers).
	pdeathsig bool
	// nullStdio are the standard descriptors (bit 0 stdin, 1 stdout, 2
	// stderr) that the process gets on the container's own /dev/null:
	// the engine or the monitor opened the host's for them.
	nullStdio uint64
	// netns is the network namespace the init joins first instead of
	// the one it was cloned with: another container's (container:NAME),
	// whose hostname and /etc files (etcDir) the container takes too.
	netns    string
	etcDir   string
	hostname string
	// links are the links the engine moves into the init's network
	// namespace, for it to configure.
	links []bridge.Link
	// ipcns, pidns: the namespaces (/proc/PID/ns/ipc, pid) of other
	// containers that the init joins (IPC and PID "container:NAME"),
	// and shmFrom the mount namespace of the one whose /dev/shm it
	// shares (see joinNamespaces).
	ipcns, pidns, shmFrom string
	// devices are the host devices the init makes in the container.
	devices []hostDevice
}

// prepareLaunch resolves what the init needs: identity, profile, cgroup.
func (c *Container) prepareLaunch(rec *containerRecord, procRoot string) (*launch, error) {
	l := c.newLaunch(rec)
	if err := c.resolveLaunch(l, procRoot); err != nil {
		return nil, err
	}
	return l, nil
}

// newLaunch is the part of a launch that costs nothing: what the init's
// clone needs.
func (c *Container) newLaunch(rec *containerRecord) *launch {
	return &launch{
		rec:      rec,
		dir:      c.dir(),
		layers:   c.e.path("layers"),
		cgroupV2: cgroup.DetectMode() == cgroup.Unified,
		userns:   len(rec.Config.UIDMap) > 0,
	}
}

// resolveLaunch fills in what the init's plan needs: the cgroup v1
// hierarchies, the user, the capabilities and the seccomp program.
func (c *Container) resolveLaunch(l *launch, procRoot string) error {
	cfg := &l.rec.Config
	var err error
	if !l.cgroupV2 {
		if l.cgroupV1, err = cgroup.V1Hierarchies(); err != nil {
			return err
		}
	}
	var created *user.User
	if procRoot == "" {
		created = c.createdUser.Swap(nil)
	}
	if created != nil {
		l.user = *created // resolved by Create, from the same files
	} else if l.user, err = c.e.lookupUser(l.rec, procRootOrEmpty(procRoot)); err != nil {
		return err
	}
	if l.caps, err = effectiveCaps(cfg); err != nil {
		return err
	}
	switch {
	case cfg.Privileged || cfg.SeccompUnconfined:
	case cfg.SeccompProfile != "":
		// The caller's own profile: compiled anew at each start (it
		// was checked by Create).
		if l.seccomp, err = compileSeccompProfile(cfg.SeccompProfile, l.caps); err != nil {
			return err
		}
	default:
		if l.seccomp, err = c.e.seccompFor(l.caps); err != nil {
			return err
		}
	}
	return nil
}

// prefetchStart loads, in the background of Create, what Start will need
// and keeps in memory: the cgroup v1 hierarchies and the compiled seccomp
// program of cfg's capabilities when the cache has it. Start then finds
// them ready instead of reading them. It only reads: compiling (and
// writing the cache) stays Start's, and errors are Start's to report.
func (e *Engine) prefetchStart(cfg Config) {
	if modeOf(cfg.Network) == netBridge {
		go netstate.Warm()
	}
	// os/exec checks once per process that pidfds work, by cloning and
	// waiting for a child (0.3-0.5 ms here); FindProcess makes the same
	// check, so it is made here, beside Create, instead of in Start. Not
	// when a prespawned init waits: Start will not use os/exec.
	if !nsinit.PrespawnedWaiting() {
		if p, err := os.FindProcess(os.Getpid()); err == nil {
			p.Release()
		}
	}
	cgroup.V1Hierarchies() // kept with the mountinfo it parsed
	if cfg.Privileged || cfg.SeccompUnconfined || cfg.SeccompProfile != "" {
		return
	}
	if caps, err := effectiveCaps(&cfg); err == nil {
		e.seccompCached(caps)
	}
}

func procRootOrEmpty(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

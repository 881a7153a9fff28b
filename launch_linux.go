package dock

import (
	"os"

	"golang.org/x/sys/unix"

	"github.com/go-dock/dock/internal/cgroup"
	"github.com/go-dock/dock/internal/nsinit"
)

// What a container's init needs to know, resolved before (or, on a cgroup
// v1 host, while) it is started: see launch in spec_linux.go.

func cgroupPath(id string) string { return "dock/" + id }

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
	var created *execUser
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
	if !cfg.Privileged && !cfg.SeccompUnconfined {
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
	if cfg.Privileged || cfg.SeccompUnconfined {
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

// initCloneFlags are the namespaces of a new container.
func initCloneFlags(l *launch) uintptr {
	flags := uintptr(unix.CLONE_NEWNS | unix.CLONE_NEWPID | unix.CLONE_NEWUTS | unix.CLONE_NEWIPC)
	if l.rec.Config.Network != "host" {
		flags |= unix.CLONE_NEWNET
	}
	// A user namespace is entered late, by the init itself (see
	// nsinit.Plan.Userns): every other namespace belongs to the host's.
	return flags
}

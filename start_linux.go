package dock

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"strconv"
	"time"

	"golang.org/x/sys/unix"

	"github.com/go-dock/dock/internal/cgroup"
	"github.com/go-dock/dock/internal/netstate"
	"github.com/go-dock/dock/internal/nsinit"
)

func (c *Container) startImpl(ctx context.Context) error {
	return c.start(ctx, false, nil)
}

func (c *Container) startDetachedImpl(ctx context.Context) error {
	if c.Stdin != nil || c.Stdout != nil || c.Stderr != nil {
		return invalidf("start detached: stdio fields must be nil; read the output with Logs")
	}
	return c.start(ctx, true, nil)
}

// errNoInit is the error of a container call in a program built without
// cgo: Go builds without it, silently, when CGO_ENABLED=0 or when it finds
// no C compiler, and the init (a C constructor) is then missing.
var errNoInit = fmt.Errorf("this program was built without cgo, so the container init is missing "+
	"(Go turns cgo off without a C compiler or with CGO_ENABLED=0): install a C compiler "+
	"(Debian: apt-get install gcc libc6-dev) and build again with CGO_ENABLED=1: %w", ErrUnsupported)

// start is Start and StartDetached, and (policy not nil) a start of the
// restart policy; every error of a start passes here, and is wrapped
// here, once. A *StartError (the init's own report of what failed) is
// returned as it is.
func (c *Container) start(ctx context.Context, detached bool, policy *policyStart) error {
	err := errNoInit
	if nsinit.Available {
		err = c.startInit(ctx, detached, policy)
	}
	if se := (*StartError)(nil); errors.As(err, &se) {
		return se
	}
	if err != nil {
		return fmt.Errorf("start container: %w", err)
	}
	return nil
}

// starting is a start in progress: what its phases have made, for the
// next phase and for the rollback of a start that fails.
type starting struct {
	c        *Container
	rec      *containerRecord
	l        *launch
	detached bool
	// announced: the start's events are in the log already (a detached
	// start records them before the go-ahead, so that they come before
	// the monitor's die of a container that exits at once).
	announced bool
	// policy is set for a start of the restart policy.
	policy *policyStart
	// overlap: an attached init on a cgroup v1 or hybrid host joins its
	// v1 cgroups by itself, from its plan: it is cloned first, and the
	// rest of its cgroup and of its plan are made while it execs
	// (overlapped: a fraction of a millisecond). Otherwise everything
	// comes first.
	overlap bool

	cg           cgroup.Manager
	finishCgroup func() error // the second stage of cg (see newCgroup)

	p     *proc
	cmd   *exec.Cmd // the re-executed init, or the detached one's monitor
	stdio *stdioSet
	init  initProcess
	pre   *prespawnedInit // init, when it is the prespawned one
	conn  *nsinit.Conn    // the engine's end of the init's sync socket
	cgfd  int             // the cgroup the init was born in, or -1
	net   *netSetup       // its network
	// netClaim is the detached container's network hook marker, claimed
	// (claimNetwork) until commit hands it to watchNetwork.
	netClaim *os.File
	// netPlaced and netDone wait for the attached init's network
	// (attachNetwork).
	netPlaced, netDone func() error

	// A detached init's start time, its monitor and when it got its
	// go-ahead: read when the monitor reports the init, which waits for
	// its go-ahead then, since by the commit it may have run, exited
	// and been reaped (a short command on a busy machine).
	pidStart     uint64
	monitor      int
	monitorStart uint64
	started      time.Time
}

// startInit runs the phases of a start: prepare (the cgroup, and what the
// init needs), spawn (the init, waiting for its plan), handshake (the
// plan goes out, the init runs the user's process) and commit (the
// recorded state). A phase that fails, or a ctx that ends before the
// user's process runs, leaves nothing behind: no process, no cgroup.
// ctx ends every wait on the init (its sync socket, see nsinit.Conn);
// the engine's lock is not one of them.
func (c *Container) startInit(ctx context.Context, detached bool, policy *policyStart) (retErr error) {
	if err := ctx.Err(); err != nil {
		return err
	}
	rec, err := c.knownRecord()
	if err != nil {
		return err
	}
	unlock, err := c.lockStart()
	if err != nil {
		return err
	}
	defer unlock()
	s := &starting{c: c, rec: rec, l: c.newLaunch(rec), detached: detached, policy: policy, cgfd: -1}
	s.overlap = !detached && !s.l.cgroupV2
	defer func() {
		if retErr != nil && s.cg != nil {
			s.cg.Kill()
			s.cg.Destroy()
		}
	}()
	if modeOf(rec.Config.Network) == netBridge {
		go netstate.Warm() // for reserve; at once in a process that created it
	}
	if err := s.prepare(ctx); err != nil {
		return err
	}
	if err := c.e.joinNamespaces(s.l); err != nil {
		return err
	}
	if s.net, err = c.prepareNetwork(rec); err != nil {
		return err
	}
	s.l.netns, s.l.etcDir, s.l.hostname = s.net.join, s.net.etcDir, s.net.hostname
	if s.net.bridged() {
		// Addresses, pairs and rules while the init is cloned.
		s.net.reserveAsync(rec)
	}
	defer func() {
		s.waitNetwork()
		s.net.finish(retErr == nil, detached)
	}()
	if s.l.userns {
		holder, err := s.holdUserns(ctx)
		if err != nil {
			return err
		}
		// Once the init has started, it holds the namespace itself.
		defer holder.Close()
	}
	defer func() {
		if s.netClaim != nil {
			s.netClaim.Close() // the monitor's hook takes the network back
		}
	}()
	if err := s.spawn(); err != nil {
		return err
	}
	defer s.closeEnds()
	if s.net.bridged() && !detached {
		// The links move into the init's namespace while it starts: it
		// configures them when it gets its plan (the last part for a
		// prespawned init). A detached init's move when its monitor
		// reports it.
		s.attachNetwork(s.p.pid)
	}
	if err := s.handshake(ctx); err != nil {
		return s.abort(ctx, err)
	}
	return s.commit(ctx)
}

// attachNetwork makes the container's links in the namespace of the
// init (pid) in the background; waitPlaced waits until they are there,
// waitNetwork until they are complete.
func (s *starting) attachNetwork(pid int) {
	s.netPlaced, s.netDone = inTwoStages(func(placed func(error)) error { return s.net.place(s.rec, pid, placed) })
}

// waitPlaced waits for attachNetwork's links, if it was started.
func (s *starting) waitPlaced() error {
	if s.netPlaced == nil {
		return nil
	}
	return s.netPlaced()
}

// waitNetwork waits for attachNetwork, if it was started.
func (s *starting) waitNetwork() error {
	if s.netDone == nil {
		return nil
	}
	return s.netDone()
}

// lockStart allows one start at a time: a second concurrent Start (in any
// process) fails at once instead of racing the first.
func (c *Container) lockStart() (unlock func(), err error) {
	guard, err := os.OpenFile(c.dir("start.lock"), os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, err
	}
	if err := unix.Flock(int(guard.Fd()), unix.LOCK_EX|unix.LOCK_NB); err != nil {
		guard.Close()
		return nil, fmt.Errorf("container %s being started: %w", c.id[:12], ErrRunning)
	}
	return func() { guard.Close() }, nil
}

// prepare checks, under the engine's lock, that the container may start,
// and makes its cgroup; without overlap, also the rest of what the init
// needs. A user's start ends what the user's stop said to the restart
// policy; the policy's start happens only while this process is the one
// that waits to restart the container, and the user has not stopped it.
func (s *starting) prepare(ctx context.Context) error {
	c := s.c
	return c.e.locked(func() error {
		// A run that has just ended, whose monitor became the restart
		// policy's process, is recorded exited without waiting for that
		// process's decision: it waits for this start's lock, and yields
		// to this start.
		st, err := c.state(ctx, false)
		if err != nil {
			return err
		}
		if s.policy != nil {
			if st.Status != StatusRestarting || st.Monitor != os.Getpid() || c.stoppedByUser() {
				return errRestartCanceled
			}
		} else {
			switch st.Status {
			case StatusRunning, StatusPaused:
				return fmt.Errorf("container %s: %w", c.id[:12], ErrRunning)
			case StatusRestarting:
				return fmt.Errorf("container %s is restarting: %w", c.id[:12], ErrRunning)
			}
			for _, name := range []string{stoppedMarker, backoffFile} {
				if err := os.Remove(c.dir(name)); err != nil && !errors.Is(err, fs.ErrNotExist) {
					return err
				}
			}
		}
		if st.Status != StatusCreated {
			// It ran: its own /etc/passwd may have changed since.
			c.createdUser.Store(nil)
		}
		if s.cg, s.finishCgroup, err = c.newCgroup(s.l); err != nil {
			return err
		}
		if !s.overlap {
			return s.finish()
		}
		return nil
	})
}

// finish makes the second stage of the cgroup and resolves the rest of
// the launch (see resolveLaunch).
func (s *starting) finish() error {
	if err := s.finishCgroup(); err != nil {
		return err
	}
	return s.c.resolveLaunch(s.l, "")
}

// holdUserns starts the process that holds the container's user
// namespace (see usernsHolder), with the directories of the layers'
// idmapped views, for the caller to close.
func (s *starting) holdUserns(ctx context.Context) (*userns, error) {
	for i := range len(s.rec.Layers) + 1 { // and the init layer
		if err := os.MkdirAll(s.c.dir("idmap", strconv.Itoa(i)), 0o700); err != nil {
			return nil, err
		}
	}
	holder, err := usernsHolder(ctx, &s.rec.Config)
	if err != nil {
		return nil, err
	}
	s.l.usernsFile = holder.file
	return holder, nil
}

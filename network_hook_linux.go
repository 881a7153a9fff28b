package dock

import (
	"fmt"
	"os"
	"strings"

	"github.com/go-dock/dock/internal/nsinit"
)

// The program re-executed in a hook mode, for the work that outlives the
// process that started it: "network ID", which a detached container's
// monitor (C, with no engine) runs when the container exits, to take its
// network back (nsinit.Plan.ExitHook); "dns", the host's name server;
// "gc", the host's collector of idle networks; "restart ..." and "health
// ...", a container's restart policy and health checks (restart_linux.go,
// health_linux.go), which open the engine's root. The mode is chosen in
// an init function, before the program's main: each works from the state
// on disk alone, so it needs nothing the program sets up.

func init() {
	if v, ok := os.LookupEnv(nsinit.HookEnv); ok {
		os.Exit(runHook(v))
	}
}

// runHook runs the hook that the value of nsinit.HookEnv names.
func runHook(v string) int {
	what, rest, _ := strings.Cut(v, " ")
	var err error
	switch {
	case what == "dns":
		return runDNSDaemon(os.NewFile(4, "ready"))
	case what == "gc":
		err = runCollector()
	case what == "network" && isID(rest):
		err = teardownNetwork(rest)
	case what == "restart":
		err = runRestartHook(rest)
	case what == "health":
		return runHealthHook(rest)
	default:
		fmt.Fprintf(os.Stderr, "dock: unknown hook %q\n", v)
		return 2
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "dock:", err)
		return 1
	}
	return 0
}

// networkHook adds to a detached container's monitor plan the hook that
// takes the container's network back at exit, while the marker file in
// its directory exists (takeBackNetwork and watchNetwork remove it). It
// returns the marker claimed (claimNetwork), for watchNetwork.
func networkHook(p *nsinit.Plan, c *Container) (*os.File, error) {
	exe, err := nsinit.ExeFile()
	if err != nil {
		return nil, err
	}
	marker := c.dir(hookMarker)
	if err := os.WriteFile(marker, nil, 0o600); err != nil {
		return nil, err
	}
	claim, err := claimNetwork(marker)
	if err != nil {
		return nil, err
	}
	path := fmt.Sprintf("/proc/%d/fd/%d", os.Getpid(), exe.Fd())
	p.ExitHook(path, []string{"dock-exit-hook"}, []string{nsinit.HookEnv + "=network " + c.id}, marker)
	return claim, nil
}

// hookMarker is the file whose presence asks the monitor for the hook.
const hookMarker = "network.hook"

// takeBackNetwork takes a running detached container's network back
// before the engine kills it (Remove with force), so that its monitor
// need not start a process to do it: the marker goes first, then the
// network.
func (c *Container) takeBackNetwork() error {
	if err := os.Remove(c.dir(hookMarker)); err != nil {
		return nil // no hook asked for: nothing of ours to take back
	}
	return teardownNetwork(c.id)
}

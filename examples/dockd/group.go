package main

import (
	"fmt"
	"log/slog"
	"os/user"
	"strconv"
)

// defaultGroup owns the socket unless --group names another: Docker's,
// so that the users already in it reach dockd as they reach dockerd.
const defaultGroup = "docker"

// socketGroup returns the gid that the unix sockets get (-1: leave the
// creator's). The default group missing is a warning and root's group, as
// with dockerd; a group named with --group missing is an error.
func socketGroup(name string, explicit bool, log *slog.Logger) (int, error) {
	if name == "" {
		return -1, nil
	}
	if gid, err := strconv.Atoi(name); err == nil && gid >= 0 {
		return gid, nil
	}
	g, err := user.LookupGroup(name)
	if err != nil {
		if explicit {
			return 0, fmt.Errorf("--group %s: %w", name, err)
		}
		log.Warn("the socket's default group is missing: only root can use the socket", "group", name)
		return -1, nil
	}
	gid, err := strconv.Atoi(g.Gid)
	if err != nil {
		return 0, fmt.Errorf("--group %s: gid %q: %w", name, g.Gid, err)
	}
	return gid, nil
}

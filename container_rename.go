package dock

import (
	"context"
	"fmt"
	"strings"

	"github.com/go-dock/dock/internal/netstate"
)

// Rename gives the container the name newName (a leading "/" is
// dropped), as docker rename does, whatever its state. A running
// container on user-defined networks answers to the new name there at
// once (their name server's records change with it); its hostname and
// the other containers' /etc/hosts do not change, as in Docker. An empty
// or malformed name, or the container's own, fails with ErrInvalid; a
// name another container has with ErrExist, in Docker's words.
func (c *Container) Rename(ctx context.Context, newName string) error {
	name := strings.TrimPrefix(newName, "/")
	if name == "" {
		return invalidf("rename container: Neither old nor new names may be empty")
	}
	if !validName(name, 1<<10) {
		return invalidf("rename container: Invalid container name (%s), only [a-zA-Z0-9][a-zA-Z0-9_.-] are allowed", name)
	}
	var rec *containerRecord
	var old string
	err := c.e.locked(func() error {
		var err error
		if rec, err = c.record(); err != nil {
			return err
		}
		old = rec.Name
		if old == name {
			return invalidf("Renaming a container with the same name as its current name")
		}
		if other, err := c.e.findByName(name); err == nil {
			return &nameConflict{Name: name, ID: other}
		}
		if err := c.changeSettings(func(s *containerSettings) { s.Name = name }); err != nil {
			return err
		}
		rec.Name, rec.Config.Name = name, name
		if err := c.renewExitTemplates(rec); err != nil {
			return err
		}
		return c.renameEndpoints(ctx, rec)
	})
	if err != nil {
		return fmt.Errorf("rename container %s: %w", c.id[:12], err)
	}
	c.emit(rec, "rename", "oldName", old)
	return nil
}

// renameEndpoints gives the endpoints of a running container its new
// name, which the networks' name server answers to.
func (c *Container) renameEndpoints(ctx context.Context, rec *containerRecord) error {
	eps, err := c.networks(rec)
	if err != nil || len(eps) == 0 {
		return err
	}
	if st, err := c.State(ctx); err != nil || (st.Status != StatusRunning && st.Status != StatusPaused) {
		return err
	}
	return netStore.Update(func(st *netstate.State) error {
		for _, ep := range st.Endpoints(c.id) {
			ep.Name = rec.Name
		}
		return nil
	})
}

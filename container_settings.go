package dock

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
)

// A container's record (config.json) never changes once Create wrote it:
// the engine, other engines and the monitors read it without a lock. What
// changes later, the name (Rename) and the resources (Update), is kept in
// settings.json beside it, written whole (through a rename) under the
// engine's lock, and laid over the record by readRecord, so that every
// reader sees the container as it is now.

// containerSettings are the parts of a container that changed since
// Create.
type containerSettings struct {
	// Name, when set, replaces the record's Name and Config.Name.
	Name string `json:"name,omitempty"`
	// Resources, when set, replace Config.Resources.
	Resources *Resources `json:"resources,omitempty"`
	// RestartPolicy, when set, replaces Config.RestartPolicy.
	RestartPolicy *RestartPolicy `json:"restartPolicy,omitempty"`
}

const settingsFile = "settings.json"

// readSettings reads the container's settings; none is the zero value.
func (e *Engine) readSettings(id string) (containerSettings, error) {
	return (&Container{e: e, id: id}).settings()
}

// settings reads the container's settings; none is the zero value.
func (c *Container) settings() (containerSettings, error) {
	var s containerSettings
	data, err := c.readFile(settingsFile)
	if errors.Is(err, fs.ErrNotExist) {
		return s, nil
	}
	if err != nil {
		return s, err
	}
	if err := json.Unmarshal(data, &s); err != nil {
		return s, fmt.Errorf("read container %s settings: %w", c.id, err)
	}
	return s, nil
}

// apply lays the settings over rec.
func (s *containerSettings) apply(rec *containerRecord) {
	if s.Name != "" {
		rec.Name, rec.Config.Name = s.Name, s.Name
	}
	if s.Resources != nil {
		rec.Config.Resources = *s.Resources
	}
	if s.RestartPolicy != nil {
		rec.Config.RestartPolicy = *s.RestartPolicy
	}
}

// changeSettings changes the container's settings with fn and writes
// them. The caller holds the engine's lock.
func (c *Container) changeSettings(fn func(*containerSettings)) error {
	s, err := c.e.readSettings(c.id)
	if err != nil {
		return err
	}
	fn(&s)
	data, err := json.Marshal(&s)
	if err != nil {
		return err
	}
	if _, err := os.Stat(c.dir()); err != nil {
		return fmt.Errorf("no such container: %s: %w", c.id, ErrNotFound)
	}
	return c.e.writeFileAtomic(c.dir(settingsFile), data, 0o600)
}

// name reads only the container's name: its settings', else the
// record's, without decoding the rest of the record.
func (c *Container) name() (string, error) {
	s, err := c.settings()
	if err != nil {
		return "", err
	}
	if s.Name != "" {
		return s.Name, nil
	}
	data, err := c.readFile("config.json")
	if err != nil {
		return "", err
	}
	var rec struct {
		Name string `json:"name"`
	}
	if err := json.Unmarshal(data, &rec); err != nil {
		return "", err
	}
	return rec.Name, nil
}

// nameConflict is the error of a Create or Rename whose name another
// container has: Docker's message, wrapping ErrExist.
type nameConflict struct {
	// Name is the name asked for, ID the container that has it.
	Name, ID string
}

func (e *nameConflict) Error() string {
	return fmt.Sprintf("Conflict. The container name %q is already in use by container %q. "+
		"You have to remove (or rename) that container to be able to reuse that name.", "/"+e.Name, e.ID)
}

func (e *nameConflict) Unwrap() error { return ErrExist }

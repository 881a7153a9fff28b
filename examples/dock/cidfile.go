package main

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
)

// cidFile is docker's --cidfile: made before the container, refused when
// it exists (another container may own it), given the container's ID
// once created, and removed when the creation fails.
type cidFile struct {
	f       *os.File // nil without --cidfile
	written bool
}

func newCIDFile(path string) (*cidFile, error) {
	if path == "" {
		return &cidFile{}, nil
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
	if errors.Is(err, fs.ErrExist) {
		return nil, fmt.Errorf("container ID file found, make sure the other container isn't running or delete %s", path)
	}
	if err != nil {
		return nil, fmt.Errorf("failed to create the container ID file: %w", err)
	}
	return &cidFile{f: f}, nil
}

// write writes the ID, without a newline, as docker does.
func (c *cidFile) write(id string) error {
	if c.f == nil {
		return nil
	}
	if _, err := c.f.WriteString(id); err != nil {
		return fmt.Errorf("failed to write the container ID to the file: %w", err)
	}
	c.written = true
	return nil
}

// close closes the file, and removes it when no ID was written.
func (c *cidFile) close() {
	if c.f == nil {
		return
	}
	c.f.Close()
	if !c.written {
		os.Remove(c.f.Name())
	}
}

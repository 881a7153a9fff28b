package dockerapi

import (
	"errors"
	"net/http"

	"github.com/go-dock/dock"
)

// container finds the container a request names (by ID, ID prefix or
// name), answering a missing one with Docker's 404 and words.
func (s *server) container(ref string) (*dock.Container, error) {
	c, err := s.engine.Container(ref)
	if errors.Is(err, dock.ErrNotFound) {
		return nil, errorf(http.StatusNotFound, "No such container: %s", ref)
	}
	return c, err
}

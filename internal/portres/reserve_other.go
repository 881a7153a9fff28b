//go:build !linux

package portres

import (
	"errors"
	"os"
)

func reserve([]Mapping) ([]*os.File, []Mapping, error) {
	return nil, nil, errors.New("reserve host ports: needs Linux")
}

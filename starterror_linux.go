package dock

import (
	"errors"
	"fmt"

	"golang.org/x/sys/unix"

	"github.com/go-dock/dock/internal/nsinit"
)

// startError is how a caller sees an init that reported a failure (an
// *nsinit.Error): a *StartError with the exit code Docker reports.
// Other errors are returned as they are.
func startError(err error) error {
	var ie *nsinit.Error
	if !errors.As(err, &ie) {
		return err
	}
	if ie.Errno == int(unix.EINVAL) && rootNotMounted() {
		return &StartError{Code: 125, Err: fmt.Errorf("%w (the init failed: %w): %w", errRootNotMountPoint, ie, ErrUnsupported)}
	}
	return &StartError{Code: startCode(ie.Code), Err: ie}
}

// startCode maps the init's failure to Docker's exit codes: 126 and 127
// for an executable that cannot run or is missing, 125 for the rest.
func startCode(code int) int {
	if code == 126 || code == 127 {
		return code
	}
	return 125
}

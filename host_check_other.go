//go:build !linux

package dock

// checkHost has nothing to check where containers do not run.
func checkHost(*Config) ([]string, error) { return nil, nil }

package main

import (
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/go-dock/dock"
)

// parseLogOpts maps docker run's --log-driver and --log-opt KEY=VALUE
// values to a dock.LogConfig.
//
// The drivers are docker's two that keep a file that docker logs reads,
// json-file and local (or none given): dock writes the json-file format
// for both, and both have the same default, local's 20 MiB x 5 files, so
// json-file without max-size is bounded here where docker's is not
// (max-size=-1 asks for one unbounded file).
//
// The options are those of both drivers: max-size (a positive size in
// docker's units, k, m, g: decimal, as docker's json-file driver reads
// them, 10m is 10,000,000 bytes; or -1) and max-file (at least 1, the
// current file included); compress=false is accepted, compress=true
// refused, since rotated files are kept uncompressed. Any other key is
// refused, as docker refuses a key its driver does not know.
func parseLogOpts(driver string, opts []string) (dock.LogConfig, error) {
	var lc dock.LogConfig
	unknown := "unknown log opt '%s' for json-file log driver"
	switch driver {
	case "", "json-file":
	case "local":
		unknown = "unknown log opt '%s' for log driver local"
	default:
		return lc, fmt.Errorf("log driver %q is not supported: only json-file and local (dock writes json-file logs for both)", driver)
	}
	for _, o := range opts {
		key, value, _ := strings.Cut(o, "=")
		switch key {
		case "max-size":
			if value == "-1" {
				lc.MaxSize = -1
				continue
			}
			n, err := parseDecimalSize(value)
			if err != nil {
				return lc, err
			}
			if n <= 0 {
				return lc, errors.New("max-size must be a positive number")
			}
			lc.MaxSize = n
		case "max-file":
			n, err := strconv.Atoi(value)
			if err != nil {
				return lc, fmt.Errorf("max-file %q: not a number", value)
			}
			if n < 1 {
				return lc, errors.New("max-file cannot be less than 1")
			}
			lc.MaxFiles = n
		case "compress":
			compress, err := strconv.ParseBool(value)
			if err != nil {
				return lc, fmt.Errorf("compress %q: want true or false", value)
			}
			if compress {
				return lc, errors.New("compress=true is not supported: dock keeps rotated logs uncompressed")
			}
		default:
			return lc, fmt.Errorf(unknown, key)
		}
	}
	return lc, nil
}

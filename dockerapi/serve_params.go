package dockerapi

import (
	"net/http"
	"strconv"
	"strings"
)

// boolValue reads the query parameter k as Docker's daemon does: absent,
// empty, "0", "no", "false" and "none" (any case) are false, anything
// else is true ("1", "true", "True": clients send all of these).
func boolValue(r *http.Request, k string) bool {
	switch strings.ToLower(strings.TrimSpace(r.URL.Query().Get(k))) {
	case "", "0", "no", "false", "none":
		return false
	}
	return true
}

// intValue reads the integer query parameter k, def when absent or empty.
func intValue(r *http.Request, k string, def int) (int, error) {
	s := strings.TrimSpace(r.URL.Query().Get(k))
	if s == "" {
		return def, nil
	}
	n, err := strconv.Atoi(s)
	if err != nil {
		return 0, errorf(http.StatusBadRequest, "invalid value for %s: %q", k, s)
	}
	return n, nil
}

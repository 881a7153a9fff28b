package dockerapi

import (
	"context"
	"net/http"
	"strconv"
	"strings"
)

type versionKey struct{}

// withAPIVersion strips a /v1.N prefix from r's path and records the
// version in r's context (the newest, APIVersion, without one), refusing
// versions outside MinAPIVersion..APIVersion with Docker's words.
func withAPIVersion(r *http.Request) (*http.Request, error) {
	version := APIVersion
	if rest, ok := strings.CutPrefix(r.URL.Path, "/v"); ok {
		v, tail, _ := strings.Cut(rest, "/")
		if _, _, ok := parseVersion(v); ok {
			version = v
			r = r.Clone(r.Context())
			r.URL.Path = "/" + tail
			r.URL.RawPath = ""
			switch {
			case versionLess(v, MinAPIVersion):
				return r, errorf(http.StatusBadRequest, "client version %s is too old. Minimum supported API version is %s, please upgrade your client to a newer version", v, MinAPIVersion)
			case versionLess(APIVersion, v):
				return r, errorf(http.StatusBadRequest, "client version %s is too new. Maximum supported API version is %s", v, APIVersion)
			}
		}
	}
	return r.WithContext(context.WithValue(r.Context(), versionKey{}, version)), nil
}

// apiVersion is the version r was made for.
func apiVersion(r *http.Request) string {
	if v, ok := r.Context().Value(versionKey{}).(string); ok {
		return v
	}
	return APIVersion
}

// versionAtLeast says whether r was made for API version v or a newer one:
// the handlers' test for a field or behaviour that changed at v.
func versionAtLeast(r *http.Request, v string) bool {
	return !versionLess(apiVersion(r), v)
}

// parseVersion reads "1.N".
func parseVersion(v string) (major, minor int, ok bool) {
	a, b, found := strings.Cut(v, ".")
	if !found {
		return 0, 0, false
	}
	major, err1 := strconv.Atoi(a)
	minor, err2 := strconv.Atoi(b)
	return major, minor, err1 == nil && err2 == nil && major >= 0 && minor >= 0
}

// versionLess compares two "1.N" versions; unparsable ones sort first.
func versionLess(a, b string) bool {
	am, an, _ := parseVersion(a)
	bm, bn, _ := parseVersion(b)
	return am < bm || am == bm && an < bn
}

// Package dockerapi turns what the dock library reports (containers'
// Info, Images, Volumes, Networks) into Docker Engine API types, those of
// github.com/moby/moby/api: the JSON is Docker's by construction, key for
// key. It is the one place where dock's data takes Docker's shape; the
// example CLI prints it for docker inspect and its --format templates,
// and an Engine API server answers with it.
//
// The functions are pure conversions: they read nothing but their
// arguments (SystemInfo, which gathers the host's facts, excepted), and
// the values they return share no memory with them.
//
// What Docker shows and dock does not have is given Docker's zero value,
// as a Docker daemon shows it for a container that never used the
// feature: ExecIDs null, the MaskedPaths and ReadonlyPaths null. Docker's IDs that dock has no
// object for (a container's endpoint on a network) are derived from the
// IDs dock has, and stable.
//
// Templates: Docker runs docker inspect --format on these types, so a
// zero address (netip.Addr) prints "invalid IP", as Docker 29 does; older
// Docker clients had strings there. LegacyInspect adds the NetworkSettings
// fields that API versions before 1.52 had at the top level
// ({{.NetworkSettings.IPAddress}}).
package dockerapi

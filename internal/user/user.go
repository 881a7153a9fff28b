// Package user resolves a Docker user spec ("name", "uid:gid", ...) against an
// image's /etc/passwd and /etc/group, as Docker does. It is pure data: the
// engine (for a container's process) and the builder (for USER, WORKDIR
// and --chown) read the files and call it.
package user

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// ErrInvalid is wrapped by every error of this package: a malformed or
// unknown user, group or ID. The engine maps it to dock.ErrInvalid.
var ErrInvalid = errors.New("invalid argument")

// User is the identity a process runs as, resolved from the image's
// /etc/passwd and /etc/group.
type User struct {
	UID, GID uint32
	// Groups are the supplementary groups: GID first, then the user's
	// groups in /etc/group (unless the spec names a group) and the added
	// ones.
	Groups []uint32
	Home   string
}

type passwdEntry struct {
	name     string
	uid, gid uint32
	home     string
}

type groupEntry struct {
	name    string
	gid     uint32
	members []string
}

// parsePasswd reads passwd lines, skipping malformed ones as libc does.
func parsePasswd(data []byte) []passwdEntry {
	var out []passwdEntry
	sc := bufio.NewScanner(bytes.NewReader(data))
	for sc.Scan() {
		f := strings.Split(sc.Text(), ":")
		if len(f) < 7 || strings.HasPrefix(f[0], "#") {
			continue
		}
		uid, err1 := strconv.ParseUint(f[2], 10, 32)
		gid, err2 := strconv.ParseUint(f[3], 10, 32)
		if err1 != nil || err2 != nil {
			continue
		}
		out = append(out, passwdEntry{f[0], uint32(uid), uint32(gid), f[5]})
	}
	return out
}

func parseGroup(data []byte) []groupEntry {
	var out []groupEntry
	sc := bufio.NewScanner(bytes.NewReader(data))
	for sc.Scan() {
		f := strings.Split(sc.Text(), ":")
		if len(f) < 4 || strings.HasPrefix(f[0], "#") {
			continue
		}
		gid, err := strconv.ParseUint(f[2], 10, 32)
		if err != nil {
			continue
		}
		var members []string
		if f[3] != "" {
			members = strings.Split(f[3], ",")
		}
		out = append(out, groupEntry{f[0], uint32(gid), members})
	}
	return out
}

// MaxID is the largest user or group ID a container may use, as runc
// allows: the kernel reads (uid_t)-1, 4294967295, as "leave unchanged",
// so an ID past this range could leave a process running as root.
const MaxID = 1<<31 - 1

// ParseID parses a numeric user or group ID; ok is false when s is not a
// number (then it is a name).
func ParseID(s string) (id uint32, ok bool, err error) {
	n, perr := strconv.ParseUint(s, 10, 64)
	if perr != nil {
		if errors.Is(perr, strconv.ErrRange) {
			return 0, true, idRangeError(s)
		}
		return 0, false, nil
	}
	if n > MaxID {
		return 0, true, idRangeError(s)
	}
	return uint32(n), true, nil
}

func idRangeError(id any) error {
	return invalidf("id %v is outside 0..%d", id, MaxID)
}

// CheckSpec refuses a user spec ("uid", "uid:gid", names) whose
// numeric parts are outside 0..MaxID; names are checked when resolved.
func CheckSpec(spec string) error {
	u, g, _ := strings.Cut(spec, ":")
	for _, part := range []string{u, g} {
		if _, _, err := ParseID(part); err != nil {
			return fmt.Errorf("user %q: %w", spec, err)
		}
	}
	return nil
}

// checkIDs refuses a resolved user whose IDs (perhaps from the image's
// passwd or group file) are outside 0..MaxID.
func (u User) checkIDs(spec string) error {
	for _, id := range append([]uint32{u.UID, u.GID}, u.Groups...) {
		if id > MaxID {
			return fmt.Errorf("user %q: %w", spec, idRangeError(id))
		}
	}
	return nil
}

// Resolve resolves a Docker user spec ("", "name", "uid", "name:group",
// "uid:gid") against the image's passwd and group files, as Docker does: a
// name must exist, a number need not; the supplementary groups are those
// that list the user, plus groupAdd.
func Resolve(spec string, passwd, group []byte, groupAdd []string) (User, error) {
	users, groups := parsePasswd(passwd), parseGroup(group)
	userPart, groupPart, hasGroup := strings.Cut(spec, ":")
	if userPart == "" {
		userPart = "0"
	}
	u := User{Home: "/"}
	name := ""
	if id, ok, err := ParseID(userPart); err != nil {
		return u, fmt.Errorf("user %q: %w", spec, err)
	} else if ok {
		u.UID = id
		for _, p := range users {
			if p.uid == id {
				u.GID, u.Home, name = p.gid, p.home, p.name
				break
			}
		}
	} else {
		found := false
		for _, p := range users {
			if p.name == userPart {
				u.UID, u.GID, u.Home, name, found = p.uid, p.gid, p.home, p.name, true
				break
			}
		}
		if !found {
			return u, invalidf("unable to find user %s: no matching entries in passwd file", userPart)
		}
	}
	lookupGroup := func(g string) (uint32, error) {
		if id, ok, err := ParseID(g); ok {
			return id, err
		}
		for _, e := range groups {
			if e.name == g {
				return e.gid, nil
			}
		}
		return 0, invalidf("unable to find group %s: no matching entries in group file", g)
	}
	if hasGroup {
		if groupPart == "" {
			return u, invalidf("user %q: empty group", spec)
		}
		gid, err := lookupGroup(groupPart)
		if err != nil {
			return u, err
		}
		u.GID = gid
	}
	// The primary group comes first among the supplementary ones, as
	// Docker (through containerd's rule) has it: id shows groups=0(root).
	u.Groups = []uint32{u.GID}
	seen := map[uint32]bool{u.GID: true}
	if name != "" && !hasGroup {
		for _, e := range groups {
			for _, m := range e.members {
				if m == name && !seen[e.gid] {
					seen[e.gid] = true
					u.Groups = append(u.Groups, e.gid)
				}
			}
		}
	}
	for _, g := range groupAdd {
		gid, err := lookupGroup(g)
		if err != nil {
			return u, fmt.Errorf("group-add: %w", err)
		}
		if !seen[gid] {
			seen[gid] = true
			u.Groups = append(u.Groups, gid)
		}
	}
	return u, u.checkIDs(spec)
}

func invalidf(format string, args ...any) error {
	return fmt.Errorf("%w: %s", ErrInvalid, fmt.Sprintf(format, args...))
}

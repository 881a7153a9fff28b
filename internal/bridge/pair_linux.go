package bridge

import (
	"errors"
	"fmt"

	"github.com/vishvananda/netlink/nl"
	"golang.org/x/sys/unix"
)

// AddPair makes the veth pair of l for a container whose init waits in a
// new namespace (nsfd) with only lo, in one request: the host's end on
// the bridge, up (with hairpin when asked), the container's end in the
// namespace, unconfigured: the init gives it its addresses and routes
// itself (nsinit's Link operation), so the engine does not enter the
// namespace. (Making the pair in the host's namespace before the init
// exists and moving its end in would take the wait off the start, but a
// move costs the kernel an RCU grace period: tens of milliseconds.)
func AddPair(l Link, nsfd int) error {
	br, err := Index(l.Bridge)
	if err != nil {
		return err
	}
	if err := AddPairTo(br, l, nsfd); err != nil || !l.Hairpin {
		return err
	}
	return SetHairpin(l.Host)
}

// Index is the index of the bridge name, which AddPairTo takes.
func Index(name string) (int, error) {
	br, err := linkIndex(name)
	if err != nil {
		return 0, fmt.Errorf("bridge %s: %w", name, err)
	}
	return br, nil
}

// AddPairTo is AddPair on the bridge whose index is br, without the
// hairpin (SetHairpin): a start makes the pair as soon as it can, and
// turns the hairpin on once the container runs.
func AddPairTo(br int, l Link, nsfd int) error {
	err := addVeth(l.Host, br, l.Name, l.MAC, nsfd)
	if errors.Is(err, unix.EEXIST) {
		// The same container's veth from its last run, whose namespace
		// the kernel is still tearing down: it goes now.
		if err = DeleteLink(l.Host); err == nil {
			err = addVeth(l.Host, br, l.Name, l.MAC, nsfd)
		}
	}
	return err
}

// SetHairpin turns the hairpin on for the host's end of a pair, host
// (see Link.Hairpin), and deletes the pair when it cannot.
func SetHairpin(host string) error {
	index, err := linkIndex(host)
	if err == nil {
		err = setHairpin(index)
	}
	if err != nil {
		DeleteLink(host)
		return fmt.Errorf("hairpin on %s: %w", host, err)
	}
	return nil
}

// linkIndex is the index of the host's link name: an ioctl, where a
// netlink lookup is a round trip and a parse of the whole link.
func linkIndex(name string) (int, error) {
	s, err := unix.Socket(unix.AF_INET, unix.SOCK_DGRAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return 0, err
	}
	defer unix.Close(s)
	ifr, err := unix.NewIfreq(name)
	if err != nil {
		return 0, err
	}
	if err := unix.IoctlIfreq(s, unix.SIOCGIFINDEX, ifr); err != nil {
		return 0, fmt.Errorf("link %s: %w", name, err)
	}
	return int(ifr.Uint32()), nil
}

// setHairpin turns the hairpin on for the bridge port at index: its
// bridge port attributes (IFLA_PROTINFO) with the mode set.
func setHairpin(index int) error {
	req := nl.NewNetlinkRequest(unix.RTM_SETLINK, unix.NLM_F_ACK)
	msg := nl.NewIfInfomsg(unix.AF_BRIDGE)
	msg.Index = int32(index)
	req.AddData(msg)
	port := nl.NewRtAttr(unix.IFLA_PROTINFO|unix.NLA_F_NESTED, nil)
	port.AddRtAttr(nl.IFLA_BRPORT_MODE, []byte{1})
	req.AddData(port)
	return rtnlDo(req)
}

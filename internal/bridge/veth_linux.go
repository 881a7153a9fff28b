package bridge

import (
	"fmt"
	"net"

	"github.com/vishvananda/netlink/nl"
	"golang.org/x/sys/unix"
)

// addVeth makes a veth pair in one request: the host's end named host,
// on the bridge at master (index), up; the container's end named peer,
// with mac, in the namespace at nsfd. The netlink library's LinkAdd takes
// three round trips for this (the master is set after, the index looked
// up by name) and two more to set the host's end up.
func addVeth(host string, master int, peer string, mac net.HardwareAddr, nsfd int) error {
	req := nl.NewNetlinkRequest(unix.RTM_NEWLINK, unix.NLM_F_CREATE|unix.NLM_F_EXCL|unix.NLM_F_ACK)
	msg := nl.NewIfInfomsg(unix.AF_UNSPEC)
	msg.Flags, msg.Change = unix.IFF_UP, unix.IFF_UP
	req.AddData(msg)
	req.AddData(nl.NewRtAttr(unix.IFLA_IFNAME, nl.ZeroTerminated(host)))
	req.AddData(nl.NewRtAttr(unix.IFLA_MASTER, nl.Uint32Attr(uint32(master))))
	info := nl.NewRtAttr(unix.IFLA_LINKINFO, nil)
	info.AddRtAttr(nl.IFLA_INFO_KIND, nl.NonZeroTerminated("veth"))
	data := info.AddRtAttr(nl.IFLA_INFO_DATA, nil)
	p := data.AddRtAttr(nl.VETH_INFO_PEER, nil)
	// Not up here: the kernel refuses (ENOTCONN) a peer brought up in
	// another namespace at creation; the init's Link operation or
	// Namespace.configure does it.
	nl.NewIfInfomsgChild(p, unix.AF_UNSPEC)
	p.AddRtAttr(unix.IFLA_IFNAME, nl.ZeroTerminated(peer))
	if mac != nil {
		p.AddRtAttr(unix.IFLA_ADDRESS, []byte(mac))
	}
	p.AddRtAttr(unix.IFLA_NET_NS_FD, nl.Uint32Attr(uint32(nsfd)))
	req.AddData(info)
	if err := rtnlDo(req); err != nil {
		return fmt.Errorf("add veth %s: %w", host, err)
	}
	return nil
}

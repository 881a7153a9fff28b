package firewall

import (
	"fmt"

	"github.com/google/nftables"
	"github.com/mdlayher/netlink"
)

// applyImpl replaces the table in the namespace at nsfd (0: the calling
// thread's) by p's, deleting it when p is nil.
func applyImpl(nsfd int, p plan) error {
	return replace("inet "+tableName, func(c *nftables.Conn) error { return addTable(c, p) }, nsOption(nsfd)...)
}

// nsOption is the connection option for the namespace at nsfd; none for 0,
// which google/nftables itself reads as the current namespace.
func nsOption(nsfd int) []nftables.ConnOption {
	if nsfd == 0 {
		return nil
	}
	return []nftables.ConnOption{nftables.WithNetNSFd(nsfd)}
}

// sockBuffer is the send and receive buffer of our netlink sockets, up
// from the default 208 KiB (net.core.[rw]mem_default). A batch is one
// sendmsg, refused with EMSGSIZE beyond the send buffer; every message of
// it gets an acknowledgement, and acknowledgements that overflow the
// receive buffer are lost: the batch has been committed, but
// google/nftables v0.3.0 reports ENOBUFS. Root gets this size
// (SO_SNDBUFFORCE); others get what net.core.[rw]mem_max allows.
const sockBuffer = 8 << 20

// replace runs build on a new connection and sends what it queued as one
// batch, which the kernel commits whole or not at all.
func replace(what string, build func(*nftables.Conn) error, opts ...nftables.ConnOption) error {
	opts = append(opts, nftables.WithSockOptions(func(c *netlink.Conn) error {
		if err := c.SetWriteBuffer(sockBuffer); err != nil {
			return fmt.Errorf("netlink send buffer: %w", err)
		}
		if err := c.SetReadBuffer(sockBuffer); err != nil {
			return fmt.Errorf("netlink receive buffer: %w", err)
		}
		return nil
	}))
	c, err := nftables.New(opts...)
	if err != nil {
		return fmt.Errorf("firewall: netlink: %w", err)
	}
	if err := build(c); err != nil {
		return fmt.Errorf("firewall: table %s: %w", what, err)
	}
	if err := c.Flush(); err != nil {
		return fmt.Errorf("firewall: replace table %s: %w", what, err)
	}
	return nil
}

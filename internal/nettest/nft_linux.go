package nettest

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"syscall"

	"github.com/vishvananda/netlink/nl"
	"golang.org/x/sys/unix"
)

// nftLines dumps the nftables ruleset over nfnetlink, without the nft
// binary: one line per table, chain, set and rule. A rule is named by its
// handle and a digest of its expressions, so a changed rule shows in Diff.
func nftLines() ([]string, error) {
	var out []string
	for _, d := range []struct {
		msg  int
		line func(family byte, a map[uint16][]byte) string
	}{
		{unix.NFT_MSG_GETTABLE, func(f byte, a map[uint16][]byte) string {
			return fmt.Sprintf("nft table %s %s", nftFamily(f), str(a[unix.NFTA_TABLE_NAME]))
		}},
		{unix.NFT_MSG_GETCHAIN, func(f byte, a map[uint16][]byte) string {
			return fmt.Sprintf("nft chain %s %s %s", nftFamily(f), str(a[unix.NFTA_CHAIN_TABLE]), str(a[unix.NFTA_CHAIN_NAME]))
		}},
		{unix.NFT_MSG_GETSET, func(f byte, a map[uint16][]byte) string {
			return fmt.Sprintf("nft set %s %s %s", nftFamily(f), str(a[unix.NFTA_SET_TABLE]), str(a[unix.NFTA_SET_NAME]))
		}},
		{unix.NFT_MSG_GETRULE, func(f byte, a map[uint16][]byte) string {
			sum := sha256.Sum256(a[unix.NFTA_RULE_EXPRESSIONS])
			return fmt.Sprintf("nft rule %s %s %s handle=%x exprs=%s", nftFamily(f),
				str(a[unix.NFTA_RULE_TABLE]), str(a[unix.NFTA_RULE_CHAIN]), a[unix.NFTA_RULE_HANDLE], hex.EncodeToString(sum[:6]))
		}},
	} {
		msgs, err := retryDump(func() ([][]byte, error) {
			req := nl.NewNetlinkRequest(unix.NFNL_SUBSYS_NFTABLES<<8|d.msg, unix.NLM_F_DUMP)
			req.AddData(&nl.Nfgenmsg{NfgenFamily: unix.AF_UNSPEC, Version: unix.NFNETLINK_V0})
			return req.Execute(unix.NETLINK_NETFILTER, 0)
		})
		if err != nil {
			return nil, fmt.Errorf("dump nftables (message %d): %w", d.msg, err)
		}
		for _, m := range msgs {
			if len(m) < nl.SizeofNfgenmsg {
				continue
			}
			attrs, err := nl.ParseRouteAttr(m[nl.SizeofNfgenmsg:])
			if err != nil {
				return nil, fmt.Errorf("parse nftables message: %w", err)
			}
			out = append(out, d.line(m[0], attrMap(attrs)))
		}
	}
	return out, nil
}

func attrMap(attrs []syscall.NetlinkRouteAttr) map[uint16][]byte {
	m := make(map[uint16][]byte, len(attrs))
	for _, a := range attrs {
		m[a.Attr.Type&^unix.NLA_F_NESTED] = a.Value
	}
	return m
}

// str is a NUL-terminated netlink string attribute.
func str(b []byte) string {
	for i, c := range b {
		if c == 0 {
			return string(b[:i])
		}
	}
	return string(b)
}

func nftFamily(f byte) string {
	switch f {
	case unix.NFPROTO_INET:
		return "inet"
	case unix.NFPROTO_IPV4:
		return "ip"
	case unix.NFPROTO_IPV6:
		return "ip6"
	case unix.NFPROTO_ARP:
		return "arp"
	case unix.NFPROTO_BRIDGE:
		return "bridge"
	case unix.NFPROTO_NETDEV:
		return "netdev"
	}
	return fmt.Sprint(f)
}

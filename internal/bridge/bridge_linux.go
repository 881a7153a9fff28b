// Package bridge makes the kernel objects of a bridge network: the
// bridge with its gateway addresses, a container's network namespace,
// and the veth pair between them. It decides nothing: the addresses and
// names come from the caller (the network state).
package bridge

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"os"

	"github.com/vishvananda/netlink"
	"golang.org/x/sys/unix"
)

// Ensure makes the bridge name with the gateway addresses (gateway/bits)
// and sets it up, or checks that the one there has them. It sets
// route_localnet on it, so that ports published on the host's 127.0.0.1
// reach containers (research/networking.md §2), and for IPv6 stops it
// from taking router advertisements.
func Ensure(name string, gateways []netip.Prefix) error {
	link, err := netlink.LinkByName(name)
	if err != nil {
		if !errors.As(err, new(netlink.LinkNotFoundError)) {
			return fmt.Errorf("bridge %s: %w", name, err)
		}
		la := netlink.NewLinkAttrs()
		la.Name = name
		br := &netlink.Bridge{LinkAttrs: la}
		if err := netlink.LinkAdd(br); err != nil {
			return fmt.Errorf("add bridge %s: %w", name, err)
		}
		if link, err = netlink.LinkByName(name); err != nil {
			return fmt.Errorf("bridge %s: %w", name, err)
		}
	} else if link.Type() != "bridge" {
		return fmt.Errorf("%s exists and is a %s, not a bridge", name, link.Type())
	}
	if err := writeSysctl("net/ipv4/conf/"+name+"/route_localnet", "1"); err != nil {
		return err
	}
	for _, gw := range gateways {
		if gw.Addr().Is6() {
			if err := writeSysctl("net/ipv6/conf/"+name+"/accept_ra", "0"); err != nil {
				return err
			}
			// No duplicate address detection: the gateway is usable at
			// once, not after a second of DAD.
			if err := writeSysctl("net/ipv6/conf/"+name+"/accept_dad", "0"); err != nil {
				return err
			}
		}
		addr := &netlink.Addr{IPNet: ipNet(gw)}
		if gw.Addr().Is6() {
			addr.Flags = unix.IFA_F_NODAD
		}
		if err := netlink.AddrReplace(link, addr); err != nil {
			return fmt.Errorf("add %s to bridge %s: %w", gw, name, err)
		}
	}
	if err := netlink.LinkSetUp(link); err != nil {
		return fmt.Errorf("set bridge %s up: %w", name, err)
	}
	return nil
}

// Delete removes the bridge name; a missing one is not an error. Its
// addresses, routes and per-device sysctls go with it.
func Delete(name string) error { return DeleteLink(name) }

// Exists reports whether a link named name exists.
func Exists(name string) bool {
	_, err := netlink.LinkByName(name)
	return err == nil
}

func ipNet(p netip.Prefix) *net.IPNet {
	bits := 32
	if p.Addr().Is6() {
		bits = 128
	}
	return &net.IPNet{IP: net.IP(p.Addr().AsSlice()), Mask: net.CIDRMask(p.Bits(), bits)}
}

// writeSysctl writes a value under /proc/sys.
func writeSysctl(name, value string) error {
	if err := os.WriteFile("/proc/sys/"+name, []byte(value), 0o644); err != nil {
		return fmt.Errorf("sysctl %s: %w", name, err)
	}
	return nil
}

// ReadSysctl reads a value under /proc/sys, without its newline.
func ReadSysctl(name string) (string, error) {
	b, err := os.ReadFile("/proc/sys/" + name)
	if err != nil {
		return "", fmt.Errorf("sysctl %s: %w", name, err)
	}
	if n := len(b); n > 0 && b[n-1] == '\n' {
		b = b[:n-1]
	}
	return string(b), nil
}

// WriteSysctl writes a value under /proc/sys.
func WriteSysctl(name, value string) error { return writeSysctl(name, value) }

// DeleteLink removes the link name (the host's end of a veth takes the
// container's end with it); a missing one is not an error.
func DeleteLink(name string) error {
	link, err := netlink.LinkByName(name)
	if errors.As(err, new(netlink.LinkNotFoundError)) {
		return nil
	}
	if err == nil {
		err = netlink.LinkDel(link)
	}
	if err != nil {
		return fmt.Errorf("delete %s: %w", name, err)
	}
	return nil
}

// Retire takes the bridge name out of the way before its (slow)
// deletion: down, and renamed to a name of dock's trash, which it
// returns, so that a new bridge may take its name at once.
func Retire(name string) (string, error) {
	link, err := netlink.LinkByName(name)
	if err != nil {
		return "", fmt.Errorf("bridge %s: %w", name, err)
	}
	var b [4]byte
	rand.Read(b[:])
	trash := "dkgc-" + hex.EncodeToString(b[:])
	if err := netlink.LinkSetDown(link); err != nil {
		return "", fmt.Errorf("set bridge %s down: %w", name, err)
	}
	if err := netlink.LinkSetName(link, trash); err != nil {
		return "", fmt.Errorf("rename bridge %s: %w", name, err)
	}
	return trash, nil
}

package firewall

import (
	"github.com/google/nftables"
	"github.com/google/nftables/binaryutil"
	"github.com/google/nftables/expr"
	"github.com/google/nftables/userdata"
	"golang.org/x/sys/unix"
)

// Registers. reg1 is the 16-byte NFT_REG_1, which the kernel lays over the
// 32-bit registers 8 to 11; concatenations start at reg32 (8) and take one
// 32-bit register per 4 bytes of each field, as nft does.
const (
	reg1  = unix.NFT_REG_1
	reg32 = unix.NFT_REG32_00
)

// Small constructors for the expressions the rules use, named after the
// nft syntax they stand for.

func meta(key expr.MetaKey, reg uint32) expr.Any { return &expr.Meta{Key: key, Register: reg} }

// nfproto is "meta nfproto ipv4" (or ipv6): in an inet table every rule
// that reads an IP header checks the family first.
func nfproto(fam int) []expr.Any {
	p := []byte{unix.NFPROTO_IPV4}
	if fam == 1 {
		p = []byte{unix.NFPROTO_IPV6}
	}
	return []expr.Any{meta(expr.MetaKeyNFPROTO, reg1), eq(reg1, p)}
}

func network(offset, n, reg uint32) expr.Any {
	return &expr.Payload{DestRegister: reg, Base: expr.PayloadBaseNetworkHeader, Offset: offset, Len: n}
}

func transport(offset, n, reg uint32) expr.Any {
	return &expr.Payload{DestRegister: reg, Base: expr.PayloadBaseTransportHeader, Offset: offset, Len: n}
}

// The offsets of the addresses in the IPv4 and IPv6 headers, by family.
var (
	saddrOffset = [2]uint32{12, 8}
	daddrOffset = [2]uint32{16, 24}
	addrLen     = [2]uint32{4, 16}
	natFamily   = [2]uint32{unix.NFPROTO_IPV4, unix.NFPROTO_IPV6}
)

func eq(reg uint32, data []byte) expr.Any {
	return &expr.Cmp{Op: expr.CmpOpEq, Register: reg, Data: data}
}

func neq(reg uint32, data []byte) expr.Any {
	return &expr.Cmp{Op: expr.CmpOpNeq, Register: reg, Data: data}
}

// in is "<reg> @set", or "<reg> != @set" with invert.
func in(s *nftables.Set, reg uint32, invert bool) expr.Any {
	return &expr.Lookup{SourceRegister: reg, SetName: s.Name, SetID: s.ID, Invert: invert}
}

// mapTo is "<sreg> map @m" leaving the value in dreg.
func mapTo(m *nftables.Set, sreg, dreg uint32) expr.Any {
	return &expr.Lookup{SourceRegister: sreg, DestRegister: dreg, IsDestRegSet: true, SetName: m.Name, SetID: m.ID}
}

// fibDaddrLocal is "fib daddr type local".
func fibDaddrLocal() []expr.Any {
	return []expr.Any{
		&expr.Fib{Register: reg1, FlagDADDR: true, ResultADDRTYPE: true},
		eq(reg1, binaryutil.NativeEndian.PutUint32(unix.RTN_LOCAL)),
	}
}

// ipsDstNAT is IPS_DST_NAT of linux/netfilter/nf_conntrack_common.h,
// which x/sys/unix lacks.
const ipsDstNAT = 1 << 5

// ctStatusDNAT is "ct status dnat".
func ctStatusDNAT() []expr.Any {
	return []expr.Any{
		&expr.Ct{Register: reg1, Key: expr.CtKeySTATUS},
		&expr.Bitwise{SourceRegister: reg1, DestRegister: reg1, Len: 4,
			Mask: binaryutil.NativeEndian.PutUint32(ipsDstNAT), Xor: make([]byte, 4)},
		neq(reg1, make([]byte, 4)),
	}
}

func verdict(k expr.VerdictKind) expr.Any { return &expr.Verdict{Kind: k} }

func jump(chain string) expr.Any { return &expr.Verdict{Kind: expr.VerdictJump, Chain: chain} }

// comment is a rule's userdata comment, which nft list shows.
func comment(s string) []byte { return userdata.AppendString(nil, userdata.TypeComment, s) }

// exprs flattens expressions and groups of them into one rule body.
func exprs(parts ...any) []expr.Any {
	var out []expr.Any
	for _, p := range parts {
		switch p := p.(type) {
		case expr.Any:
			out = append(out, p)
		case []expr.Any:
			out = append(out, p...)
		default:
			panic("firewall: exprs: not an expression")
		}
	}
	return out
}

package cgroup

import (
	"fmt"
	"strconv"
	"strings"
)

// DeviceRule allows or denies access to devices, like a line of cgroup v1
// devices.allow/devices.deny or an OCI linux.resources.devices entry.
type DeviceRule struct {
	// Allow grants the access; false denies it.
	Allow bool
	// Type is 'c' (character), 'b' (block) or 'a' (all devices; Major
	// and Minor must then be -1 and Access "rwm").
	Type byte
	// Major and Minor select the device; -1 matches any.
	Major, Minor int64
	// Access is a non-empty combination of 'r' (read), 'w' (write) and
	// 'm' (mknod).
	Access string
}

// String formats the rule as cgroup v1 writes it: "c 1:3 rwm", "a".
func (d DeviceRule) String() string {
	if d.Type == 'a' {
		return "a"
	}
	return fmt.Sprintf("%c %s:%s %s", d.Type, devNum(d.Major), devNum(d.Minor), d.Access)
}

func devNum(n int64) string {
	if n < 0 {
		return "*"
	}
	return strconv.FormatInt(n, 10)
}

// Kernel limits of device numbers (MINORBITS 20, major 12 bits).
const (
	maxMajor = 1<<12 - 1
	maxMinor = 1<<20 - 1
)

func (d DeviceRule) validate() error {
	switch d.Type {
	case 'a':
		if d.Major != -1 || d.Minor != -1 || d.Access != "rwm" {
			return invalidf("type 'a' needs major and minor -1 and access rwm, got %d:%d %q", d.Major, d.Minor, d.Access)
		}
		return nil
	case 'b', 'c':
	default:
		return invalidf("device type %q is not 'a', 'b' or 'c'", d.Type)
	}
	if d.Major < -1 || d.Major > maxMajor {
		return invalidf("major %d is outside -1..%d", d.Major, maxMajor)
	}
	if d.Minor < -1 || d.Minor > maxMinor {
		return invalidf("minor %d is outside -1..%d", d.Minor, maxMinor)
	}
	if d.Access == "" || len(d.Access) > 3 || strings.Trim(d.Access, "rwm") != "" ||
		strings.Count(d.Access, "r") > 1 || strings.Count(d.Access, "w") > 1 || strings.Count(d.Access, "m") > 1 {
		return invalidf("access %q is not a combination of r, w and m", d.Access)
	}
	return nil
}

// DefaultDevices returns the device allowlist for unprivileged
// containers: Docker's (moby's defaults plus those runc always adds)
// without the console, in this order:
//
//	deny  a                     everything, then allow:
//	allow c *:* m, b *:* m      mknod of any device (not open)
//	allow c 1:3 rwm             /dev/null
//	allow c 1:5 rwm             /dev/zero
//	allow c 1:7 rwm             /dev/full
//	allow c 1:8 rwm             /dev/random
//	allow c 1:9 rwm             /dev/urandom
//	allow c 5:0 rwm             /dev/tty (the opener's own terminal)
//	allow c 5:2 rwm             /dev/ptmx (the container's own devpts)
//	allow c 136:* rwm           /dev/pts/* (a node outside a devpts
//	                            instance opens no terminal)
//	deny  c 10:229 rwm          /dev/fuse
//
// Docker allows c 5:1, the host's console: a container could mknod it,
// open it and, where TIOCSTI works, type into whatever reads the console
// (a root shell, a getty). A container's /dev/console is a bind mount of
// its own terminal (a pts device), which needs no rule. runc also allows
// c 10:200 (/dev/net/tun), which its maintainers call arguably insecure;
// dock leaves it out. The fuse deny only matters on
// cgroup v2, where it also refuses mknod of 10:229; cgroup v1 cannot
// subtract from the c *:* m wildcard, as with Docker on v1.
func DefaultDevices() []DeviceRule {
	rwm := func(major, minor int64) DeviceRule {
		return DeviceRule{Allow: true, Type: 'c', Major: major, Minor: minor, Access: "rwm"}
	}
	return []DeviceRule{
		{Allow: false, Type: 'a', Major: -1, Minor: -1, Access: "rwm"},
		{Allow: true, Type: 'c', Major: -1, Minor: -1, Access: "m"},
		{Allow: true, Type: 'b', Major: -1, Minor: -1, Access: "m"},
		rwm(1, 3), rwm(1, 5), rwm(1, 7), rwm(1, 8), rwm(1, 9),
		rwm(5, 0), rwm(5, 2), rwm(136, -1),
		{Allow: false, Type: 'c', Major: 10, Minor: 229, Access: "rwm"},
	}
}

// v1DeviceWrites turns rules into devices.allow/devices.deny writes, in
// order. The v1 kernel keeps an exception list relative to a default:
// "a" sets the default (and clears the list); with a deny default an
// allow adds an exception and a deny removes only an identical one.
func v1DeviceWrites(rules []DeviceRule) []write {
	var w []write
	for _, d := range rules {
		file := "devices.deny"
		if d.Allow {
			file = "devices.allow"
		}
		w = append(w, write{"devices", file, d.String()})
	}
	return w
}

// The eBPF cgroup device program (BPF_PROG_TYPE_CGROUP_DEVICE). The kernel
// calls it with R1 pointing at struct bpf_cgroup_dev_ctx
// { u32 access_type; u32 major; u32 minor; }, where access_type is
// (access << 16) | type; it returns 1 to allow, 0 to deny (EPERM).
const (
	bpfDevBlock = 1 // BPF_DEVCG_DEV_BLOCK
	bpfDevChar  = 2 // BPF_DEVCG_DEV_CHAR
	bpfAccMknod = 1 // BPF_DEVCG_ACC_MKNOD
	bpfAccRead  = 2 // BPF_DEVCG_ACC_READ
	bpfAccWrite = 4 // BPF_DEVCG_ACC_WRITE
	bpfAccAll   = bpfAccMknod | bpfAccRead | bpfAccWrite
)

// Opcodes used (linux/bpf_common.h, linux/bpf.h).
const (
	opLdxMemW  = 0x01 | 0x60 | 0x00 // BPF_LDX | BPF_MEM | BPF_W
	opAnd32K   = 0x04 | 0x50 | 0x00 // BPF_ALU | BPF_AND | BPF_K
	opRsh32K   = 0x04 | 0x70 | 0x00 // BPF_ALU | BPF_RSH | BPF_K
	opMov32K   = 0x04 | 0xb0 | 0x00 // BPF_ALU | BPF_MOV | BPF_K
	opMov32X   = 0x04 | 0xb0 | 0x08 // BPF_ALU | BPF_MOV | BPF_X
	opJeqK     = 0x05 | 0x10 | 0x00 // BPF_JMP | BPF_JEQ | BPF_K
	opJneK     = 0x05 | 0x50 | 0x00 // BPF_JMP | BPF_JNE | BPF_K
	opJneX     = 0x05 | 0x50 | 0x08 // BPF_JMP | BPF_JNE | BPF_X
	opExit     = 0x05 | 0x90        // BPF_JMP | BPF_EXIT
	regR0      = 0
	regR1      = 1
	regType    = 2 // R2: device type
	regAccess  = 3 // R3: requested access
	regMajor   = 4 // R4
	regMinor   = 5 // R5
	bpfLicense = "Apache"
)

// insn is one eBPF instruction (struct bpf_insn).
type insn struct {
	code     uint8
	dst, src uint8
	off      int16
	imm      int32
}

// deviceFilter compiles rules into an eBPF cgroup device program with the
// semantics of the rule list: rules are tried from the last to the first
// and the first that matches decides. An allow rule matches when every
// requested access bit is in its Access; a deny rule when any is. When no
// rule matches the access is allowed, as in a new cgroup v1 (so an
// allowlist starts with a deny-all rule). Rules must be valid.
func deviceFilter(rules []DeviceRule) []insn {
	prog := []insn{
		{code: opLdxMemW, dst: regType, src: regR1, off: 0},
		{code: opAnd32K, dst: regType, imm: 0xffff},
		{code: opLdxMemW, dst: regAccess, src: regR1, off: 0},
		{code: opRsh32K, dst: regAccess, imm: 16},
		{code: opLdxMemW, dst: regMajor, src: regR1, off: 4},
		{code: opLdxMemW, dst: regMinor, src: regR1, off: 8},
	}
	def := int32(1)
	for i := len(rules) - 1; i >= 0; i-- {
		d := rules[i]
		verdict := int32(0)
		if d.Allow {
			verdict = 1
		}
		if d.Type == 'a' { // matches every access: nothing earlier counts
			def = verdict
			break
		}
		var conds []insn // each jumps to the end of the block when the rule does not match
		typ := int32(bpfDevChar)
		if d.Type == 'b' {
			typ = bpfDevBlock
		}
		conds = append(conds, insn{code: opJneK, dst: regType, imm: typ})
		if acc := accessBits(d.Access); acc != bpfAccAll {
			conds = append(conds,
				insn{code: opMov32X, dst: regR1, src: regAccess},
				insn{code: opAnd32K, dst: regR1, imm: acc})
			if d.Allow { // requested must be a subset of acc
				conds = append(conds, insn{code: opJneX, dst: regR1, src: regAccess})
			} else { // requested must overlap acc
				conds = append(conds, insn{code: opJeqK, dst: regR1, imm: 0})
			}
		}
		if d.Major >= 0 {
			conds = append(conds, insn{code: opJneK, dst: regMajor, imm: int32(d.Major)})
		}
		if d.Minor >= 0 {
			conds = append(conds, insn{code: opJneK, dst: regMinor, imm: int32(d.Minor)})
		}
		// Block: conds, then "r0 = verdict; exit". A jump at index j skips
		// to len(conds)+2, so its offset is len(conds)+2-(j+1).
		for j := range conds {
			if conds[j].code&0x07 == 0x05 { // BPF_JMP class
				conds[j].off = int16(len(conds) + 1 - j)
			}
		}
		prog = append(prog, conds...)
		prog = append(prog, insn{code: opMov32K, dst: regR0, imm: verdict}, insn{code: opExit})
	}
	return append(prog, insn{code: opMov32K, dst: regR0, imm: def}, insn{code: opExit})
}

func accessBits(access string) int32 {
	var a int32
	for _, c := range access {
		switch c {
		case 'm':
			a |= bpfAccMknod
		case 'r':
			a |= bpfAccRead
		case 'w':
			a |= bpfAccWrite
		}
	}
	return a
}

// encodeInsns lays prog out as the kernel reads struct bpf_insn: code,
// the dst_reg:4/src_reg:4 bitfield byte (dst in the low nibble on
// little-endian machines, the high one on big-endian), off, imm.
func encodeInsns(prog []insn, bigEndian bool) []byte {
	b := make([]byte, 0, 8*len(prog))
	for _, in := range prog {
		regs := in.dst&0xf | in.src<<4
		if bigEndian {
			regs = in.dst<<4 | in.src&0xf
		}
		b = append(b, in.code, regs)
		off, imm := uint16(in.off), uint32(in.imm)
		if bigEndian {
			b = append(b, byte(off>>8), byte(off), byte(imm>>24), byte(imm>>16), byte(imm>>8), byte(imm))
		} else {
			b = append(b, byte(off), byte(off>>8), byte(imm), byte(imm>>8), byte(imm>>16), byte(imm>>24))
		}
	}
	return b
}

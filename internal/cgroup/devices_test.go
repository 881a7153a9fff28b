package cgroup

import (
	"encoding/binary"
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/require"
)

// runFilter interprets the subset of eBPF that deviceFilter emits, for a
// device access (BPF_DEVCG_DEV_* type, BPF_DEVCG_ACC_* bits).
func runFilter(t *testing.T, prog []insn, typ, access, major, minor uint32) bool {
	t.Helper()
	ctx := make([]byte, 12)
	binary.LittleEndian.PutUint32(ctx[0:], access<<16|typ)
	binary.LittleEndian.PutUint32(ctx[4:], major)
	binary.LittleEndian.PutUint32(ctx[8:], minor)
	var reg [11]uint64
	reg[1] = 1 << 40 // "pointer" to ctx; only LDX through R1 is allowed
	for pc, steps := 0, 0; ; pc, steps = pc+1, steps+1 {
		if pc >= len(prog) || steps > 10000 {
			t.Fatalf("pc %d out of range or program loops", pc)
		}
		in := prog[pc]
		k := uint64(int64(in.imm)) // K operands are sign-extended
		switch in.code {
		case opLdxMemW:
			if reg[in.src] != 1<<40 {
				t.Fatalf("load through a non-context register at %d", pc)
			}
			reg[in.dst] = uint64(binary.LittleEndian.Uint32(ctx[in.off:]))
		case opAnd32K:
			reg[in.dst] = uint64(uint32(reg[in.dst]) & uint32(in.imm))
		case opRsh32K:
			reg[in.dst] = uint64(uint32(reg[in.dst]) >> uint32(in.imm))
		case opMov32K:
			reg[in.dst] = uint64(uint32(in.imm))
		case opMov32X:
			reg[in.dst] = uint64(uint32(reg[in.src]))
		case opJeqK:
			if reg[in.dst] == k {
				pc += int(in.off)
			}
		case opJneK:
			if reg[in.dst] != k {
				pc += int(in.off)
			}
		case opJneX:
			if reg[in.dst] != reg[in.src] {
				pc += int(in.off)
			}
		case opExit:
			return reg[0] == 1
		default:
			t.Fatalf("unknown opcode %#x at %d", in.code, pc)
		}
	}
}

// decide is the specification: the last rule that matches decides; allow
// rules match when they cover every requested access, deny rules when they
// cover any; no match allows.
func decide(rules []DeviceRule, typ byte, access uint32, major, minor int64) bool {
	for i := len(rules) - 1; i >= 0; i-- {
		d := rules[i]
		acc := uint32(accessBits(d.Access))
		switch {
		case d.Type != 'a' && d.Type != typ,
			d.Type != 'a' && d.Major >= 0 && d.Major != major,
			d.Type != 'a' && d.Minor >= 0 && d.Minor != minor,
			d.Allow && access&^acc != 0,
			!d.Allow && access&acc == 0:
			continue
		}
		return d.Allow
	}
	return true
}

func checkFilter(t *testing.T, rules []DeviceRule) {
	t.Helper()
	prog := deviceFilter(rules)
	for _, typ := range []byte{'b', 'c'} {
		bt := uint32(bpfDevChar)
		if typ == 'b' {
			bt = bpfDevBlock
		}
		for _, major := range []int64{0, 1, 5, 10, 136, 4095} {
			for _, minor := range []int64{0, 1, 3, 5, 7, 229, 1<<20 - 1} {
				for access := uint32(1); access <= bpfAccAll; access++ {
					want := decide(rules, typ, access, major, minor)
					got := runFilter(t, prog, bt, access, uint32(major), uint32(minor))
					if got != want {
						t.Fatalf("filter(%c %d:%d access %03b) = %v, want %v; rules %v", typ, major, minor, access, got, want, rules)
					}
				}
			}
		}
	}
}

func TestDeviceFilterDefault(t *testing.T) {
	rules := DefaultDevices()
	checkFilter(t, rules)
	prog := deviceFilter(rules)
	const r, w, m = bpfAccRead, bpfAccWrite, bpfAccMknod
	cases := []struct {
		typ          uint32
		access       uint32
		major, minor uint32
		want         bool
	}{
		{bpfDevChar, r | w, 1, 3, true},     // /dev/null
		{bpfDevChar, r, 136, 4, true},       // /dev/pts/4
		{bpfDevChar, m, 8, 0, true},         // mknod of anything
		{bpfDevBlock, m, 8, 0, true},        // mknod of a disk
		{bpfDevBlock, r, 8, 0, false},       // reading a disk
		{bpfDevChar, r | w, 10, 229, false}, // /dev/fuse
		{bpfDevChar, m, 10, 229, false},     // mknod /dev/fuse (v2 only)
		{bpfDevChar, r, 10, 200, false},     // /dev/net/tun
		{bpfDevChar, r, 1, 1, false},        // /dev/mem
	}
	for _, c := range cases {
		require.Equal(t, c.want, runFilter(t, prog, c.typ, c.access, c.major, c.minor), "default filter(%d %d:%d access %03b)", c.typ, c.major, c.minor, c.access)
	}
	for _, d := range rules {
		require.NoError(t, d.validate(), "DefaultDevices rule %v", d)
	}
}

func TestDeviceFilterRules(t *testing.T) {
	tests := [][]DeviceRule{
		nil,
		{{Type: 'a', Major: -1, Minor: -1, Access: "rwm"}},
		{{Allow: true, Type: 'a', Major: -1, Minor: -1, Access: "rwm"}},
		{{Type: 'c', Major: 1, Minor: 3, Access: "w"}}, // deny write only
		{{Type: 'a', Major: -1, Minor: -1, Access: "rwm"}, {Allow: true, Type: 'c', Major: 1, Minor: -1, Access: "r"}},
		{{Allow: true, Type: 'a', Major: -1, Minor: -1, Access: "rwm"}, {Type: 'b', Major: -1, Minor: 0, Access: "rw"}},
	}
	for i, rules := range tests {
		t.Run(fmt.Sprint(i), func(t *testing.T) { checkFilter(t, rules) })
	}
	// Random rule lists against the specification.
	rng := rand.New(rand.NewPCG(1, 2))
	types := []byte{'a', 'b', 'c', 'c'}
	nums := []int64{-1, 0, 1, 3, 5, 229}
	accesses := []string{"r", "w", "m", "rw", "rm", "wm", "rwm"}
	for range 200 {
		var rules []DeviceRule
		for range rng.IntN(6) {
			d := DeviceRule{Allow: rng.IntN(2) == 0, Type: types[rng.IntN(len(types))], Major: -1, Minor: -1, Access: "rwm"}
			if d.Type != 'a' {
				d.Major, d.Minor = nums[rng.IntN(len(nums))], nums[rng.IntN(len(nums))]
				d.Access = accesses[rng.IntN(len(accesses))]
			}
			rules = append(rules, d)
		}
		checkFilter(t, rules)
	}
}

func TestDeviceRuleString(t *testing.T) {
	for want, d := range map[string]DeviceRule{
		"a":           {Type: 'a', Major: -1, Minor: -1, Access: "rwm"},
		"c 1:3 rwm":   {Type: 'c', Major: 1, Minor: 3, Access: "rwm"},
		"b *:* m":     {Type: 'b', Major: -1, Minor: -1, Access: "m"},
		"c 136:* rwm": {Type: 'c', Major: 136, Minor: -1, Access: "rwm"},
	} {
		require.Equal(t, want, d.String())
	}
}

func TestEncodeInsns(t *testing.T) {
	prog := []insn{{code: opLdxMemW, dst: 2, src: 1, off: 4, imm: -2}}
	require.Equal(t, []byte{0x61, 0x12, 4, 0, 0xfe, 0xff, 0xff, 0xff}, encodeInsns(prog, false))
	require.Equal(t, []byte{0x61, 0x21, 0, 4, 0xff, 0xff, 0xff, 0xfe}, encodeInsns(prog, true))
}

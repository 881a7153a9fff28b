package seccomp

import (
	"slices"

	"github.com/opencontainers/runtime-spec/specs-go"
)

// badArchAction is what a task of an architecture the filter does not
// hold gets: killed, as with libseccomp's default bad-arch action (which
// kills only the thread; killing the process leaves nothing half-dead).
const badArchAction = retKillProcess

// leaf is what a range of syscall numbers leads to: a return, or the code
// of one syscall's rules.
type leaf struct {
	action uint32
	block  label // noLabel for a return
}

// interval is the range [lo, next interval's lo) of syscall numbers.
type interval struct {
	lo uint32
	leaf
}

// gen generates the program of the filters.
type gen struct {
	a   assembler
	def uint32
}

func generate(filters []*abiFilter, def uint32, stub bool) (Program, error) {
	g := &gen{def: def}
	a := &g.a

	// Group the ABIs by audit arch (x86_64 and x32 share one), in order.
	var audits []uint32
	byAudit := map[uint32][]*abiFilter{}
	for _, f := range filters {
		if _, ok := byAudit[f.abi.audit]; !ok {
			audits = append(audits, f.abi.audit)
		}
		byAudit[f.abi.audit] = append(byAudit[f.abi.audit], f)
	}

	a.load(offArch)
	checks := make([]int, len(audits))
	for i, audit := range audits {
		checks[i] = a.jump(bpfJEQ, audit, noLabel, next)
	}
	a.ret(badArchAction)

	for i, audit := range audits {
		fs := byAudit[audit]
		a.insns[checks[i]].jt = a.here()
		a.load(offNr)
		if audit != auditArchX86_64 {
			g.inline(g.intervals(fs[0], stub))
			continue
		}
		var native, x32 *abiFilter
		for _, f := range fs {
			if f.abi.x32 {
				x32 = f
			} else {
				native = f
			}
		}
		j := a.jump(bpfJGE, x32SyscallBit, noLabel, noLabel)
		bad := noLabel
		if native == nil || x32 == nil {
			bad = a.here()
			a.ret(badArchAction)
		}
		lo, hi := bad, bad
		if native != nil {
			lo = g.tree(g.intervals(native, stub))
		}
		if x32 != nil {
			hi = g.tree(g.intervals(x32, stub))
		}
		a.insns[j].jt, a.insns[j].jf = hi, lo
	}

	for _, f := range filters {
		nrs := make([]uint32, 0, len(f.decisions))
		for nr, d := range f.decisions {
			if !d.uncond {
				nrs = append(nrs, nr)
			}
		}
		slices.Sort(nrs)
		for _, nr := range nrs {
			g.block(f.decisions[nr], f.abi.bits32)
		}
	}
	return a.assemble()
}

// intervals partitions the syscall numbers [0, 2^32) of f by what they
// lead to. It creates a label for each syscall with conditional rules.
func (g *gen) intervals(f *abiFilter, stub bool) []interval {
	nrs := make([]uint32, 0, len(f.decisions))
	for nr := range f.decisions {
		nrs = append(nrs, nr)
	}
	slices.Sort(nrs)

	var ivs []interval
	add := func(lo uint32, l leaf) {
		n := len(ivs)
		if n > 0 && ivs[n-1].lo == lo { // the previous interval is empty
			ivs, n = ivs[:n-1], n-1
		}
		if n > 0 && ivs[n-1].leaf == l && l.block == noLabel {
			return
		}
		ivs = append(ivs, interval{lo, l})
	}
	ret := func(k uint32) leaf { return leaf{action: k, block: noLabel} }

	add(0, ret(g.def))
	for _, nr := range nrs {
		if d := f.decisions[nr]; d.uncond {
			add(nr, ret(d.action))
		} else {
			d.block = g.a.newLabel()
			add(nr, leaf{block: d.block})
		}
		if nr < 0xffffffff {
			add(nr+1, ret(g.def))
		}
	}
	if stub && f.maxNamed >= 0 && f.maxNamed < 0xffffffff {
		add(uint32(f.maxNamed)+1, ret(retErrno|errnoENOSYS))
	}

	// The code for x86_64 runs only for numbers below x32SyscallBit, the
	// code for x32 only for numbers at or above it: drop the rest.
	switch {
	case f.abi.x32:
		for len(ivs) > 1 && ivs[1].lo <= x32SyscallBit {
			ivs = ivs[1:]
		}
	case f.abi.audit == auditArchX86_64:
		for len(ivs) > 1 && ivs[len(ivs)-1].lo >= x32SyscallBit {
			ivs = ivs[:len(ivs)-1]
		}
	}
	return ivs
}

// tree emits a binary search over ivs (on the syscall number in A) and
// returns its label. Leaves that return are emitted in place; leaves that
// are a syscall's rules are jumped to.
func (g *gen) tree(ivs []interval) label {
	a := &g.a
	if len(ivs) == 1 {
		if ivs[0].block != noLabel {
			return ivs[0].block
		}
		l := a.here()
		a.ret(ivs[0].action)
		return l
	}
	l := a.here()
	mid := len(ivs) / 2
	j := a.jump(bpfJGE, ivs[mid].lo, noLabel, noLabel)
	lo := g.tree(ivs[:mid])
	hi := g.tree(ivs[mid:])
	a.insns[j].jt, a.insns[j].jf = hi, lo
	return l
}

// inline emits the tree of ivs at the current position.
func (g *gen) inline(ivs []interval) {
	start := len(g.a.insns)
	if l := g.tree(ivs); len(g.a.insns) == start {
		g.a.jumpTo(l)
	}
}

// block emits the rules of d: the first rule whose args all match decides;
// if none does, the default action.
func (g *gen) block(d *decision, bits32 bool) {
	a := &g.a
	a.place(d.block)
	for i := 0; i < len(d.rules); {
		if n := equalityRun(d.rules[i:], bits32); n > 1 {
			g.equalities(d.rules[i:i+n], bits32)
			i += n
			continue
		}
		r := d.rules[i]
		fail := a.newLabel()
		for _, c := range r.conds {
			g.cond(c, bits32, fail)
		}
		a.ret(r.action)
		a.place(fail)
		i++
	}
	a.ret(g.def)
}

// equalityRun returns how many rules at the start of rules test the same
// arg for equality, each with one cond, with the same action and (on
// 64-bit ABIs) the same high half: Docker's socket rules.
func equalityRun(rules []rule, bits32 bool) int {
	first := rules[0]
	same := func(r rule) bool {
		if len(r.conds) != 1 || r.action != first.action {
			return false
		}
		c, f := r.conds[0], first.conds[0]
		return c.Op == specs.OpEqualTo && c.Index == f.Index && (bits32 || c.Value>>32 == f.Value>>32)
	}
	n := 0
	for n < len(rules) && same(rules[n]) {
		n++
	}
	return n
}

// equalities emits a run found by equalityRun as one set-membership test.
func (g *gen) equalities(rules []rule, bits32 bool) {
	a := &g.a
	c0 := rules[0].conds[0]
	lo := uint32(offArgs + 8*c0.Index)
	match, fail := a.newLabel(), a.newLabel()
	if !bits32 {
		a.load(lo + 4)
		a.jump(bpfJEQ, uint32(c0.Value>>32), next, fail)
	}
	a.load(lo)
	for i, r := range rules {
		jf := next
		if i == len(rules)-1 {
			jf = fail
		}
		a.jump(bpfJEQ, uint32(r.conds[0].Value), match, jf)
	}
	a.place(match)
	a.ret(rules[0].action)
	a.place(fail)
}

// cond emits a test of one arg: it falls through when the arg matches and
// jumps to fail when not.
func (g *gen) cond(c specs.LinuxSeccompArg, bits32 bool, fail label) {
	a := &g.a
	pass := a.newLabel()
	lo := uint32(offArgs + 8*c.Index)
	hi := lo + 4
	v, vlo, vhi := c.Value, uint32(c.Value), uint32(c.Value>>32)

	if bits32 {
		a.load(lo)
		switch c.Op {
		case specs.OpEqualTo:
			a.jump(bpfJEQ, vlo, pass, fail)
		case specs.OpNotEqual:
			a.jump(bpfJEQ, vlo, fail, pass)
		case specs.OpGreaterThan:
			a.jump(bpfJGT, vlo, pass, fail)
		case specs.OpGreaterEqual:
			a.jump(bpfJGE, vlo, pass, fail)
		case specs.OpLessThan:
			a.jump(bpfJGE, vlo, fail, pass)
		case specs.OpLessEqual:
			a.jump(bpfJGT, vlo, fail, pass)
		case specs.OpMaskedEqual:
			a.and(vlo)
			a.jump(bpfJEQ, uint32(c.ValueTwo), pass, fail)
		}
		a.place(pass)
		return
	}

	switch c.Op {
	case specs.OpEqualTo:
		a.load(hi)
		a.jump(bpfJEQ, vhi, next, fail)
		a.load(lo)
		a.jump(bpfJEQ, vlo, pass, fail)
	case specs.OpNotEqual:
		a.load(hi)
		a.jump(bpfJEQ, vhi, next, pass)
		a.load(lo)
		a.jump(bpfJEQ, vlo, fail, pass)
	case specs.OpGreaterThan, specs.OpGreaterEqual:
		// hi > vhi, or hi == vhi and lo > (>=) vlo.
		a.load(hi)
		a.jump(bpfJGT, vhi, pass, next)
		a.jump(bpfJEQ, vhi, next, fail)
		a.load(lo)
		op := uint16(bpfJGT)
		if c.Op == specs.OpGreaterEqual {
			op = bpfJGE
		}
		a.jump(op, vlo, pass, fail)
	case specs.OpLessThan, specs.OpLessEqual:
		// hi < vhi, or hi == vhi and lo < (<=) vlo.
		a.load(hi)
		a.jump(bpfJGT, vhi, fail, next)
		a.jump(bpfJEQ, vhi, next, pass)
		a.load(lo)
		op := uint16(bpfJGE)
		if c.Op == specs.OpLessEqual {
			op = bpfJGT
		}
		a.jump(op, vlo, fail, pass)
	case specs.OpMaskedEqual:
		m, want := v, c.ValueTwo
		if m>>32 != 0 || want>>32 != 0 {
			a.load(hi)
			a.and(uint32(m >> 32))
			a.jump(bpfJEQ, uint32(want>>32), next, fail)
		}
		a.load(lo)
		a.and(uint32(m))
		a.jump(bpfJEQ, uint32(want), pass, fail)
	}
	a.place(pass)
}

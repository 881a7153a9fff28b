package seccomp

import (
	"errors"
	"fmt"
)

// label names a position in a program under construction. Jumps name
// labels; assemble turns them into offsets.
type label int32

const (
	noLabel label = -1
	// next is the instruction after the jump.
	next label = -2
)

// ainsn is an instruction whose jump targets are still labels.
type ainsn struct {
	code   uint16
	k      uint32
	jt, jf label // conditional jumps
	to     label // BPF_JA
}

func (in *ainsn) conditional() bool {
	return in.code == bpfJEQ || in.code == bpfJGT || in.code == bpfJGE || in.code == bpfJSET
}

// assembler builds a program of forward jumps to labels. Conditional jumps
// reach only 255 instructions; assemble adds a BPF_JA (32-bit offset)
// after each one whose target is farther.
type assembler struct {
	insns  []ainsn
	labels []int // label -> index in insns; -1 while unplaced
}

func (a *assembler) newLabel() label {
	a.labels = append(a.labels, -1)
	return label(len(a.labels) - 1)
}

// place puts l at the next instruction emitted.
func (a *assembler) place(l label) {
	if a.labels[l] != -1 {
		panic("seccomp: label placed twice")
	}
	a.labels[l] = len(a.insns)
}

// here returns a new label placed at the next instruction emitted.
func (a *assembler) here() label {
	l := a.newLabel()
	a.place(l)
	return l
}

func (a *assembler) load(off uint32) { a.insns = append(a.insns, ainsn{code: bpfLdAbs, k: off}) }
func (a *assembler) and(k uint32)    { a.insns = append(a.insns, ainsn{code: bpfAndK, k: k}) }
func (a *assembler) ret(k uint32)    { a.insns = append(a.insns, ainsn{code: bpfRetK, k: k}) }
func (a *assembler) jumpTo(to label) { a.insns = append(a.insns, ainsn{code: bpfJA, to: to}) }
func (a *assembler) jump(code uint16, k uint32, jt, jf label) int {
	a.insns = append(a.insns, ainsn{code: code, k: k, jt: jt, jf: jf})
	return len(a.insns) - 1
}

// assemble resolves labels into offsets.
func (a *assembler) assemble() (Program, error) {
	n := len(a.insns)
	// far[i] bit 0: jt needs a trampoline, bit 1: jf does. Bits are only
	// ever set, so the loop ends.
	far := make([]uint8, n)
	pos := make([]int, n+1)
	target := func(i int, l label) (int, error) {
		if l == next {
			return pos[i+1], nil
		}
		if l < 0 || int(l) >= len(a.labels) || a.labels[l] <= i || a.labels[l] >= n {
			return 0, fmt.Errorf("instruction %d: bad jump target %d", i, l)
		}
		return pos[a.labels[l]], nil
	}
	for {
		p := 0
		for i := range a.insns {
			pos[i] = p
			p += 1 + int(far[i]&1) + int(far[i]>>1)
		}
		pos[n] = p
		changed := false
		for i := range a.insns {
			in := &a.insns[i]
			if !in.conditional() {
				continue
			}
			t, err := target(i, in.jt)
			if err != nil {
				return nil, err
			}
			f, err := target(i, in.jf)
			if err != nil {
				return nil, err
			}
			if far[i]&1 == 0 && t-pos[i]-1 > 255 {
				far[i] |= 1
				changed = true
			}
			if far[i]&2 == 0 && f-pos[i]-1 > 255 {
				far[i] |= 2
				changed = true
			}
		}
		if !changed {
			break
		}
	}
	if pos[n] > maxInsns {
		return nil, fmt.Errorf("program has %d instructions, more than the kernel's limit of %d", pos[n], maxInsns)
	}
	if n == 0 || a.insns[n-1].code != bpfRetK {
		return nil, errors.New("program does not end with a return")
	}

	prog := make(Program, 0, pos[n])
	for i := range a.insns {
		in := &a.insns[i]
		switch {
		case in.code == bpfJA:
			t, err := target(i, in.to)
			if err != nil {
				return nil, err
			}
			prog = append(prog, Instruction{Code: bpfJA, K: uint32(t - pos[i] - 1)})
		case in.conditional():
			t, _ := target(i, in.jt)
			f, _ := target(i, in.jf)
			at := pos[i]
			switch far[i] {
			case 0:
				prog = append(prog, Instruction{in.code, uint8(t - at - 1), uint8(f - at - 1), in.k})
			case 1:
				prog = append(prog,
					Instruction{in.code, 0, uint8(f - at - 1), in.k},
					Instruction{Code: bpfJA, K: uint32(t - at - 2)})
			case 2:
				prog = append(prog,
					Instruction{in.code, uint8(t - at - 1), 0, in.k},
					Instruction{Code: bpfJA, K: uint32(f - at - 2)})
			case 3:
				prog = append(prog,
					Instruction{in.code, 0, 1, in.k},
					Instruction{Code: bpfJA, K: uint32(t - at - 2)},
					Instruction{Code: bpfJA, K: uint32(f - at - 3)})
			}
		default:
			prog = append(prog, Instruction{Code: in.code, K: in.k})
		}
	}
	return prog, nil
}

package seccomp

import (
	"encoding/binary"
	"fmt"
)

// seccompData is the kernel's struct seccomp_data.
type seccompData struct {
	nr   uint32
	arch uint32
	ip   uint64
	args [6]uint64
}

func (d seccompData) bytes() []byte {
	b := make([]byte, 64)
	binary.LittleEndian.PutUint32(b[0:], d.nr)
	binary.LittleEndian.PutUint32(b[4:], d.arch)
	binary.LittleEndian.PutUint64(b[8:], d.ip)
	for i, a := range d.args {
		binary.LittleEndian.PutUint64(b[16+8*i:], a)
	}
	return b
}

// run interprets p on d as the kernel would and returns the SECCOMP_RET_*
// value and the number of instructions executed. It checks what the
// kernel's verifier checks for the instructions used here: known opcodes,
// forward jumps inside the program, aligned loads inside seccomp_data.
func run(p Program, d seccompData) (ret uint32, steps int, err error) {
	if len(p) == 0 || len(p) > maxInsns {
		return 0, 0, fmt.Errorf("program length %d", len(p))
	}
	data := d.bytes()
	var a uint32
	for pc := 0; pc < len(p); pc++ {
		steps++
		in := p[pc]
		jump := func(cond bool) {
			if cond {
				pc += int(in.Jt)
			} else {
				pc += int(in.Jf)
			}
		}
		switch in.Code {
		case bpfLdAbs:
			if in.K%4 != 0 || in.K+4 > 64 {
				return 0, steps, fmt.Errorf("pc %d: load at %d", pc, in.K)
			}
			a = binary.LittleEndian.Uint32(data[in.K:])
		case bpfAndK:
			a &= in.K
		case bpfJA:
			pc += int(in.K)
		case bpfJEQ:
			jump(a == in.K)
		case bpfJGT:
			jump(a > in.K)
		case bpfJGE:
			jump(a >= in.K)
		case bpfJSET:
			jump(a&in.K != 0)
		case bpfRetK:
			return in.K, steps, nil
		default:
			return 0, steps, fmt.Errorf("pc %d: opcode %#x", pc, in.Code)
		}
		if pc+1 >= len(p) {
			return 0, steps, fmt.Errorf("pc %d: jump out of the program", pc)
		}
	}
	return 0, steps, fmt.Errorf("fell off the end")
}

package seccomp

import (
	"encoding/binary"
	"fmt"
	"strings"
)

// Instruction is one classic BPF instruction, laid out like the kernel's
// struct sock_filter (and golang.org/x/sys/unix.SockFilter on Linux): a
// 16-bit opcode, two 8-bit jump offsets and a 32-bit operand. On Linux an
// Instruction converts to unix.SockFilter.
type Instruction struct {
	Code uint16
	Jt   uint8
	Jf   uint8
	K    uint32
}

// Program is a compiled seccomp filter: a classic BPF program over the
// kernel's struct seccomp_data. Its length is at most 4096 (BPF_MAXINSNS).
//
// A Program is plain data; concurrent reads are safe. Compile returns a new
// Program on every call.
type Program []Instruction

// Bytes returns the program as the array of struct sock_filter that
// seccomp(SECCOMP_SET_MODE_FILTER) expects (sock_fprog.filter): 8 bytes per
// instruction, len(p) instructions, in the byte order of the machine that
// runs this code. It allocates a new slice on every call.
func (p Program) Bytes() []byte {
	b := make([]byte, 0, 8*len(p))
	for _, in := range p {
		b = binary.NativeEndian.AppendUint16(b, in.Code)
		b = append(b, in.Jt, in.Jf)
		b = binary.NativeEndian.AppendUint32(b, in.K)
	}
	return b
}

// String disassembles the program, one instruction a line, in the style
// of bpf_dbg and libseccomp's seccomp_export_pfc. It is meant for people
// and tests, not for parsing.
func (p Program) String() string {
	var b strings.Builder
	for i, in := range p {
		fmt.Fprintf(&b, "%04d: ", i)
		switch in.Code {
		case bpfLdAbs:
			fmt.Fprintf(&b, "ld [%d]", in.K)
		case bpfAndK:
			fmt.Fprintf(&b, "and #%#x", in.K)
		case bpfJA:
			fmt.Fprintf(&b, "ja %04d", i+1+int(in.K))
		case bpfJEQ, bpfJGT, bpfJGE, bpfJSET:
			fmt.Fprintf(&b, "%s #%#x, %04d, %04d", jumpNames[in.Code], in.K, i+1+int(in.Jt), i+1+int(in.Jf))
		case bpfRetK:
			fmt.Fprintf(&b, "ret %s", retString(in.K))
		default:
			fmt.Fprintf(&b, "op %#x jt %d jf %d k %#x", in.Code, in.Jt, in.Jf, in.K)
		}
		b.WriteByte('\n')
	}
	return b.String()
}

var jumpNames = map[uint16]string{bpfJEQ: "jeq", bpfJGT: "jgt", bpfJGE: "jge", bpfJSET: "jset"}

func retString(k uint32) string {
	data := k & retData
	switch k & retActionFull {
	case retKillProcess:
		return "KILL_PROCESS"
	case retKillThread:
		return "KILL_THREAD"
	case retTrap:
		return fmt.Sprintf("TRAP(%d)", data)
	case retErrno:
		return fmt.Sprintf("ERRNO(%d)", data)
	case retUserNotif:
		return "USER_NOTIF"
	case retTrace:
		return fmt.Sprintf("TRACE(%d)", data)
	case retLog:
		return "LOG"
	case retAllow:
		return "ALLOW"
	}
	return fmt.Sprintf("%#x", k)
}

// Classic BPF opcodes used here (<linux/bpf_common.h>).
const (
	bpfLdAbs = 0x20 // BPF_LD | BPF_W | BPF_ABS
	bpfAndK  = 0x54 // BPF_ALU | BPF_AND | BPF_K
	bpfJA    = 0x05 // BPF_JMP | BPF_JA
	bpfJEQ   = 0x15 // BPF_JMP | BPF_JEQ | BPF_K
	bpfJGT   = 0x25 // BPF_JMP | BPF_JGT | BPF_K
	bpfJGE   = 0x35 // BPF_JMP | BPF_JGE | BPF_K
	bpfJSET  = 0x45 // BPF_JMP | BPF_JSET | BPF_K
	bpfRetK  = 0x06 // BPF_RET | BPF_K

	// maxInsns is BPF_MAXINSNS, the most instructions the kernel loads.
	maxInsns = 4096
)

// Offsets into struct seccomp_data.
const (
	offNr   = 0
	offArch = 4
	offArgs = 16 // args[i] at 16+8*i; little endian: low half first
)

// SECCOMP_RET_* values of <linux/seccomp.h>.
const (
	retKillProcess = 0x80000000
	retKillThread  = 0x00000000
	retTrap        = 0x00030000
	retErrno       = 0x00050000
	retUserNotif   = 0x7fc00000
	retTrace       = 0x7ff00000
	retLog         = 0x7ffc0000
	retAllow       = 0x7fff0000

	retActionFull = 0xffff0000
	retData       = 0x0000ffff
)

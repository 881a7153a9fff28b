package seccomp

import (
	"encoding/binary"
	"testing"

	"github.com/opencontainers/runtime-spec/specs-go"
)

// reference is what CompileSpec documents, evaluated directly on one
// native syscall of the spec's ABI.
func reference(spec *specs.LinuxSeccomp, a *abi, nr uint32, args [6]uint64) uint32 {
	def, _ := actionValue(spec.DefaultAction, spec.DefaultErrnoRet)
	maxNamed := int64(-1)
	uncond, hasUncond := uint32(0), false
	var rules []rule
	for _, sc := range spec.Syscalls {
		act, _ := actionValue(sc.Action, sc.ErrnoRet)
		for _, name := range sc.Names {
			n, ok := a.table[name]
			if !ok {
				continue
			}
			maxNamed = max(maxNamed, int64(n))
			if n != nr || act == def {
				continue
			}
			switch {
			case len(sc.Args) == 0:
				if !hasUncond {
					uncond, hasUncond = act, true
				}
			case repeatsIndex(sc.Args):
				for _, c := range sc.Args {
					rules = append(rules, rule{act, []specs.LinuxSeccompArg{c}})
				}
			default:
				rules = append(rules, rule{act, sc.Args})
			}
		}
	}
	if hasUncond {
		return uncond
	}
rules:
	for _, r := range rules {
		for _, c := range r.conds {
			if !cmp(c.Op, args[c.Index], c.Value, c.ValueTwo, a.bits32) {
				continue rules
			}
		}
		return r.action
	}
	if denies(def) && maxNamed >= 0 && int64(nr) > maxNamed {
		return retErrno | errnoENOSYS
	}
	return def
}

// FuzzCompileSpec compiles profiles made from the input and checks the
// program against reference on syscalls and arguments near the profile's
// values.
func FuzzCompileSpec(f *testing.F) {
	f.Add([]byte{0, 4, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0})
	f.Add([]byte("\x01\x05\x06\x02\x03\xff\xff\xff\xff\x00\x00\x00\x00\x01\x02\x03\x04\x05\x06\x07\x08\x09"))
	f.Add([]byte("\x02\x07\x01\x13\x11\x22\x33\x44\x55\x66\x77\x88\x99\xaa\xbb\xcc\xdd\xee\xff\x00\x01\x02\x33\x00"))
	names := []string{"read", "write", "open", "close", "getpid", "socket", "personality", "clone", "uretprobe", "no_such"}
	ops := []specs.LinuxSeccompOperator{specs.OpEqualTo, specs.OpNotEqual, specs.OpLessThan, specs.OpLessEqual,
		specs.OpGreaterThan, specs.OpGreaterEqual, specs.OpMaskedEqual}
	actions := []specs.LinuxSeccompAction{specs.ActAllow, specs.ActErrno, specs.ActLog, specs.ActKillProcess, specs.ActTrap}
	f.Fuzz(func(t *testing.T, data []byte) {
		byt := func() byte {
			if len(data) == 0 {
				return 0
			}
			b := data[0]
			data = data[1:]
			return b
		}
		u64 := func() uint64 {
			var b [8]byte
			for i := range b {
				b[i] = byt()
			}
			return binary.LittleEndian.Uint64(b[:])
		}
		arch := []string{"amd64", "386", "arm64", "arm"}[byt()%4]
		spec := &specs.LinuxSeccomp{DefaultAction: actions[byt()%byte(len(actions))]}
		values := []uint64{0}
		for range byt() % 12 {
			sc := specs.LinuxSyscall{Action: actions[byt()%byte(len(actions))]}
			for range 1 + byt()%3 {
				sc.Names = append(sc.Names, names[byt()%byte(len(names))])
			}
			if sc.Action == specs.ActErrno {
				e := uint(byt())
				sc.ErrnoRet = &e
			}
			for range byt() % 4 {
				c := specs.LinuxSeccompArg{Index: uint(byt() % 6), Op: ops[byt()%byte(len(ops))], Value: u64(), ValueTwo: u64()}
				sc.Args = append(sc.Args, c)
				values = append(values, c.Value, c.ValueTwo, c.Value&c.ValueTwo)
			}
			spec.Syscalls = append(spec.Syscalls, sc)
		}
		p, err := CompileSpec(spec, arch)
		if err != nil {
			return // conflicting actions, too long
		}
		a := abis()[goArches[arch].native]
		for _, name := range names {
			nr, ok := a.table[name]
			if !ok {
				continue
			}
			for _, v := range values {
				for _, arg := range []uint64{v, v - 1, v + 1} {
					var args [6]uint64
					for i := range args {
						args[i] = arg
					}
					args[int(v%6)] = v ^ 1<<32
					got, _, err := run(p, seccompData{nr: nr, arch: a.audit, args: args})
					if err != nil {
						t.Fatal(err)
					}
					if want := reference(spec, a, nr, args); got != want {
						t.Fatalf("%s %s%x: got %s, want %s\nspec %+v\n%s", arch, name, args, retString(got), retString(want), spec, p)
					}
				}
			}
		}
	})
}

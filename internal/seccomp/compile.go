package seccomp

import (
	"errors"
	"fmt"
	"slices"
	"strings"

	moby "github.com/moby/profiles/seccomp"
	"github.com/opencontainers/runtime-spec/specs-go"
)

// Linux errno values (not the host's: this code also runs on other systems).
const (
	errnoEPERM  = 1
	errnoENOSYS = 38
)

// Compile resolves profile for a container on arch (a GOARCH value:
// "amd64", "386", "arm64" or "arm") with the capabilities caps, and
// compiles the result with CompileSpec.
//
// Resolution follows moby (github.com/moby/profiles/seccomp): the
// profile's archMap entry for arch gives the architectures; a rule is
// dropped when its excludes match (arch is listed, any of its caps is in
// caps, or the kernel is at least minKernel) or its includes do not (arch
// is not listed, one of its caps is missing from caps, or the kernel is
// older than minKernel). Capability names may be written "CAP_SYS_ADMIN",
// "SYS_ADMIN" or in lower case. The kernel version is the running
// kernel's (uname); on systems other than Linux, a profile that uses
// minKernel is an error.
//
// Compile does not modify profile and is safe for concurrent use.
func Compile(profile *moby.Seccomp, arch string, caps []string) (Program, error) {
	spec, err := resolve(profile, arch, caps, hostKernel)
	if err != nil {
		return nil, err
	}
	return CompileSpec(spec, arch)
}

// resolve turns a moby profile into the runtime-spec profile for one
// container, as moby's setupSeccomp does, without modifying profile.
func resolve(profile *moby.Seccomp, arch string, caps []string, kernel func() (moby.KernelVersion, error)) (*specs.LinuxSeccomp, error) {
	if profile == nil {
		return nil, errors.New("resolve seccomp profile: profile is nil")
	}
	ga, ok := goArches[arch]
	if !ok {
		return nil, fmt.Errorf("resolve seccomp profile: architecture %q: %w", arch, errors.ErrUnsupported)
	}
	if len(profile.Architectures) != 0 && len(profile.ArchMap) != 0 {
		return nil, errors.New("resolve seccomp profile: both architectures and archMap are set")
	}
	if len(profile.LinuxSeccomp.Syscalls) != 0 {
		return nil, errors.New("resolve seccomp profile: LinuxSeccomp.Syscalls is set; use Syscalls")
	}
	have := make(map[string]bool, len(caps))
	for _, c := range caps {
		have[normalizeCap(c)] = true
	}
	anyCap := func(cs []string) bool {
		return slices.ContainsFunc(cs, func(c string) bool { return have[normalizeCap(c)] })
	}
	allCaps := func(cs []string) bool {
		return !slices.ContainsFunc(cs, func(c string) bool { return !have[normalizeCap(c)] })
	}
	var kv *moby.KernelVersion
	kernelAtLeast := func(min *moby.KernelVersion) (bool, error) {
		if kv == nil {
			v, err := kernel()
			if err != nil {
				return false, fmt.Errorf("resolve seccomp profile: kernel version: %w", err)
			}
			kv = &v
		}
		return kv.Kernel > min.Kernel || kv.Kernel == min.Kernel && kv.Major >= min.Major, nil
	}

	out := profile.LinuxSeccomp
	out.Architectures = slices.Clone(profile.Architectures)
	out.Flags = slices.Clone(profile.Flags)
	out.Syscalls = nil
	for _, a := range profile.ArchMap {
		if a.Arch == ga.native {
			out.Architectures = append(append(out.Architectures, a.Arch), a.SubArches...)
			break
		}
	}
	for i, call := range profile.Syscalls {
		if call == nil {
			continue
		}
		sc := call.LinuxSyscall
		if call.Name != "" {
			if len(call.Names) != 0 {
				return nil, fmt.Errorf("resolve seccomp profile: rule %d has both name and names", i)
			}
			sc.Names = []string{call.Name}
		}
		if ex := call.Excludes; ex != nil {
			if slices.Contains(ex.Arches, ga.name) || anyCap(ex.Caps) {
				continue
			}
			if ex.MinKernel != nil {
				ok, err := kernelAtLeast(ex.MinKernel)
				if err != nil {
					return nil, err
				}
				if ok {
					continue
				}
			}
		}
		if in := call.Includes; in != nil {
			if len(in.Arches) > 0 && !slices.Contains(in.Arches, ga.name) || !allCaps(in.Caps) {
				continue
			}
			if in.MinKernel != nil {
				ok, err := kernelAtLeast(in.MinKernel)
				if err != nil {
					return nil, err
				}
				if !ok {
					continue
				}
			}
		}
		sc.Names = slices.Clone(sc.Names)
		sc.Args = slices.Clone(sc.Args)
		out.Syscalls = append(out.Syscalls, sc)
	}
	return &out, nil
}

func normalizeCap(c string) string {
	c = strings.ToUpper(c)
	if !strings.HasPrefix(c, "CAP_") {
		c = "CAP_" + c
	}
	return c
}

// CompileSpec compiles a resolved runtime-spec profile (as found in an OCI
// bundle's config.json) for arch (a GOARCH value: "amd64", "386", "arm64"
// or "arm"). Semantics, which follow runc and libseccomp:
//
//   - The program first checks seccomp_data.arch. The native architecture
//     of arch is always filtered; of the profile's other architectures,
//     those that can run on arch are too (amd64: SCMP_ARCH_X86 and
//     SCMP_ARCH_X32; arm64: SCMP_ARCH_ARM). A task of any other
//     architecture is killed (SECCOMP_RET_KILL_PROCESS), as libseccomp's
//     bad-arch action does.
//   - x32 tasks report the x86_64 audit arch; their syscall numbers carry
//     __X32_SYSCALL_BIT (0x40000000). With SCMP_ARCH_X32 listed, numbers
//     with that bit are matched against the x32 table; without it they are
//     killed like a foreign architecture.
//   - Syscall names are looked up per architecture; names an architecture
//     lacks are skipped. A rule whose action equals the default action is
//     skipped, as runc does.
//   - A rule without args matches the syscall outright and takes
//     precedence over the syscall's rules with args; two such rules with
//     different actions are an error. Rules with args are tried in profile
//     order and the first that matches decides.
//   - The args of one rule are ANDed, except that when one argument index
//     is used twice the rule becomes one rule per arg, ORed (runc's
//     behaviour, which Docker's profile relies on).
//   - Comparisons are unsigned and 64 bits wide; on 32-bit architectures
//     (SCMP_ARCH_X86, SCMP_ARCH_ARM) only the low 32 bits of the argument
//     and of the values are compared, as in libseccomp.
//   - SCMP_CMP_MASKED_EQ matches when arg & value == valueTwo.
//   - SCMP_ACT_ERRNO and SCMP_ACT_TRACE return errnoRet, EPERM by default.
//     SCMP_ACT_KILL is SCMP_ACT_KILL_THREAD. SCMP_ACT_NOTIFY is not
//     supported.
//   - When the default action denies (errno, kill, trap), syscalls numbered
//     above the highest number the profile names on that architecture
//     return ENOSYS, as runc does, so that programs fall back from
//     syscalls newer than the profile.
//
// Flags are not part of the program: pass them to seccomp(2) when loading.
// CompileSpec does not modify spec and is safe for concurrent use.
func CompileSpec(spec *specs.LinuxSeccomp, arch string) (Program, error) {
	p, err := compileSpec(spec, arch)
	if err != nil {
		return nil, fmt.Errorf("compile seccomp profile: %w", err)
	}
	return p, nil
}

// rule is one compiled rule with args: all conds must hold.
type rule struct {
	action uint32
	conds  []specs.LinuxSeccompArg
}

// decision is what a filter does with one syscall number.
type decision struct {
	name   string
	uncond bool
	action uint32 // when uncond
	rules  []rule // tried in order when !uncond
	block  label  // code for rules
}

// abiFilter is what the program does for one ABI.
type abiFilter struct {
	abi       *abi
	decisions map[uint32]*decision
	maxNamed  int64 // highest number named by the profile, -1 if none
}

func compileSpec(spec *specs.LinuxSeccomp, arch string) (Program, error) {
	if spec == nil {
		return nil, errors.New("profile is nil")
	}
	ga, ok := goArches[arch]
	if !ok {
		return nil, fmt.Errorf("architecture %q: %w", arch, errors.ErrUnsupported)
	}
	if spec.ListenerPath != "" {
		return nil, fmt.Errorf("listenerPath (SCMP_ACT_NOTIFY): %w", errors.ErrUnsupported)
	}
	if spec.DefaultAction == "" {
		return nil, errors.New("defaultAction is empty")
	}
	def, err := actionValue(spec.DefaultAction, spec.DefaultErrnoRet)
	if err != nil {
		return nil, fmt.Errorf("defaultAction: %w", err)
	}
	for i, sc := range spec.Syscalls {
		if _, err := actionValue(sc.Action, sc.ErrnoRet); err != nil {
			return nil, fmt.Errorf("rule %d %v: %w", i, sc.Names, err)
		}
		for _, c := range sc.Args {
			if c.Index >= 6 {
				return nil, fmt.Errorf("rule %d %v: argument index %d out of range", i, sc.Names, c.Index)
			}
			switch c.Op {
			case specs.OpEqualTo, specs.OpNotEqual, specs.OpLessThan, specs.OpLessEqual,
				specs.OpGreaterThan, specs.OpGreaterEqual, specs.OpMaskedEqual:
			default:
				return nil, fmt.Errorf("rule %d %v: unknown operator %q", i, sc.Names, c.Op)
			}
		}
	}

	// The ABIs to filter: native first, then the listed ones that can run
	// on arch, in profile order.
	list := []specs.Arch{ga.native}
	for _, a := range spec.Architectures {
		if slices.Contains(ga.compat, a) && !slices.Contains(list, a) {
			list = append(list, a)
		}
	}
	var filters []*abiFilter
	for _, a := range list {
		f, err := buildABI(abis()[a], spec, def)
		if err != nil {
			return nil, err
		}
		filters = append(filters, f)
	}
	return generate(filters, def, denies(def))
}

func denies(def uint32) bool {
	switch def & retActionFull {
	case retAllow, retLog, retTrace, retUserNotif:
		return false
	}
	return true
}

func buildABI(a *abi, spec *specs.LinuxSeccomp, def uint32) (*abiFilter, error) {
	f := &abiFilter{abi: a, decisions: make(map[uint32]*decision, len(a.table)), maxNamed: -1}
	for _, sc := range spec.Syscalls {
		act, _ := actionValue(sc.Action, sc.ErrnoRet) // checked by the caller
		for _, name := range sc.Names {
			nr, ok := a.table[name]
			if !ok {
				continue // as libseccomp does: not a syscall on this ABI
			}
			f.maxNamed = max(f.maxNamed, int64(nr))
			if act == def {
				continue
			}
			d := f.decisions[nr]
			if d == nil {
				d = &decision{name: name, block: noLabel}
				f.decisions[nr] = d
			}
			switch {
			case len(sc.Args) == 0:
				if d.uncond && d.action != act {
					return nil, fmt.Errorf("syscall %s (%s): conflicting actions %s and %s", name, a.arch, retString(d.action), retString(act))
				}
				d.uncond, d.action = true, act
			case repeatsIndex(sc.Args):
				for _, c := range sc.Args {
					d.rules = append(d.rules, rule{action: act, conds: []specs.LinuxSeccompArg{c}})
				}
			default:
				d.rules = append(d.rules, rule{action: act, conds: sc.Args})
			}
		}
	}
	return f, nil
}

func repeatsIndex(args []specs.LinuxSeccompArg) bool {
	var seen [6]bool
	for _, c := range args {
		if seen[c.Index] {
			return true
		}
		seen[c.Index] = true
	}
	return false
}

// actionValue returns the SECCOMP_RET_* value of an action.
func actionValue(act specs.LinuxSeccompAction, errnoRet *uint) (uint32, error) {
	errno := uint(errnoEPERM)
	if errnoRet != nil {
		if act != specs.ActErrno && act != specs.ActTrace {
			return 0, fmt.Errorf("errnoRet is set for action %s", act)
		}
		if *errnoRet > retData {
			return 0, fmt.Errorf("errnoRet %d out of range", *errnoRet)
		}
		errno = *errnoRet
	}
	switch act {
	case specs.ActKill, specs.ActKillThread:
		return retKillThread, nil
	case specs.ActKillProcess:
		return retKillProcess, nil
	case specs.ActTrap:
		return retTrap, nil
	case specs.ActErrno:
		return retErrno | uint32(errno), nil
	case specs.ActTrace:
		return retTrace | uint32(errno), nil
	case specs.ActAllow:
		return retAllow, nil
	case specs.ActLog:
		return retLog, nil
	case specs.ActNotify:
		return 0, fmt.Errorf("action %s: %w", act, errors.ErrUnsupported)
	}
	return 0, fmt.Errorf("unknown action %q", act)
}

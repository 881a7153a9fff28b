package dock

import (
	"fmt"
	"math"
	"net/netip"
	"syscall"
	"time"

	"github.com/go-dock/dock/internal/cgroup"
	"github.com/go-dock/dock/internal/signal"
)

// Config describes a container: what to run, as whom, with which
// filesystem, resources and security profile. The zero value of each field
// means "the image's value" or "Docker's default", as each comment says.
// Config is plain data: it is stored in the state directory as JSON.
type Config struct {
	// Image is the reference (name, name:tag, name@digest or image ID) of
	// an image in the engine's store. Required.
	Image string `json:"image"`
	// Name is a unique name for the container. Names match
	// [a-zA-Z0-9][a-zA-Z0-9_.-]*. Empty means a random name, as Docker
	// gives: an adjective and a scientist's or hacker's surname,
	// "adjective_surname" (with a digit after a collision, and the
	// short ID after six), which Create records here and in Info.Name.
	Name string `json:"name,omitempty"`

	// Entrypoint and Cmd override the image's. A nil Cmd keeps the image's
	// Cmd, unless Entrypoint is set, which (as in Docker) resets it.
	Entrypoint []string `json:"entrypoint,omitempty"`
	Cmd        []string `json:"cmd,omitempty"`
	// Env entries (KEY=VALUE) are added to the image's, replacing those
	// with the same key. A bare KEY is ignored.
	Env []string `json:"env,omitempty"`
	// WorkingDir overrides the image's; it must be absolute. It is created
	// when missing.
	WorkingDir string `json:"workingDir,omitempty"`
	// User overrides the image's user: "name", "uid", "name:group",
	// "uid:gid". Names are looked up in the image's /etc/passwd and
	// /etc/group. Empty means the image's user, else root.
	User string `json:"user,omitempty"`
	// GroupAdd lists supplementary groups (names or numbers) added to those
	// the user has in /etc/group.
	GroupAdd []string `json:"groupAdd,omitempty"`
	// Hostname defaults to the first 12 characters of the container ID.
	Hostname string `json:"hostname,omitempty"`
	// Tty gives the process a pseudo-terminal as stdin, stdout and stderr,
	// and as its controlling terminal: /dev/pts/0 of the container's own
	// devpts, also bound over /dev/console, as with Docker.
	Tty bool `json:"tty,omitempty"`
	// OpenStdin keeps the process's stdin open (docker run -i): a
	// detached container's stdin is then a pipe that Attach writes to,
	// instead of the null device.
	OpenStdin bool `json:"openStdin,omitempty"`
	// StdinOnce closes a detached container's stdin once the input of an
	// Attach that gave it some ends (Docker's StdinOnce, which docker run
	// -i sets): the process reads EOF. Without it, the stdin stays open
	// for the next Attach. With Tty, the end is the terminal's EOF
	// character (^D), the terminal being also the output.
	StdinOnce bool `json:"stdinOnce,omitempty"`
	// Init runs a minimal init as PID 1 that reaps zombies and forwards
	// signals to the process (docker run --init).
	Init bool `json:"init,omitempty"`

	// Network is the container's network: "none" (the default: a
	// network namespace with only loopback), "host" (the host's),
	// "container:NAME" (another running container's namespace), or a
	// bridge network's name or ID: "bridge" is the default bridge (the
	// one docker run joins by default), others come from CreateNetwork.
	// The default is none, not Docker's bridge, so that a program that
	// sets nothing changes nothing on the host's network.
	Network string `json:"network,omitempty"`
	// NetworkAliases are more names the container has on Network, for
	// the other containers there (user-defined networks only).
	NetworkAliases []string `json:"networkAliases,omitempty"`
	// IPv4Address and IPv6Address ask for the container's addresses on
	// Network (user-defined networks only, as Docker); by default the
	// next free ones are given.
	IPv4Address netip.Addr `json:"ipv4Address,omitzero"`
	IPv6Address netip.Addr `json:"ipv6Address,omitzero"`
	// MacAddress sets the MAC address of the container's interface on
	// Network ("02:42:ac:11:00:02"); by default it is derived from the
	// IPv4 address, as Docker did.
	MacAddress string `json:"macAddress,omitempty"`
	// Ports publishes container ports on the host (docker run -p; see
	// ParsePortMappings), on a bridge network: the kernel forwards them
	// to the container (no proxy process), and each host port is held
	// by a socket while the container runs, so no other program takes
	// it. With the host's network they are ignored, as in Docker.
	Ports []PortMapping `json:"ports,omitempty"`
	// PublishAllPorts publishes every exposed port (the image's EXPOSE
	// and ExposedPorts) on an ephemeral host port (docker run -P).
	PublishAllPorts bool `json:"publishAllPorts,omitempty"`
	// ExposedPorts adds to the image's EXPOSE (docker run --expose).
	ExposedPorts []Port `json:"exposedPorts,omitempty"`
	// DNS, DNSSearch and DNSOptions are the name servers, search
	// domains and resolver options of the container's resolv.conf; on a
	// user-defined network the name servers are where the network's own
	// name server (127.0.0.11) sends the names it does not know.
	DNS        []netip.Addr `json:"dns,omitempty"`
	DNSSearch  []string     `json:"dnsSearch,omitempty"`
	DNSOptions []string     `json:"dnsOptions,omitempty"`
	// ExtraHosts are "name:address" lines for /etc/hosts; the address
	// "host-gateway" is the gateway of the container's network (the
	// host, seen from the container).
	ExtraHosts []string `json:"extraHosts,omitempty"`

	// ReadOnly mounts the root filesystem read-only.
	ReadOnly bool `json:"readOnly,omitempty"`
	// Mounts are bind, volume and tmpfs mounts, applied in order. Each
	// VOLUME of the image that no mount here covers (same target) gets
	// an anonymous volume, which Create appends to the recorded Mounts.
	Mounts []Mount `json:"mounts,omitempty"`

	// Resources limits what the container may use.
	Resources Resources `json:"resources,omitzero"`
	// Ulimits set resource limits of the process (setrlimit). A limit
	// above the caller's own hard limit is an error unless the caller may
	// raise it. By default the process inherits the caller's limits.
	Ulimits []Ulimit `json:"ulimits,omitempty"`

	// Security profile. The default is Docker's: its capability set, its
	// seccomp profile, masked and read-only paths, the device allowlist.
	// CapAdd and CapDrop take names with or without the CAP_ prefix, or
	// "ALL".
	CapAdd  []string `json:"capAdd,omitempty"`
	CapDrop []string `json:"capDrop,omitempty"`
	// AllowNewPrivileges lets setuid programs and file capabilities raise
	// the process's privileges: no_new_privs is then not set. By default
	// dock sets no_new_privs, which is stricter than Docker (where it
	// takes --security-opt no-new-privileges).
	AllowNewPrivileges bool `json:"allowNewPrivileges,omitempty"`
	// SeccompUnconfined disables the seccomp profile
	// (--security-opt seccomp=unconfined).
	SeccompUnconfined bool `json:"seccompUnconfined,omitempty"`
	// Privileged lifts the security profile: every capability, no seccomp,
	// no masked or read-only paths, all host devices, writable /sys.
	Privileged bool `json:"privileged,omitempty"`
	// SeccompProfile, when set, is the seccomp profile in Docker's JSON
	// format (docker run --security-opt seccomp=FILE: the file's
	// content) used in place of the default, as given: Create compiles
	// it, and refuses one that does not compile. SeccompUnconfined and
	// Privileged win over it.
	SeccompProfile string `json:"seccompProfile,omitempty"`
	// AppArmorProfile and SELinuxLabel are docker run's --security-opt
	// apparmor=PROFILE and label=OPTION (the options: "disable",
	// "user:U", "role:R", "type:T", "level:L", "filetype:F"). dock
	// applies no LSM profile: as Docker on a host without that LSM,
	// they are accepted and have no effect where the host runs no
	// AppArmor (SELinux); where it does, Create refuses them (except
	// "unconfined" and "disable", which ask for nothing), rather than
	// run the container without the confinement asked for.
	AppArmorProfile string   `json:"appArmorProfile,omitempty"`
	SELinuxLabel    []string `json:"seLinuxLabel,omitempty"`
	// UIDMap and GIDMap, when not empty, run the container in a new user
	// namespace with these ID maps (container root is then an
	// unprivileged host user). Both or neither must be set.
	UIDMap []IDMap `json:"uidMap,omitempty"`
	GIDMap []IDMap `json:"gidMap,omitempty"`

	// IPC is the container's IPC namespace (System V IPC, POSIX message
	// queues) and /dev/shm, as docker run --ipc: "" or "private" (its
	// own), "shareable" (its own, which other containers may join),
	// "host" (the host's, and the host's /dev/shm), "container:NAME"
	// (a running shareable container's, with its /dev/shm), "none" (its
	// own, with no /dev/shm).
	IPC string `json:"ipc,omitempty"`
	// PID is the container's PID namespace, as docker run --pid: ""
	// (its own), "host" (the host's: the container sees every process),
	// "container:NAME" (a running container's). In the host's or
	// another container's namespace the container's init is not PID 1:
	// when it exits, the other processes of the container are killed
	// (those in its cgroup), as Docker does.
	PID string `json:"pid,omitempty"`
	// UTS is "" (its own hostname) or "host" (the host's UTS namespace:
	// the container has the host's hostname, and Hostname must be
	// empty).
	UTS string `json:"uts,omitempty"`
	// CgroupNS is the container's cgroup namespace: "" or "private" (its
	// own: it sees its cgroup as /), or "host" (the host's: it sees the
	// whole hierarchy, and its own cgroup's path in /proc/self/cgroup).
	CgroupNS string `json:"cgroupns,omitempty"`
	// ShmSize is the size of the container's /dev/shm in bytes; 0 means
	// 64 MiB, Docker's default. Only a container with its own /dev/shm
	// (IPC "", "private" or "shareable") has one to size.
	ShmSize int64 `json:"shmSize,omitempty"`
	// Devices are host devices made in the container (docker run
	// --device), each allowed in its device cgroup with its
	// permissions. A directory stands for every device under it.
	Devices []Device `json:"devices,omitempty"`
	// DeviceCgroupRules are rules added to the device cgroup, after the
	// default allowlist and Devices, in its format: "TYPE MAJOR:MINOR
	// ACCESS" with TYPE a (all), b or c, MAJOR and MINOR numbers or *,
	// ACCESS a combination of r, w and m ("c 1:3 rwm", "b 7:* r").
	// A rule allows; it cannot deny (docker run --device-cgroup-rule).
	DeviceCgroupRules []string `json:"deviceCgroupRules,omitempty"`
	// Sysctls are kernel parameters set in the container's namespaces
	// (docker run --sysctl): only those the kernel keeps per namespace,
	// as runc allows: kernel.msgmax, kernel.msgmnb, kernel.msgmni,
	// kernel.sem, kernel.shmall, kernel.shmmax, kernel.shmmni,
	// kernel.shm_rmid_forced and fs.mqueue.* with an IPC namespace not
	// the host's, net.* with a network namespace not the host's,
	// kernel.domainname with its own UTS namespace.
	Sysctls map[string]string `json:"sysctls,omitempty"`
	// OOMScoreAdj is the oom_score_adj of the container's processes,
	// -1000 to 1000 (docker run --oom-score-adj); 0 leaves the one the
	// process inherits.
	OOMScoreAdj int `json:"oomScoreAdj,omitempty"`

	// StopSignal is sent by Stop; default SIGTERM (or the image's).
	StopSignal string `json:"stopSignal,omitempty"`
	// StopTimeout is how long Stop waits before SIGKILL; default 10s.
	StopTimeout *time.Duration `json:"stopTimeout,omitempty"`
	// AutoRemove removes the container once it has exited, as docker run
	// --rm does (and docker create --rm, at its later start): for a
	// detached container its monitor does it, for an attached one the
	// engine, before Wait returns. Its anonymous volumes
	// go with it (unless another container mounts them); named volumes
	// are kept.
	AutoRemove bool `json:"autoRemove,omitempty"`
	// RestartPolicy starts the container again when its process exits
	// (docker run --restart); the zero value never does. Not with
	// AutoRemove.
	RestartPolicy RestartPolicy `json:"restartPolicy,omitzero"`
	// Healthcheck is how the container's health is checked while it
	// runs (docker run --health-*); nil means the image's HEALTHCHECK.
	// Fields left zero take the image's values, as in Docker, and Create
	// records the result; Test ["NONE"] disables the image's. See Health.
	Healthcheck *Healthcheck `json:"healthcheck,omitempty"`
	// Labels are free-form metadata.
	Labels map[string]string `json:"labels,omitempty"`
	// Log bounds the container's log on disk. The zero value rotates at
	// 20 MiB and keeps 5 files, as Docker's local log driver does; Create
	// records the resolved values.
	Log LogConfig `json:"log,omitzero"`
}

// LogConfig bounds a container's log: its output, kept in the container's
// directory as json.log in Docker's json-file format. When writing a line
// would take json.log past MaxSize, the file is rotated: json.log.(N-2)
// becomes json.log.(N-1), and so on, json.log becomes json.log.1 and a new
// json.log is started (N is MaxFiles; the oldest file is dropped). The
// rotated files are not compressed. Container.Logs reads them, oldest
// first. Both the engine (attached containers) and the monitor of a
// detached container rotate with these limits.
//
// Unlike Docker, whose json-file driver keeps one file that grows without
// bound unless it is given max-size, the default here is the bound of
// Docker's local driver (20 MiB x 5 files), in the json-file format; set
// MaxSize to -1 for an unbounded log.
type LogConfig struct {
	// MaxSize is the size in bytes at which json.log is rotated: 0 means
	// DefaultLogMaxSize, -1 means no limit (one file, never rotated).
	// A line longer than MaxSize gets a file of its own.
	MaxSize int64 `json:"maxSize,omitempty"`
	// MaxFiles is the largest number of log files kept, json.log
	// included (Docker's max-file): 0 means DefaultLogMaxFiles, 1 means
	// json.log is started afresh when full, keeping no older lines. At
	// most MaxLogFiles; it must be 0 when MaxSize is -1.
	MaxFiles int `json:"maxFiles,omitempty"`
}

// The defaults of LogConfig, those of Docker's local log driver, and the
// largest MaxFiles (each rotation renames every file).
const (
	DefaultLogMaxSize  = 20 << 20
	DefaultLogMaxFiles = 5
	MaxLogFiles        = 1000
)

// Mount is a bind, volume or tmpfs mount.
type Mount struct {
	// Type is "bind", "volume" or "tmpfs".
	Type string `json:"type"`
	// Source is an absolute host path (bind) or a volume name (volume;
	// empty means an anonymous volume: Create gives it a random
	// 64-character hexadecimal name and records it here). Unused for
	// tmpfs.
	Source string `json:"source,omitempty"`
	// Target is the absolute path inside the container.
	Target   string `json:"target"`
	ReadOnly bool   `json:"readOnly,omitempty"`
	// Options are tmpfs options: its own ("size=64m", "mode=1777") and
	// mount flags ("ro", "exec", "nosuid"...). As in Docker, a tmpfs is
	// noexec, nosuid and nodev unless its options say exec, suid or dev.
	Options []string `json:"options,omitempty"`
	// NoCopy (volume only; Docker's volume-nocopy) leaves an empty volume
	// empty. By default, when Create mounts an empty volume (anonymous
	// or named) over a directory of the image, it first copies that
	// directory's content into the volume, as Docker does.
	NoCopy bool `json:"noCopy,omitempty"`
	// Relabel is docker's z (shared) or Z (private) SELinux relabeling
	// of a bind or volume mount's content. Without SELinux it has no
	// effect, as with Docker; dock does not relabel, so where SELinux
	// is enabled Create refuses it.
	Relabel string `json:"relabel,omitempty"`
	// Consistency is docker's consistent, cached or delegated (or
	// default): a hint for file sharing with a VM, which a Linux host
	// does not need. It is kept and has no effect.
	Consistency string `json:"consistency,omitempty"`
}

// IDMap maps a range of IDs inside a user namespace to the host.
type IDMap struct {
	ContainerID int `json:"containerID"`
	HostID      int `json:"hostID"`
	Size        int `json:"size"`
}

// Ulimit is one resource limit, by Docker's name ("nofile", "nproc",
// "core", ...).
type Ulimit struct {
	Name string `json:"name"`
	Soft int64  `json:"soft"`
	Hard int64  `json:"hard"`
}

// Resources limits a container's use of memory, CPU and processes. Zero
// means no limit.
type Resources struct {
	// Memory is the memory limit in bytes.
	Memory int64 `json:"memory,omitempty"`
	// MemorySwap is memory plus swap in bytes; -1 means unlimited swap,
	// 0 means twice Memory (Docker's default).
	MemorySwap int64 `json:"memorySwap,omitempty"`
	// MemoryReservation is a soft limit in bytes.
	MemoryReservation int64 `json:"memoryReservation,omitempty"`
	// CPUs is the number of CPUs the container may use, as a quota over a
	// 100 ms period (1.5 = 150 ms per 100 ms).
	CPUs float64 `json:"cpus,omitempty"`
	// CPUShares is the relative weight (Docker's 2-262144; 1024 is the
	// default); on cgroup v2 it is converted to cpu.weight.
	CPUShares uint64 `json:"cpuShares,omitempty"`
	// CpusetCpus and CpusetMems restrict the container to CPUs and memory
	// nodes ("0-1", "0,2").
	CpusetCpus string `json:"cpusetCpus,omitempty"`
	CpusetMems string `json:"cpusetMems,omitempty"`
	// OOMKillDisable keeps the kernel's OOM killer from killing the
	// container's processes at its memory limit: they wait for memory
	// instead (cgroup v1 only: cgroup v2 has no such switch, and Create
	// discards it there with a warning, as Docker does).
	OOMKillDisable bool `json:"oomKillDisable,omitempty"`
	// BlkioWeight is the relative block I/O weight, 10 to 1000 (0: not
	// set); it needs the BFQ I/O scheduler, and where the kernel offers
	// no weight Create discards it with a warning, as Docker does.
	BlkioWeight uint16 `json:"blkioWeight,omitempty"`
	// BlkioDeviceReadBps, BlkioDeviceWriteBps, BlkioDeviceReadIOps and
	// BlkioDeviceWriteIOps limit the reads and writes of block devices,
	// in bytes or operations per second.
	BlkioDeviceReadBps   []ThrottleDevice `json:"blkioDeviceReadBps,omitempty"`
	BlkioDeviceWriteBps  []ThrottleDevice `json:"blkioDeviceWriteBps,omitempty"`
	BlkioDeviceReadIOps  []ThrottleDevice `json:"blkioDeviceReadIOps,omitempty"`
	BlkioDeviceWriteIOps []ThrottleDevice `json:"blkioDeviceWriteIOps,omitempty"`
	// PIDs is the largest number of processes (threads count); 0 means
	// DefaultPIDs, -1 no limit. Docker sets none by default; dock, as
	// podman, stops a fork bomb short of the host's limit.
	PIDs int64 `json:"pids,omitempty"`
}

// DefaultPIDs is the pids limit of a container whose Resources.PIDs is 0,
// podman's default.
const DefaultPIDs = 2048

// ExitStatus is how a container or exec process ended.
type ExitStatus struct {
	// Code is the exit code as Docker reports it: the process's status,
	// 128+N when killed by signal N, 126 when the executable could not be
	// run, 127 when it was not found.
	Code int `json:"code"`
	// Signal is the signal that killed the process, or 0.
	Signal int `json:"signal,omitempty"`
	// OOMKilled reports that the kernel's OOM killer ended the container
	// because it went over its memory limit.
	OOMKilled bool `json:"oomKilled,omitempty"`
	// Err is set when the process could not start (see StartError).
	Err string `json:"error,omitempty"`
	// ExitedAt is when the exit was seen.
	ExitedAt time.Time `json:"exitedAt"`
}

// ParseSignal parses a signal as Docker accepts it: "SIGTERM", "TERM",
// "15", "RTMIN+3".
func ParseSignal(s string) (syscall.Signal, bool) { return signal.Parse(s) }

// cpuPeriod is the CFS period used for Resources.CPUs, Docker's.
const cpuPeriod = 100000

// cgroupResources turns Resources into cgroup limits with Docker's
// defaults: swap twice the memory limit unless set, CPUs as a quota over a
// 100 ms period, and the device allowlist unless privileged; and with
// podman's pids limit, DefaultPIDs, unless set.
func cgroupResources(r Resources, privileged bool) cgroup.Resources {
	out := cgroup.Resources{
		Memory:            r.Memory,
		MemorySwap:        r.MemorySwap,
		MemoryReservation: r.MemoryReservation,
		CPUShares:         r.CPUShares,
		CpusetCpus:        r.CpusetCpus,
		CpusetMems:        r.CpusetMems,
		PIDs:              r.PIDs,
		OOMKillDisable:    r.OOMKillDisable,
		BlkioWeight:       r.BlkioWeight,
	}
	if r.PIDs == 0 {
		out.PIDs = DefaultPIDs
	}
	if r.Memory > 0 && r.MemorySwap == 0 {
		out.MemorySwap = 2 * r.Memory
	}
	if r.CPUs > 0 {
		out.CPUQuota = int64(math.Round(r.CPUs * cpuPeriod))
		out.CPUPeriod = cpuPeriod
	}
	if !privileged {
		out.Devices = cgroup.DefaultDevices()
	}
	return out
}

func validateResources(r *Resources) error {
	if r.CPUs < 0 || r.CPUs > 1<<16 || math.IsNaN(r.CPUs) {
		return invalidf("cpus %v: out of range", r.CPUs)
	}
	if r.MemorySwap > 0 && r.Memory == 0 {
		return invalidf("memory-swap %d needs a memory limit", r.MemorySwap)
	}
	if err := cgroup.Validate(cgroupResources(*r, false)); err != nil {
		return fmt.Errorf("%w: %w", ErrInvalid, err)
	}
	return nil
}

// rlimitByName maps Docker's ulimit names to Linux's RLIMIT_* numbers.
var rlimitByName = map[string]int{
	"cpu": 0, "fsize": 1, "data": 2, "stack": 3, "core": 4, "rss": 5,
	"nproc": 6, "nofile": 7, "memlock": 8, "as": 9, "locks": 10,
	"sigpending": 11, "msgqueue": 12, "nice": 13, "rtprio": 14, "rttime": 15,
}

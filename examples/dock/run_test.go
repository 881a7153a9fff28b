package main

import (
	"errors"
	"io/fs"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/go-dock/dock"
)

var fakeEnv = environment{
	LookupEnv: func(k string) (string, bool) {
		v, ok := map[string]string{"HOME_VAR": "from-env", "EMPTY": ""}[k]
		return v, ok
	},
	ReadFile: func(name string) ([]byte, error) {
		if name == "env.list" {
			return []byte("# comment\n\nA=file\nHOME_VAR\nUNSET\n  B=2 \n"), nil
		}
		if name == "profile.json" {
			return []byte("{\n  \"defaultAction\": \"SCMP_ACT_ALLOW\"\n}\n"), nil
		}
		return nil, &fs.PathError{Op: "open", Path: name, Err: fs.ErrNotExist}
	},
}

func dur(d time.Duration) *time.Duration { return &d }

func TestParseRun(t *testing.T) {
	base := func(mod func(o *runOptions)) *runOptions {
		o := &runOptions{SigProxy: true, Pull: "missing", Config: dock.Config{Image: "busybox", Network: "bridge"}}
		if mod != nil {
			mod(o)
		}
		return o
	}
	tests := []struct {
		name string
		args []string
		want *runOptions
	}{
		{"image only", []string{"busybox"}, base(nil)},
		{"command stops parsing", []string{"busybox", "echo", "-n", "--rm", "hi"}, base(func(o *runOptions) {
			o.Config.Cmd = []string{"echo", "-n", "--rm", "hi"}
		})},
		{"double dash", []string{"--rm", "--", "busybox", "ls"}, base(func(o *runOptions) {
			o.Remove = true
			o.Config.Cmd = []string{"ls"}
		})},
		{"combined -it", []string{"-it", "busybox", "sh"}, base(func(o *runOptions) {
			o.Interactive, o.Config.OpenStdin, o.Config.Tty, o.Config.StdinOnce = true, true, true, true
			o.Config.Cmd = []string{"sh"}
		})},
		{"combined -itd", []string{"-itd", "busybox"}, base(func(o *runOptions) {
			o.Interactive, o.Config.OpenStdin, o.Config.Tty, o.Detach = true, true, true, true
		})},
		{"combined bools then value -de", []string{"-de", "A=1", "busybox"}, base(func(o *runOptions) {
			o.Detach = true
			o.Config.Env = []string{"A=1"}
		})},
		{"rm and bool values", []string{"--rm", "--sig-proxy=false", "--init=false", "busybox"}, base(func(o *runOptions) {
			o.Remove, o.SigProxy = true, false
		})},
		{"env forms", []string{"-e", "A=1", "--env=B=", "-eC=3", "-e", "HOME_VAR", "-e", "UNSET", "-e", "EMPTY", "busybox"}, base(func(o *runOptions) {
			o.Config.Env = []string{"A=1", "B=", "C=3", "HOME_VAR=from-env", "EMPTY="}
		})},
		{"env file then -e", []string{"--env-file", "env.list", "-e", "A=flag", "busybox"}, base(func(o *runOptions) {
			o.Config.Env = []string{"A=file", "HOME_VAR=from-env", "B=2 ", "A=flag"}
		})},
		{"volumes", []string{"-v", "/host:/c:ro", "-v", "vol:/data", "--volume=/anon", "-v", "/h2:/c2:rw", "busybox"}, base(func(o *runOptions) {
			o.Config.Mounts = []dock.Mount{
				{Type: "bind", Source: "/host", Target: "/c", ReadOnly: true},
				{Type: "volume", Source: "vol", Target: "/data"},
				{Type: "volume", Target: "/anon"},
				{Type: "bind", Source: "/h2", Target: "/c2"},
			}
		})},
		{"mounts in order", []string{
			"--mount", "type=bind,source=/a,target=/b,readonly",
			"--tmpfs", "/run:size=64m,mode=1777",
			"--mount=type=volume,src=v,dst=/v,ro=false",
			"--mount", "type=tmpfs,destination=/t,tmpfs-size=1m,tmpfs-mode=700",
			"--tmpfs", "/x",
			"--mount", "type=volume,dst=/nc,volume-nocopy",
			"--mount", "type=volume,src=w,dst=/w,volume-nocopy=false",
			"busybox"}, base(func(o *runOptions) {
			o.Config.Mounts = []dock.Mount{
				{Type: "bind", Source: "/a", Target: "/b", ReadOnly: true},
				{Type: "tmpfs", Target: "/run", Options: []string{"size=64m", "mode=1777"}},
				{Type: "volume", Source: "v", Target: "/v"},
				{Type: "tmpfs", Target: "/t", Options: []string{"size=1048576", "mode=700"}},
				{Type: "tmpfs", Target: "/x"},
				{Type: "volume", Target: "/nc", NoCopy: true},
				{Type: "volume", Source: "w", Target: "/w"},
			}
		})},
		{"identity", []string{"-w", "/tmp", "-u", "1000:1000", "--group-add", "audio", "--group-add=wheel", "--name", "web", "-h", "box", "busybox"}, base(func(o *runOptions) {
			o.Config.WorkingDir, o.Config.User = "/tmp", "1000:1000"
			o.Config.GroupAdd = []string{"audio", "wheel"}
			o.Config.Name, o.Config.Hostname = "web", "box"
		})},
		{"long hostname and workdir", []string{"--hostname=h", "--workdir=/w", "--user=nobody", "busybox"}, base(func(o *runOptions) {
			o.Config.Hostname, o.Config.WorkingDir, o.Config.User = "h", "/w", "nobody"
		})},
		{"resources", []string{"--memory", "64m", "--memory-swap=1g", "--memory-reservation", "512k", "--cpus", "1.5", "--cpuset-cpus", "0-1", "--cpuset-mems=0", "--pids-limit", "100", "-c", "512", "busybox"}, base(func(o *runOptions) {
			o.Config.Resources = dock.Resources{Memory: 64 << 20, MemorySwap: 1 << 30, MemoryReservation: 512 << 10,
				CPUs: 1.5, CpusetCpus: "0-1", CpusetMems: "0", PIDs: 100, CPUShares: 512}
		})},
		{"memory bytes and unlimited swap", []string{"-m", "4194304", "--memory-swap", "-1", "--pids-limit=-1", "busybox"}, base(func(o *runOptions) {
			o.Config.Resources = dock.Resources{Memory: 4 << 20, MemorySwap: -1, PIDs: -1}
		})},
		{"pids limit 0 is docker's no limit", []string{"--pids-limit", "0", "busybox"}, base(func(o *runOptions) {
			o.Config.Resources = dock.Resources{PIDs: -1}
		})},
		{"ulimits", []string{"--ulimit", "nofile=1024:2048", "--ulimit=nproc=10", "busybox"}, base(func(o *runOptions) {
			o.Config.Ulimits = []dock.Ulimit{{Name: "nofile", Soft: 1024, Hard: 2048}, {Name: "nproc", Soft: 10, Hard: 10}}
		})},
		{"security", []string{"--cap-add", "NET_ADMIN", "--cap-add=SYS_TIME", "--cap-drop", "ALL", "--security-opt", "no-new-privileges", "--security-opt=seccomp=unconfined", "--read-only", "--privileged", "busybox"}, base(func(o *runOptions) {
			o.Config.CapAdd = []string{"NET_ADMIN", "SYS_TIME"}
			o.Config.CapDrop = []string{"ALL"}
			o.Config.SeccompUnconfined = true
			o.Config.ReadOnly, o.Config.Privileged = true, true
		})},
		{"security old syntax", []string{"--security-opt", "no-new-privileges:true", "--security-opt", "seccomp:unconfined", "busybox"}, base(func(o *runOptions) {
			o.Config.SeccompUnconfined = true
		})},
		{"allow new privileges", []string{"--security-opt", "no-new-privileges=false", "busybox"}, base(func(o *runOptions) {
			o.Config.AllowNewPrivileges = true
		})},
		{"detached auto-remove", []string{"-d", "--rm", "busybox"}, base(func(o *runOptions) {
			o.Detach, o.Remove, o.Config.AutoRemove = true, true, true
		})},
		{"init and network host", []string{"--init", "--network", "host", "busybox"}, base(func(o *runOptions) {
			o.Config.Init, o.Config.Network = true, "host"
		})},
		{"net none", []string{"--net=none", "busybox"}, base(func(o *runOptions) { o.Config.Network = "none" })},
		{"entrypoint", []string{"--entrypoint", "/bin/sh", "busybox", "-c", "true"}, base(func(o *runOptions) {
			o.Config.Entrypoint = []string{"/bin/sh"}
			o.Config.Cmd = []string{"-c", "true"}
		})},
		{"empty entrypoint resets", []string{"--entrypoint=", "busybox"}, base(func(o *runOptions) {
			o.Config.Entrypoint = []string{""}
		})},
		{"stop", []string{"--stop-signal", "SIGINT", "--stop-timeout", "5", "busybox"}, base(func(o *runOptions) {
			o.Config.StopSignal, o.Config.StopTimeout = "SIGINT", dur(5*time.Second)
		})},
		{"stop timeout zero", []string{"--stop-timeout=0", "busybox"}, base(func(o *runOptions) {
			o.Config.StopTimeout = dur(0)
		})},
		{"labels", []string{"--label", "a=b", "-l", "c", "--label=d=e=f", "busybox"}, base(func(o *runOptions) {
			o.Config.Labels = map[string]string{"a": "b", "c": "", "d": "e=f"}
		})},
		{"log opts", []string{"--log-driver", "local", "--log-opt", "max-size=10m", "--log-opt=max-file=3", "busybox"}, base(func(o *runOptions) {
			o.Config.Log = dock.LogConfig{MaxSize: 10_000_000, MaxFiles: 3}
		})},
		{"devices", []string{"--device", "/dev/fuse", "--device=/dev/sda:/dev/xvda:r", "--device", "/dev/kvm:rw",
			"--device-cgroup-rule", "c 1:3 mr", "--device-cgroup-rule=b *:* rwm", "busybox"}, base(func(o *runOptions) {
			o.Config.Devices = []dock.Device{
				{PathOnHost: "/dev/fuse", PathInContainer: "/dev/fuse", Permissions: "rwm"},
				{PathOnHost: "/dev/sda", PathInContainer: "/dev/xvda", Permissions: "r"},
				{PathOnHost: "/dev/kvm", PathInContainer: "/dev/kvm", Permissions: "rw"},
			}
			o.Config.DeviceCgroupRules = []string{"c 1:3 mr", "b *:* rwm"}
		})},
		{"namespaces", []string{"--ipc", "shareable", "--pid=host", "--uts", "host", "--cgroupns=host", "--userns", "host", "busybox"}, base(func(o *runOptions) {
			o.Config.IPC, o.Config.PID, o.Config.UTS, o.Config.CgroupNS = "shareable", "host", "host", "host"
		})},
		{"joined namespaces", []string{"--ipc", "container:db", "--pid", "container:db", "busybox"}, base(func(o *runOptions) {
			o.Config.IPC, o.Config.PID = "container:db", "container:db"
		})},
		{"shm and sysctls", []string{"--shm-size", "128m", "--sysctl", "net.ipv4.ip_forward=1", "--sysctl=kernel.shmmax=1=2", "busybox"}, base(func(o *runOptions) {
			o.Config.ShmSize = 128 << 20
			o.Config.Sysctls = map[string]string{"net.ipv4.ip_forward": "1", "kernel.shmmax": "1=2"}
		})},
		{"oom and blkio", []string{"--oom-kill-disable", "--oom-score-adj", "-500", "--blkio-weight", "300",
			"--device-read-bps", "/dev/sda:1mb", "--device-write-bps=/dev/sda:512", "--device-read-iops", "/dev/sdb:100", "--device-write-iops", "/dev/sda:7", "busybox"}, base(func(o *runOptions) {
			o.Config.OOMScoreAdj = -500
			o.Config.Resources = dock.Resources{OOMKillDisable: true, BlkioWeight: 300,
				BlkioDeviceReadBps:   []dock.ThrottleDevice{{Path: "/dev/sda", Rate: 1 << 20}},
				BlkioDeviceWriteBps:  []dock.ThrottleDevice{{Path: "/dev/sda", Rate: 512}},
				BlkioDeviceReadIOps:  []dock.ThrottleDevice{{Path: "/dev/sdb", Rate: 100}},
				BlkioDeviceWriteIOps: []dock.ThrottleDevice{{Path: "/dev/sda", Rate: 7}},
			}
		})},
		{"security profiles", []string{"--security-opt", "seccomp=profile.json", "--security-opt", "apparmor=docker-default",
			"--security-opt", "label=disable", "--security-opt", "label:level:s0", "busybox"}, base(func(o *runOptions) {
			o.Config.SeccompProfile = `{"defaultAction":"SCMP_ACT_ALLOW"}`
			o.Config.AppArmorProfile = "docker-default"
			o.Config.SELinuxLabel = []string{"disable", "level:s0"}
		})},
		{"volume modes", []string{"-v", "/a:/b:ro,Z", "-v", "/c:/d:cached", "-v", "v:/e:nocopy,z,delegated", "busybox"}, base(func(o *runOptions) {
			o.Config.Mounts = []dock.Mount{
				{Type: "bind", Source: "/a", Target: "/b", ReadOnly: true, Relabel: "Z"},
				{Type: "bind", Source: "/c", Target: "/d", Consistency: "cached"},
				{Type: "volume", Source: "v", Target: "/e", NoCopy: true, Relabel: "z", Consistency: "delegated"},
			}
		})},
		{"attach and cidfile", []string{"-a", "STDOUT", "--attach=stdin", "--cidfile", "/tmp/id", "busybox"}, base(func(o *runOptions) {
			o.Attach, o.CIDFile = []string{"stdout", "stdin"}, "/tmp/id"
		})},
		{"restart", []string{"--restart", "always", "busybox"}, base(func(o *runOptions) {
			o.Config.RestartPolicy = dock.RestartPolicy{Name: "always"}
		})},
		{"restart on-failure count", []string{"--restart=on-failure:3", "busybox"}, base(func(o *runOptions) {
			o.Config.RestartPolicy = dock.RestartPolicy{Name: "on-failure", MaximumRetryCount: 3}
		})},
		// Checked by the library, with dockerd's messages.
		{"restart always count", []string{"--restart=always:3", "busybox"}, base(func(o *runOptions) {
			o.Config.RestartPolicy = dock.RestartPolicy{Name: "always", MaximumRetryCount: 3}
		})},
		{"restart no with rm", []string{"--restart=no", "--rm", "busybox"}, base(func(o *runOptions) {
			o.Config.RestartPolicy, o.Remove = dock.RestartPolicy{Name: "no"}, true
		})},
		{"health", []string{"--health-cmd", "curl -f localhost", "--health-interval=2s", "--health-timeout", "1s",
			"--health-retries=4", "--health-start-period", "1m", "--health-start-interval=500ms", "busybox"}, base(func(o *runOptions) {
			o.Config.Healthcheck = &dock.Healthcheck{Test: []string{"CMD-SHELL", "curl -f localhost"}, Interval: 2 * time.Second,
				Timeout: time.Second, Retries: 4, StartPeriod: time.Minute, StartInterval: 500 * time.Millisecond}
		})},
		{"health without cmd", []string{"--health-retries=1", "busybox"}, base(func(o *runOptions) {
			o.Config.Healthcheck = &dock.Healthcheck{Retries: 1} // the image's test
		})},
		{"no healthcheck", []string{"--no-healthcheck", "busybox"}, base(func(o *runOptions) {
			o.Config.Healthcheck = &dock.Healthcheck{Test: []string{"NONE"}}
		})},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := parseRun("run", tt.args, fakeEnv)
			if err != nil {
				t.Fatalf("parseRun(%q) error: %v", tt.args, err)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("parseRun(%q) =\n%+v\nwant\n%+v", tt.args, *got, *tt.want)
			}
		})
	}
}

func TestParseRunErrors(t *testing.T) {
	tests := []struct {
		name string
		args []string
		want string // in the message
	}{
		{"no image", nil, "requires at least 1 argument"},
		{"only flags", []string{"--rm"}, "requires at least 1 argument"},
		{"unknown flag", []string{"--bogus", "busybox"}, "unknown flag: --bogus"},
		{"unknown shorthand", []string{"-itx", "busybox"}, `unknown shorthand flag: 'x' in -itx`},
		{"missing value long", []string{"--name"}, "flag needs an argument: --name"},
		{"missing value short", []string{"-e"}, `flag needs an argument: 'e' in -e`},
		{"missing value combined", []string{"-ie"}, `flag needs an argument: 'e' in -e`},
		{"bad bool", []string{"--rm=maybe", "busybox"}, `invalid argument "maybe" for "--rm" flag`},
		{"bad memory", []string{"--memory", "12x", "busybox"}, `invalid argument "12x" for "-m, --memory" flag`},
		{"negative memory", []string{"-m", "-1", "busybox"}, `invalid argument "-1" for "-m, --memory"`},
		{"bad memory swap", []string{"-m", "1g", "--memory-swap", "lots", "busybox"}, `"--memory-swap"`},
		{"swap without memory", []string{"--memory-swap", "1g", "busybox"}, "memory limit"},
		{"swap below memory", []string{"-m", "1g", "--memory-swap", "512m", "busybox"}, "larger than memory limit"},
		{"bad cpus", []string{"--cpus", "abc", "busybox"}, `invalid argument "abc" for "--cpus" flag`},
		{"zero cpus", []string{"--cpus=0", "busybox"}, `"--cpus" flag`},
		{"negative cpus", []string{"--cpus=-2", "busybox"}, `"--cpus" flag`},
		{"infinite cpus", []string{"--cpus=Inf", "busybox"}, `"--cpus" flag`},
		{"bad pids", []string{"--pids-limit", "many", "busybox"}, `"--pids-limit" flag`},
		{"bad volume parts", []string{"-v", "a:/b:ro:x", "busybox"}, "invalid volume specification"},
		{"bad volume relative target", []string{"-v", "vol:data", "busybox"}, "not an absolute path"},
		{"bad volume mode", []string{"-v", "/a:/b:rx", "busybox"}, "invalid mode: rx"},
		{"bad volume empty source", []string{"-v", ":/b", "busybox"}, "empty source"},
		{"bad mount type", []string{"--mount", "type=nfs,target=/x", "busybox"}, "invalid mount type"},
		{"bad mount key", []string{"--mount", "type=bind,src=/a,target=/b,bogus=1", "busybox"}, "unexpected key"},
		{"mount without target", []string{"--mount", "type=volume,source=v", "busybox"}, "target is required"},
		{"bind mount without source", []string{"--mount", "type=bind,target=/b", "busybox"}, "source is required"},
		{"nocopy bind mount", []string{"--mount", "type=bind,src=/a,target=/b,volume-nocopy", "busybox"}, "volume-nocopy is only allowed with type=volume"},
		{"bad nocopy value", []string{"--mount", "type=volume,target=/b,volume-nocopy=maybe", "busybox"}, "invalid value for volume-nocopy"},
		{"bad tmpfs", []string{"--tmpfs", "run", "busybox"}, "must be absolute"},
		{"bad ulimit no value", []string{"--ulimit", "nofile", "busybox"}, "invalid ulimit argument"},
		{"bad ulimit name", []string{"--ulimit", "bogus=1", "busybox"}, "invalid ulimit type: bogus"},
		{"bad ulimit soft above hard", []string{"--ulimit", "nofile=2048:1024", "busybox"}, "soft limit must be less than or equal"},
		{"bad ulimit number", []string{"--ulimit", "nofile=x", "busybox"}, "invalid ulimit soft value"},
		{"bad ulimit hard", []string{"--ulimit", "nofile=1:y", "busybox"}, "invalid ulimit hard value"},
		{"bad stop signal", []string{"--stop-signal", "SIGNOPE", "busybox"}, `"--stop-signal" flag`},
		{"bad stop timeout", []string{"--stop-timeout", "soon", "busybox"}, `"--stop-timeout" flag`},
		{"negative stop timeout", []string{"--stop-timeout", "-5", "busybox"}, "negative"},
		{"bad security opt", []string{"--security-opt", "bogus=1", "busybox"}, `invalid --security-opt 2: "bogus=1"`},
		{"security opt no value", []string{"--security-opt", "bogus", "busybox"}, `Invalid --security-opt: "bogus"`},
		{"missing seccomp profile", []string{"--security-opt", "seccomp=nope.json", "busybox"}, "opening seccomp profile (nope.json) failed: file does not exist"},
		{"bad seccomp profile", []string{"--security-opt", "seccomp=env.list", "busybox"}, "compacting json for seccomp profile (env.list) failed"},
		{"bad device path", []string{"--device", "/dev/a:b", "busybox"}, "b is not an absolute path"},
		{"bad device mode", []string{"--device", "/dev/a:/dev/b:rwx", "busybox"}, "bad mode specified: rwx"},
		{"bad device parts", []string{"--device", "/a:/b:r:x", "busybox"}, "bad format for path"},
		{"bad device rule", []string{"--device-cgroup-rule", "c 1:3", "busybox"}, `invalid argument "c 1:3" for "--device-cgroup-rule" flag: invalid device cgroup format 'c 1:3'`},
		{"unnamespaced sysctl", []string{"--sysctl", "vm.swappiness=10", "busybox"}, `invalid argument "vm.swappiness=10" for "--sysctl" flag: sysctl 'vm.swappiness=10' is not allowed`},
		{"sysctl without value", []string{"--sysctl", "net.ipv4.ip_forward", "busybox"}, "is not allowed"},
		{"bad ipc", []string{"--ipc", "shared", "busybox"}, "--ipc: invalid IPC mode"},
		{"bad ipc container", []string{"--ipc", "container:", "busybox"}, "--ipc: invalid IPC mode"},
		{"bad pid", []string{"--pid", "private", "busybox"}, "--pid: invalid PID mode"},
		{"bad uts", []string{"--uts", "private", "busybox"}, "--uts: invalid UTS mode"},
		{"bad cgroupns", []string{"--cgroupns", "none", "busybox"}, "--cgroupns: invalid CGROUP mode"},
		{"bad userns", []string{"--userns", "remap", "busybox"}, "--userns: invalid USER mode"},
		{"bad shm size", []string{"--shm-size", "lots", "busybox"}, `invalid argument "lots" for "--shm-size" flag`},
		{"bad oom score", []string{"--oom-score-adj", "x", "busybox"}, `"--oom-score-adj" flag`},
		{"bad blkio weight", []string{"--blkio-weight", "70000", "busybox"}, `invalid argument "70000" for "--blkio-weight" flag: value out of range`},
		{"bad throttle", []string{"--device-read-bps", "/dev/sda", "busybox"}, "bad format: /dev/sda"},
		{"bad throttle path", []string{"--device-write-bps", "sda:1", "busybox"}, "bad format for device path: sda:1"},
		{"bad throttle rate", []string{"--device-read-bps", "/dev/sda:fast", "busybox"}, "invalid rate for device: /dev/sda:fast. The correct format is <device-path>:<number>[<unit>]"},
		{"bad throttle iops", []string{"--device-write-iops", "/dev/sda:1k", "busybox"}, "invalid rate for device: /dev/sda:1k. The correct format is <device-path>:<number>. Number must be a positive integer"},
		{"bad attach", []string{"-a", "stdall", "busybox"}, `invalid argument "stdall" for "-a, --attach" flag: valid streams are STDIN, STDOUT and STDERR`},
		{"attach and detach", []string{"-a", "stdout", "-d", "busybox"}, "conflicting options: cannot specify both --attach and --detach"},
		{"bad volume mode twice", []string{"-v", "/a:/b:z,Z", "busybox"}, "invalid mode: z,Z"},
		{"nocopy bind", []string{"-v", "/a:/b:nocopy", "busybox"}, "invalid mode: nocopy"},
		{"missing env file", []string{"--env-file", "nope.list", "busybox"}, "open nope.list"},
		{"env with space", []string{"-e", "A B=1", "busybox"}, "contains whitespaces"},
		{"empty env", []string{"-e", "=1", "busybox"}, "no variable name"},
		{"empty label", []string{"--label", "=x", "busybox"}, "empty key"},
		{"bad cpu shares", []string{"--cpu-shares", "x", "busybox"}, `"-c, --cpu-shares" flag`},
		{"unknown log opt", []string{"--log-opt", "labels=a", "busybox"}, "unknown log opt 'labels' for json-file log driver"},
		{"bad log max-size", []string{"--log-opt", "max-size=0", "busybox"}, "max-size must be a positive number"},
		{"bad log driver", []string{"--log-driver", "syslog", "busybox"}, `log driver "syslog" is not supported`},
		{"restart with rm", []string{"--restart", "always", "--rm", "busybox"}, "conflicting options: cannot specify both --restart and --rm"},
		{"restart no name", []string{"--restart", ":3", "busybox"}, "invalid restart policy format: no policy provided before colon"},
		{"restart bad count", []string{"--restart", "on-failure:x", "busybox"}, "invalid restart policy format: maximum retry count must be an integer"},
		{"bad health interval", []string{"--health-interval", "soon", "busybox"}, `invalid argument "soon" for "--health-interval" flag: time: invalid duration "soon"`},
		{"negative health interval", []string{"--health-interval=-1s", "busybox"}, "--health-interval cannot be negative"},
		{"negative health timeout", []string{"--health-timeout=-1s", "busybox"}, "--health-timeout cannot be negative"},
		{"negative health start period", []string{"--health-start-period=-1s", "busybox"}, "--health-start-period cannot be negative"},
		{"negative health retries", []string{"--health-retries=-1", "busybox"}, "--health-retries cannot be negative"},
		{"no healthcheck and health", []string{"--no-healthcheck", "--health-cmd", "true", "busybox"}, "--no-healthcheck conflicts with --health-* options"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := parseRun("run", tt.args, fakeEnv)
			var ue *usageError
			if !errors.As(err, &ue) {
				t.Fatalf("parseRun(%q) = %+v, %v, want a *usageError", tt.args, got, err)
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("parseRun(%q) error = %q, want it to contain %q", tt.args, err, tt.want)
			}
			// 125 but for a wrong number of arguments: 1, as docker.
			want := 125
			if strings.Contains(tt.want, "requires at least") {
				want = 1
			}
			if code := reportError(discard{}, discard{}, &command{name: "run"}, err); code != want {
				t.Errorf("exit code of run usage error = %d, want %d", code, want)
			}
		})
	}
}

func TestParseCreateHasNoRunFlags(t *testing.T) {
	for _, flag := range []string{"-d", "--sig-proxy=false"} {
		if _, err := parseRun("create", []string{flag, "busybox"}, fakeEnv); err == nil {
			t.Errorf("parseRun(create, %s) succeeded, want unknown flag", flag)
		}
	}
	o, err := parseRun("create", []string{"-it", "--name", "x", "busybox"}, fakeEnv)
	if err != nil || !o.Config.Tty || !o.Config.OpenStdin || o.Config.Name != "x" || o.Config.AutoRemove {
		t.Errorf("parseRun(create, -it --name x busybox) = %+v, %v", o, err)
	}
	// create --rm: the container removes itself after a later start.
	o, err = parseRun("create", []string{"--rm", "busybox"}, fakeEnv)
	if err != nil || !o.Config.AutoRemove {
		t.Errorf("parseRun(create, --rm busybox) = %+v, %v, want AutoRemove", o, err)
	}
	// run --rm attached: the CLI removes it.
	o, err = parseRun("run", []string{"--rm", "busybox"}, fakeEnv)
	if err != nil || o.Config.AutoRemove {
		t.Errorf("parseRun(run, --rm busybox) = %+v, %v, want no AutoRemove", o, err)
	}
}

type discard struct{}

func (discard) Write(p []byte) (int, error) { return len(p), nil }

func TestFlagSetInterspersed(t *testing.T) {
	var force bool
	var n int
	fs := newFlagSet("rm", true)
	fs.Bool(&force, "f,force", "")
	fs.Int(&n, "t", "")
	got, err := fs.Parse([]string{"a", "-f", "b", "-t3", "--", "-c"})
	if err != nil || !force || n != 3 || !reflect.DeepEqual(got, []string{"a", "b", "-c"}) {
		t.Errorf("Parse = %q, force %v, t %d, %v; want [a b -c], true, 3, nil", got, force, n, err)
	}
	if _, err := fs.Parse([]string{"-t", "x"}); err == nil || !strings.Contains(err.Error(), `invalid argument "x" for "-t" flag`) {
		t.Errorf("Parse(-t x) error = %v", err)
	}
	var help *helpRequest
	if _, err := fs.Parse([]string{"--help"}); !errors.As(err, &help) {
		t.Errorf("Parse(--help) error = %v, want a help request", err)
	}
	// "-" alone is an argument (import -).
	if got, err := fs.Parse([]string{"-"}); err != nil || !reflect.DeepEqual(got, []string{"-"}) {
		t.Errorf("Parse(-) = %q, %v", got, err)
	}
}

func TestExitCodes(t *testing.T) {
	runCmd, psCmd := &command{name: "run"}, &command{name: "ps"}
	tests := []struct {
		cmd  *command
		err  error
		want int
	}{
		{psCmd, nil, 0},
		{runCmd, exitCode(7), 7},
		{runCmd, errors.New("create container: boom"), 125},
		{psCmd, errors.New("boom"), 1},
		{psCmd, &usageError{msg: "unknown flag: --x", code: flagErrorCode}, 125},
		{runCmd, &usageError{msg: "unknown flag: --x", code: flagErrorCode}, 125},
		{psCmd, &usageError{msg: "Must provide --password or --password-stdin"}, 1},
		{runCmd, &usageError{msg: "invalid volume specification"}, 125},
		{psCmd, newFlagSet("ps", true).checkArgs([]string{"x"}, 0, 0), 1},
		{runCmd, newFlagSet("run", false).checkArgs(nil, 1, noMax), 1},
		{runCmd, &statusError{code: 1, err: errors.New("the input device is not a TTY")}, 1},
		{runCmd, startFailure(&dock.StartError{Code: 127, Err: errors.New("not found")}), 127},
		{runCmd, startFailure(&dock.StartError{Code: 126, Err: errors.New("permission denied")}), 126},
		{runCmd, startFailure(errors.New("start container: cgroup")), 125},
	}
	for _, tt := range tests {
		if got := reportError(discard{}, discard{}, tt.cmd, tt.err); got != tt.want {
			t.Errorf("reportError(%s, %v) = %d, want %d", tt.cmd.name, tt.err, got, tt.want)
		}
	}
}

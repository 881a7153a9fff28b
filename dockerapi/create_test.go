package dockerapi

import (
	"encoding/json"
	"errors"
	"net/http"
	"net/netip"
	"os"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/go-dock/dock"
)

// createFrom decodes a create request's body as the server does.
func createFrom(t *testing.T, body string, version string) (*CreateSpec, error) {
	t.Helper()
	var req createRequest
	require.NoError(t, json.Unmarshal([]byte(body), &req))
	return CreateConfig(&req.CreateRequest, CreateOptions{Name: "/web", APIVersion: version, MacAddress: req.MacAddress})
}

func TestCreateConfig(t *testing.T) {
	// What docker run -d --name web -p 127.0.0.1:8080:80 -v /srv:/data:ro
	// --tmpfs /run:size=1m -e A=1 -l k=v -m 64m --cpus 1.5 --pids-limit 0
	// --restart on-failure:3 --cap-add NET_ADMIN --security-opt
	// no-new-privileges=false --init -w /app -u 1000:1000 --stop-signal
	// SIGINT --stop-timeout 5 --health-cmd true --network net1
	// --network-alias www --ip 10.9.0.5 --dns 1.1.1.1 --add-host h=1.2.3.4
	// --sysctl net.ipv4.ip_forward=1 --log-opt max-size=10m
	// --domainname example.com busybox sleep 1 sends, in part.
	body := `{
		"Hostname": "h", "Domainname": "example.com", "User": "1000:1000", "Tty": true, "OpenStdin": true, "StdinOnce": true,
		"ExposedPorts": {"443/tcp": {}, "53/udp": {}}, "Env": ["A=1"], "Cmd": ["sleep", "1"],
		"Healthcheck": {"Test": ["CMD-SHELL", "true"], "Interval": 2000000000, "Retries": 2},
		"Image": "busybox", "Volumes": {"/cache": {}, "/data": {}}, "WorkingDir": "/app", "Entrypoint": null,
		"Labels": {"k": "v"}, "StopSignal": "SIGINT", "StopTimeout": 5,
		"HostConfig": {
			"Binds": ["/srv:/data:ro"], "NetworkMode": "net1",
			"PortBindings": {"80/tcp": [{"HostIp": "127.0.0.1", "HostPort": "8080"}], "81/tcp": [{"HostIp": "", "HostPort": ""}]},
			"RestartPolicy": {"Name": "on-failure", "MaximumRetryCount": 3},
			"CapAdd": ["NET_ADMIN"], "CapDrop": null, "CgroupnsMode": "private", "Dns": ["1.1.1.1"], "DnsOptions": [],
			"DnsSearch": [], "ExtraHosts": ["h=1.2.3.4"], "IpcMode": "shareable", "PidMode": "", "UTSMode": "",
			"SecurityOpt": ["no-new-privileges=false", "seccomp=unconfined", "label=disable"],
			"Tmpfs": {"/run": "size=1m"}, "ShmSize": 1048576, "Sysctls": {"net.ipv4.ip_forward": "1"},
			"Memory": 67108864, "NanoCpus": 1500000000, "PidsLimit": -1, "MemorySwappiness": -1,
			"OomKillDisable": true, "OomScoreAdj": 10, "Init": true, "ReadonlyRootfs": true, "Privileged": false,
			"Ulimits": [{"Name": "nofile", "Soft": 10, "Hard": 20}],
			"Devices": [{"PathOnHost": "/dev/null", "PathInContainer": "/dev/n", "CgroupPermissions": ""}],
			"BlkioDeviceReadBps": [{"Path": "/dev/sda", "Rate": 1000}],
			"LogConfig": {"Type": "json-file", "Config": {"max-size": "10m", "max-file": "3"}},
			"GroupAdd": ["audio"], "ConsoleSize": [24, 80],
			"Mounts": [{"Type": "volume", "Source": "vol", "Target": "/vol", "VolumeOptions": {"NoCopy": true, "Labels": {"l": "1"}}},
				{"Type": "tmpfs", "Target": "/t", "TmpfsOptions": {"SizeBytes": 4096, "Mode": 1023}}]
		},
		"NetworkingConfig": {"EndpointsConfig": {
			"net1": {"Aliases": ["www"], "IPAMConfig": {"IPv4Address": "10.9.0.5"}, "MacAddress": "02:42:0a:09:00:05"},
			"net2": {"Aliases": ["api"]}
		}}
	}`
	spec, err := createFrom(t, body, "")
	require.NoError(t, err)
	cfg := spec.Config
	stop := 5 * time.Second
	want := dock.Config{
		Image: "busybox", Name: "web", Cmd: []string{"sleep", "1"}, Env: []string{"A=1"},
		WorkingDir: "/app", User: "1000:1000", GroupAdd: []string{"audio"}, Hostname: "h", Tty: true, OpenStdin: true, StdinOnce: true, Init: true,
		Network: "net1", NetworkAliases: []string{"www"}, IPv4Address: netip.MustParseAddr("10.9.0.5"), MacAddress: "02:42:0a:09:00:05",
		Ports: []dock.PortMapping{
			{HostIP: netip.MustParseAddr("127.0.0.1"), HostPort: 8080, ContainerPort: 80, Proto: "tcp"},
			{ContainerPort: 81, Proto: "tcp"},
		},
		ExposedPorts: []dock.Port{{Number: 443, Proto: "tcp"}, {Number: 53, Proto: "udp"}},
		DNS:          []netip.Addr{netip.MustParseAddr("1.1.1.1")}, DNSSearch: []string{}, DNSOptions: []string{},
		ExtraHosts: []string{"h:1.2.3.4"},
		ReadOnly:   true,
		Mounts: []dock.Mount{
			{Type: "bind", Source: "/srv", Target: "/data", ReadOnly: true},
			{Type: "volume", Source: "vol", Target: "/vol", NoCopy: true},
			{Type: "tmpfs", Target: "/t", Options: []string{"size=4096", "mode=1777"}},
			{Type: "tmpfs", Target: "/run", Options: []string{"size=1m"}},
			{Type: "volume", Target: "/cache"},
		},
		Resources: dock.Resources{Memory: 64 << 20, CPUs: 1.5, PIDs: -1, OOMKillDisable: true,
			BlkioDeviceReadBps: []dock.ThrottleDevice{{Path: "/dev/sda", Rate: 1000}}},
		Ulimits:            []dock.Ulimit{{Name: "nofile", Soft: 10, Hard: 20}},
		CapAdd:             []string{"NET_ADMIN"},
		AllowNewPrivileges: true, SeccompUnconfined: true, SELinuxLabel: []string{"disable"},
		IPC: "shareable", CgroupNS: "private", ShmSize: 1 << 20,
		Devices:       []dock.Device{{PathOnHost: "/dev/null", PathInContainer: "/dev/n", Permissions: "rwm"}},
		Sysctls:       map[string]string{"net.ipv4.ip_forward": "1", "kernel.domainname": "example.com"},
		OOMScoreAdj:   10,
		StopSignal:    "SIGINT",
		StopTimeout:   &stop,
		RestartPolicy: dock.RestartPolicy{Name: "on-failure", MaximumRetryCount: 3},
		Healthcheck:   &dock.Healthcheck{Test: []string{"CMD-SHELL", "true"}, Interval: 2 * time.Second, Retries: 2},
		Labels:        map[string]string{"k": "v"},
		Log:           dock.LogConfig{MaxSize: 10_000_000, MaxFiles: 3},
	}
	require.Equal(t, want, cfg)
	require.Equal(t, []NetworkEndpoint{{Network: "net2", Aliases: []string{"api"}}}, spec.Networks)
	require.Equal(t, dock.WindowSize{Rows: 24, Cols: 80}, spec.ConsoleSize)
	require.Equal(t, map[string]map[string]string{"vol": {"l": "1"}}, spec.VolumeLabels)
	require.Empty(t, spec.Warnings)
}

func TestCreateConfigDefaults(t *testing.T) {
	for _, tt := range []struct {
		name, body, version string
		check               func(t *testing.T, s *CreateSpec)
	}{
		{"bridge by default", `{"Image":"busybox"}`, "", func(t *testing.T, s *CreateSpec) {
			require.Equal(t, "bridge", s.Config.Network)
			require.Zero(t, s.Config.Resources.PIDs, "no PidsLimit: the library's default")
		}},
		{"default is the bridge", `{"Image":"busybox","HostConfig":{"NetworkMode":"default","PidsLimit":0},"NetworkingConfig":{"EndpointsConfig":{"default":{"Aliases":null}}}}`, "", func(t *testing.T, s *CreateSpec) {
			require.Equal(t, "bridge", s.Config.Network)
			require.Empty(t, s.Networks, "docker run's endpoint of the default network is the bridge's")
			require.Zero(t, s.Config.Resources.PIDs, "the CLI's PidsLimit 0: dock's default limit")
		}},
		{"bridge endpoint settings", `{"Image":"busybox","NetworkingConfig":{"EndpointsConfig":{"bridge":{"Aliases":["x"]}}}}`, "", func(t *testing.T, s *CreateSpec) {
			require.Equal(t, []string{"x"}, s.Config.NetworkAliases)
			require.Empty(t, s.Networks)
		}},
		{"NetworkDisabled", `{"Image":"busybox","NetworkDisabled":true}`, "", func(t *testing.T, s *CreateSpec) {
			require.Equal(t, "none", s.Config.Network)
		}},
		{"legacy MacAddress", `{"Image":"busybox","MacAddress":"02:42:ac:11:00:09"}`, "1.43", func(t *testing.T, s *CreateSpec) {
			require.Equal(t, "02:42:ac:11:00:09", s.Config.MacAddress)
		}},
		{"ConsoleSize before 1.42", `{"Image":"busybox","Tty":true,"HostConfig":{"ConsoleSize":[10,20]}}`, "1.41", func(t *testing.T, s *CreateSpec) {
			require.Zero(t, s.ConsoleSize)
		}},
		{"host network drops published ports", `{"Image":"busybox","HostConfig":{"NetworkMode":"host","PortBindings":{"80/tcp":[{}]}}}`, "", func(t *testing.T, s *CreateSpec) {
			require.Empty(t, s.Config.Ports)
			require.Equal(t, []string{"Published ports are discarded when using host network mode"}, s.Warnings)
		}},
		{"swappiness warns", `{"Image":"busybox","HostConfig":{"MemorySwappiness":60}}`, "", func(t *testing.T, s *CreateSpec) {
			require.Equal(t, []string{swappinessWarning}, s.Warnings)
		}},
		{"quota and period", `{"Image":"busybox","HostConfig":{"CpuQuota":50000,"CpuPeriod":100000}}`, "", func(t *testing.T, s *CreateSpec) {
			require.Equal(t, 0.5, s.Config.Resources.CPUs)
		}},
		{"entrypoint reset", `{"Image":"busybox","Entrypoint":[""]}`, "", func(t *testing.T, s *CreateSpec) {
			require.Equal(t, []string{""}, s.Config.Entrypoint)
		}},
		{"restart no", `{"Image":"busybox","HostConfig":{"RestartPolicy":{"Name":"no"},"AutoRemove":true}}`, "", func(t *testing.T, s *CreateSpec) {
			require.True(t, s.Config.AutoRemove)
			require.True(t, s.Config.RestartPolicy.IsNone())
		}},
		{"a volume a bind covers", `{"Image":"busybox","Volumes":{"/data":{}},"HostConfig":{"Binds":["v:/data/"]}}`, "", func(t *testing.T, s *CreateSpec) {
			require.Equal(t, []dock.Mount{{Type: "volume", Source: "v", Target: "/data/"}}, s.Config.Mounts)
		}},
		{"IPv6 host address", `{"Image":"busybox","HostConfig":{"PortBindings":{"80/udp":[{"HostIp":"::1","HostPort":"8000-8010"}]}}}`, "", func(t *testing.T, s *CreateSpec) {
			require.Equal(t, []dock.PortMapping{{HostIP: netip.MustParseAddr("::1"), HostPort: 8000, HostPortEnd: 8010, ContainerPort: 80, Proto: "udp"}}, s.Config.Ports)
		}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			s, err := createFrom(t, tt.body, tt.version)
			require.NoError(t, err)
			tt.check(t, s)
		})
	}
}

func TestCreateConfigRefusals(t *testing.T) {
	for _, tt := range []struct {
		name, body, version, msg string
	}{
		{"no config", `{}`, "", "config cannot be empty in order to create a container"},
		{"no image", `{"Cmd":["true"]}`, "", "no image specified"},
		{"relative workdir", `{"Image":"b","WorkingDir":"app"}`, "", "the working directory 'app' is invalid, it needs to be an absolute path"},
		{"bad stop signal", `{"Image":"b","StopSignal":"SIGNOPE"}`, "", "invalid signal: SIGNOPE"},
		{"short interval", `{"Image":"b","Healthcheck":{"Interval":10}}`, "", "Interval in Healthcheck cannot be less than 1ms"},
		{"negative retries", `{"Image":"b","Healthcheck":{"Retries":-1}}`, "", "Retries in Healthcheck cannot be negative"},
		{"bad health test", `{"Image":"b","Healthcheck":{"Test":["RUN","x"]}}`, "", `unknown type for healthcheck test: "RUN"`},
		{"relative volume", `{"Image":"b","Volumes":{"data":{}}}`, "", "invalid volume specification: 'data': destination must be an absolute path"},
		{"bad bind", `{"Image":"b","HostConfig":{"Binds":["/a:/b:rx"]}}`, "", "invalid mode: rx"},
		{"bind parts", `{"Image":"b","HostConfig":{"Binds":["a:b:c:d"]}}`, "", `invalid volume specification: "a:b:c:d"`},
		{"duplicate mount", `{"Image":"b","HostConfig":{"Binds":["/a:/b"],"Tmpfs":{"/b":""}}}`, "", "Duplicate mount point: /b"},
		{"relative tmpfs", `{"Image":"b","HostConfig":{"Tmpfs":{"run":""}}}`, "", `invalid tmpfs: "run": the path must be absolute`},
		{"mount type", `{"Image":"b","HostConfig":{"Mounts":[{"Type":"npipe","Source":"x","Target":"/x"}]}}`, "", `mount type "npipe" is not supported: only bind, volume and tmpfs`},
		{"mount no target", `{"Image":"b","HostConfig":{"Mounts":[{"Type":"bind","Source":"/x"}]}}`, "", `invalid mount config for type "bind": field Target must not be empty`},
		{"bind no source", `{"Image":"b","HostConfig":{"Mounts":[{"Type":"bind","Target":"/x"}]}}`, "", `invalid mount config for type "bind": field Source must not be empty`},
		{"tmpfs source", `{"Image":"b","HostConfig":{"Mounts":[{"Type":"tmpfs","Source":"x","Target":"/x"}]}}`, "", `invalid mount config for type "tmpfs": field Source must not be specified`},
		{"bind options on volume", `{"Image":"b","HostConfig":{"Mounts":[{"Type":"volume","Target":"/x","BindOptions":{}}]}}`, "", `invalid mount config for type "volume": field BindOptions must not be specified`},
		{"shared propagation", `{"Image":"b","HostConfig":{"Mounts":[{"Type":"bind","Source":"/x","Target":"/x","BindOptions":{"Propagation":"shared"}}]}}`, "", "bind propagation shared is not supported by dock"},
		{"volume driver", `{"Image":"b","HostConfig":{"VolumeDriver":"nfs"}}`, "", "volume driver nfs is not supported: only local volumes"},
		{"bad port", `{"Image":"b","HostConfig":{"PortBindings":{"80/tcp":[{"HostPort":"x"}]}}}`, "", `port spec "x:80/tcp": invalid hostPort: x: invalid port 'x': invalid syntax`},
		{"restart policy", `{"Image":"b","HostConfig":{"RestartPolicy":{"Name":"sometimes"}}}`, "", "invalid restart policy: unknown policy 'sometimes'; use one of 'no', 'always', 'on-failure', or 'unless-stopped'"},
		{"restart count", `{"Image":"b","HostConfig":{"RestartPolicy":{"Name":"always","MaximumRetryCount":2}}}`, "", "invalid restart policy: maximum retry count can only be used with 'on-failure'"},
		{"restart and rm", `{"Image":"b","HostConfig":{"RestartPolicy":{"Name":"always"},"AutoRemove":true}}`, "", "can't create 'AutoRemove' container with restart policy"},
		{"negative memory", `{"Image":"b","HostConfig":{"Memory":-1}}`, "", "invalid memory limit: -1"},
		{"swap without memory", `{"Image":"b","HostConfig":{"MemorySwap":100}}`, "", "You should always set the Memory limit when using Memoryswap limit, see usage"},
		{"nano and quota", `{"Image":"b","HostConfig":{"NanoCpus":1,"CpuQuota":2000}}`, "", "Conflicting options: Nano CPUs and CPU Period cannot both be set"},
		{"negative shares", `{"Image":"b","HostConfig":{"CpuShares":-5}}`, "", "invalid CPU shares: -5"},
		{"swappiness range", `{"Image":"b","HostConfig":{"MemorySwappiness":101}}`, "", "Invalid value: 101, valid memory swappiness range is 0-100"},
		{"gpus", `{"Image":"b","HostConfig":{"DeviceRequests":[{"Driver":"","Count":-1,"Capabilities":[["gpu"]]}]}}`, "", `could not select device driver "" with capabilities: [[gpu]]`},
		{"cgroup parent", `{"Image":"b","HostConfig":{"CgroupParent":"/x"}}`, "", "CgroupParent is not supported by dock"},
		{"links", `{"Image":"b","HostConfig":{"Links":["a:b"]}}`, "", "links are not supported: dock has no legacy container links"},
		{"volumes from", `{"Image":"b","HostConfig":{"VolumesFrom":["x"]}}`, "", "VolumesFrom is not supported by dock"},
		{"runtime", `{"Image":"b","HostConfig":{"Runtime":"kata"}}`, "", "unknown or invalid runtime name: kata"},
		{"userns", `{"Image":"b","HostConfig":{"UsernsMode":"private"}}`, "", "invalid USER mode: private"},
		{"ipc", `{"Image":"b","HostConfig":{"IpcMode":"weird"}}`, "", "invalid IPC mode: weird"},
		{"pid", `{"Image":"b","HostConfig":{"PidMode":"weird"}}`, "", "invalid PID mode: weird"},
		{"cgroupns", `{"Image":"b","HostConfig":{"CgroupnsMode":"weird"}}`, "", "invalid cgroup namespace mode: weird"},
		{"security opt", `{"Image":"b","HostConfig":{"SecurityOpt":["nonsense"]}}`, "", `Invalid --security-opt: "nonsense"`},
		{"security opt key", `{"Image":"b","HostConfig":{"SecurityOpt":["foo=bar"]}}`, "", `invalid --security-opt 2: "foo=bar"`},
		{"shm", `{"Image":"b","HostConfig":{"ShmSize":-1}}`, "", "SHM size can not be less than 0"},
		{"log driver", `{"Image":"b","HostConfig":{"LogConfig":{"Type":"syslog"}}}`, "", "failed to create logger: logger: no log driver named 'syslog' is registered"},
		{"log opt", `{"Image":"b","HostConfig":{"LogConfig":{"Config":{"labels":"x"}}}}`, "", "unknown log opt 'labels' for json-file log driver"},
		{"masked paths", `{"Image":"b","HostConfig":{"MaskedPaths":[]}}`, "", "MaskedPaths and ReadonlyPaths (systempaths=unconfined) is not supported by dock"},
		{"two networks before 1.44", `{"Image":"b","NetworkingConfig":{"EndpointsConfig":{"a":{},"b":{}}}}`, "1.43", "Container cannot be connected to network endpoints: a, b"},
		{"mac on a second network", `{"Image":"b","HostConfig":{"NetworkMode":"a"},"NetworkingConfig":{"EndpointsConfig":{"a":{},"b":{"MacAddress":"02:42:ac:11:00:09"}}}}`, "", "a MAC address can only be set on the container's first network (a)"},
		{"v6 as v4", `{"Image":"b","NetworkingConfig":{"EndpointsConfig":{"bridge":{"IPAMConfig":{"IPv4Address":"::1"}}}}}`, "", "invalid IPv4 address: ::1"},
		{"huge console", `{"Image":"b","HostConfig":{"ConsoleSize":[70000,1]}}`, "", "invalid console size: 70000x1"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			_, err := createFrom(t, tt.body, tt.version)
			var ae *apiError
			require.True(t, errors.As(err, &ae), "CreateConfig(%s) = %v, want an apiError", tt.body, err)
			require.Equal(t, http.StatusBadRequest, ae.status)
			require.Equal(t, tt.msg, ae.msg)
		})
	}
	spec, err := CreateConfig(nil, CreateOptions{})
	require.Nil(t, spec)
	require.Error(t, err)
	var req createRequest
	require.NoError(t, json.Unmarshal([]byte(`{"Image":"b"}`), &req))
	_, err = CreateConfig(&req.CreateRequest, CreateOptions{Name: "-x"})
	require.EqualError(t, err, "Invalid container name (-x), only [a-zA-Z0-9][a-zA-Z0-9_.-] are allowed")
}

// FuzzCreateConfig feeds CreateConfig the bodies a client may send: it
// never panics, and what it accepts names an image.
func FuzzCreateConfig(f *testing.F) {
	for _, s := range []string{
		`{"Image":"busybox"}`,
		`{"Image":"b","HostConfig":{"Binds":["/a:/b:ro"],"PortBindings":{"80/tcp":[{"HostIp":"::","HostPort":"1-2"}]},"Tmpfs":{"/t":"size=1"}}}`,
		`{"Image":"b","HostConfig":{"Mounts":[{"Type":"tmpfs","Target":"/x","TmpfsOptions":{"Options":[["a","b","c"]]}}]}}`,
		`{"Image":"b","Volumes":{"/v":{}},"NetworkingConfig":{"EndpointsConfig":{"n":null,"m":{"IPAMConfig":{}}}}}`,
		`{"Image":"b","HostConfig":{"PidsLimit":-5,"BlkioDeviceReadBps":[null],"Ulimits":[null],"LogConfig":{"Config":{"max-size":"-1"}}}}`,
	} {
		f.Add([]byte(s), "1.44")
	}
	f.Fuzz(func(t *testing.T, body []byte, version string) {
		var req createRequest
		if json.Unmarshal(body, &req) != nil {
			return
		}
		spec, err := CreateConfig(&req.CreateRequest, CreateOptions{APIVersion: version, MacAddress: req.MacAddress})
		if err != nil {
			var ae *apiError
			if !errors.As(err, &ae) || ae.status != http.StatusBadRequest {
				t.Fatalf("CreateConfig(%s) = %v, want a 400", body, err)
			}
			return
		}
		if spec.Config.Image == "" || spec.Config.Network == "" {
			t.Fatalf("CreateConfig(%s) = %+v: no image or network", body, spec.Config)
		}
	})
}

// TestCreateConfigDockerCLI reads the body Docker's CLI 28 sent for
// docker run -d --name s1 busybox sh -c '...': Docker's defaults, the
// "default" network and its endpoint, PidsLimit 0.
func TestCreateConfigDockerCLI(t *testing.T) {
	body, err := os.ReadFile("testdata/create-docker-cli-28-run-d.json")
	require.NoError(t, err)
	spec, err := createFrom(t, string(body), "1.50")
	require.NoError(t, err)
	require.Equal(t, "bridge", spec.Config.Network)
	require.Empty(t, spec.Networks)
	require.Empty(t, spec.Warnings)
	require.Zero(t, spec.Config.Resources.PIDs)
	require.Equal(t, []string{"sh", "-c", "echo hello; sleep 100"}, spec.Config.Cmd)
	require.Nil(t, spec.Config.Mounts)
}

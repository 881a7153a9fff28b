// Package dock runs Linux containers from OCI images, with no daemon: a Go
// program opens an Engine on a state directory and imports, runs and
// manages images and containers through it.
//
// # Overview
//
// An Engine is a handle on a state directory (by default the CLI uses
// /var/lib/dock). Open creates it when missing; several processes may open
// the same directory at once, and every change is locked and atomic:
//
//	eng, err := dock.Open("/var/lib/dock")
//	if err != nil { ... }
//	defer eng.Close()
//
// The state directory is an OCI image layout (index.json, blobs/) that
// skopeo and umoci can read, plus the unpacked layers, containers and
// volumes that live beside it.
//
// # Images
//
// Import stores a root filesystem, given as a tar stream (plain or gzip)
// or a directory, as a one-layer OCI image, as docker import does:
//
//	img, err := eng.Import(ctx, tarStream, "app:dev",
//		dock.ImportConfig(ocispec.ImageConfig{Cmd: []string{"/app"}}))
//
// Pull fetches an image from a registry (docker's references: "busybox" is
// docker.io/library/busybox:latest), streaming each layer once through
// verification and unpacking; Push sends what the registry lacks:
//
//	img, err = eng.Pull(ctx, "registry.example.com/app:1", dock.WithProgress(fn))
//	img, err = eng.Push(ctx, "registry.example.com/app:2") // img.Digest: as the registry has it
//
// Credentials come from docker's config.json (and its credential helpers)
// or WithCredentials; Open's WithRegistryConfig sets insecure registries
// and mirrors. Login checks credentials with a registry and stores them
// there, as docker login does (Logout removes them).
//
// Build makes an image from a Dockerfile and a context directory, running
// each RUN in a container; Commit makes one from a container's changes:
//
//	img, err = eng.Build(ctx, "./app", dock.BuildTag("app:dev"), dock.BuildArg("V", "1"))
//
// Build follows the Dockerfile reference (BuildKit's semantics where the
// classic builder differs: here-documents, RUN --mount with cache, bind,
// tmpfs and secret mounts, BuildSecret), caches each step, and goes to a
// registry only when asked to: BuildPull(dock.PullMissing) pulls missing
// base images as docker build does. BuildSourceDateEpoch makes the same
// context build to the same image ID anywhere.
//
// Images, Image, Tag and RemoveImage list, inspect, tag and remove them;
// Prune removes dangling images (untagged, with no child image) with the
// intermediate images of their builds, or every unused image with
// PruneAll, then what no image uses. Save and Load write and read archives
// in the format of docker save (or OCI archives), which docker load,
// skopeo and podman read. Each layer is unpacked once, safely (no path can
// escape the layer), and shared by every image that has it.
//
// # Containers
//
// A Container follows os/exec: create it from a Config, set its stdio
// fields, Start it, Wait for it. The exit code is data, not an error:
//
//	c, err := eng.Create(ctx, dock.Config{
//		Image:     "app:dev",
//		Cmd:       []string{"serve"},
//		Resources: dock.Resources{Memory: 256 << 20, CPUs: 1.5, PIDs: 512},
//	})
//	c.Stdout, c.Stderr = os.Stdout, os.Stderr
//	err = c.Start(ctx)
//	st, err := c.Wait(ctx) // st.Code, st.OOMKilled
//
// Engine.Run does Create, Start, Wait and Remove in one call; a Config
// with AutoRemove is removed once it exits, as docker run --rm is. Exec runs
// another process in a running container. StartDetached hands the
// container to a small monitor process (no Go runtime; about 360 KiB
// resident when the program is linked statically, as scripts/build-cli.sh
// builds the CLI, about 1 MiB otherwise) so that it outlives the program:
// another process that opens the same root can Wait for it, Kill it, read
// its Logs and Remove it, and Attach to its live streams through its
// monitor's socket (docker attach: the output, the input with
// Config.OpenStdin, Resize of its terminal, and the detach keys, from any
// number of clients, before or after its start). Restart stops a container and starts it again
// detached, as docker restart does; Top lists its processes through the
// host's ps, as docker top does. Rename renames a container and Update
// changes its resource limits, running or not (kept beside its record,
// which never changes). Every container's output is also kept in its
// log, in Docker's json-file format, rotated as Config.Log says: by
// default at 20 MiB, keeping 5 files (Docker's local driver's bound), so
// that no container can fill the disk through its output.
//
// Config.RestartPolicy (docker run --restart) and Config.Healthcheck
// (--health-*, or the image's HEALTHCHECK) work with no daemon: a
// detached container's monitor runs the health checks and, when the
// container exits, hands it to the restart policy, which starts it again
// after Docker's back-off; the state on disk (State, Health) says where
// it is. After a reboot, Engine.RestoreContainers starts what Docker's
// daemon would start.
//
// Each container gets new mount, PID, UTS, IPC, network and cgroup
// namespaces, unless its Config shares one with the host or joins
// another container's (Network, IPC, PID, UTS, CgroupNS: docker run's
// --network, --ipc, --pid, --uts, --cgroupns), and a user namespace when
// UIDMap and GIDMap are set. Sysctls, Devices and DeviceCgroupRules,
// ShmSize, OOMScoreAdj and the block I/O limits of Resources are docker
// run's options of those names; what the kernel cannot do and Docker
// discards is discarded by Create too, with Docker's warning
// (Container.Warnings). Its root filesystem is an overlay of the
// image's layers and a writable layer of its own, mounted inside the
// container's mount namespace, so that nothing is left mounted on the
// host if the program dies. The security profile is Docker's default or
// stricter: its capability set, its seccomp profile, masked and read-only
// paths, the device allowlist, and no_new_privs (see
// Config.AllowNewPrivileges); Privileged lifts it.
//
// # Volumes
//
// Mounts of Type "volume" name a volume under the state directory
// (CreateVolume, Volumes, RemoveVolume). A volume mount without a Source,
// and each VOLUME of the image that no mount covers, gets an anonymous
// volume with a random 64-character name. When Create mounts an empty
// volume over a directory of the image, it first copies that directory
// into it, as Docker does; Mount.NoCopy turns this off. The copy is
// resolved inside the image's own root filesystem, so an image's symlinks
// never reach host files; with a user namespace the copies are owned
// through the ID maps. Volumes outlive their containers:
// Remove(ctx, RemoveVolumes()), Engine.Run and Config.AutoRemove
// remove a container's anonymous volumes (never named ones, never one that
// another container mounts), and PruneVolumes removes unused anonymous
// volumes.
//
// # Copying files
//
// Container.StatPath, ArchivePath and ExtractToDir are "docker cp" (and
// the Engine API's /containers/{id}/archive HEAD, GET and PUT): they read
// and write a container's files as tar streams, running or not, with its
// volumes and bind mounts where it has them; Export ("docker export") and
// Changes ("docker diff") read its root filesystem and its writable layer.
// A container is untrusted: the engine reaches its files through a view
// of its own (a private mount namespace, never seen by the host or the
// container: the container's root filesystem, for a running container a
// clone of its live root mount, with its volumes and bind mounts on top),
// resolves each path once inside that root (openat2 RESOLVE_IN_ROOT), and
// goes on from descriptors only, so that no symlink the container makes,
// or swaps in while a copy runs, leads to the host's files. While a copy
// is open, Start of that container fails with ErrRunning. The namespace
// work runs on one OS thread that the engine keeps for the life of the
// process.
//
// # Events
//
// Engine.Events returns what happens to the state directory's
// containers, images, volumes and networks, in Docker's shape (docker
// events): the recorded events from a time on, then those to come, from
// every process on the root, until ctx ends. With no daemon to hand them
// out, each process appends them to a log in the root (the last MiB of
// them at least is kept), and the monitor of a detached container writes
// its die and removal there itself.
//
// # Disk usage
//
// DiskUsage measures images, containers, volumes and the build cache
// (docker system df); PruneSystem removes what nothing uses (docker
// system prune), and PruneContainers, PruneBuildCache, Prune,
// PruneVolumes and PruneNetworks each kind. History lists an image's
// steps (docker history).
//
// # Networks
//
// CreateNetwork defines a bridge network, with Docker's options as
// NetworkSubnet, NetworkGateway, NetworkIPRange, NetworkInternal,
// NetworkIPv6, NetworkLabel and NetworkDriverOpt; without a subnet it
// takes the first of Docker's default pools that no other network, route
// of the host or nameserver uses. Networks lists them with the predefined
// bridge, host and none; Network finds one by name, ID or ID prefix;
// RemoveNetwork and PruneNetworks remove them. Only the definitions exist
// so far: a container's Config.Network is still "none" or "host".
//
// # The init re-exec
//
// Go cannot fork into new namespaces and go on running Go code, so a
// container's first process is this program's own binary, re-executed
// with an environment variable that a small C constructor (in
// internal/nsinit, linked in by importing dock) recognises before the Go
// runtime starts: it sets up the container from a plan the engine sends,
// and executes the user's process. No code of the embedding program ever
// runs in the container, and the embedding program needs no extra line:
// importing the package is enough, also in test binaries. The binary is
// executed through a read-only mount of itself, so that a container
// cannot overwrite it through /proc/PID/exe (CVE-2019-5736).
//
// A program that starts one container per run can have that init made
// as it starts instead, with one line, import _
// "github.com/go-dock/dock/prespawn": the same constructor then forks,
// before the Go runtime starts, a process that clones the init and exits;
// the first attached Start takes it, without a clone or an exec of its
// own (the example CLI does this).
//
// # Options
//
// Calls with many optional behaviours take functional options, named
// after the call they change: BuildTag, CommitAuthor, NetworkSubnet,
// ImportConfig, LoadPlatform, SaveFormat, ImagesAll, PruneAll,
// RemoveForce. An option that several calls share is named With...:
// WithPlatform, WithProgress, WithCredentials and WithConcurrency (Pull,
// Push, Build's pulls), and Open's WithLogger and WithRegistryConfig.
// Options validate their input and state their default.
//
// # Requirements
//
// Containers need Linux 5.12 or later (openat2, mount_setattr, pidfd,
// close_range), root, overlayfs, and cgo (for the init constructor; with
// CGO_ENABLED=0 Start returns ErrUnsupported). cgroup v1, the hybrid
// layout and cgroup v2 are supported. On other systems the package builds,
// images work, and container calls return ErrUnsupported.
package dock

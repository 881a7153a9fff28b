#!/bin/sh
# Docker's everyday surface, side by side: runs one list of commands (run,
# exec, logs, ps, images, inspect, cp, stop, volume, network, save and
# load, info, what a container sees...) against dock and, when dockerd is
# installed, against docker, and prints for each whether the two match:
# the exit code, and the standard output after --format and after
# normalisation (IDs, times, addresses, state directories become
# placeholders). A difference prints both exit codes, the diff of the
# outputs and the first lines of each stderr; a command dock lacks prints
# "missing". The count comes last. Without dockerd (or with DOCKER=0) it
# runs dock alone and prints each exit code and output.
#
# Run as root from the repository: sudo bench/docker-surface.sh [PATTERN]
# (PATTERN, an extended regular expression, keeps only the commands whose
# names match it: a command that uses what an earlier one made, such as
# the container d1 of run_detach, needs that one in the pattern too). DOCKER_CLI picks the docker
# client (default /usr/bin/docker, Debian's, the daemon's version);
# DIFF_LINES how many lines of each difference to print (default 12).
#
# Nothing touches the machine's network or state: everything runs in a
# network and mount namespace of its own (unshare) with a private /run and
# a tmpfs for both state directories; dockerd runs in a network namespace
# of its own inside it (its bridge and iptables rules die with it), with
# its containers under the cgroup dock-surface-docker, removed at the end.
set -eu
cd "$(dirname "$0")/.."
if [ "${DOCK_SURFACE_INSIDE:-}" != 1 ]; then
	[ "$(id -u)" = 0 ] || { echo "bench/docker-surface.sh: run as root" >&2; exit 1; }
	for t in jq unshare ip; do
		command -v $t >/dev/null || { echo "bench/docker-surface.sh: $t is missing (apt-get install jq util-linux iproute2)" >&2; exit 1; }
	done
	[ -x /bin/busybox ] || { echo "bench/docker-surface.sh: /bin/busybox is missing (apt-get install busybox-static)" >&2; exit 1; }
	exec env DOCK_SURFACE_INSIDE=1 unshare --net --mount --propagation private "$0" "$@"
fi
ONLY=${1:-.}
mount -t tmpfs tmpfs /run
ip link set lo up
W=$(mktemp -d /tmp/dock-surface.XXXXXX)
mount -t tmpfs tmpfs "$W"
T=$W/t
mkdir -p "$T"

DOCKER_CLI=${DOCKER_CLI:-/usr/bin/docker}
WITH_DOCKER=1
if [ "${DOCKER:-1}" = 0 ] || ! command -v dockerd >/dev/null || [ ! -x "$DOCKER_CLI" ]; then
	WITH_DOCKER=0
fi
DOCK="$W/dock --root $W/dock-root"
DOCKER="$DOCKER_CLI -H unix://$W/docker.sock"

cleanup() {
	set +e
	if [ -f "$W/dockerd.pid" ]; then
		# Containers first: their shims outlive a stopped dockerd.
		ids=$($DOCKER ps -aq 2>/dev/null)
		[ -z "$ids" ] || $DOCKER rm -f $ids >/dev/null 2>&1
		kill "$(cat "$W/dockerd.pid")" 2>/dev/null
		for _ in $(seq 150); do [ -f "$W/dockerd.pid" ] || break; sleep 0.2; done
		for d in /sys/fs/cgroup/*/dock-surface-docker; do
			[ -d "$d" ] && rmdir "$d"/*/ "$d" 2>/dev/null
		done
	fi
	ids=$($DOCK ps -aq 2>/dev/null)
	[ -z "$ids" ] || $DOCK rm -f $ids >/dev/null 2>&1
	umount -l "$W" 2>/dev/null
	rmdir "$W" 2>/dev/null
}
trap cleanup EXIT

./scripts/build-cli.sh "$W/dock"

# The image: busybox-static with root, nobody and the usual directories,
# imported into dock, saved by dock and loaded by docker.
R=$W/rootfs
mkdir -p "$R/bin" "$R/etc" "$R/root" "$R/tmp" "$R/proc" "$R/sys" "$R/dev"
chmod 1777 "$R/tmp"
chmod 700 "$R/root"
cp /bin/busybox "$R/bin/busybox"
for a in $(/bin/busybox --list); do [ "$a" = busybox ] || ln -sf busybox "$R/bin/$a"; done
printf 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/bin/false\n' >"$R/etc/passwd"
printf 'root:x:0:\nnogroup:x:65534:\n' >"$R/etc/group"
tar -C "$R" -cf "$W/rootfs.tar" .
$DOCK import -c 'CMD ["sh"]' "$W/rootfs.tar" busybox:latest >/dev/null
$DOCK save -o "$W/busybox.tar" busybox:latest

if [ $WITH_DOCKER = 1 ]; then
	unshare --net sh -c "ip link set lo up; exec dockerd --data-root $W/docker-root --exec-root $W/docker-exec -H unix://$W/docker.sock --pidfile $W/dockerd.pid --cgroup-parent dock-surface-docker" >"$W/dockerd.log" 2>&1 &
	for _ in $(seq 150); do $DOCKER info >/dev/null 2>&1 && break; sleep 0.2; done
	if ! $DOCKER info >/dev/null 2>&1; then
		echo "dockerd did not start:" >&2
		tail -20 "$W/dockerd.log" >&2
		exit 1
	fi
	$DOCKER load -i "$W/busybox.tar" >/dev/null
	echo "dock ($(git describe --always --dirty 2>/dev/null || echo '?')) beside docker $($DOCKER version --format '{{.Server.Version}}') (client $($DOCKER version --format '{{.Client.Version}}')), $(date -u +%FT%TZ), $(uname -r)"
else
	echo "dock ($(git describe --always --dirty 2>/dev/null || echo '?')) alone: no dockerd (or DOCKER=0), $(date -u +%FT%TZ), $(uname -r)"
fi
echo

# normalize makes the output of both comparable: IDs, times, addresses,
# state directories and uptimes become placeholders.
cat >"$W/normalize.sed" <<EOF
s#$W/dock-root#<ROOT>#g
s#$W/docker-root#<ROOT>#g
s/sha256:[0-9a-f]{64}/sha256:<ID>/g
s/\b[0-9a-f]{64}\b/<ID>/g
s/\b[0-9a-f]{12}\b/<ID12>/g
s/[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]+)?(Z|[+-][0-9]{2}:[0-9]{2})/<TIME>/g
s/(Up|ago|Exited \([0-9-]+\)) (Less than a second|About an? [a-z]+|[0-9]+ [a-z]+)/\1 <T>/g
s/Exited \(([0-9-]+)\) (Less than a second|About an? [a-z]+|[0-9]+ [a-z]+) ago/Exited (\1) <T> ago/g
s/127\.0\.0\.1/@LO@/g
s/0\.0\.0\.0/@ANY@/g
s/\b[0-9]{1,3}(\.[0-9]{1,3}){3}(\/[0-9]+)?\b/<IP>/g
s/@LO@/127.0.0.1/g
s/@ANY@/0.0.0.0/g
EOF

# Known reasons of differences that several commands share.
API_KEYS="dock speaks the Engine API types of moby/api v1.57 (Docker 29): keys that Docker 20.10 had and later versions dropped, or added since"
IPV6_PORTS="docker 20.10 also publishes on [::] (its userland proxy); dock publishes IPv4 only"

total=0 matched=0 differed=0 missing=0 differs="" lacks=""

# one TOOL CLI SNIPPET runs the snippet with X set to the tool's command
# line (and N to its name, for files of its own under T), into
# W/out.TOOL, W/err.TOOL and W/rc.TOOL.
one() {
	rc=0
	X=$2 N=$1 T=$T W=$W timeout 120 sh -c "$3" >"$W/out.$1" 2>"$W/err.$1" </dev/null || rc=$?
	echo $rc >"$W/rc.$1"
}

# c NAME SNIPPET [WHY] runs the snippet against dock, then docker, and
# compares them, normalised. WHY, when given, is the known reason of a
# difference, printed with it. craw compares the output as it is.
c() { compare norm "$@"; }
craw() { compare raw "$@"; }
compare() {
	mode=$1 name=$2 snippet=$3 why=${4:-}
	echo "$name" | grep -Eq -- "$ONLY" || return 0
	total=$((total + 1))
	one dock "$DOCK" "$snippet"
	if [ $WITH_DOCKER = 0 ]; then
		printf '%-28s exit %s\n' "$name" "$(cat "$W/rc.dock")"
		sed 's/^/    /' "$W/out.dock" | head -8
		sed 's/^/    stderr: /' "$W/err.dock" | head -3
		return 0
	fi
	one docker "$DOCKER" "$snippet"
	for t in dock docker; do
		if [ "$mode" = norm ]; then
			sed -E -f "$W/normalize.sed" "$W/out.$t" >"$W/cmp.$t"
		else
			cp "$W/out.$t" "$W/cmp.$t"
		fi
	done
	rc_dock=$(cat "$W/rc.dock") rc_docker=$(cat "$W/rc.docker")
	if [ "$rc_dock" = "$rc_docker" ] && cmp -s "$W/cmp.dock" "$W/cmp.docker"; then
		matched=$((matched + 1))
		printf 'match   %s\n' "$name"
		return 0
	fi
	if grep -Eq "^dock: unknown command|^unknown (shorthand )?flag" "$W/err.dock"; then
		missing=$((missing + 1))
		lacks="$lacks $name"
		printf 'missing %s: %s\n' "$name" "$(head -1 "$W/err.dock")"
		return 0
	fi
	differed=$((differed + 1))
	differs="$differs $name"
	printf 'differ  %s\n' "$name"
	[ -z "$why" ] || printf '    known: %s\n' "$why"
	[ "$rc_dock" = "$rc_docker" ] || printf '    exit: dock %s, docker %s\n' "$rc_dock" "$rc_docker"
	diff -U0 --label dock --label docker "$W/cmp.dock" "$W/cmp.docker" | sed '1,2d; s/^/    /' | head -"${DIFF_LINES:-12}"
	for t in dock docker; do
		[ -s "$W/err.$t" ] && sed "s/^/    $t stderr: /" "$W/err.$t" | head -2
	done
	return 0
}

# The image that dock saved and docker loaded: the same ID.
craw image_id_after_load '$X images -q --no-trunc busybox'
c load_dock_save '$X load -i $W/busybox.tar'

# run: exit codes and flags.
c run_true '$X run --rm busybox true'
c run_exit_code '$X run --rm busybox sh -c "exit 3"'
c run_cmd_not_found '$X run --rm busybox nosuchcommand'
c run_cmd_not_executable '$X run --rm busybox /etc/passwd'
c run_no_image '$X run --rm --pull never nosuch:1 true'
c run_bad_flag '$X run --bogus busybox true'
c run_no_args '$X run'
c run_env '$X run --rm -e A=1 -e B=two -e UNSET_HERE busybox sh -c "echo \$A \$B \${UNSET_HERE-unset}"'
c run_env_file 'printf "F=1\n# comment\nG=x y\n" >$T/envf; $X run --rm --env-file $T/envf busybox sh -c "echo \$F/\$G"'
c run_workdir '$X run --rm -w /new/dir busybox pwd'
c run_user_ids '$X run --rm -u 1000:1000 busybox id'
c run_user_name '$X run --rm -u nobody busybox id'
c run_user_unknown '$X run --rm -u nosuchuser busybox id'
c run_hostname '$X run --rm -h myhost busybox hostname'
c run_entrypoint '$X run --rm --entrypoint echo busybox a b'
c run_stdin 'echo piped | $X run --rm -i busybox cat'
c run_no_stdin 'echo piped | $X run --rm busybox cat'
c run_tty '$X run --rm -t busybox tty'
c run_rm_removes '$X run --rm --name rmme busybox true; $X ps -aq --filter name=rmme | wc -l'
c run_detach '$X run -d --name d1 busybox sh -c "echo out; echo err >&2; exec sleep 1000"'
c run_name_in_use '$X run -d --name d1 busybox true'
c run_read_only '$X run --rm --read-only busybox touch /x'
c run_tmpfs '$X run --rm --tmpfs /t busybox sh -c "grep \" /t \" /proc/mounts | cut -d\" \" -f3,4"'
c run_volume_named '$X run --rm -v vol1:/data busybox sh -c "echo hi >/data/f" && $X run --rm -v vol1:/data busybox cat /data/f'
c run_bind_ro 'mkdir -p $T/b && echo bound >$T/b/f && $X run --rm -v $T/b:/b:ro busybox sh -c "cat /b/f; touch /b/g"'
c run_memory '$X run --rm -m 64m busybox cat /sys/fs/cgroup/memory/memory.limit_in_bytes'
c run_cap_drop '$X run --rm --cap-drop ALL busybox grep CapEff /proc/self/status'
c run_cap_add '$X run --rm --cap-add NET_ADMIN busybox grep CapEff /proc/self/status'
c run_network_none '$X run --rm --network none busybox sh -c "ip -o link | cut -d: -f2; ping -c1 -W2 127.0.0.1 >/dev/null && echo lo-ok"'
c run_init '$X run --rm --init busybox ps -o pid,comm' 'the init of --init is dock'"'"'s own, not docker-init (tini)'
c run_publish '$X run -d --name web -p 8080:80 busybox sleep 1000'
c port '$X port web' "$IPV6_PORTS"
c port_one '$X port web 80/tcp' "$IPV6_PORTS"
c port_none '$X port web 81'
c run_label '$X run -d --name lab -l a=1 -l b busybox true >/dev/null; $X wait lab; $X inspect -f "{{json .Config.Labels}}" lab'

# What a container sees.
c files_root '$X run --rm busybox ls /'
c files_dev '$X run --rm busybox ls /dev'
c files_dev_modes '$X run --rm busybox sh -c "stat -c \"%A %U %n\" /dev/* | sort -k3"'
c files_etc '$X run --rm busybox ls /etc'
c files_hosts '$X run --rm busybox cat /etc/hosts'
c files_hostname '$X run --rm busybox cat /etc/hostname'
c files_resolv '$X run --rm busybox cat /etc/resolv.conf'
c files_mtab '$X run --rm busybox readlink /etc/mtab'
c files_mounts '$X run --rm busybox cut -d" " -f2,3 /proc/mounts | sort' 'dock masks /proc/interrupts, as Docker 25 and later do'
c files_mount_options '$X run --rm busybox cut -d" " -f2,4 /proc/mounts | sort'
c files_env '$X run --rm busybox env'
c files_id '$X run --rm busybox id'
c files_caps '$X run --rm busybox grep Cap /proc/self/status'
c files_security '$X run --rm busybox grep -E "^(NoNewPrivs|Seccomp):" /proc/self/status' 'dock sets no_new_privs by default (documented)'
c files_ulimits '$X run --rm busybox sh -c "ulimit -a"'
c files_pid1 '$X run --rm busybox sh -c "cat /proc/1/cmdline | tr \"\0\" \" \"; echo; ps -o pid,comm"'
c files_masked '$X run --rm busybox sh -c "for p in /proc/kcore /proc/keys /proc/timer_list /proc/sched_debug /sys/firmware /proc/acpi /proc/scsi; do printf \"%s \" \$p; stat -c %F \$p 2>&1; done"'
c files_readonly '$X run --rm busybox sh -c "grep -E \" /proc/(sys|bus|fs|irq|sysrq-trigger) \" /proc/mounts | cut -d\" \" -f2,4"'
c files_umask '$X run --rm busybox umask'
c files_modes '$X run --rm busybox stat -c "%a %U %n" / /tmp /root /etc/hosts /etc/resolv.conf /etc/hostname'
c files_shm '$X run --rm busybox sh -c "df -k /dev/shm | tail -1 | tr -s \" \" | cut -d\" \" -f2"'
c files_cgroup '$X run --rm busybox sh -c "cut -d: -f2 /proc/self/cgroup | sort"'
c files_sysctl_net '$X run --rm busybox cat /proc/sys/net/ipv4/ip_unprivileged_port_start /proc/sys/net/ipv4/ping_group_range'
c files_interfaces '$X run --rm busybox sh -c "ip -o link | cut -d: -f2 | cut -d@ -f1"'

# exec
c exec '$X exec d1 echo hi'
c exec_exit_code '$X exec d1 sh -c "exit 7"'
c exec_flags '$X exec -e X=1 -w /tmp -u 1000 d1 sh -c "echo \$X \$(pwd) \$(id -u)"'
c exec_not_found '$X exec d1 nosuchcommand'
c exec_tty '$X exec -t d1 tty'
c exec_stdin 'echo in | $X exec -i d1 cat'
c exec_detach '$X exec -d d1 sh -c "echo bg >/tmp/bg"; sleep 0.5; $X exec d1 cat /tmp/bg'
c exec_missing '$X exec nosuch true'

# logs
c logs_stdout '$X logs d1 2>/dev/null'
c logs_stderr '$X logs d1 2>&1 >/dev/null'
c logs_timestamps '$X logs -t d1 2>/dev/null'
c run_attached_output '$X run --name l3 busybox sh -c "echo 1; echo 2; echo 3"'
c logs_tail '$X logs --tail 2 l3'
c logs_tail_0 '$X logs --tail 0 l3'
c logs_since_until '$X logs --since 1h l3; $X logs --until 1h l3; $X logs --since 2000-01-01 --until 2100-01-01T00:00:00Z l3 | wc -l'
c logs_since_bad '$X logs --since yesterday l3'
c logs_missing '$X logs nosuch'

# ps and images
c ps_format '$X ps --format "{{.Names}}\t{{.Image}}\t{{.Command}}\t{{.Status}}\t{{.Ports}}" | sort' "$IPV6_PORTS"
c ps_filter_status '$X ps -a --filter status=exited --format "{{.Names}}" | sort'
c ps_filter_name '$X ps -a --filter name=d1 --format "{{.Names}} {{.State}}"'
c ps_quiet '$X ps -q | wc -l'
c ps_json_keys '$X ps -a --format "{{json .}}" | jq -r "keys[]" | sort -u'
c ps_table '$X ps --format "table {{.Names}}\t{{.Image}}" | head -1'
c ps_latest '$X ps -l --format "{{.Names}}"'
c ps_size '$X ps -s --filter name=d1 --format "{{.Size}}"'
c images_format '$X images --format "{{.Repository}}:{{.Tag}} {{.ID}}"'
c images_quiet '$X images -q'
c images_json_keys '$X images --format "{{json .}}" | jq -r "keys[]"'
c images_filter_reference '$X images --filter "reference=busy*" --format "{{.Repository}}"'
c images_repo '$X images busybox --format "{{.Repository}} {{.Tag}}"'
c images_dangling '$X images -f dangling=true -q | wc -l'

# inspect
c inspect_container '$X inspect -f "{{.Name}} {{.State.Status}} {{.State.Running}} {{gt .State.Pid 0}} {{.Config.Image}} {{json .Config.Cmd}} {{json .Config.Entrypoint}} {{.HostConfig.AutoRemove}} {{.RestartCount}} {{.Path}} {{json .Args}} {{.Driver}}" d1'
c inspect_container_keys '$X inspect d1 | jq -r ".[0]|keys[]"'
c inspect_state_keys '$X inspect d1 | jq -r ".[0].State|keys[]"'
c inspect_config_keys '$X inspect d1 | jq -r ".[0].Config|keys[]"' "$API_KEYS"
c inspect_hostconfig_keys '$X inspect d1 | jq -r ".[0].HostConfig|keys[]"' "$API_KEYS"
c inspect_network_keys '$X inspect web | jq -r ".[0].NetworkSettings|keys[]"' "$API_KEYS"
c inspect_network '$X inspect -f "{{.NetworkSettings.IPAddress}} {{range \$k, \$v := .NetworkSettings.Networks}}{{\$k}} {{\$v.IPAddress}} {{\$v.Gateway}}{{end}} {{json .NetworkSettings.Ports}}" web' "$IPV6_PORTS"
c inspect_mounts '$X run -d --name volc -v vol1:/data busybox true >/dev/null; $X wait volc >/dev/null; $X inspect -f "{{range .Mounts}}{{.Type}} {{.Name}} {{.Destination}} {{.RW}} {{.Driver}}{{end}}" volc'
c inspect_image '$X inspect -f "{{json .RepoTags}} {{.Os}} {{.Architecture}} {{json .Config.Cmd}} {{len .RootFS.Layers}} {{.Size}}" busybox'
c inspect_image_keys '$X image inspect busybox | jq -r ".[0]|keys[]"' "$API_KEYS"
c inspect_missing '$X inspect nosuch'
c inspect_type '$X inspect --type image -f "{{.Os}}" busybox'
c container_inspect_image '$X container inspect busybox'

# cp, diff, export
c cp_in 'echo data >$T/f && $X cp $T/f d1:/tmp/f && $X exec d1 cat /tmp/f'
c cp_out '$X cp d1:/etc/hostname $T/h.$N && wc -c <$T/h.$N'
c cp_out_tar '$X cp d1:/tmp/f - | tar -t'
c cp_missing '$X cp d1:/nosuch $T/x'
c diff '$X diff d1 | sort'
c export '$X export d1 | tar -t | grep -E "^(bin/sh|etc/passwd|tmp/f)$" | sort'

# The life of a container
c create '$X create --name c1 busybox echo created'
c start_attached '$X start -a c1'
c start '$X start c1'
c wait '$X wait c1'
c restart '$X run -d --name r1 busybox sleep 1000 >/dev/null; $X restart -t 1 r1; $X inspect -f "{{.State.Status}}" r1'
c pause '$X pause r1; $X ps --filter name=r1 --format "{{.Status}}"; $X inspect -f "{{.State.Status}} {{.State.Paused}}" r1'
c unpause '$X unpause r1; $X inspect -f "{{.State.Status}}" r1'
c top_header '$X top r1 | head -1'
c top_rows '$X top r1 | sed 1d | wc -l'
c stats '$X stats --no-stream --format "{{.Name}}" r1'
c stop '$X stop -t 1 d1'
c wait_stopped '$X wait d1'
c kill '$X run -d --name k1 busybox sleep 1000 >/dev/null; $X kill k1; $X wait k1'
c kill_signal '$X run -d --name k2 busybox sh -c "trap \"exit 9\" USR1; while :; do sleep 0.1; done" >/dev/null; sleep 0.5; $X kill -s USR1 k2; $X wait k2'
c kill_not_running '$X kill c1'
c attach_stopped '$X attach c1'
c rm_running '$X rm r1'
c rm_force '$X rm -f r1'
c rm '$X rm d1'
c rm_missing '$X rm nosuch'
c rename '$X create --name rn1 busybox true >/dev/null; $X rename rn1 rn2 && $X ps -a --filter name=rn2 --format "{{.Names}}"; rc=$?; $X rm rn1 rn2 >/dev/null 2>&1; exit $rc'
c update '$X update -m 128m --memory-swap 256m web && $X inspect -f "{{.HostConfig.Memory}}" web'
c commit '$X commit c1 committed:1'
c commit_run '$X run --rm committed:1'
c build 'mkdir -p $T/ctx.$N && printf "FROM busybox\nRUN echo built >/f\nCMD [\"cat\", \"/f\"]\n" >$T/ctx.$N/Dockerfile && $X build -q -t built:1 $T/ctx.$N && $X run --rm built:1'
c import '$X import -c "CMD [\"echo\", \"imported\"]" $W/rootfs.tar imp:1 && $X run --rm imp:1'
c pull_unreachable '$X pull 127.0.0.1:1/nosuch:1'
c history '$X history --format "{{.CreatedBy}}" busybox'

# volumes and networks
c volume_create '$X volume create v1'
c volume_ls '$X volume ls --format "{{.Name}} {{.Driver}}" | sort'
c volume_inspect '$X volume inspect -f "{{.Name}} {{.Driver}} {{.Scope}} {{.Mountpoint}}" v1'
c volume_inspect_keys '$X volume inspect v1 | jq -r ".[0]|keys[]"'
c volume_rm '$X volume rm v1'
c volume_rm_missing '$X volume rm v1'
c volume_prune '$X volume create vp1 >/dev/null; $X volume prune -f >$T/vp.$N; rc=$?; $X volume rm vp1 >/dev/null 2>&1; cat $T/vp.$N; exit $rc' 'Docker 23 and later prune only the anonymous volumes without -a, as dock; 20.10 prunes the named ones too'
c volume_group '$X volume ls -q | sort'
c network_create '$X network create n1'
c network_ls '$X network ls --format "{{.Name}} {{.Driver}} {{.Scope}}" | sort'
c network_inspect '$X network inspect -f "{{.Name}} {{.Driver}} {{.Scope}} {{.Internal}} {{.EnableIPv6}}" n1'
c network_inspect_keys '$X network inspect n1 | jq -r ".[0]|keys[]"' "$API_KEYS"
c network_run_on '$X run --rm --network n1 busybox sh -c "ip -o -4 addr show eth0 | wc -l; grep -c nameserver /etc/resolv.conf"'
c network_rm '$X network rm n1'
c network_prune '$X network create np1 >/dev/null; $X network prune -f'
c network_rm_missing '$X network rm n1'

# images: tag, rmi, save and load
c tag '$X tag busybox mybox:1 && $X images --format "{{.Repository}}:{{.Tag}}" | sort'
c rmi '$X rmi mybox:1'
c rmi_missing '$X rmi mybox:1'
c rmi_in_use '$X rmi busybox'
c save_load '$X save -o $T/s.$N.tar busybox && $X load -i $T/s.$N.tar'
c save_stdout '$X save busybox | tar -t | grep -c -E "(manifest.json|index.json|oci-layout)$"' 'dock writes the OCI layout beside manifest.json, as Docker 25 and later do'
c image_ls '$X image ls --format "{{.Repository}}"'
c image_prune '$X image prune -f'

# the container group, system
c container_ls '$X container ls -a --format "{{.Names}}" | sort'
c container_prune '$X container prune -f | grep -c .'
c version_format '$X version --format "{{.Server.Os}}/{{.Server.Arch}} {{.Client.Os}}"'
c info_format '$X info --format "{{.OSType}} {{.Architecture}} {{.Driver}} {{.CgroupVersion}}"'
c info_keys '$X info --format "{{json .}}" | jq -r "keys[]"' "$API_KEYS"
c system_df '$X system df --format "{{.Type}}"'
c events '$X events --since 1h --until 1s --filter type=container --filter event=create --format "{{.Type}} {{.Action}}" | sort -u'

echo
if [ $WITH_DOCKER = 1 ]; then
	echo "$total commands: $matched match, $differed differ, $missing missing in dock"
	[ -z "$differs" ] || echo "differ:$differs"
	[ -z "$lacks" ] || echo "missing:$lacks"
else
	echo "$total commands run with dock alone"
fi

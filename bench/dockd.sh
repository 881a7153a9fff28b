#!/bin/sh
# examples/dockd against its peers, in one run (issue 13, Performance):
#  1. `docker run --rm busybox true` (Debian's docker CLI 20.10) through
#     dockd, through bench/apistub (a daemon that answers at once: the
#     CLI's own floor) and through dockerd, with the same busybox image;
#     ROUNDS rounds of hyperfine over the three, so that a busy spell of
#     the machine falls on all of them; each round prints its ratios.
#  2. `docker ps -a` and `docker ps` through dockd with NPS containers
#     (created, not started), beside the same against the stub (whose
#     ps -a answers the list dockd answered: the CLI's own work on the
#     rows); and the server's side alone, timed by curl.
#  3. `docker pull` through dockd against `dock pull` of the same image
#     from the same registry (docker-registry on 127.0.0.1), each into a
#     store it empties (rmi) before every run.
#  4. dockd's RSS once started, and after everything above.
# Run as root from the repository: sudo bench/dockd.sh  (N=runs per
# command and round, default 30; ROUNDS, default 3; NPS, default 500;
# DOCKD_LOG=debug keeps dockd's log, a line per request with its time,
# in bench-dockd.log in the current directory; DOCKER_CLI, default
# /usr/bin/docker; PARTS, default "run pull ps": the parts to run, e.g.
# PARTS=ps NPS=500 N=20 for the ps part alone, without dockerd nor the
# registry).
#
# Nothing touches the machine's network or state: everything runs in a
# network and mount namespace of its own (unshare) with a private /run
# and a tmpfs for every state directory; dockerd runs in a network
# namespace of its own inside it (its bridge and iptables rules die with
# it), its containers under the cgroup dock-bench-docker, removed at the
# end. The registry listens on the namespace's loopback.
set -eu
cd "$(dirname "$0")/.."
if [ "${DOCK_DOCKD_BENCH_INSIDE:-}" != 1 ]; then
	[ "$(id -u)" = 0 ] || { echo "bench/dockd.sh: run as root" >&2; exit 1; }
	for t in hyperfine jq curl unshare ip $(case " ${PARTS:-run pull ps} " in *" run "*) echo dockerd;; esac) $(case " ${PARTS:-run pull ps} " in *" pull "*) echo docker-registry;; esac); do
		command -v $t >/dev/null || { echo "bench/dockd.sh: $t is missing (apt-get install hyperfine jq curl docker.io docker-registry)" >&2; exit 1; }
	done
	[ -x "${DOCKER_CLI:-/usr/bin/docker}" ] || { echo "bench/dockd.sh: ${DOCKER_CLI:-/usr/bin/docker} is missing (apt-get install docker.io)" >&2; exit 1; }
	[ -x /bin/busybox ] || { echo "bench/dockd.sh: /bin/busybox is missing (apt-get install busybox-static)" >&2; exit 1; }
	exec env DOCK_DOCKD_BENCH_INSIDE=1 unshare --net --mount --propagation private "$0" "$@"
fi
N=${N:-30}
ROUNDS=${ROUNDS:-3}
NPS=${NPS:-500}
PARTS=${PARTS:-run pull ps}
# want PART: PART is one of those to run.
want() { case " $PARTS " in *" $1 "*) return 0 ;; esac; return 1; }
DOCKER_CLI=${DOCKER_CLI:-/usr/bin/docker}
mount -t tmpfs tmpfs /run
ip link set lo up
W=$(mktemp -d /tmp/dock-dockd-bench.XXXXXX)
mount -t tmpfs tmpfs "$W"
OUT=$PWD
# The CLI reads no configuration of the machine's (contexts, credential
# helpers): an empty one of its own.
export DOCKER_CONFIG="$W/docker-config"
mkdir -p "$DOCKER_CONFIG"

DOCK="$W/dock --root $W/dockd-root"
DOCKD_SOCK=$W/dockd.sock
STUB_SOCK=$W/stub.sock
DOCKERD_SOCK=$W/docker.sock
VIA_DOCKD="$DOCKER_CLI -H unix://$DOCKD_SOCK"
VIA_STUB="$DOCKER_CLI -H unix://$STUB_SOCK"
VIA_DOCKERD="$DOCKER_CLI -H unix://$DOCKERD_SOCK"
PIDS=""

cleanup() {
	rc=$?
	set +e
	if [ $rc != 0 ]; then
		for l in dockd dockerd stub; do
			echo "--- the end of $l's log:" >&2
			tail -5 "$W/$l.log" >&2
		done
	fi
	if [ -f "$W/dockerd.pid" ]; then
		# Containers first: their shims outlive a stopped dockerd.
		ids=$($VIA_DOCKERD ps -aq 2>/dev/null)
		[ -z "$ids" ] || $VIA_DOCKERD rm -f $ids >/dev/null 2>&1
		kill "$(cat "$W/dockerd.pid")" 2>/dev/null
		for _ in $(seq 150); do [ -f "$W/dockerd.pid" ] || break; sleep 0.2; done
		for d in /sys/fs/cgroup/*/dock-bench-docker; do
			[ -d "$d" ] && rmdir "$d"/*/ "$d" 2>/dev/null
		done
	fi
	if [ -S "$DOCKD_SOCK" ]; then
		ids=$($VIA_DOCKD ps -aq 2>/dev/null)
		[ -z "$ids" ] || $VIA_DOCKD rm -f $ids >/dev/null 2>&1
	fi
	for p in $PIDS; do kill "$p" 2>/dev/null; done
	for p in $PIDS; do wait "$p" 2>/dev/null; done
	[ "${DOCKD_LOG:-}" = debug ] && cp "$W/dockd.log" "$OUT/bench-dockd.log"
	umount -l "$W" 2>/dev/null
	rmdir "$W" 2>/dev/null
}
trap cleanup EXIT

# waitfor CMD... retries CMD for up to 60 s.
waitfor() {
	for _ in $(seq 300); do "$@" >/dev/null 2>&1 && return 0; sleep 0.2; done
	echo "bench/dockd.sh: gave up waiting for: $*" >&2
	return 1
}
rss() { awk '/^VmRSS:/ {printf "%.1f", $2/1024}' "/proc/$1/status"; }
loadavg() { cut -d' ' -f1-3 /proc/loadavg; }

./scripts/build-cli.sh "$W/dock"
./scripts/build-cli.sh "$W/dockd" ./examples/dockd
go build -o "$W/apistub" ./bench/apistub

# The image: busybox-static with root and the usual directories,
# imported into dockd's store, saved for dockerd, pushed to the registry.
R=$W/rootfs
mkdir -p "$R/bin" "$R/etc" "$R/root" "$R/tmp" "$R/proc" "$R/sys" "$R/dev"
chmod 1777 "$R/tmp"
cp /bin/busybox "$R/bin/busybox"
for a in $(/bin/busybox --list); do [ "$a" = busybox ] || ln -sf busybox "$R/bin/$a"; done
printf 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/bin/false\n' >"$R/etc/passwd"
printf 'root:x:0:\nnogroup:x:65534:\n' >"$R/etc/group"
tar -C "$R" -c . | $DOCK import -c 'CMD ["sh"]' - busybox:latest >/dev/null
$DOCK save -o "$W/busybox.tar" busybox:latest

IMG=127.0.0.1:5000/bench/busybox:latest
if want pull; then
	cat >"$W/registry.yml" <<EOF
version: 0.1
log: {level: warn}
storage: {filesystem: {rootdirectory: $W/registry}}
http: {addr: 127.0.0.1:5000}
EOF
	docker-registry serve "$W/registry.yml" >"$W/registry.log" 2>&1 &
	PIDS="$PIDS $!"
	$DOCK tag busybox:latest "$IMG"
	waitfor $DOCK push "$IMG"
	$DOCK rmi "$IMG" >/dev/null
fi

"$W/apistub" "$STUB_SOCK" 2>"$W/stub.log" &
PIDS="$PIDS $!"
"$W/dockd" -H "unix://$DOCKD_SOCK" --root "$W/dockd-root" --group "" --log-level "${DOCKD_LOG:-info}" 2>"$W/dockd.log" &
DOCKD_PID=$!
PIDS="$PIDS $DOCKD_PID"
if want run; then
	unshare --net sh -c "ip link set lo up; exec dockerd --data-root $W/docker-root --exec-root $W/docker-exec -H unix://$DOCKERD_SOCK --pidfile $W/dockerd.pid --cgroup-parent dock-bench-docker" >"$W/dockerd.log" 2>&1 &
fi
waitfor $VIA_STUB ps
waitfor $VIA_DOCKD version || { tail -20 "$W/dockd.log" >&2; exit 1; }
sleep 1
RSS_START=$(rss $DOCKD_PID)
PEER="no dockerd"
if want run; then
	waitfor $VIA_DOCKERD info || { tail -20 "$W/dockerd.log" >&2; exit 1; }
	$VIA_DOCKERD load -i "$W/busybox.tar" >/dev/null
	PEER="dockerd $($VIA_DOCKERD version --format '{{.Server.Version}}')"
fi

echo "dockd ($(git describe --always --dirty 2>/dev/null || echo '?')) beside $PEER, client $DOCKER_CLI $($VIA_DOCKD version --format '{{.Client.Version}}'); $(date -u +%FT%TZ), $(uname -r), $(nproc) CPUs, load $(loadavg); parts: $PARTS"
if want run; then
	# Each path once, so that a failure shows here and not as hyperfine's.
	for via in "$VIA_STUB" "$VIA_DOCKD" "$VIA_DOCKERD"; do $via run --rm busybox true; done
fi

# summary FILE prints each command's median, min and max in ms.
summary() {
	jq -r '.results[] | "  \(.command)\t\(.median*1000*10|round/10) ms\t(min \(.min*1000*10|round/10), max \(.max*1000*10|round/10))"' "$1"
}
med() { jq -r --arg c "$2" '.results[] | select(.command==$c) | .median*1000*10|round/10' "$1"; }

if want run; then
echo
echo "1. docker run --rm busybox true: median wall ms, $N runs each (hyperfine -N), $ROUNDS rounds"
for r in $(seq "$ROUNDS"); do
	hyperfine -N --style none --runs "$N" --warmup 3 --export-json "$W/run$r.json" \
		-n stub "$VIA_STUB run --rm busybox true" \
		-n dockd "$VIA_DOCKD run --rm busybox true" \
		-n dockerd "$VIA_DOCKERD run --rm busybox true" >/dev/null
	echo "round $r (load $(loadavg)):"
	summary "$W/run$r.json"
	jq -r '(.results | map({(.command): .median}) | add) as $m |
		"  dockd/stub \($m.dockd/$m.stub*100|round/100)x (goal <= 2), dockerd/dockd \($m.dockerd/$m.dockd*10|round/10)x (goal >= 8)"' "$W/run$r.json"
done
fi

if want pull; then
echo
echo "2. pull of $IMG ($(du -k "$W/busybox.tar" | cut -f1) KiB saved): median wall ms, $N runs each, after an rmi"
hyperfine --style none --runs "$N" --warmup 1 --export-json "$W/pull.json" \
	-n "docker pull via dockd" --prepare "$VIA_DOCKD rmi $IMG >/dev/null 2>&1; true" "$VIA_DOCKD pull -q $IMG" \
	-n "dock pull" --prepare "$W/dock --root $W/pull-root rmi $IMG >/dev/null 2>&1; true" "$W/dock --root $W/pull-root pull -q $IMG" >/dev/null
summary "$W/pull.json"
jq -r '(.results | map({(.command): .median}) | add) as $m |
	"  dockd/dock \($m["docker pull via dockd"]/$m["dock pull"]*100|round/100)x (goal <= 1)"' "$W/pull.json"
fi

if want ps; then
echo
echo "3. docker ps with $NPS containers (created, not started): median wall ms, $N runs each (hyperfine -N)"
seq "$NPS" | xargs -P 2 -I{} $VIA_DOCKD create --name ps{} busybox true >/dev/null
[ "$($VIA_DOCKD ps -aq | wc -l)" = "$NPS" ] || { echo "bench/dockd.sh: $NPS containers wanted, $($VIA_DOCKD ps -aq | wc -l) made" >&2; exit 1; }
curl -s --unix-socket "$DOCKD_SOCK" "http://docker/v1.41/containers/json?all=1" >"$W/ps-all.json"
APISTUB_CONTAINERS="$W/ps-all.json" "$W/apistub" "$W/stub-rows.sock" 2>>"$W/stub.log" &
PIDS="$PIDS $!"
VIA_STUB_ROWS="$DOCKER_CLI -H unix://$W/stub-rows.sock"
waitfor $VIA_STUB_ROWS ps
hyperfine -N --style none --runs "$N" --warmup 3 --export-json "$W/ps.json" \
	-n "docker ps -a via dockd ($NPS rows)" "$VIA_DOCKD ps -a" \
	-n "docker ps -a via stub ($NPS rows)" "$VIA_STUB_ROWS ps -a" \
	-n "docker ps via dockd (0 rows)" "$VIA_DOCKD ps" \
	-n "docker ps via stub (0 rows)" "$VIA_STUB ps" >/dev/null
summary "$W/ps.json"
# The server's side: curl's time to the whole answer, over the socket.
srv() {
	for _ in $(seq "$N"); do
		curl -s -o /dev/null -w '%{time_total}\n' --unix-socket "$DOCKD_SOCK" "http://docker/v1.41/containers/json$1"
	done | sort -n | awk '{t[NR] = $1 * 1000} END {printf "%.1f ms (min %.1f, max %.1f)", t[int((NR + 1) / 2)], t[1], t[NR]}'
}
echo "  GET /containers/json?all=1 via curl: $(srv '?all=1'); GET /containers/json: $(srv '')"
# What dockd adds to the CLI's floor, robust to a load that drifts: the
# two run in turn, and the median of the differences of each pair.
pairs() {
	for _ in $(seq "$N"); do
		t0=$(date +%s%N)
		$1 >/dev/null
		t1=$(date +%s%N)
		$2 >/dev/null
		t2=$(date +%s%N)
		echo $(((t1 - t0) - (t2 - t1)))
	done | sort -n | awk '{d[NR] = $1 / 1e6} END {printf "%.1f ms", d[int((NR + 1) / 2)]}'
}
echo "  dockd minus stub, run in turn ($N pairs, median of the differences): ps -a $(pairs "$VIA_DOCKD ps -a" "$VIA_STUB_ROWS ps -a"), ps $(pairs "$VIA_DOCKD ps" "$VIA_STUB ps")"
fi

sleep 2
echo
echo "4. dockd RSS: $RSS_START MiB once started, $(rss $DOCKD_PID) MiB after all the above (goal < 30 MiB); load $(loadavg)"
if grep -q 'not stubbed' "$W/stub.log"; then
	echo "the stub was asked what it does not answer:"
	grep 'not stubbed' "$W/stub.log" | sort | uniq -c
fi

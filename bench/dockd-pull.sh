#!/bin/bash
# `docker pull` through examples/dockd against `dock pull` and against
# dockerd's own pull, of bench/pull-image.sh's image (6 layers, ~230 MB
# gzip, ~280 MB of tar, 11.4k files) from docker-registry on 127.0.0.1:
# issue 13's "a pull through dockd no slower than dock pull" at a size
# where the pull is what is timed, not the docker CLI's start (which
# bench/dockd.sh's 2 MB busybox pull mostly measures).
#
# Every run is cold: the image is removed (rmi) before it, the store is
# checked empty, and the page cache written back (sync). ROUNDS rounds of
# N runs of each (hyperfine), so that a busy spell of the shared machine
# falls on all of them; each round prints the medians, the ratios, and the
# CPU seconds of one pull: dock pull's own, the docker CLI's, and the
# daemon's (dockd's or dockerd's, from /proc/PID/stat around each run);
# then the fixed cost of each path, a pull of the image present: the
# docker CLI's start, which no daemon can save, is most of dockd's. The
# same pull through dockd's API by curl (POST /images/create) is timed
# too: the daemon's pull alone, to set beside dock pull.
# Nothing drops the page cache: the registry and the stores are on a
# tmpfs, and a dropped cache would time the 45 MB docker CLI read from
# disk.
# Run as root from the repository: sudo bench/dockd-pull.sh  (N, default
# 5; ROUNDS, default 2; DOCKERD=0 leaves dockerd out; DOCKER_CLI, default
# /usr/bin/docker; CACHE, the image's, default /var/tmp/dock-pull-bench;
# PPROF=FILE builds dockd with -tags pprof and writes a CPU profile of
# dockd over the first round to FILE: go tool pprof -top FILE).
#
# Nothing touches the machine's network or state, as in bench/dockd.sh: a
# network and mount namespace of its own (unshare) with a private /run,
# everything on a tmpfs; dockerd in it runs no container and makes no
# bridge and no iptables rules. Takes about 5 minutes.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ "${DOCK_DOCKD_PULL_INSIDE:-}" != 1 ]; then
	[ "$(id -u)" = 0 ] || { echo "bench/dockd-pull.sh: run as root" >&2; exit 1; }
	for t in hyperfine jq curl unshare ip skopeo dockerd docker-registry openssl python3; do
		command -v $t >/dev/null || { echo "bench/dockd-pull.sh: $t is missing (apt-get install hyperfine jq curl skopeo docker.io docker-registry openssl python3)" >&2; exit 1; }
	done
	./bench/pull-image.sh "${CACHE:-/var/tmp/dock-pull-bench}"
	exec env DOCK_DOCKD_PULL_INSIDE=1 unshare --net --mount --propagation private "$0" "$@"
fi
N=${N:-5}
ROUNDS=${ROUNDS:-2}
DOCKERD=${DOCKERD:-1}
DOCKERD_PID=
DOCKER_CLI=${DOCKER_CLI:-/usr/bin/docker}
CACHE=${CACHE:-/var/tmp/dock-pull-bench}
mount -t tmpfs tmpfs /run
ip link set lo up
W=$(mktemp -d /tmp/dock-dockd-pull.XXXXXX)
mount -t tmpfs -o size=8g tmpfs "$W"
export DOCKER_CONFIG="$W/docker-config" # none of the machine's
mkdir -p "$DOCKER_CONFIG"
DOCK="$W/dock --root $W/dock-root"
VIA_DOCKD="$DOCKER_CLI -H unix://$W/dockd.sock"
VIA_DOCKERD="$DOCKER_CLI -H unix://$W/docker.sock"
PIDS=""
cleanup() {
	set +e
	if [ -f "$W/dockerd.pid" ]; then
		kill "$(cat "$W/dockerd.pid")"
		for _ in $(seq 150); do [ -f "$W/dockerd.pid" ] || break; sleep 0.2; done
	fi
	for p in $PIDS; do kill "$p" 2>/dev/null; done
	for p in $PIDS; do wait "$p" 2>/dev/null; done
	awk -v w="$W/" 'index($5, w) == 1 { print $5 }' /proc/self/mountinfo | sort -r | xargs -r umount -l
	umount -l "$W"
	rmdir "$W"
}
trap cleanup EXIT
waitfor() {
	for _ in $(seq 300); do "$@" >/dev/null 2>&1 && return 0; sleep 0.2; done
	echo "bench/dockd-pull.sh: gave up waiting for: $*" >&2
	return 1
}
loadavg() { cut -d' ' -f1-3 /proc/loadavg; }

./scripts/build-cli.sh "$W/dock"
if [ -n "${PPROF:-}" ]; then
	go build -tags pprof -o "$W/dockd" ./examples/dockd # examples/dockd/cpuprofile.go
else
	./scripts/build-cli.sh "$W/dockd" ./examples/dockd
fi

cat >"$W/registry.yml" <<EOF
version: 0.1
log: {level: warn}
storage: {filesystem: {rootdirectory: $W/registry}}
http: {addr: 127.0.0.1:5000}
EOF
docker-registry serve "$W/registry.yml" >"$W/registry.log" 2>&1 &
PIDS="$PIDS $!"
IMG=127.0.0.1:5000/bench/big:latest
waitfor skopeo copy -q --dest-tls-verify=false "oci:$CACHE/oci:latest" "docker://$IMG"

DOCKD_ENV=()
[ -n "${PPROF:-}" ] && DOCKD_ENV=(DOCKD_CPUPROFILE="$W/dockd.pprof")
env "${DOCKD_ENV[@]}" "$W/dockd" -H "unix://$W/dockd.sock" --root "$W/dockd-root" --group "" 2>"$W/dockd.log" &
DOCKD_PID=$!
PIDS="$PIDS $DOCKD_PID"
waitfor $VIA_DOCKD version
if [ "$DOCKERD" = 1 ]; then
	# In the bench's namespace, to reach the registry; it runs no
	# container, so it makes no bridge and no iptables rules.
	dockerd --data-root "$W/docker-root" --exec-root "$W/docker-exec" -H "unix://$W/docker.sock" --pidfile "$W/dockerd.pid" --bridge none --iptables=false --ip6tables=false >"$W/dockerd.log" 2>&1 &
	waitfor $VIA_DOCKERD info || { tail -20 "$W/dockerd.log" >&2; exit 1; }
	DOCKERD_PID=$(cat "$W/dockerd.pid") # 20.10 pulls in dockerd itself (its classic store)
fi

# A pull of each once, so that a failure shows here, and the layer
# count: a cold pull must download every layer.
$DOCK pull -q "$IMG" >/dev/null
for via in "$VIA_DOCKD" ${DOCKERD_PID:+"$VIA_DOCKERD"}; do
	$via pull "$IMG" >"$W/first.txt"
	[ "$(grep -c 'Pull complete' "$W/first.txt")" = 6 ] || { echo "bench/dockd-pull.sh: $via pull did not pull 6 layers:" >&2; cat "$W/first.txt" >&2; exit 1; }
done
# The API's pull answers 200 and reports a failure in its stream: check
# once that it pulls, since the rounds only time it.
$VIA_DOCKD rmi "$IMG" >/dev/null
curl -sSf --unix-socket "$W/dockd.sock" -X POST "http://dockd/v1.41/images/create?fromImage=${IMG%:*}&tag=${IMG##*:}" >"$W/first.txt"
$VIA_DOCKD image inspect "$IMG" >/dev/null || { echo "bench/dockd-pull.sh: the API pull did not pull:" >&2; tail -5 "$W/first.txt" >&2; exit 1; }

# The wrapper that hyperfine runs: the command, and the CPU ticks the
# daemon PID spent meanwhile appended to LOG (PID - for none).
cat >"$W/cpu" <<'EOF'
#!/bin/sh
pid=$1 log=$2; shift 2
ticks() { [ "$pid" = - ] && echo 0 || awk '{print $14+$15}' "/proc/$pid/stat"; }
a=$(ticks); "$@" >/dev/null; rc=$?; b=$(ticks)
echo $((b - a)) >>"$log"
exit $rc
EOF
chmod +x "$W/cpu"

echo "dockd ($(git describe --always --dirty 2>/dev/null || echo '?')), client $DOCKER_CLI $($VIA_DOCKD version --format '{{.Client.Version}}'); $(date -u +%FT%TZ), $(uname -r), $(nproc) CPUs"
echo "pull of $IMG: $(jq '[.layers[].size]|add' "$CACHE/oci/blobs/sha256/$(jq -r '.manifests[0].digest' "$CACHE/oci/index.json" | cut -d: -f2)") compressed layer bytes, $N cold runs each per round"
TICK=$(getconf CLK_TCK)
for r in $(seq "$ROUNDS"); do
	rm -f "$W"/ticks-*
	dock=(-n "dock pull" --prepare "$DOCK rmi $IMG >/dev/null 2>&1; [ -z \"\$(find $W/dock-root -path '*/blobs/sha256/*' -o -path '*/layers/*' | head -1)\" ] && sync"
		"$W/cpu - $W/ticks-dock $DOCK pull -q $IMG")
	dockd=(-n "docker pull via dockd" --prepare "$VIA_DOCKD rmi $IMG >/dev/null 2>&1; [ -z \"\$(find $W/dockd-root -path '*/blobs/sha256/*' -o -path '*/layers/*' | head -1)\" ] && sync"
		"$W/cpu $DOCKD_PID $W/ticks-dockd $VIA_DOCKD pull -q $IMG")
	# The same pull through dockd's API by curl: the daemon's pull
	# without the docker CLI's start (~50 ms more than dock's CLI).
	api=(-n "API pull via dockd" --prepare "$VIA_DOCKD rmi $IMG >/dev/null 2>&1; [ -z \"\$(find $W/dockd-root -path '*/blobs/sha256/*' -o -path '*/layers/*' | head -1)\" ] && sync"
		"$W/cpu $DOCKD_PID $W/ticks-api curl -sSf --unix-socket $W/dockd.sock -X POST -o /dev/null 'http://dockd/v1.41/images/create?fromImage=${IMG%:*}&tag=${IMG##*:}'")
	# Odd rounds dock first, even rounds dockd first: a drift of the
	# machine's load falls on both.
	if [ $((r % 2)) = 1 ]; then args=("${dock[@]}" "${dockd[@]}" "${api[@]}"); else args=("${api[@]}" "${dockd[@]}" "${dock[@]}"); fi
	if [ "$DOCKERD" = 1 ]; then
		args+=(-n "docker pull via dockerd" --prepare "$VIA_DOCKERD rmi $IMG >/dev/null 2>&1; sync"
			"$W/cpu $DOCKERD_PID $W/ticks-dockerd $VIA_DOCKERD pull -q $IMG")
	fi
	hyperfine --style none --runs "$N" --export-json "$W/pull$r.json" "${args[@]}" >"$W/hf.log" 2>&1 || { cat "$W/hf.log"; exit 1; }
	# What a pull costs besides the transfer: the image present.
	hyperfine -N --style none --runs "$N" --warmup 1 --export-json "$W/present$r.json" \
		-n "dock pull" "$DOCK pull -q $IMG" -n "docker pull via dockd" "$VIA_DOCKD pull -q $IMG" >"$W/hf.log" 2>&1 || { cat "$W/hf.log"; exit 1; }
	[ -n "${PPROF:-}" ] && [ "$r" = 1 ] && kill -USR2 "$DOCKD_PID" && sleep 1 && cp "$W/dockd.pprof" "$PPROF"
	echo "round $r (load $(loadavg)): median wall s (min, max); CPU s per pull: the client's user+sys, the daemon's"
	for n in dock dockd api dockerd; do
		[ -f "$W/ticks-$n" ] || continue
		case $n in dock) c="dock pull" ;; api) c="API pull via dockd" ;; *) c="docker pull via $n" ;; esac
		d=$(awk -v t="$TICK" '{s+=$1} END {printf "%.2f", s/NR/t}' "$W/ticks-$n")
		jq -r --arg c "$c" --arg d "$d" '.results[] | select(.command==$c) |
			"  \(.command)\t\(.median*100|round/100) s (\(.min*100|round/100), \(.max*100|round/100))\tCPU \((.user+.system)*100|round/100) + \($d)"' "$W/pull$r.json"
	done
	jq -r '"  the image present (the fixed cost): " + ([.results[] | "\(.command) \(.median*1000|round) ms"] | join(", "))' "$W/present$r.json"
	jq -r '(.results | map({(.command): .median}) | add) as $m |
		"  dockd/dock \($m["docker pull via dockd"]/$m["dock pull"]*100|round/100)x (goal <= 1), by the API alone \($m["API pull via dockd"]/$m["dock pull"]*100|round/100)x" +
		(if $m["docker pull via dockerd"] then ", dockerd/dockd \($m["docker pull via dockerd"]/$m["docker pull via dockd"]*100|round/100)x" else "" end)' "$W/pull$r.json"
done

#!/bin/sh
# The cost of a network: `run --rm busybox /bin/true` with no network and
# on the default bridge with one published port, for dock and for podman
# (netavark) side by side in one run: dock's two in turn (bench/pairs),
# podman's with hyperfine. It prints each median, what the network adds
# to each, and podman's addition over dock's. Run as root from the
# repository: sudo bench/net.sh  (N=podman's runs, default 50;
# PAIRS=dock's rounds, default 300).
#
# Everything runs in a network and mount namespace of its own (unshare),
# with a private /run, so nothing touches the machine's real network: the
# bridges, nftables tables and ports live and die in that namespace.
set -eu
cd "$(dirname "$0")/.."
N=${N:-50}
PAIRS=${PAIRS:-300}
if [ "${DOCK_NET_BENCH_INSIDE:-}" != 1 ]; then
	for t in hyperfine podman jq go; do
		command -v $t >/dev/null || { echo "bench/net.sh: $t is missing (scripts/test-deps.sh installs podman; apt-get install hyperfine jq)"; exit 1; }
	done
	exec env DOCK_NET_BENCH_INSIDE=1 unshare --net --mount --propagation private "$0" "$@"
fi
mount -t tmpfs tmpfs /run
ip link set lo up
W=$(mktemp -d /tmp/dock-net-bench.XXXXXX)
mount -t tmpfs tmpfs "$W"
cleanup() {
	podman $P rm -af >/dev/null 2>&1 || true
	umount -l "$W" 2>/dev/null || true
	rmdir "$W" 2>/dev/null || true
}
P="--root $W/pod/root --runroot $W/pod/run --storage-driver overlay --cgroup-manager=cgroupfs --events-backend=file --runtime runc"
trap cleanup EXIT

./scripts/build-cli.sh "$W/dock"
R=$W/rootfs
mkdir -p "$R/bin" "$R/etc"
cp /bin/busybox "$R/bin/busybox"
for a in $(/bin/busybox --list); do [ "$a" = busybox ] || ln -sf busybox "$R/bin/$a"; done
echo 'root:x:0:0:root:/root:/bin/sh' >"$R/etc/passwd"
echo 'root:x:0:' >"$R/etc/group"
tar -C "$R" -c . | "$W/dock" --root "$W/root" import - busybox:latest >/dev/null
tar -C "$R" -c . | podman $P import -q - localhost/busybox:latest >/dev/null

D="$W/dock --root $W/root run --rm"
# The machine's hard RLIMIT_NOFILE is below podman's default.
Q="podman $P run --rm --ulimit nofile=20000:20000 --ulimit nproc=32768:32768"
# dock's two in alternation (bench/pairs): what the network adds is a
# few milliseconds, less than the drift between two blocks of runs.
go build -o "$W/pairs" ./bench/pairs
"$W/pairs" -n "$PAIRS" "$D --network none busybox /bin/true" "$D -p 8080:80 busybox /bin/true" >"$W/pairs.txt"
hyperfine -N --style basic --runs "$N" --warmup 3 --export-json "$W/hf.json" \
	-n "podman none" "$Q --network none localhost/busybox /bin/true" \
	-n "podman bridge -p" "$Q -p 8080:80 localhost/busybox /bin/true" >/dev/null
echo "median wall ms, $(date -u +%FT%TZ), $(uname -r): dock $PAIRS rounds of the two in turn (bench/pairs); podman $N runs each (hyperfine -N)"
awk -F'\t' '$1 == "median" { print ($3 ~ /-p 8080/ ? "dock bridge -p" : "dock none") "\t" $2 }' "$W/pairs.txt"
jq -r '.results[] | "\(.command)\t\(.median*1000*100|round/100)\t(min \(.min*1000*100|round/100), max \(.max*1000*100|round/100))"' "$W/hf.json"
DOCK_ADDS=$(awk -F'\t' '$1 == "adds" { print $2 }' "$W/pairs.txt")
printf "dock: the network adds\t%s ms (median of the %s differences within a round)\n" "$DOCK_ADDS" "$PAIRS"
jq -r --argjson d "$DOCK_ADDS" '(.results | map({(.command): .median}) | add) as $m |
	"podman: the network adds\t\(($m["podman bridge -p"]-$m["podman none"])*1000*100|round/100) ms",
	"podman/dock, the network\t\(($m["podman bridge -p"]-$m["podman none"])*1000/$d*10|round/10)x"' "$W/hf.json"

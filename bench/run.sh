#!/bin/sh
# Runs /bin/true in a container with dock, crun and runc side by side, in one
# run, with hyperfine, and prints each median and dock's ratio to crun's.
# The same busybox-static rootfs serves every tool. Run as root from the
# repository: sudo bench/run.sh  (N=runs, default 100).
#
# Every tool keeps its state on tmpfs (crun and runc in /run), so dock's root
# is a tmpfs too; the image's rootfs is on / for the OCI bundle.
set -eu
cd "$(dirname "$0")/.."
N=${N:-100}
W=$(mktemp -d /tmp/dock-bench.XXXXXX)
cleanup() {
	umount "$W/root" 2>/dev/null || true
	rm -rf "$W"
}
trap cleanup EXIT

need=""
for t in hyperfine crun runc jq; do command -v $t >/dev/null || need="$need $t"; done
[ -x /bin/busybox ] || need="$need busybox-static"
# The CLI is built as scripts/build-cli.sh builds it, with musl.
command -v musl-gcc >/dev/null || need="$need musl-tools"
if [ -n "$need" ]; then
	apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $need >/dev/null
fi
# crun 1.8 refuses a hybrid cgroup host whose cgroup2 still offers a
# controller (here hugetlb): give hugetlb a v1 hierarchy, as
# ../shared/research/peers/00-host-setup.sh does.
if [ -n "$(cat /sys/fs/cgroup/unified/cgroup.controllers 2>/dev/null)" ] && ! mountpoint -q /sys/fs/cgroup/hugetlb; then
	echo "bench: binding hugetlb to a v1 hierarchy so that crun runs on this hybrid host"
	mkdir -p /sys/fs/cgroup/hugetlb && mount -t cgroup -o hugetlb cgroup /sys/fs/cgroup/hugetlb
fi

./scripts/build-cli.sh "$W/dock"

# The rootfs, the OCI bundle for crun and runc, and the dock image.
R=$W/bundle/rootfs
mkdir -p "$R/bin" "$R/etc" "$R/proc" "$R/sys" "$R/dev" "$R/tmp" "$R/root"
cp /bin/busybox "$R/bin/busybox"
for a in $(/bin/busybox --list); do [ "$a" = busybox ] || ln -sf busybox "$R/bin/$a"; done
echo 'root:x:0:0:root:/root:/bin/sh' >"$R/etc/passwd"
echo 'root:x:0:' >"$R/etc/group"
(cd "$W/bundle" && runc spec && jq '.process.args=["/bin/true"] | .process.terminal=false' config.json >c.json && mv c.json config.json)
mkdir -p "$W/root"
mount -t tmpfs tmpfs "$W/root"
tar -C "$R" -c . | "$W/dock" --root "$W/root" import - busybox:latest >/dev/null

# --network none: the bundles of crun and runc have a network namespace
# with loopback only, as dock's library default; the CLI, as docker, joins
# the default bridge unless told.
hyperfine -N --style basic --runs "$N" --warmup 5 --export-json "$W/hf.json" \
	-n true "/bin/true" \
	-n unshare "unshare -fmuinp /bin/true" \
	-n crun "crun run -b $W/bundle bench-crun" \
	-n runc "runc run -b $W/bundle bench-runc" \
	-n dock "$W/dock --root $W/root run --rm --network none busybox /bin/true" >/dev/null
echo "median wall ms, $N runs each (hyperfine -N), $(date -u +%FT%TZ), $(uname -r)"
jq -r '.results[] | "\(.command)\t\(.median*1000*100|round/100)\t(min \(.min*1000*100|round/100), max \(.max*1000*100|round/100))"' "$W/hf.json"
jq -r '(.results | map({(.command): .median}) | add) as $m | "dock/crun ratio\t\($m.dock/$m.crun*100|round/100)"' "$W/hf.json"

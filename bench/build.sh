#!/bin/sh
# Builds the same Dockerfile (busybox + 2 RUN + COPY of 500 small files +
# ENV + WORKDIR) with dock, buildah and (when a dockerd answers) docker,
# side by side with hyperfine, each build into a fresh store on tmpfs, and
# prints the medians and the ratios to dock; then times dock's rebuild with
# nothing changed (goal < 100 ms) and after touching one of 5,000 copied
# files, 50 MB in all (goal < 0.5 s). Run as root from the repository:
# sudo bench/build.sh  (N=runs, default 5). buildah runs with --isolation
# chroot, which refuses --network none (its RUNs share the host network).
set -eu
cd "$(dirname "$0")/.."
N=${N:-5}
W=$(mktemp -d /tmp/dock-build-bench.XXXXXX)
cleanup() {
	umount "$W/t" 2>/dev/null || true
	rm -rf "$W"
}
trap cleanup EXIT
for t in hyperfine jq buildah; do command -v $t >/dev/null || { echo "bench: $t is needed" >&2; exit 1; }; done
[ -x /bin/busybox ] || { echo "bench: /bin/busybox (busybox-static) is needed" >&2; exit 1; }

go build -o "$W/dock" ./examples/dock
mkdir -p "$W/t" && mount -t tmpfs tmpfs "$W/t"

# The busybox rootfs, as a tar every tool imports.
R=$W/rootfs
mkdir -p "$R/bin" "$R/etc" "$R/tmp" "$R/root"
cp /bin/busybox "$R/bin/busybox"
for a in $(/bin/busybox --list); do [ "$a" = busybox ] || ln -sf busybox "$R/bin/$a"; done
echo 'root:x:0:0:root:/root:/bin/sh' >"$R/etc/passwd"
echo 'root:x:0:' >"$R/etc/group"
tar -C "$R" -cf "$W/rootfs.tar" .

# Context 1: 500 small files. Context 2: 5,000 files of 10 kB (50 MB).
C1=$W/ctx1 C2=$W/ctx2
mkdir -p "$C1/files" "$C2/big"
i=0; while [ $i -lt 500 ]; do echo "file $i" >"$C1/files/f$i.txt"; i=$((i+1)); done
cat >"$C1/Dockerfile" <<'DF'
ARG BASE=busybox
FROM $BASE
RUN echo one > /one
RUN echo two > /two
COPY files/ /data/
ENV APP=bench
WORKDIR /app
DF
head -c 50000000 /dev/urandom | split -b 10000 -a 4 -d - "$C2/big/f"
cat >"$C2/Dockerfile" <<'DF'
FROM busybox
RUN echo one > /one
COPY big/ /big/
ENV APP=bench
WORKDIR /app
DF

T=$W/t
DOCK="$W/dock --root $T/dock"
BH="buildah --storage-driver vfs --root $T/bh --runroot $T/bhr"
dock_prep="rm -rf $T/dock && $DOCK import $W/rootfs.tar busybox:latest"
bh_prep="rm -rf $T/bh $T/bhr && c=\$($BH from scratch) && $BH add \$c $W/rootfs.tar / && $BH commit -q \$c localhost/busybox:latest && $BH rm \$c"
set -- -n dock --prepare "sh -c '$dock_prep' >/dev/null" "$DOCK build -q $C1" \
	-n buildah --prepare "sh -c '$bh_prep' >/dev/null" "$BH bud -q --pull-never --isolation chroot $C1"
if timeout 5 docker info >/dev/null 2>&1; then
	docker import -q "$W/rootfs.tar" dock-bench-busybox:latest >/dev/null
	set -- "$@" -n docker --prepare true "docker build -q --no-cache --build-arg BASE=dock-bench-busybox $C1"
	cleanup_docker=1
else
	echo "bench: no dockerd answers: docker build skipped"
fi
hyperfine --style basic --runs "$N" --export-json "$W/hf.json" "$@" >/dev/null
[ -z "${cleanup_docker:-}" ] || docker rmi -f dock-bench-busybox:latest >/dev/null 2>&1 || true
echo "cold build, 500 small files: median ms over $N runs (fresh stores on tmpfs), $(date -u +%FT%TZ), $(uname -r), $(nproc) CPUs"
jq -r '.results[] | "\(.command)\t\(.median*1000|round)\t(min \(.min*1000|round), max \(.max*1000|round))"' "$W/hf.json"
jq -r '(.results | map({(.command): .median}) | add) as $m | .results[] | select(.command != "dock") | "\(.command)/dock ratio\t\($m[.command]/$m.dock*100|round/100)"' "$W/hf.json"

# dock rebuilds of context 2 in a fresh store: the first build is untimed.
rm -rf "$T/dock" && $DOCK import "$W/rootfs.tar" busybox:latest >/dev/null
sleep 2 # older than the stat cache's racy margin: their hashes are reused
$DOCK build -q "$C2" >/dev/null
hyperfine --style basic --runs "$N" --warmup 1 --export-json "$W/re.json" \
	-n "rebuild, nothing changed" --prepare true "$DOCK build -q $C2" \
	-n "rebuild, 1 of 5,000 files (50 MB) changed" --prepare "sh -c 'date +%s%N >$C2/big/f0042'" "$DOCK build -q $C2" >/dev/null
echo "dock rebuilds: median ms over $N runs (goals: 100 and 500)"
jq -r '.results[] | "\(.command)\t\(.median*1000|round)\t(min \(.min*1000|round), max \(.max*1000|round))"' "$W/re.json"

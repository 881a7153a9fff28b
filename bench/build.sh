#!/bin/sh
# Builds the same Dockerfile (busybox + 2 RUN + COPY of 500 small files +
# ENV + WORKDIR) with dock, docker's BuildKit and buildah, side by side with
# hyperfine, each build cold (a fresh store, or a pruned builder), and
# prints the medians and the ratios to dock; then times the rebuilds of
# each with nothing changed (dock's goal < 100 ms) and after touching one of
# 5,000 copied files, 50 MB in all (goal < 0.5 s). Run as root from the
# repository: sudo bench/build.sh  (N=runs, default 5).
#
# Every store is on one tmpfs. docker is a dockerd of the bench's own
# (Debian's docker.io 20.10: BuildKit built in), with its data, exec root
# and socket under the bench's directory and no bridge or iptables; it is
# stopped at the end. The base image is imported into it under a name that
# only it has (dock-bench/busybox), so BuildKit finds it locally and never
# asks a registry; the RUN steps of both have no network (--network none:
# dock build's default is the default bridge, as docker build's). buildah runs with --isolation chroot, which refuses --network none
# (its RUNs share the host network; they use none).
set -eu
cd "$(dirname "$0")/.."
N=${N:-5}
W=$(mktemp -d /tmp/dock-build-bench.XXXXXX)
DOCKER=/usr/bin/docker # the 20.10 client of docker.io: DOCKER_BUILDKIT=1 works without buildx
export DOCKER_HOST="unix://$W/docker.sock"
cleanup() {
	if [ -f "$W/dockerd.pid" ]; then
		kill "$(cat "$W/dockerd.pid")" 2>/dev/null || true
		i=0; while [ -f "$W/dockerd.pid" ] && [ $i -lt 150 ]; do sleep 0.2; i=$((i+1)); done
	fi
	# Whatever dockerd or its containerd left mounted, deepest first.
	awk -v w="$W/" 'index($5, w) == 1 { print $5 }' /proc/self/mountinfo | sort -r | while read -r m; do umount -l "$m" 2>/dev/null || true; done
	rm -rf "$W"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

need=""
for t in hyperfine jq buildah; do command -v $t >/dev/null || need="$need $t"; done
command -v dockerd >/dev/null && [ -x "$DOCKER" ] || need="$need docker.io"
[ -x /bin/busybox ] || need="$need busybox-static"
if [ -n "$need" ]; then
	echo "bench: installing$need"
	# No service may start while packages install (docker.io ships one).
	if [ -e /usr/sbin/policy-rc.d ]; then
		cp -p /usr/sbin/policy-rc.d "$W/policy-rc.d.saved"
	fi
	printf '#!/bin/sh\nexit 101\n' >/usr/sbin/policy-rc.d && chmod +x /usr/sbin/policy-rc.d
	apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $need >/dev/null || status=$?
	if [ -e "$W/policy-rc.d.saved" ]; then mv -f "$W/policy-rc.d.saved" /usr/sbin/policy-rc.d; else rm -f /usr/sbin/policy-rc.d; fi
	[ -z "${status:-}" ] || exit "$status"
fi

./scripts/build-cli.sh "$W/dock"
mkdir -p "$W/t" && mount -t tmpfs tmpfs "$W/t"
T=$W/t

# The bench's dockerd: loopback only, nothing of the host's docker touched.
mkdir -p "$T/docker" "$W/dx"
# Its proxy is a closed port of the loopback: were BuildKit to ask a
# registry for the base image, the build would fail rather than go out.
env HTTP_PROXY=http://127.0.0.1:9 HTTPS_PROXY=http://127.0.0.1:9 NO_PROXY= \
	dockerd --data-root "$T/docker" --exec-root "$W/dx" -H "$DOCKER_HOST" --pidfile "$W/dockerd.pid" \
	--bridge=none --iptables=false --ip6tables=false --ip-masq=false --storage-driver overlay2 \
	>"$W/dockerd.log" 2>&1 &
i=0; until $DOCKER version >/dev/null 2>&1; do
	i=$((i+1)); [ $i -lt 150 ] || { echo "bench: dockerd did not start:" >&2; tail -20 "$W/dockerd.log" >&2; exit 1; }
	sleep 0.2
done

# The busybox rootfs, as a tar every tool imports.
R=$W/rootfs
mkdir -p "$R/bin" "$R/etc" "$R/tmp" "$R/root"
cp /bin/busybox "$R/bin/busybox"
for a in $(/bin/busybox --list); do [ "$a" = busybox ] || ln -sf busybox "$R/bin/$a"; done
echo 'root:x:0:0:root:/root:/bin/sh' >"$R/etc/passwd"
echo 'root:x:0:' >"$R/etc/group"
tar -C "$R" -cf "$W/rootfs.tar" .
$DOCKER import -c 'CMD ["sh"]' "$W/rootfs.tar" dock-bench/busybox:latest >/dev/null

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
ARG BASE=busybox
FROM $BASE
RUN echo one > /one
COPY big/ /big/
ENV APP=bench
WORKDIR /app
DF

DOCK="$W/dock --root $T/dock"
BH="buildah --storage-driver vfs --root $T/bh --runroot $T/bhr"
BK="env DOCKER_BUILDKIT=1 $DOCKER build -q --network none --build-arg BASE=dock-bench/busybox -t dock-bench/built"
dock_prep="rm -rf $T/dock && $DOCK import $W/rootfs.tar busybox:latest"
bh_prep="rm -rf $T/bh $T/bhr && c=\$($BH from scratch) && $BH add \$c $W/rootfs.tar / && $BH commit -q \$c localhost/busybox:latest && $BH rm \$c"
# A cold BuildKit: no build cache, no image of an earlier run.
bk_prep="$DOCKER rmi -f dock-bench/built >/dev/null 2>&1; $DOCKER builder prune -af"
# The prepare step makes BuildKit cold: no step of a build after it is cached.
sh -c "$bk_prep" >/dev/null && $BK "$C1" >/dev/null && sh -c "$bk_prep" >/dev/null
if DOCKER_BUILDKIT=1 $DOCKER build --progress=plain --network none --build-arg BASE=dock-bench/busybox "$C1" 2>&1 | grep -q CACHED; then
	echo "bench: BuildKit used its cache after a prune: its figures would not be cold" >&2
	exit 1
fi
hyperfine --style basic --runs "$N" --export-json "$W/hf.json" \
	-n dock --prepare "sh -c '$dock_prep' >/dev/null" "$DOCK build -q --network none $C1" \
	-n buildkit --prepare "sh -c '$bk_prep' >/dev/null" "$BK $C1" \
	-n buildah --prepare "sh -c '$bh_prep' >/dev/null" "$BH bud -q --pull-never --isolation chroot $C1" >/dev/null
echo "cold build, 500 small files: median ms over $N runs (fresh stores on tmpfs), $(date -u +%FT%TZ), $(uname -r), $(nproc) CPUs"
jq -r '.results[] | "\(.command)\t\(.median*1000|round)\t(min \(.min*1000|round), max \(.max*1000|round))"' "$W/hf.json"
jq -r '(.results | map({(.command): .median}) | add) as $m | .results[] | select(.command != "dock") | "\(.command)/dock ratio\t\($m[.command]/$m.dock*100|round/100)"' "$W/hf.json"

# Rebuilds of context 2 with a warm cache: the first build of each is
# untimed (--warmup 1). buildah caches its steps only with --layers.
rm -rf "$T/dock" "$T/bh" "$T/bhr" && $DOCK import "$W/rootfs.tar" busybox:latest >/dev/null
sh -c "$bh_prep" >/dev/null
sh -c "$bk_prep" >/dev/null
sleep 2 # older than dock's stat cache racy margin: their hashes are reused
touch1="sh -c 'date +%s%N >$C2/big/f0042'"
hyperfine --style basic --runs "$N" --warmup 1 --export-json "$W/re.json" \
	-n "dock, nothing changed" --prepare true "$DOCK build -q --network none $C2" \
	-n "buildkit, nothing changed" --prepare true "$BK $C2" \
	-n "buildah --layers, nothing changed" --prepare true "$BH bud -q --layers --pull-never --isolation chroot $C2" \
	-n "dock, 1 of 5,000 files (50 MB) changed" --prepare "$touch1" "$DOCK build -q --network none $C2" \
	-n "buildkit, 1 of 5,000 files changed" --prepare "$touch1" "$BK $C2" \
	-n "buildah --layers, 1 of 5,000 files changed" --prepare "$touch1" "$BH bud -q --layers --pull-never --isolation chroot $C2" >/dev/null
echo "rebuilds of 5,000 files (50 MB): median ms over $N runs (dock's goals: 100 and 500)"
jq -r '.results[] | "\(.command)\t\(.median*1000|round)\t(min \(.min*1000|round), max \(.max*1000|round))"' "$W/re.json"

#!/bin/bash
# Pulls a 6-layer image (~230 MB gzip, ~280 MB of tar, 11.4k files) from a
# local registry into a fresh store with dock and the peers that are
# installed (skopeo+umoci, podman, containerd's ctr), side by side, and
# prints each median, dock's ratio to the fastest peer that also unpacks,
# and dock's peak RSS. Run as root from the repository: sudo bench/pull.sh
# (N=runs, default 5). Takes a few minutes.
#
# The image (bench/pull-image.sh: deterministic, busybox and data) is
# built once into $CACHE (default /var/tmp/dock-pull-bench). The registry
# (docker-registry, 127.0.0.1, its own config) keeps its storage on a
# tmpfs, and every store is on a tmpfs: on this project's ext4 without a
# journal, creating files soon after deleting many is slow and noisy.
set -euo pipefail
cd "$(dirname "$0")/.."
N=${N:-5}
CACHE=${CACHE:-/var/tmp/dock-pull-bench}
W=$(mktemp -d /tmp/dock-pull-bench.XXXXXX)
REGPID=
CTDPID=
cleanup() {
	set +e # a child killed here exits 143: stop everything regardless
	[ -n "$REGPID" ] && kill "$REGPID" 2>/dev/null && wait "$REGPID" 2>/dev/null
	[ -n "$CTDPID" ] && kill "$CTDPID" 2>/dev/null && wait "$CTDPID" 2>/dev/null
	umount "$W" 2>/dev/null
	rm -rf "$W"
}
trap cleanup EXIT

need=""
for t in hyperfine jq openssl python3 skopeo curl; do command -v $t >/dev/null || need="$need $t"; done
[ -x /usr/bin/time ] || need="$need time"
[ -x /bin/busybox ] || need="$need busybox-static"
[ -x /usr/bin/docker-registry ] || need="$need docker-registry"
if [ -n "$need" ]; then
	echo "bench: installing$need"
	apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $need >/dev/null
fi
mount -t tmpfs -o size=8g tmpfs "$W"
./scripts/build-cli.sh "$W/dock"

# The image: an OCI layout in $CACHE/oci.
./bench/pull-image.sh "$CACHE"

# The registry, on a free port, storage on the tmpfs.
PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
cat >"$W/registry.yml" <<EOF
version: 0.1
log: {level: warn}
storage: {filesystem: {rootdirectory: $W/registry}}
http: {addr: 127.0.0.1:$PORT}
EOF
docker-registry serve "$W/registry.yml" >"$W/registry.log" 2>&1 &
REGPID=$!
for _ in $(seq 100); do curl -fsS "http://127.0.0.1:$PORT/v2/" >/dev/null 2>&1 && break; sleep 0.1; done
IMG=127.0.0.1:$PORT/bench/big:latest
skopeo copy -q --dest-tls-verify=false "oci:$CACHE/oci:latest" "docker://$IMG"
MB=$(jq '[.layers[].size]|add' "$CACHE/oci/blobs/sha256/$(jq -r '.manifests[0].digest' "$CACHE/oci/index.json" | cut -d: -f2)")
echo "bench: image $IMG, $MB compressed layer bytes, $N runs each, stores on tmpfs"

D=$W/t
names=() cmds=() preps=()
add() { names+=("$1"); preps+=("$2"); cmds+=("$3"); }
add dock "rm -rf $D/dock" "$W/dock --root $D/dock pull -q $IMG"
add "skopeo copy (no unpack)" "rm -rf $D/sk" "skopeo copy -q --src-tls-verify=false docker://$IMG oci:$D/sk:latest"
if command -v umoci >/dev/null; then
	add "skopeo copy + umoci unpack" "rm -rf $D/sku && mkdir -p $D/sku" "skopeo copy -q --src-tls-verify=false docker://$IMG oci:$D/sku/l:latest && umoci unpack --image $D/sku/l:latest $D/sku/b"
else
	echo "umoci: not installed"
fi
if command -v podman >/dev/null; then
	P="podman --root $D/pod/root --runroot $D/pod/run --storage-driver overlay --cgroup-manager=cgroupfs --events-backend=file --runtime runc"
	add "podman pull (overlay)" "rm -rf $D/pod" "$P pull -q --tls-verify=false $IMG"
else
	echo "podman: not installed"
fi
if command -v ctr >/dev/null && command -v containerd >/dev/null; then
	mkdir -p "$W/ctd"
	# Its own containerd (as ../shared/research/peers/08-containerd.sh):
	# root, state and socket on the tmpfs, CRI plugin off; stopped on exit.
	cat >"$W/ctd/config.toml" <<EOF
version = 2
root = "$W/ctd/root"
state = "$W/ctd/state"
disabled_plugins = ["io.containerd.grpc.v1.cri"]
[grpc]
  address = "$W/ctd/sock"
EOF
	containerd -c "$W/ctd/config.toml" >"$W/ctd/log" 2>&1 &
	CTDPID=$!
	C="ctr -a $W/ctd/sock"
	for _ in $(seq 100); do timeout 2 $C version >/dev/null 2>&1 && break; sleep 0.1; done
	timeout 5 $C version >/dev/null || { cat "$W/ctd/log"; exit 1; }
	add "ctr images pull (overlayfs)" "$C images rm --sync $IMG; $C content prune references" "$C images pull --plain-http $IMG"
else
	echo "ctr: not installed"
fi

args=()
for i in "${!names[@]}"; do args+=(-n "${names[$i]}" --prepare "${preps[$i]}; sync" "${cmds[$i]}"); done
mkdir -p "$D"
hyperfine --style basic --runs "$N" --export-json "$W/hf.json" "${args[@]}" >"$W/hf.log" 2>&1 || { cat "$W/hf.log"; exit 1; }

echo
printf '%-30s %8s %8s %8s %9s\n' tool median min max MB/s
jq -r --argjson mb "$MB" '.results[] | [.command, .median, .min, .max, ($mb/1e6/.median)] | @tsv' "$W/hf.json" |
	while IFS=$'\t' read -r n med lo hi rate; do printf '%-30s %7.2fs %7.2fs %7.2fs %9.1f\n' "$n" "$med" "$lo" "$hi" "$rate"; done
jq -r '(.results[] | select(.command=="dock") | .median) as $d
	| [.results[] | select(.command!="dock" and (.command|test("no unpack")|not))] as $p
	| if ($p|length)==0 then "no peer that unpacks is installed"
	  else ($p | min_by(.median)) as $f | "dock / fastest peer that unpacks (\($f.command)): \($d/$f.median*100|round/100)x" end' "$W/hf.json"
jq -r '(.results[] | select(.command=="dock") | .median) as $d | .results[] | select(.command|test("no unpack"))
	| "dock / \(.command): \($d/.median*100|round/100)x"' "$W/hf.json"
rm -rf "$D/dock"
/usr/bin/time -v "$W/dock" --root "$D/dock" pull -q "$IMG" 2>"$W/time.txt" >/dev/null
echo "dock peak RSS: $(awk -F': ' '/Maximum resident set size/ {printf "%.1f MiB", $2/1024}' "$W/time.txt")"

#!/bin/bash
# Makes the pull benchmarks' image once, as an OCI layout in $1/oci (the
# default cache is /var/tmp/dock-pull-bench): 6 layers, ~230 MB gzip,
# ~280 MB of tar, 11.4k files; nothing to do when it is there already.
# bench/pull.sh (dock against skopeo, podman, containerd) and
# bench/dockd-pull.sh (docker pull through dockd) push it to their
# registry with skopeo.
#
# The image is deterministic (openssl keystreams and a seeded generator,
# tars with fixed owners and mtimes, gzip -6 -n), as in the peers' baseline
# (../shared/research/peers): a busybox rootfs, 8,000 small text files,
# 2 x 48 MiB random, 48 MiB of base64, 3,000 random files of 4-32 KiB, and
# 500 text files + 24 MiB random + a whiteout of a layer-2 directory.
# Needs openssl, python3, gzip and /bin/busybox (busybox-static).
set -euo pipefail
CACHE=${1:?usage: bench/pull-image.sh CACHE}
[ -f "$CACHE/oci/index.json" ] && exit 0
echo "bench: making the image in $CACHE (once)"
rm -rf "$CACHE" && mkdir -p "$CACHE/src" "$CACHE/oci/blobs/sha256"
S=$CACHE/src
R=$S/l1
mkdir -p "$R/bin" "$R/etc" "$R/tmp"
cp /bin/busybox "$R/bin/busybox"
for a in $(/bin/busybox --list); do [ "$a" = busybox ] || ln -sf busybox "$R/bin/$a"; done
echo 'root:x:0:0:root:/root:/bin/sh' >"$R/etc/passwd"
mkdir -p "$S/l3/data/big"
for x in a b; do
	openssl enc -aes-128-ctr -nosalt -pass pass:peers-l3$x -pbkdf2 </dev/zero 2>/dev/null | head -c 50331648 >"$S/l3/data/big/$x.bin" || true
done
python3 - "$S" <<'EOF'
import base64, os, random, sys
S = sys.argv[1]
WORDS = ("container image layer registry manifest digest blob overlay mount namespace cgroup "
         "process kernel runtime bundle config rootfs tar gzip index platform linux amd64 arm64 "
         "build stage copy run entrypoint environment user group volume network bridge veth").split()
def text(rng, n):
    out, size = [], 0
    while size < n:
        w = rng.choice(WORDS); out.append(w); size += len(w) + 1
    return (" ".join(out)[:n] + "\n").encode()
def put(root, rel, data):
    p = os.path.join(root, rel); os.makedirs(os.path.dirname(p), exist_ok=True)
    with open(p, "wb") as f: f.write(data)
rng = random.Random(1)
for i in range(8000):
    put(S + "/l2", f"data/text/d{i % 100:02d}/f{i:05d}.txt", text(rng, rng.randint(512, 8192)))
rng = random.Random(3)
put(S + "/l4", "data/semi/blob.b64", base64.b64encode(rng.randbytes(36 * 1024 * 1024)))
rng = random.Random(2)
for i in range(3000):
    put(S + "/l5", f"data/rand/d{i % 50:02d}/r{i:05d}.bin", rng.randbytes(rng.randint(4096, 32768)))
rng = random.Random(4)
for i in range(500):
    put(S + "/l6", f"data/mixed/m{i:04d}.txt", text(rng, rng.randint(100, 4000)))
put(S + "/l6", "data/mixed/big.bin", rng.randbytes(24 * 1024 * 1024))
put(S + "/l6", "data/text/.wh.d00", b"")
EOF
for l in l1 l2 l3 l4 l5 l6; do
	tar --numeric-owner --owner=0 --group=0 --mtime=@0 --sort=name -C "$S/$l" -cf "$S/$l.tar" .
	gzip -6 -n -c "$S/$l.tar" >"$S/$l.tar.gz"
done
python3 - "$S" "$CACHE/oci" <<'EOF'
import hashlib, json, os, shutil, sys
S, O = sys.argv[1], sys.argv[2]
def blob(path=None, data=None):
    if data is None:
        data = open(path, "rb").read()
    d = hashlib.sha256(data).hexdigest()
    open(f"{O}/blobs/sha256/{d}", "wb").write(data)
    return "sha256:" + d, len(data)
layers, diffs = [], []
for l in ["l1", "l2", "l3", "l4", "l5", "l6"]:
    diffs.append("sha256:" + hashlib.sha256(open(f"{S}/{l}.tar", "rb").read()).hexdigest())
    d, n = blob(f"{S}/{l}.tar.gz")
    layers.append({"mediaType": "application/vnd.oci.image.layer.v1.tar+gzip", "digest": d, "size": n})
cfg = {"created": "2026-01-01T00:00:00Z", "architecture": "amd64", "os": "linux",
       "config": {"Cmd": ["/bin/sh"], "Env": ["PATH=/bin"], "WorkingDir": "/"},
       "rootfs": {"type": "layers", "diff_ids": diffs}}
cd, cn = blob(data=json.dumps(cfg).encode())
man = {"schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
       "config": {"mediaType": "application/vnd.oci.image.config.v1+json", "digest": cd, "size": cn}, "layers": layers}
md, mn = blob(data=json.dumps(man).encode())
open(f"{O}/oci-layout", "w").write('{"imageLayoutVersion":"1.0.0"}')
json.dump({"schemaVersion": 2, "manifests": [{"mediaType": "application/vnd.oci.image.manifest.v1+json",
    "digest": md, "size": mn, "annotations": {"org.opencontainers.image.ref.name": "latest"}}]}, open(f"{O}/index.json", "w"))
EOF
rm -rf "$S"
